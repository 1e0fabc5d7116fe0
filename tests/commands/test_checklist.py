"""The commands that fill in checklist.yaml so nobody hand-edits it: `schedule`, `set`, `mitigate`, `na`.

Each edits in place (every other byte kept), validates before writing, says what changed and which
sign-offs that makes stale."""

from __future__ import annotations

import difflib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GateRunner
from tests.helpers import AT, EXAMPLE, copy_example, copy_frozen_launch, iso, item, replace_once, seed, snapshot

CHECKLIST = "checklist.yaml"


def _changed(before: str, after: str) -> list[str]:
    """The lines `after` adds or drops."""
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:2] in ("- ", "+ ")]


@pytest.fixture
def launch(tmp_path: Path) -> Path:
    """The root launch, unscheduled and unsigned (its placeholders still in)."""
    return copy_frozen_launch(tmp_path / "launch")


def test_schedule_fills_the_windows_and_freeze_and_nothing_else(launch, cli):
    before = (launch / CHECKLIST).read_text(encoding="utf-8")
    start = EXAMPLE.primary[0]
    result = cli(
        "schedule", "--repo", launch,
        "--primary", iso(start), iso(start + timedelta(hours=4)),
        "--backup", iso(start + timedelta(days=2)), iso(start + timedelta(days=2, hours=4)),
        "--freeze", iso(start - timedelta(days=7)), iso(start + timedelta(days=4)),
        "--blackout", iso(start - timedelta(days=3)), iso(start - timedelta(days=1)), "exchange embargo",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert f"checklist.yaml: windows.primary.start: YYYY-MM-DD HH:MM UTC -> {seed(start)}" in result.out
    after = (launch / CHECKLIST).read_text(encoding="utf-8")
    changed = _changed(before, after)
    assert all("windows" not in line for line in changed)  # the comments and keys around stay put
    assert len([line for line in changed if line.startswith("- ")]) == 7  # primary, backup, 3 blackout, 2 freeze
    assert f'  primary: {{start: "{seed(start)}", end: "{seed(start + timedelta(hours=4))}"}}' in after
    card = cli("check", "--repo", launch, "--format", "json", "--at", iso(start - timedelta(days=10))).json()
    for ident in ("C-primary-window", "C-backup-window", "C-blackouts", "C-freeze"):
        assert item(card, ident)["state"] == "PASS", item(card, ident)


def test_schedule_refuses_a_window_that_ends_before_it_starts(launch, cli):
    before = snapshot(launch)
    start = EXAMPLE.primary[0]
    result = cli("schedule", "--repo", launch, "--primary", iso(start), iso(start - timedelta(hours=1)))
    assert result.code == 2
    assert "windows.primary: the end" in result.err
    assert snapshot(launch) == before


def test_set_fills_a_placeholder_and_lists_what_is_left(launch, cli):
    left = cli("set", "--unfilled", "--repo", launch)
    assert left.code == 0
    count = int(left.out.splitlines()[-1].split()[0])
    assert "checklist.yaml:12:16: unfilled placeholder <insert release tag>" in left.out
    done = cli("set", "release-tag", "mainnet-v1.0.0", "--repo", launch)
    assert done.code == 0, done.err
    assert done.out == "checklist.yaml: launch.release_tag: <insert release tag> -> mainnet-v1.0.0\n"
    again = cli("set", "--unfilled", "--repo", launch)
    assert int(again.out.splitlines()[-1].split()[0]) == count - 1


def test_set_refuses_a_key_it_does_not_know_with_a_suggestion(launch, cli):
    result = cli("set", "relase-tag", "x", "--repo", launch)
    assert result.code == 2
    assert "(did you mean 'release-tag'?)" in result.err


def test_set_roster_and_a_channel(launch, cli):
    assert cli("set", "roster.@virtengine/security", "alice,@bob", "--repo", launch).code == 0
    assert cli("set", "channel.war-room-bridge", "https://meet.example/war-room", "--repo", launch).code == 0
    text = (launch / CHECKLIST).read_text(encoding="utf-8")
    assert 'roster:\n  "@virtengine/security":\n    - alice\n    - bob\n' in text
    assert "value: https://meet.example/war-room}" in text
    bad = cli("set", "roster.@virtengine/security", "not a login", "--repo", launch)
    assert bad.code == 2


def test_set_refuses_a_roster_for_a_team_nothing_names(tmp_path, cli):
    """A mistyped team would take the roster and leave the real team with none: refused, nothing written."""
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    result = cli("set", "roster.@virtengine/securty", "sec-lead-ana", "--repo", repo)
    assert result.code == 2
    assert "roster.@virtengine/securty: no area or role has this team" in result.err
    assert "(did you mean '@virtengine/security'?)" in result.err
    assert snapshot(repo) == before
    role_team = cli("set", "roster.@VirtEngine/Release-Managers", "rm-rosa,rm-sam", "--repo", repo)
    assert role_team.code == 0, role_team.err  # a role's team, in any case, is a team the checklist names


def test_an_edit_the_rest_of_the_launch_refuses_leaves_the_file_as_it_was(tmp_path, cli):
    """The checklist alone validates with an owner no role defines; the launch does not. It was left
    written although the command exited 2."""
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    result = cli("set", "items.0.owner", "nobodyrole", "--repo", repo)
    assert result.code == 2
    assert "unknown role 'nobodyrole'" in result.err
    assert snapshot(repo) == before


def test_an_edit_the_checklist_refuses_says_its_place_is_in_the_text_never_written(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    result = cli("set", "target-block-time", "0s", "--repo", repo)
    assert result.code == 2
    assert "target_block_time must be longer than 0s (in the file as this edit would leave it; nothing was" in (
        result.err
    )
    assert snapshot(repo) == before


def test_check_reports_every_roster_team_nothing_names_at_its_key(tmp_path, cli):
    repo = copy_example(tmp_path)
    replace_once(repo / CHECKLIST, '  "@virtengine/sre":\n', '  "@virtengine/ser":\n')
    replace_once(repo / CHECKLIST, '  "@virtengine/finance":\n', '  "@acme/finance":\n')
    lines = (repo / CHECKLIST).read_text(encoding="utf-8").splitlines()
    result = cli("check", "--repo", repo, "--at", AT)
    assert result.code == 2
    sre, finance = (lines.index(f'  "{team}":') + 1 for team in ("@virtengine/ser", "@acme/finance"))
    assert f"checklist.yaml:{sre}:3: roster.@virtengine/ser: no area or role has this team" in result.out
    assert "(did you mean '@virtengine/sre'?)" in result.out
    assert f"checklist.yaml:{finance}:3: roster.@acme/finance: no area or role has this team" in result.out


def test_mitigate_and_na_stale_exactly_the_area_that_approved_the_policy(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    mitigated = cli("mitigate", "D-upgrade-runbook", "--owner", "ops-lead", "--description", "x", "--repo", repo)
    assert mitigated.code == 2  # a P0 cannot be mitigated into a WARN
    assert "only a P1 may be mitigated" in mitigated.err
    due = iso(EXAMPLE.decided_at + timedelta(days=1))
    result = cli(
        "mitigate",
        "E-cutover-timed",
        "--owner",
        "ops-lead",
        "--due",
        due,
        "--description",
        "timed again",
        "--repo",
        repo,
    )
    assert result.code == 0, result.err
    assert result.out.endswith("now stale (the area's policy changed): operations-sre — re-approval needed\n")
    fresh = copy_example(tmp_path, decisions=False, dest="fresh")
    na = cli("na", "F-partner-notice", "--justification", "no partners", "--accepted-by", "sre-kim", "--repo", fresh)
    assert na.code == 0, na.err
    assert na.out.endswith("now stale (the area's policy changed): operations-sre — re-approval needed\n")
    refused = cli("na", "D-key-management", "--justification", "x", "--accepted-by", "TBD", "--repo", repo)
    assert refused.code == 2
    off_roster = cli("na", "D-key-management", "--justification", "x", "--accepted-by", "fin-lead-dora", "--repo", repo)
    assert off_roster.code == 2
    assert "is not on the roster of @virtengine/security" in off_roster.err


# ---- gate set --unfilled: every value still a placeholder, once each, with FILE:LINE:COL, the KEY `gate set`
# takes for it and the command that fills it in — so nobody has to read a 600-line file to find them.


def unfilled(cli: GateRunner, repo: Path) -> list[dict[str, Any]]:
    run = cli("set", "--unfilled", "--repo", repo, "--format", "json")
    assert run.code == 0, run.err
    left: list[dict[str, Any]] = run.json()["placeholders"]
    return left


def test_each_value_is_listed_once_with_its_key_and_command(cli: GateRunner, launch: Path) -> None:
    left = {(u["key"], u["command"]) for u in unfilled(cli, launch)}
    assert ("release-tag", "gate set release-tag VALUE") in left
    assert ("target-block-time", "gate set target-block-time VALUE") in left
    assert ("rollback.match.chain.chain_id", "gate set rollback.match.chain.chain_id VALUE") in left
    assert ("windows.primary.start", "gate schedule --primary START END") in left
    assert ("freeze.end", "gate schedule --freeze START END") in left
    assert any(
        key.startswith("windows.blackouts.0.") and cmd.startswith("gate schedule --blackout") for key, cmd in left
    )
    # "YYYY-MM-DD HH:MM UTC" is one value to fill in, not two.
    start = next(u for u in unfilled(cli, launch) if u["key"] == "windows.primary.start")
    assert start["text"] == "YYYY, HH:MM"
    lines = launch.joinpath("checklist.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[start["line"] - 1][start["column"] - 1 :].startswith('"YYYY-MM-DD HH:MM UTC"')


def test_every_listed_key_is_one_gate_set_takes(cli: GateRunner, launch: Path) -> None:
    """Following the list to the letter empties it: what it says is what the commands accept."""
    for u in unfilled(cli, launch):
        if u["command"].startswith("gate set "):
            done = cli("set", u["key"], "6s" if u["key"] == "target-block-time" else "filled-in", "--repo", launch)
            assert done.code == 0, (u, done.err)
    assert {u["command"].split(" --")[0] for u in unfilled(cli, launch)} == {"gate schedule"}


def test_a_channel_is_named_by_its_id(cli: GateRunner, launch: Path) -> None:
    channels = [u for u in unfilled(cli, launch) if u["key"].startswith("channel.")]
    assert [u["key"] for u in channels] == ["channel.war-room-bridge"]
    assert cli("set", "channel.war-room-bridge", "https://meet.example.invalid/launch", "--repo", launch).code == 0
    assert [u for u in unfilled(cli, launch) if u["key"].startswith("channel.")] == []


def test_the_text_says_where_what_and_how(cli: GateRunner, launch: Path) -> None:
    run = cli("set", "--unfilled", "--repo", launch)
    assert run.code == 0
    [line] = [x for x in run.out.splitlines() if "release tag" in x]
    assert line.startswith("checklist.yaml:")
    assert line.endswith("unfilled placeholder <insert release tag>   → gate set release-tag VALUE")
    assert run.out.splitlines()[-1] == f"{len(unfilled(cli, launch))} value(s) left to fill in"
