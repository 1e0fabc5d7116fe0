"""A release manager's whole launch, from `gate init` to a local release tag, through the command line
only: no YAML is written by hand, and no list of what to fill in or which evidence to add is kept here.
The gate's own answers drive it — `gate set --unfilled --format json` says which values are left and
the command for each, `gate status --format json` says which evidence every failing item still needs —
so the test follows the template as it changes and fails if a step ever needs a hand edit.

docs/journey.md walks the same steps, command by command. Git is real (tmp_path), `gate` runs in-process.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gate.cli import build_parser
from gate.comms import DRAFTS_ID, launch_values
from gate.load import load_yaml
from gate.model import Checklist
from tests.conftest import GateRunner
from tests.helpers import ROOT, git, iso
from tests.helpers import item as item_of

NAME, NETWORK, ORG, TAG = "Checkout v2", "production", "acme", "checkout-v2.0.0"


@dataclass
class Journey:
    """One launch in progress: the folder, the clock the launch team works on, and who is on each team."""

    run: GateRunner
    repo: Path
    at: datetime  # when the leads sign off; the meeting an hour later, the release check an hour after
    people: dict[str, list[str]] = field(default_factory=dict)  # team -> logins

    def gate(self, *argv: str | Path) -> Any:
        """`gate ARGV…` in the launch folder (found like git finds its work tree); the JSON it printed
        with --format json, else its text. Every step must succeed."""
        done = self.run(*argv)
        assert done.code == 0, f"gate {' '.join(map(str, argv))}: exit {done.code}\n{done.out}\n{done.err}"
        return done.json() if "--format" in argv else done.out

    def checklist(self) -> Checklist:
        """checklist.yaml as the gate reads it (read, never written, by this test)."""
        _, model, errors = load_yaml(self.repo, "checklist.yaml", Checklist)
        assert errors == []
        assert model is not None
        return model

    def status(self) -> dict[str, Any]:
        card: dict[str, Any] = self.gate("status", "--format", "json")["card"]
        return card


@pytest.fixture
def journey(tmp_path: Path, cli: GateRunner, monkeypatch: pytest.MonkeyPatch) -> Journey:
    """`gate init` run from another folder (templates are package data), then `git init` in the launch."""
    monkeypatch.chdir(tmp_path)
    done = cli("init", "checkout-v2", "--name", NAME, "--network", NETWORK, "--org", ORG)
    assert done.code == 0, done.err
    assert done.out.splitlines()[-2:] == ["template: generic", "next: cd checkout-v2 && gate status"]
    repo = tmp_path / "checkout-v2"
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "gate init")
    monkeypatch.chdir(repo)
    # Evidence is captured on the real clock; the leads sign off the next day, on the hour.
    tomorrow = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=1)
    return Journey(cli, repo, tomorrow)


# ---- 1. fill in the checklist ------------------------------------------------------------------------


def name_the_teams(j: Journey) -> None:
    """`gate set roster.@ORG/TEAM login,login` for every team the checklist names: area teams and roles'."""
    checklist = j.checklist()
    teams = [a.team for a in checklist.areas] + [r.team for r in checklist.roles.values() if r.team]
    for team in dict.fromkeys(teams):
        slug = team.rsplit("/", 1)[1]
        j.people[team] = [f"{slug}-lead", f"{slug}-deputy"]
        out = j.gate("set", f"roster.{team}", ",".join(j.people[team]))
        assert f"roster.{team}: (absent) -> " in out


def value_for(key: str) -> str:
    """What the launch team would type for a value `gate set --unfilled` lists."""
    if ".metrics." in key:  # a Prometheus metric name of this service
        return "checkout_" + key.rsplit(".", 1)[1]
    if key.startswith("channel."):
        return f"https://chat.example.invalid/checkout-v2/{key.removeprefix('channel.')}"
    raise AssertionError(f"the template has a new kind of value to fill in: {key}")


def fill_in(j: Journey) -> list[str]:
    """Every value `gate set --unfilled` says `gate set` fills in; the keys set."""
    left = j.gate("set", "--unfilled", "--format", "json")["placeholders"]
    keys = [u["key"] for u in left if u["command"].startswith("gate set ")]
    for key in dict.fromkeys(keys):
        value = value_for(key)
        assert j.gate("set", key, value).rstrip().endswith(f" -> {value}")
    return keys


def schedule(j: Journey) -> None:
    """The windows, a blackout and the freeze, all ahead of the sign-offs."""
    day = j.at.replace(hour=0) + timedelta(days=1)
    j.gate(
        "schedule",
        *("--primary", iso(day + timedelta(days=7, hours=14)), iso(day + timedelta(days=7, hours=18))),
        *("--backup", iso(day + timedelta(days=9, hours=14)), iso(day + timedelta(days=9, hours=18))),
        *("--blackout", iso(day + timedelta(days=3)), iso(day + timedelta(days=5)), "Quarter-end billing close"),
        *("--freeze", iso(day + timedelta(days=1)), iso(day + timedelta(days=12))),
    )


# ---- 2. evidence, as `gate status` asks for it ---------------------------------------------------------


def missing(card: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(item, requirement) for every requirement a blocking item still lacks, each requirement once."""
    seen = set()
    for it in card["items"]:
        for need in it["missing"] if it["state"] == "FAIL" else []:
            if need["id"] not in seen:
                seen.add(need["id"])
                yield it["id"], need


def packet_requirement(checklist: Checklist) -> str:
    """The requirement met by the launch packet itself: the one whose source is where `gate packet` writes."""
    items = [*checklist.prerequisites, *checklist.items]
    [found] = [r.id for i in items for r in i.evidence if r.source == checklist.packet.location]
    return found


def provide(j: Journey, item: str, need: dict[str, Any]) -> None:
    """Produce one requirement the way its owner would: drafts rendered, commands run, documents written."""
    if need["id"] == DRAFTS_ID:
        draft_status_posts(j, item)
    elif need["kind"] == "command":
        script = f"print('{need['description']}: passed')"
        out = j.gate("evidence", "capture", "--item", item, "--id", need["id"], "--", sys.executable, "-c", script)
        assert "passed" in out
    else:
        path = Path("evidence") / item / f"{need['id']}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {need['description']}\n\nFor {item} of {NAME}.\n", encoding="utf-8")
        assert f"recorded: {need['id']}" in j.gate("evidence", "add", path, "--item", item, "--id", need["id"])


def draft_status_posts(j: Journey, item: str) -> None:
    """`gate comms draft … --record`: every status-page template, with the values the launch cannot supply."""
    checklist = j.checklist()
    supplied = launch_values(checklist, "primary")
    templates = checklist.communications.status_page_templates
    given = {v for t in templates for v in t.variables if v not in supplied}
    values = {"IMPACT": "checkout unavailable for up to 5 minutes", "TIME": "30 minutes"}
    argv = [t.id for t in templates] + [f"--var={v}={values[v]}" for v in sorted(given)]
    drafted = j.gate("comms", "draft", *argv, "--record", "--item", item, "--format", "json")
    assert drafted["recorded"]["id"] == DRAFTS_ID
    assert all("<" not in d["text"] for d in drafted["drafts"])


def gather_evidence(j: Journey) -> None:
    """Until `gate status` lists no missing evidence: everything else first, then the launch packet,
    compiled by `gate packet` over all of it and registered like any document."""
    packet = packet_requirement(j.checklist())
    for _ in range(5):
        todo = [(i, need) for i, need in missing(j.status()) if need["id"] != packet]
        if not todo:
            break
        for item, need in todo:
            provide(j, item, need)
    else:
        pytest.fail("gate status keeps asking for the same evidence")
    [(item, need)] = list(missing(j.status()))
    assert need["id"] == packet
    location = j.checklist().packet.location
    assert j.gate("packet").startswith(f"wrote {location}")
    j.gate("evidence", "add", location, "--item", item, "--id", packet)


# ---- 3. sign-offs, the meeting, the release -------------------------------------------------------------


def lead_of(j: Journey, role: str) -> str:
    """The login that holds `role`: the first person of its team (the area's team, or the role's own)."""
    checklist = j.checklist()
    held = checklist.roles[role]
    team = held.team or next(a.team for a in checklist.areas if a.id == held.area)
    return j.people[team][0]


def sign_off(j: Journey) -> None:
    for signoff in j.status()["signoffs"]:
        who = lead_of(j, signoff["approver_role"])
        out = j.gate("signoff", signoff["area"], "--approve", "--by", who, "--at", iso(j.at))
        assert f"approved by {who}" in out


def decide(j: Journey) -> str:
    """The go/no-go meeting: every required role and the release manager, one person each."""
    checklist = j.checklist()
    roles = [*checklist.meeting.required_attendees, "release-manager"]
    attendees = [f"--attendee={role}={lead_of(j, role)}" for role in dict.fromkeys(roles)]
    when = iso(j.at + timedelta(hours=1))
    out = j.gate("decide", "--decision", "GO", "--window", "primary", *attendees, "--at", when)
    decision_file = str(out.split(":", 1)[0])
    assert decision_file.startswith("decisions/")
    return decision_file


def test_a_launch_from_init_to_a_release_tag_without_editing_yaml(journey: Journey, tmp_path: Path) -> None:
    j = journey
    template = (j.repo / "checklist.yaml").read_text(encoding="utf-8")
    assert "checklist.yaml: launch.release_tag: <insert release tag> -> " + TAG in j.gate("set", "release-tag", TAG)
    name_the_teams(j)
    assert fill_in(j), "the template leaves values for `gate set` (metric names, channels)"
    schedule(j)
    assert j.gate("set", "--unfilled", "--format", "json") == {"placeholders": []}

    gather_evidence(j)
    card = j.status()
    assert {(i["priority"], i["state"]) for i in card["items"] if i["state"] != "PASS"} <= {("P2", "WARN")}
    assert all(s["status"] == "pending" for s in card["signoffs"])

    sign_off(j)
    card = j.status()
    assert [b for b in card["blocking"] if not b.startswith("no go/no-go decision recorded")] == []
    decision_file = decide(j)

    judged = iso(j.at + timedelta(hours=2))
    checked = j.run("check", "--require-go", "--at", judged, "--format", "json")
    assert checked.code == 0, checked.out
    assert (checked.json()["decision"], checked.json()["recorded_decision"]["file"]) == ("GO", decision_file)
    assert item_of(checked.json(), "C-rollback-criteria")["state"] == "PASS"

    audit = tmp_path / "audit"
    audit.mkdir()
    assert j.gate("packet", "--out", audit / "launch-packet.md").startswith("wrote ")
    j.gate("archive", audit / "launch.tar.gz")
    assert j.gate("verify", audit / "launch.tar.gz").startswith(f"HOLDS: GO recorded in {decision_file}")

    git(j.repo, "add", "-A")
    git(j.repo, "commit", "-q", "-m", f"GO for {NAME}: {decision_file}")
    assert git(j.repo, "status", "--porcelain") == ""
    released = j.gate("release", "--at", judged)
    assert f"tag {TAG} at this repository only (nothing published): created" in released
    assert git(j.repo, "cat-file", "-t", TAG).strip() == "tag"  # annotated, not a lightweight tag
    assert git(j.repo, "rev-parse", f"{TAG}^{{commit}}") == git(j.repo, "rev-parse", "HEAD")
    message = git(j.repo, "tag", "-l", "--format=%(contents)", TAG)
    assert f"decision: GO ({decision_file})" in message
    assert j.gate("verify", "--tag", TAG).startswith(f"HOLDS: GO recorded in {decision_file}")

    # Every edit was spliced into the file: the template's comments are all still there.
    comments = [line.strip() for line in template.splitlines() if line.strip().startswith("#")]
    kept = (j.repo / "checklist.yaml").read_text(encoding="utf-8")
    assert [c for c in comments if c not in kept] == []


def doc_commands() -> list[list[str]]:
    """Every `gate …` command in docs/journey.md's shell blocks, split as the shell would."""
    text = (ROOT / "docs" / "journey.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words[:1] == ["gate"]:
                    out.append(words[1:])
    return out


def test_every_command_in_docs_journey_is_one_gate_takes() -> None:
    """The page walks these steps by hand: each of its commands must still parse as written."""
    commands = doc_commands()
    assert len(commands) > 30
    parser = build_parser()
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"docs/journey.md: gate {shlex.join(argv)} is not a valid command")
    steps = {" ".join(argv[:2]) if argv[0] in ("evidence", "comms") else argv[0] for argv in commands}
    assert steps >= {"init", "set", "schedule", "evidence add", "evidence capture", "comms draft", "packet"}
    assert steps >= {"signoff", "decide", "check", "archive", "verify", "release"}
