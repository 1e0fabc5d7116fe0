"""No false GO: each way issue 9 found to get GO (exit 0 under `--require-go`) where the launch is not
GO, attacked as an insider with write access would, or stumbled into as a tired user would.

Threat -> test (each on a copy of examples/go, asserting the exit code and the text a person reads):

- a NO-GO recorded after the GO still gave GO -> test_a_later_no_go_is_in_force
- the meeting said NO-GO on a green scorecard -> test_no_go_on_a_green_scorecard_is_no_go
- a NO-GO dated later takes force only when its time comes -> test_a_no_go_takes_force_at_its_time
- NO-GO records with made-up digests -> test_no_go_with_made_up_digests_never_gives_go,
  test_a_no_go_s_quorum_does_not_lend_itself_to_a_go, test_malformed_digests_are_an_input_error
- a record without quorum (GO or NO-GO, in force or not, one person for two roles) ->
  test_a_record_without_its_quorum_is_not_a_decision, test_decide_refuses_one_person_for_two_roles,
  test_an_invalid_record_makes_the_verdict_no_go
- `signoffs/<area>.yml` and other spellings shadowing a sign-off or a decision, or a hidden one
  (`decisions/.nogo.yaml`) going unread -> test_one_spelling_per_launch_file, test_a_hidden_no_go_is_named_not_skipped,
  test_an_empty_gitkeep_is_the_one_other_file_allowed
- weakening an area's rules after approval (P0 -> P2, a dropped requirement, an N/A, a mitigation, the
  team, the roster) -> test_weakening_the_rules_stales_exactly_that_area; the control that a change no
  area approves stales nothing -> test_a_change_no_area_approves_stales_nothing_but_breaks_the_go; and
  re-approval restores GO -> test_re_approval_after_a_policy_change_restores_go
- a GO outliving its window -> test_a_go_does_not_outlive_its_window, test_readme_go_command
- a decision dated before what it pins -> test_a_decision_dated_before_a_signoff_does_not_hold,
  test_a_decision_dated_before_evidence_does_not_hold, test_a_meeting_dated_before_the_signoffs_does_not_hold
- approved sign-offs with open findings -> test_open_findings_block_go_by_severity,
  test_blocking_findings_without_critical_is_an_input_error, test_signoff_records_the_severity_given
- `.gitattributes export-ignore` hiding a committed NO-GO from the release and the audit ->
  test_verify_tag_sees_a_no_go_hidden_from_git_archive, test_release_refuses_a_no_go_hidden_from_git_archive
- N/A accepted by a placeholder or by someone off the area's roster -> test_na_accepted_by_a_placeholder_fails,
  test_na_accepted_by_someone_off_the_roster_fails, test_na_command_refuses_who_cannot_accept
- `tbd`, `nobody` and other placeholders in any case as a person where no roster checks the team ->
  test_na_command_refuses_a_placeholder_where_no_roster_would,
  test_a_placeholder_approver_is_an_input_error_at_its_place,
  test_a_placeholder_attendee_is_an_input_error_at_its_place, test_signoff_and_decide_refuse_a_placeholder_for_a_person
- P0 C-rollback-criteria passing with a threshold or unit `gate rollback rules` refuses (NaN, infinity) ->
  test_a_rollback_criterion_the_compiler_refuses_is_an_input_error,
  test_a_rollback_criterion_the_compiler_refuses_never_gives_go
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import (
    AREAS,
    AT,
    ATTENDEES,
    CHECKLIST,
    EXAMPLE,
    EXAMPLES,
    GO_DECISION,
    NO_DECISION,
    ROOT,
    copy_example,
    fresh_flags,
    git,
    iso,
    item,
    read_manifest,
    reapprove_and_decide,
    replace_once,
    snapshot,
)

ALL_FRESH = dict.fromkeys(AREAS, True)
AT_TIME = EXAMPLE.decided_at + timedelta(hours=1)  # AT as a datetime
SECURITY = "signoffs/security.yaml"
TAG = "mainnet-v1.0.0"
PEOPLE: list[tuple[str, str]] = [(a.split("=")[0], a.split("=")[1]) for a in ATTENDEES]


# ---- helpers -----------------------------------------------------------------------------------------


def judge(cli, repo: Path, at: datetime = AT_TIME, *extra: str) -> tuple[int, dict[str, Any]]:
    """`gate check --format json --at AT` (plus `extra`): the exit code and the scorecard."""
    result = cli("check", "--repo", repo, "--format", "json", "--at", iso(at), *extra)
    assert "Traceback" not in result.err
    card: dict[str, Any] = result.json()
    return result.code, card


def decide(cli, repo: Path, decision: str, at: datetime, attendees: tuple[str, ...] = ATTENDEES, window: str = ""):
    argv = ["decide", "--repo", repo, "--decision", decision, "--at", iso(at)]
    argv += ["--window", window] if window else []
    return cli(*argv, *[f"--attendee={a}" for a in attendees])


def in_force_no_go(file: str, at: datetime) -> str:
    return f"the decision in force ({file}, {at:%Y-%m-%d %H:%M} UTC) is NO-GO"


def example_record() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "go" / GO_DECISION).read_text(encoding="utf-8"))
    return data


def write_record(
    repo: Path,
    name: str,
    decision: str,
    at: datetime,
    *,
    attendees: list[tuple[str, str]] | None = None,
    fields: dict[str, str] | None = None,
) -> str:
    """A decision record written by hand (as an insider would), based on the example's GO."""
    record = example_record()
    people = PEOPLE if attendees is None else attendees
    record.update(decision=decision, decided_at=iso(at), **(fields or {}))
    record["meeting"] = {"date": iso(at), "attendees": [{"role": r, "login": u} for r, u in people]}
    if decision == "NO-GO":
        record.pop("window", None)
    rel = f"decisions/{name}.yaml"
    (repo / rel).write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")
    return rel


def without(role: str) -> list[tuple[str, str]]:
    return [(r, u) for r, u in PEOPLE if r != role]


def one_person_two_roles() -> list[tuple[str, str]]:
    return [(r, "sec-lead-ana" if r == "finance-lead" else u) for r, u in PEOPLE]


def signoff_of(card: dict[str, Any], area: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in card["signoffs"] if s["area"] == area)
    return found


# ---- 1. the decision in force ------------------------------------------------------------------------


def test_a_later_no_go_is_in_force(tmp_path, cli):
    repo = copy_example(tmp_path)
    later = EXAMPLE.decided_at + timedelta(minutes=30)
    recorded = decide(cli, repo, "NO-GO", later)
    assert recorded.code == 0, recorded.err
    no_go = recorded.out.split(":", 1)[0]

    code, card = judge(cli, repo, AT_TIME, "--require-go")

    assert code == 1
    assert card["decision"] == "NO-GO"
    assert card["blocking"] == [in_force_no_go(no_go, later)]
    assert card["recorded_decision"]["file"] == no_go
    assert card["recorded_decision"]["decision"] == "NO-GO"
    assert card["integrity"] == []  # a consistent launch whose meeting said no
    text = cli("check", "--repo", repo, "--at", AT)
    assert text.code == 0  # without --require-go: consistent, and NO-GO
    assert f"✗ {in_force_no_go(no_go, later)}\n" in text.out
    assert text.out.endswith(f"Decision: NO-GO (as of {AT_TIME:%Y-%m-%d %H:%M} UTC)\n")


@pytest.mark.parametrize("name", ["0-no-go.yaml", "zz-no-go.yaml"])
def test_a_no_go_taken_at_the_same_moment_as_the_go_is_in_force(tmp_path, cli, name):
    """The GO's file copied and flipped, keeping its time: whatever the file is called, the stricter
    record of one moment is in force (a name sorting first must not hide it)."""
    repo = copy_example(tmp_path)
    [go] = sorted((repo / "decisions").glob("*.yaml"))
    (repo / "decisions" / name).write_text(
        go.read_text(encoding="utf-8").replace("decision: GO", "decision: NO-GO"), encoding="utf-8"
    )

    code, card = judge(cli, repo, AT_TIME, "--require-go")

    assert code == 1
    assert card["decision"] == "NO-GO"
    assert card["recorded_decision"]["file"] == f"decisions/{name}"
    assert card["recorded_decision"]["decision"] == "NO-GO"


def test_no_go_on_a_green_scorecard_is_no_go(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    recorded = decide(cli, repo, "NO-GO", EXAMPLE.decided_at)
    assert recorded.code == 0, recorded.err
    assert "the meeting decided NO-GO on a scorecard that computes GO" in recorded.out
    no_go = recorded.out.split(":", 1)[0]

    code, card = judge(cli, repo, AT_TIME, "--require-go")

    assert code == 1
    assert card["decision"] == "NO-GO"
    assert card["blocking"] == [in_force_no_go(no_go, EXAMPLE.decided_at)]
    assert all(i["state"] != "FAIL" for i in card["items"])  # the scorecard itself is green


def test_a_no_go_takes_force_at_its_time(tmp_path, cli):
    repo = copy_example(tmp_path)
    later = AT_TIME + timedelta(hours=2)
    no_go = write_record(repo, "later-no-go", "NO-GO", later)
    assert judge(cli, repo, AT_TIME, "--require-go")[0] == 0  # not yet taken: the GO is in force
    code, card = judge(cli, repo, later, "--require-go")
    assert code == 1
    assert in_force_no_go(no_go, later) in card["blocking"]


FORGED = {"scorecard_sha256": "ab" * 32, "manifest_sha256": "cd" * 32}


@pytest.mark.parametrize("with_go", [True, False], ids=["after-the-go", "alone"])
def test_no_go_with_made_up_digests_never_gives_go(tmp_path, cli, with_go):
    repo = copy_example(tmp_path, decisions=not with_go)
    when = EXAMPLE.decided_at + timedelta(minutes=30)
    no_go = write_record(repo, "forged-no-go", "NO-GO", when, fields=FORGED)
    code, card = judge(cli, repo, AT_TIME, "--require-go")
    assert code == 1
    assert card["decision"] == "NO-GO"
    assert in_force_no_go(no_go, when) in card["blocking"]


def test_a_no_go_s_quorum_does_not_lend_itself_to_a_go(tmp_path, cli):
    """A full meeting that said NO-GO, then a GO record nobody but two people attended: no quorum."""
    repo = copy_example(tmp_path, decisions=False)
    write_record(repo, "full-meeting-no-go", "NO-GO", EXAMPLE.decided_at - timedelta(hours=1), fields=FORGED)
    two = [("security-lead", "sec-lead-ana"), ("release-manager", "rm-rosa")]
    go = write_record(repo, "two-people-go", "GO", EXAMPLE.decided_at, attendees=two)
    code, card = judge(cli, repo, AT_TIME, "--require-go")
    assert code == 1
    assert card["decision"] == "NO-GO"
    missing = "meeting quorum not met: no compliance-lead, ops-lead, finance-lead, product-lead recorded as attending"
    assert missing in card["blocking"]
    assert card["recorded_decision"]["file"] == go
    assert card["recorded_decision"]["holds"] is False


@pytest.mark.parametrize("field", ["scorecard_sha256", "manifest_sha256"])
@pytest.mark.parametrize("decision", ["GO", "NO-GO"])
def test_malformed_digests_are_an_input_error(tmp_path, cli, field, decision):
    repo = copy_example(tmp_path)
    rel = write_record(repo, "odd", decision, EXAMPLE.decided_at + timedelta(minutes=5), fields={field: "not-a-digest"})
    result = cli("check", "--repo", repo, "--at", AT, "--require-go")
    assert result.code == 2
    text = (repo / rel).read_text(encoding="utf-8")
    line = text[: text.index(f"{field}: not-a-digest")].count("\n") + 1
    assert re.search(rf"^{re.escape(rel)}:{line}:\d+: {field}: String should match pattern", result.out, re.M)


QUORUM_DEFECTS = {
    "missing-finance-lead": (
        without("finance-lead"),
        "meeting quorum not met: no finance-lead recorded as attending",
    ),
    "one-person-two-roles": (
        one_person_two_roles(),
        "meeting quorum: sec-lead-ana stands for security-lead, finance-lead (one person, one role)",
    ),
}


@pytest.mark.parametrize("defect", list(QUORUM_DEFECTS))
@pytest.mark.parametrize("decision", ["GO", "NO-GO"])
@pytest.mark.parametrize("placed", ["superseded", "in-force"])
def test_a_record_without_its_quorum_is_not_a_decision(tmp_path, cli, defect, decision, placed):
    """Dated before the example's GO the record is not in force, and still fails the gate; dated after
    it, it is in force and fails as the decision."""
    repo = copy_example(tmp_path)
    attendees, problem = QUORUM_DEFECTS[defect]
    shift = timedelta(hours=-1) if placed == "superseded" else timedelta(minutes=30)
    extra = {"window": "primary"} if decision == "GO" else {}
    rel = write_record(repo, "no-quorum", decision, EXAMPLE.decided_at + shift, attendees=attendees, fields=extra)

    code, card = judge(cli, repo, AT_TIME)

    assert code == 1
    [failure] = [f for f in card["integrity"] if f["path"] == rel]
    if placed == "superseded":
        assert failure["message"].startswith("not a decision: ")
        assert problem in failure["message"]
        assert card["recorded_decision"]["file"] == GO_DECISION
    else:
        assert problem in failure["message"]
        assert card["recorded_decision"]["file"] == rel
        assert card["recorded_decision"]["holds"] is False
        assert card["decision"] == "NO-GO"
    assert judge(cli, repo, AT_TIME, "--require-go")[0] == 1


def test_an_invalid_record_makes_the_verdict_no_go(tmp_path, cli):
    repo = copy_example(tmp_path)
    write_record(repo, "no-quorum", "NO-GO", EXAMPLE.decided_at - timedelta(hours=1), attendees=one_person_two_roles())
    code, card = judge(cli, repo, AT_TIME)
    assert code == 1
    assert card["decision"] == "NO-GO"
    assert any("not a decision" in b for b in card["blocking"])


def test_an_invalid_record_counts_from_when_it_was_taken(tmp_path, cli):
    """An invalid record dated after the GO is no blocker before its own time: the GO holds between the
    two (it used to be judged broken "at its own time" by a record that did not exist yet), and from the
    record's time on the launch is NO-GO."""
    repo = copy_example(tmp_path)
    later = EXAMPLE.decided_at + timedelta(days=1)
    write_record(repo, "no-quorum", "NO-GO", later, attendees=one_person_two_roles())
    code, card = judge(cli, repo, later - timedelta(hours=1), "--require-go")
    assert (code, card["decision"]) == (0, "GO"), card["blocking"]
    assert card["integrity"] == []
    code, card = judge(cli, repo, later + timedelta(hours=1))
    assert code == 1
    assert card["blocking"][0].startswith("decisions/no-quorum.yaml does not hold: meeting quorum: ")


@pytest.mark.parametrize("decision", ["GO", "NO-GO"])
def test_decide_refuses_one_person_for_two_roles(tmp_path, cli, decision):
    repo = copy_example(tmp_path, decisions=False)
    attendees = tuple(f"{r}={u}" for r, u in one_person_two_roles())
    refused = decide(cli, repo, decision, EXAMPLE.decided_at, attendees, window="primary")
    assert refused.code == 1
    assert "not a decision: meeting quorum: " in refused.err
    assert "meeting quorum: sec-lead-ana stands for security-lead, finance-lead" in refused.err
    assert list((repo / "decisions").iterdir()) == []


# ---- 2. one spelling per launch file -----------------------------------------------------------------


def _copy(repo: Path, src: str, dest: str) -> str:
    (repo / dest).write_text((repo / src).read_text(encoding="utf-8"), encoding="utf-8")
    return dest


def _second_security_signoff(repo: Path) -> str:
    """Another area's sign-off file, renamed and re-labelled as a second one for security."""
    rel = _copy(repo, "signoffs/product-release.yaml", "signoffs/security-2.yaml")
    replace_once(repo / rel, "area: product-release\n", "area: security\n")
    return rel


SPELLINGS = {
    # name: (how the stray file is made, the other file the message must name)
    "signoff-yml-beside-yaml": (lambda r: _copy(r, SECURITY, "signoffs/security.yml"), SECURITY),
    "signoff-upper-case-extension": (lambda r: _copy(r, SECURITY, "signoffs/security.YAML"), SECURITY),
    "signoff-case-variant": (lambda r: _copy(r, SECURITY, "signoffs/Security.yaml"), SECURITY),
    "second-signoff-for-an-area": (_second_security_signoff, SECURITY),
    "decision-yml": (lambda r: _copy(r, GO_DECISION, "decisions/x.yml"), None),
    "decision-upper-case-extension": (lambda r: _copy(r, GO_DECISION, "decisions/x.YAML"), None),
    # Hidden files: nobody sees them in a listing, and the gate skipped them (a committed NO-GO unread).
    "hidden-decision": (lambda r: _copy(r, GO_DECISION, "decisions/.nogo.yaml"), None),
    "hidden-signoff": (lambda r: _copy(r, SECURITY, "signoffs/.security.yaml"), None),
    "gitkeep-with-content": (lambda r: _write(r, "decisions/.gitkeep", "decision: NO-GO\n"), None),
    "gitkeep-folder": (lambda r: _mkdir(r, "signoffs/.gitkeep"), None),
}


def _write(repo: Path, rel: str, text: str) -> str:
    (repo / rel).write_text(text, encoding="utf-8")
    return rel


def _mkdir(repo: Path, rel: str) -> str:
    (repo / rel).mkdir()
    return rel


@pytest.mark.parametrize("case", list(SPELLINGS))
def test_one_spelling_per_launch_file(tmp_path, cli, case):
    repo = copy_example(tmp_path)
    make, other = SPELLINGS[case]
    stray = make(repo)
    result = cli("check", "--repo", repo, "--at", AT, "--require-go")
    assert result.code == 2
    [line] = [ln for ln in result.out.splitlines() if ln.startswith(f"{stray}:")]
    assert re.match(rf"{re.escape(stray)}:\d+:\d+: ", line), line
    if other:
        assert other in line.split(": ", 1)[1]  # both files named
    assert "Traceback" not in result.err


def test_an_empty_gitkeep_is_the_one_other_file_allowed(tmp_path, cli):
    """`gate init` keeps decisions/ in git with an empty .gitkeep: that stays quiet."""
    repo = copy_example(tmp_path)
    for folder in ("decisions", "signoffs"):
        (repo / folder / ".gitkeep").write_bytes(b"")
    result = cli("check", "--repo", repo, "--at", AT, "--require-go")
    assert result.code == 0, result.out


def test_a_hidden_no_go_is_named_not_skipped(tmp_path, cli):
    repo = copy_example(tmp_path)
    stray = write_record(repo, ".nogo", "NO-GO", EXAMPLE.decided_at + timedelta(minutes=5))
    result = cli("check", "--repo", repo, "--at", AT, "--require-go")
    assert result.code == 2
    assert f"{stray}:1:1: decisions/ holds only <name>.yaml files" in result.out
    assert "a hidden file would go unread (only an empty .gitkeep may be there)" in result.out


# ---- 3. weakening the rules after approval -----------------------------------------------------------


def _lower_p0(repo: Path, cli) -> None:
    replace_once(
        repo / CHECKLIST,
        "    title: Security evidence bundle\n    priority: P0\n",
        "    title: Security evidence bundle\n    priority: P2\n",
    )


TREASURY = "      - {id: treasury-controls, kind: record, description: Treasury controls}\n"
BLOCKING_FINDINGS = "  blocking_findings: [critical, high]\n"
SECURITY_ROSTER = '  "@virtengine/security":\n    - sec-lead-ana\n    - sec-eng-omar\n'


def _drop_requirement(repo: Path, cli) -> None:
    replace_once(repo / CHECKLIST, TREASURY, "")


def _add_na(repo: Path, cli) -> None:
    why = "key custody is the custodian's HSM, reviewed under prereq-6D"
    done = cli("na", "D-key-management", "--repo", repo, "--justification", why, "--accepted-by", "sec-eng-omar")
    assert done.code == 0, done.err


def _add_mitigation(repo: Path, cli) -> None:
    why = "timings are taken again in the window"
    done = cli("mitigate", "E-cutover-timed", "--repo", repo, "--owner", "ops-lead", "--description", why)
    assert done.code == 0, done.err


def _change_team(repo: Path, cli) -> None:
    replace_once(repo / CHECKLIST, 'team: "@virtengine/compliance"\n', 'team: "@virtengine/legal"\n')
    # The roster moves with it: a roster under a team nothing names is an input error.
    replace_once(repo / CHECKLIST, '  "@virtengine/compliance":\n', '  "@virtengine/legal":\n')


def _change_roster(repo: Path, cli) -> None:
    replace_once(repo / CHECKLIST, SECURITY_ROSTER, SECURITY_ROSTER + "    - mallory\n")


WEAKENINGS = [
    pytest.param(_lower_p0, "security", "B-security", id="p0-lowered-to-p2"),
    pytest.param(_drop_requirement, "finance-billing", "B-finance-billing", id="required-evidence-dropped"),
    pytest.param(_add_na, "security", "D-key-management", id="well-formed-na-added"),
    pytest.param(_add_mitigation, "operations-sre", "E-cutover-timed", id="mitigation-added"),
    pytest.param(_change_team, "compliance-privacy", "area", id="team-changed"),
    pytest.param(_change_roster, "security", "area", id="roster-changed"),
]


@pytest.mark.parametrize(("weaken", "area", "part"), WEAKENINGS)
def test_weakening_the_rules_stales_exactly_that_area(tmp_path, cli, weaken, area, part):
    repo = copy_example(tmp_path)
    weaken(repo, cli)

    code, card = judge(cli, repo)

    assert card["errors"] == []
    assert fresh_flags(card) == {**ALL_FRESH, area: False}
    stale = signoff_of(card, area)
    assert len(stale["changes"]) == 1
    assert stale["changes"][0].startswith(f"policy {part} changed (")
    assert stale["reasons"][0].startswith(f"stale: changed since it was approved: policy {part} changed (")
    assert code == 1
    assert card["decision"] == "NO-GO"
    assert card["recorded_decision"]["holds"] is False
    assert card["blocking"][0].startswith(f"{GO_DECISION} does not hold: ")
    assert judge(cli, repo, AT_TIME, "--require-go")[0] == 1


def test_loosening_which_findings_block_stales_every_area(tmp_path, cli):
    """`blocking_findings` is every area's policy: a lead's open high finding that silently stops
    blocking after the approval would be a weakened rule no approver saw."""
    repo = copy_example(tmp_path)
    replace_once(repo / CHECKLIST, BLOCKING_FINDINGS, "  blocking_findings: [critical]\n")

    code, card = judge(cli, repo)

    assert card["errors"] == []
    assert fresh_flags(card) == dict.fromkeys(ALL_FRESH, False)
    for area in ALL_FRESH:
        changes = signoff_of(card, area)["changes"]
        assert len(changes) == 1
        assert changes[0].startswith("policy scoring changed (")
    assert code == 1
    assert card["decision"] == "NO-GO"


def test_well_formed_na_is_n_a_yet_stales_its_area(tmp_path, cli):
    """The N/A itself stands (so the item cannot be what fails); only the approval it changed does."""
    repo = copy_example(tmp_path)
    _add_na(repo, cli)
    _, card = judge(cli, repo)
    assert item(card, "D-key-management")["state"] == "N/A"
    assert signoff_of(card, "security")["fresh"] is False


def test_a_change_no_area_approves_stales_nothing_but_breaks_the_go(tmp_path, cli):
    repo = copy_example(tmp_path)
    # The launch's owner is no area's policy: nobody approved it, so no sign-off goes stale.
    done = cli("set", "owner", "Release Management (Ops) and Product", "--repo", repo)
    assert done.code == 0, done.err
    code, card = judge(cli, repo)
    assert fresh_flags(card) == ALL_FRESH
    assert code == 1  # a GO pins the exact checklist
    [reason] = card["recorded_decision"]["reasons"]
    assert reason.startswith("scorecard digest recorded ")
    assert reason.endswith("(a launch file changed after the decision)")


def test_re_approval_after_a_policy_change_restores_go(tmp_path, cli):
    """The control of the staleness tests: the lead approves the new policy, the meeting decides again."""
    repo = copy_example(tmp_path)
    _lower_p0(repo, cli)
    reapprove_and_decide(cli, repo, AT_TIME)
    code, card = judge(cli, repo, AT_TIME + timedelta(hours=1), "--require-go")
    assert code == 0, card["blocking"]
    assert fresh_flags(card) == ALL_FRESH


# ---- 4. time -----------------------------------------------------------------------------------------

PRIMARY_END = EXAMPLE.primary[1]


@pytest.mark.parametrize(
    "at",
    [PRIMARY_END, PRIMARY_END + timedelta(hours=1), EXAMPLE.backup[1] + timedelta(days=1)],
    ids=["at-the-end", "an-hour-after", "after-the-backup-too"],
)
def test_a_go_does_not_outlive_its_window(tmp_path, cli, at):
    repo = copy_example(tmp_path)
    code, card = judge(cli, repo, at, "--require-go")
    assert code == 1
    assert card["decision"] == "NO-GO"
    closed = [b for b in card["blocking"] if "window closed" in b or "closed at" in b]
    assert closed == [
        f"the primary window closed at {PRIMARY_END:%Y-%m-%d %H:%M} UTC: a GO does not outlive its window"
        " (record a new decision to use another)"
    ]
    assert card["recorded_decision"]["holds"] is True  # it was true when taken: just no longer GO


def test_a_go_holds_until_its_window_closes(tmp_path, cli):
    repo = copy_example(tmp_path)
    assert judge(cli, repo, PRIMARY_END - timedelta(seconds=1), "--require-go")[0] == 0


def readme_at() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    [found] = re.findall(r"gate check --repo examples/go --require-go --at (\S+)", text)
    return str(found)


def test_readme_go_command(cli):
    """README's "see a GO" command, on examples/go itself (check only reads), and an hour past the window."""
    at = readme_at()
    shown = cli("check", "--repo", EXAMPLES / "go", "--require-go", "--at", at)
    assert shown.code == 0, shown.out
    assert shown.out.endswith(f"Decision: GO (as of {at[:10]} {at[11:16]} UTC)\n")
    late = cli("check", "--repo", EXAMPLES / "go", "--require-go", "--at", iso(PRIMARY_END + timedelta(hours=1)))
    assert late.code == 1
    assert f"the primary window closed at {PRIMARY_END:%Y-%m-%d %H:%M} UTC" in late.out
    assert "Decision: NO-GO" in late.out


def redate(repo: Path, decided_at: datetime | None = None, meeting: datetime | None = None) -> None:
    path = repo / GO_DECISION
    text = path.read_text(encoding="utf-8")
    if decided_at:
        text = re.sub(r"^decided_at: .*$", f"decided_at: '{iso(decided_at)}'", text, count=1, flags=re.M)
    if meeting:
        text = re.sub(r"^  date: .*$", f"  date: '{iso(meeting)}'", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")


def signoff_times(repo: Path) -> dict[str, datetime]:
    out = {}
    for area in AREAS:
        at = yaml.safe_load((repo / f"signoffs/{area}.yaml").read_text(encoding="utf-8"))["at"]
        out[area] = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    return out


def latest_capture(repo: Path) -> tuple[str, datetime]:
    artifacts = read_manifest(repo)["artifacts"]
    entry = max(artifacts, key=lambda a: a["captured_at"])
    return entry["id"], datetime.fromisoformat(entry["captured_at"].replace("Z", "+00:00"))


def test_a_decision_dated_before_a_signoff_does_not_hold(tmp_path, cli):
    repo = copy_example(tmp_path)
    times = signoff_times(repo)
    area, last = max(times.items(), key=lambda kv: kv[1])
    early = last - timedelta(minutes=1)
    redate(repo, decided_at=early, meeting=early)

    code, card = judge(cli, repo, AT_TIME, "--require-go")

    assert code == 1
    assert card["decision"] == "NO-GO"
    reasons = card["recorded_decision"]["reasons"]
    assert reasons == [
        f"dated {early:%Y-%m-%d %H:%M} UTC, before the {area} sign-off it relies on ({last:%Y-%m-%d %H:%M} UTC)"
    ]
    assert card["blocking"][0] == f"{GO_DECISION} does not hold: {reasons[0]}"


def test_a_decision_dated_before_evidence_does_not_hold(tmp_path, cli):
    repo = copy_example(tmp_path)
    entry, captured = latest_capture(repo)
    early = captured - timedelta(minutes=1)
    redate(repo, decided_at=early, meeting=early)

    code, card = judge(cli, repo, AT_TIME, "--require-go")

    assert code == 1
    reasons = card["recorded_decision"]["reasons"]
    when = f"{captured:%Y-%m-%d %H:%M} UTC"
    assert f"dated {early:%Y-%m-%d %H:%M} UTC, before evidence {entry} it relies on ({when})" in reasons
    assert card["recorded_decision"]["holds"] is False


def test_a_meeting_dated_before_the_signoffs_does_not_hold(tmp_path, cli):
    repo = copy_example(tmp_path)
    _, captured = latest_capture(repo)
    redate(repo, meeting=captured - timedelta(minutes=1))
    code, card = judge(cli, repo, AT_TIME, "--require-go")
    assert code == 1
    assert card["recorded_decision"]["holds"] is False


# ---- 5. findings ------------------------------------------------------------------------------------


def add_finding(repo: Path, severity: str, status: str = "open") -> None:
    with (repo / SECURITY).open("a", encoding="utf-8") as fh:
        fh.write(
            "  - id: F2\n"
            "    summary: Validator signing key exported in plain text\n"
            f"    severity: {severity}\n"
            "    remediation_owner: security-lead\n"
            f"    status: {status}\n"
        )


def set_blocking_findings(repo: Path, severities: str) -> None:
    replace_once(repo / CHECKLIST, "  blocking_findings: [critical, high]\n", f"  blocking_findings: {severities}\n")


FINDINGS = [
    # (severity, status, blocking_findings in checklist.yaml or None for the example's own, blocks GO)
    pytest.param("critical", "open", None, True, id="open-critical"),
    pytest.param("high", "open", None, True, id="open-high"),
    pytest.param("medium", "open", None, False, id="open-medium"),
    pytest.param("low", "open", None, False, id="open-low"),
    pytest.param("critical", "resolved", None, False, id="resolved-critical"),
    pytest.param("high", "open", "[critical]", False, id="open-high-critical-only"),
    pytest.param("critical", "open", "[critical]", True, id="open-critical-critical-only"),
    pytest.param("high", "open", "high-by-default", True, id="open-high-by-default"),
]


@pytest.mark.parametrize(("severity", "status", "blocking", "blocks"), FINDINGS)
def test_open_findings_block_go_by_severity(tmp_path, cli, severity, status, blocking, blocks):
    """A finding on an approved sign-off that stays fresh (findings are not what the digest pins): the
    meeting cannot record GO while it blocks, and can once it does not."""
    repo = copy_example(tmp_path, decisions=False)
    add_finding(repo, severity, status)
    if blocking == "high-by-default":  # without the key, the default: critical and high
        replace_once(repo / CHECKLIST, "  blocking_findings: [critical, high]\n", "")
    elif blocking:
        # A launch that chose it: every area approves under it (changing it afterwards stales them all).
        set_blocking_findings(repo, blocking)
        for stale in judge(cli, repo)[1]["signoffs"]:
            again = ("signoff", stale["area"], "--approve", "--by", stale["approver"], "--repo", repo)
            assert cli(*again, "--at", iso(EXAMPLE.decided_at)).code == 0

    _, card = judge(cli, repo)
    security = signoff_of(card, "security")
    assert security["fresh"] is True
    assert security["stands"] is (not blocks)
    decided = decide(cli, repo, "GO", AT_TIME, window="primary")

    if blocks:
        shown = f"open finding F2 ({severity}, blocks GO): Validator signing key exported in plain text"
        assert any(r.startswith(shown) for r in security["reasons"])
        assert [b for b in card["blocking"] if not b.startswith(NO_DECISION)] == [
            f"Security sign-off: {'; '.join(security['reasons'])}"
        ]
        assert decided.code == 1
        assert "refusing to record GO" in decided.err
        assert shown in decided.err
    else:
        assert [b for b in card["blocking"] if not b.startswith(NO_DECISION)] == []
        assert decided.code == 0, decided.err
        assert judge(cli, repo, AT_TIME + timedelta(hours=1), "--require-go")[0] == 0


def test_a_critical_finding_added_after_the_go_breaks_it(tmp_path, cli):
    repo = copy_example(tmp_path)
    add_finding(repo, "critical")
    code, card = judge(cli, repo, AT_TIME, "--require-go")
    assert code == 1
    assert card["decision"] == "NO-GO"
    assert any("open finding F2 (critical, blocks GO)" in b for b in card["blocking"])


@pytest.mark.parametrize("severities", ["[high]", "[high, medium]", "[]"])
def test_blocking_findings_without_critical_is_an_input_error(tmp_path, cli, severities):
    repo = copy_example(tmp_path)
    set_blocking_findings(repo, severities)
    result = cli("check", "--repo", repo, "--at", AT)
    assert result.code == 2
    lines = (repo / CHECKLIST).read_text(encoding="utf-8").splitlines()
    scoring = lines.index("scoring:") + 1
    key = next(n for n, text in enumerate(lines, 1) if text.startswith("  blocking_findings:"))
    [error] = [ln for ln in result.out.splitlines() if ln.startswith(f"{CHECKLIST}:")]
    where = re.match(rf"{CHECKLIST}:(\d+):(\d+): ", error)
    assert where, error
    assert scoring <= int(where[1]) <= key
    assert "blocking_findings must include critical" in error


def test_signoff_records_the_severity_given(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    done = cli(
        "signoff", "security", "--repo", repo, "--approve", "--by", "sec-lead-ana", "--at", AT,
        "--finding", "HSM firmware unpinned", "--owner", "security-lead", "--severity", "critical",
        "--finding", "Typo in the runbook", "--owner", "security-lead", "--severity", "low",
    )  # fmt: skip
    assert done.code == 0, done.err
    findings = yaml.safe_load((repo / SECURITY).read_text(encoding="utf-8"))["findings"]
    assert [(f["summary"], f["severity"]) for f in findings[1:]] == [
        ("HSM firmware unpinned", "critical"),
        ("Typo in the runbook", "low"),
    ]
    _, card = judge(cli, repo)
    reasons = signoff_of(card, "security")["reasons"]
    assert "open finding F2 (critical, blocks GO): HSM firmware unpinned, owner security-lead" in reasons


def test_signoff_needs_one_severity_per_finding(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    refused = cli(
        "signoff", "security", "--repo", repo, "--approve", "--by", "sec-lead-ana", "--at", AT,
        "--finding", "a", "--owner", "security-lead", "--finding", "b", "--owner", "security-lead",
        "--severity", "critical",
    )  # fmt: skip
    assert refused.code == 2
    assert "give one --severity per --finding" in refused.err
    assert snapshot(repo) == before


# ---- 6. a release judges the commit's tree, not `git archive` ----------------------------------------


@pytest.fixture(params=["decisions/*no-go* export-ignore", "decisions/** export-ignore"])
def hidden_no_go(request, tmp_path, cli) -> tuple[Path, str]:
    """examples/go committed, then a NO-GO committed with a .gitattributes line that `git archive`
    obeys and a tree export must not."""
    repo = copy_example(tmp_path, dest="launch")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "GO")
    recorded = decide(cli, repo, "NO-GO", EXAMPLE.decided_at + timedelta(minutes=30))
    assert recorded.code == 0, recorded.err
    (repo / ".gitattributes").write_text(f"{request.param}\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "minutes of the meeting")
    archived = subprocess.run(["git", "-C", str(repo), "archive", "HEAD"], capture_output=True, check=True).stdout
    assert b"-no-go.yaml" not in archived  # what the old judge saw: no NO-GO at all
    return repo, recorded.out.split(":", 1)[0]


def test_verify_tag_sees_a_no_go_hidden_from_git_archive(hidden_no_go, cli):
    repo, no_go = hidden_no_go
    git(repo, "tag", "-a", TAG, "-m", "release")
    result = cli("verify", "--tag", TAG, "--repo", repo)
    assert f"NO-GO recorded in {no_go}" in result.out
    assert "HOLDS: GO" not in result.out
    assert "Traceback" not in result.err
    # A NO-GO that holds is a consistent record (0); a script about to deploy asks for GO and gets 1.
    assert result.code == 0
    required = cli("verify", "--tag", TAG, "--repo", repo, "--require-go")
    assert (required.code, required.out) == (1, result.out)


def test_release_refuses_a_no_go_hidden_from_git_archive(hidden_no_go, cli, tmp_path):
    repo, no_go = hidden_no_go
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)

    result = cli("release", "--at", AT, "--repo", repo, "--remote", bare)

    # A NO-GO decision is a clean no-op (issue 10): nothing tagged, and the reason names the NO-GO that
    # `git archive` would have hidden.
    assert result.code == 0
    assert f"nothing released at {git(repo, 'rev-parse', 'HEAD')[:12]}" in result.out
    assert f"the latest decision, {no_go}, is NO-GO" in result.out
    assert git(bare, "tag", "--list") == ""
    assert git(repo, "tag", "--list") == ""


# ---- 7. who may accept an N/A ------------------------------------------------------------------------

UPGRADE_VALIDATION = "    validation: Runbook review record with a timebox per step\n"
SRE_ROSTER = '  "@virtengine/sre":\n    - ops-lead-chen\n    - sre-kim\n'


def mark_na(repo: Path, accepted_by: str) -> None:
    na = f'{{justification: "no upgrade before genesis", accepted_by: "{accepted_by}"}}'
    replace_once(repo / CHECKLIST, UPGRADE_VALIDATION, f"{UPGRADE_VALIDATION}    not_applicable: {na}\n")


def na_result(cli, repo: Path) -> dict[str, Any]:
    code, card = judge(cli, repo)
    assert code == 0, card["errors"]
    return item(card, "D-upgrade-runbook")


@pytest.mark.parametrize("who", ["TBD", "@TBD", "TODO", "FIXME", "YYYY", "tbd", "@Tba", "nobody", "Unknown", "n-a"])
def test_na_accepted_by_a_placeholder_fails(tmp_path, cli, who):
    """With no roster for the team, only the placeholder rule can tell a name from a blank to fill in."""
    repo = copy_example(tmp_path, decisions=False)
    replace_once(repo / CHECKLIST, SRE_ROSTER, "")
    mark_na(repo, who)
    result = na_result(cli, repo)
    assert result["state"] == "FAIL"
    assert result["reasons"] == [f"marked N/A, but who accepted it is not a GitHub login ({who!r})"]


@pytest.mark.parametrize(
    "who",
    ["sec-lead-ana", "ops-lead", "mallory", "@Prod-Lead-Eli"],
    ids=["another-area-s-lead", "a-role-not-a-person", "a-stranger", "another-team-with-at-and-case"],
)
def test_na_accepted_by_someone_off_the_roster_fails(tmp_path, cli, who):
    repo = copy_example(tmp_path, decisions=False)
    mark_na(repo, who)
    result = na_result(cli, repo)
    assert result["state"] == "FAIL"
    login = who.removeprefix("@")
    assert result["reasons"] == [f"marked N/A, but {login} who accepted it is not on the roster of @virtengine/sre"]


@pytest.mark.parametrize("who", ["sre-kim", "@SRE-Kim"])
def test_na_accepted_by_a_roster_member_stands(tmp_path, cli, who):
    repo = copy_example(tmp_path, decisions=False)
    mark_na(repo, who)
    result = na_result(cli, repo)
    assert result["state"] == "N/A"
    assert result["reasons"] == [f"not applicable: no upgrade before genesis (accepted by {who})"]


@pytest.mark.parametrize("who", ["TBD", "<insert name>", "fin-lead-dora", "ops-lead"])
def test_na_command_refuses_who_cannot_accept(tmp_path, cli, who):
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    refused = cli("na", "D-upgrade-runbook", "--repo", repo, "--justification", "no upgrade", "--accepted-by", who)
    assert refused.code == 2
    assert "--accepted-by" in refused.err
    assert snapshot(repo) == before


# Placeholders in any case, and words that name nobody: none of them is a person who can accept or approve.
NOBODY = ["tbd", "@TbD", "todo", "tba", "none", "nobody", "unknown", "someone", "n-a", "XXX"]


@pytest.mark.parametrize("who", NOBODY)
def test_na_command_refuses_a_placeholder_where_no_roster_would(tmp_path, cli, who):
    """The SRE team has no roster here: only the placeholder rule stands between `tbd` and an N/A."""
    repo = copy_example(tmp_path, decisions=False)
    replace_once(repo / CHECKLIST, SRE_ROSTER, "")
    before = snapshot(repo)
    refused = cli("na", "D-upgrade-runbook", "--repo", repo, "--justification", "x", "--accepted-by", who)
    assert refused.code == 2
    assert f"--accepted-by {who.removeprefix('@')!r} is a placeholder, not a person" in refused.err
    assert snapshot(repo) == before


@pytest.mark.parametrize("who", ["tbd", "Nobody", "someone"])
def test_a_placeholder_approver_is_an_input_error_at_its_place(tmp_path, cli, who):
    repo = copy_example(tmp_path, decisions=False)
    replace_once(repo / CHECKLIST, SECURITY_ROSTER, "")
    replace_once(repo / SECURITY, "approver: sec-lead-ana\n", f"approver: {who}\n")
    line = (repo / SECURITY).read_text(encoding="utf-8").splitlines().index(f"approver: {who}") + 1
    code, card = judge(cli, repo)
    assert code == 2
    assert [(e["file"], e["line"], e["column"]) for e in card["errors"]] == [(SECURITY, line, 11)]
    why = "is a placeholder, not a person: give the GitHub login of who it is"
    assert card["errors"][0]["message"] == f"approver: {who!r} {why}"


def test_a_placeholder_attendee_is_an_input_error_at_its_place(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    attendees = [(r, "unknown" if r == "finance-lead" else u) for r, u in PEOPLE]
    rel = write_record(repo, "2026-12-02T160000-go", "GO", EXAMPLE.decided_at, attendees=attendees, fields={})
    text = (repo / rel).read_text(encoding="utf-8").splitlines()
    line = text.index("  - role: finance-lead") + 2
    code, card = judge(cli, repo)
    assert code == 2
    assert [(e["file"], e["line"], e["column"]) for e in card["errors"]] == [(rel, line, 12)]
    assert "meeting.attendees[3].login: 'unknown' is a placeholder, not a person" in card["errors"][0]["message"]


@pytest.mark.parametrize("who", ["tbd", "TODO", "nobody"])
def test_signoff_and_decide_refuse_a_placeholder_for_a_person(tmp_path, cli, who):
    repo = copy_example(tmp_path, decisions=False)
    for team in (SECURITY_ROSTER, SRE_ROSTER):
        replace_once(repo / CHECKLIST, team, "")
    before = snapshot(repo)
    signoff = cli("signoff", "security", "--repo", repo, "--approve", "--by", who, "--at", AT)
    assert signoff.code == 2
    assert f"--by {who!r} is a placeholder, not a person" in signoff.err
    attendees = tuple(f"{a.split('=')[0]}={who}" if a.startswith("ops-lead=") else a for a in ATTENDEES)
    decided = decide(cli, repo, "NO-GO", EXAMPLE.decided_at, attendees)
    assert decided.code == 2
    assert f"--attendee {who!r} is a placeholder, not a person" in decided.err
    assert snapshot(repo) == before


# ---- 8. rollback criteria: one validator for the scorecard and the compiler ---------------------------

HALTED = '          comparison: ">"\n          threshold: 3\n          unit: blocks\n'
PARTICIPATION_UNIT = "          threshold: 67\n          unit: percent\n"
ROLLBACK_BREAKS = {
    # name: (old text, new text): each a criterion `gate rollback rules` refuses to compile
    "nan-threshold": (HALTED, HALTED.replace("threshold: 3", "threshold: .nan")),
    "infinite-threshold": (HALTED, HALTED.replace("threshold: 3", "threshold: .inf")),
    "overflowing-threshold": (HALTED, HALTED.replace("threshold: 3", "threshold: 1e999")),
    "negative-halted-blocks": (HALTED, HALTED.replace("threshold: 3", "threshold: -1")),
    "unit-of-another-signal": (PARTICIPATION_UNIT, PARTICIPATION_UNIT.replace("percent", "blocks")),
}


def break_rollback(cli, repo: Path, case: str) -> str:
    old, new = ROLLBACK_BREAKS[case]
    replace_once(repo / CHECKLIST, old, new)
    refused = cli("rollback", "rules", "--repo", repo)
    assert refused.code == 2, refused.out  # the premise: the compiler refuses this criterion
    return new


def test_the_example_s_rollback_criteria_compile(tmp_path, cli):
    """The control of the premise below: the compiler takes the example's criteria as they are."""
    repo = copy_example(tmp_path, decisions=False)
    assert cli("rollback", "rules", "--repo", repo).code == 0


@pytest.mark.parametrize("case", list(ROLLBACK_BREAKS))
def test_a_rollback_criterion_the_compiler_refuses_is_an_input_error(tmp_path, cli, case):
    repo = copy_example(tmp_path, decisions=False)
    new = break_rollback(cli, repo, case)
    result = cli("check", "--repo", repo, "--at", AT)
    assert result.code == 2
    text = (repo / CHECKLIST).read_text(encoding="utf-8")
    first = text[: text.index(new)].count("\n") + 1
    lines = range(first, first + new.count("\n"))
    assert any(re.match(rf"{CHECKLIST}:({'|'.join(map(str, lines))}):\d+: ", ln) for ln in result.out.splitlines())


@pytest.mark.parametrize("case", list(ROLLBACK_BREAKS))
def test_a_rollback_criterion_the_compiler_refuses_never_gives_go(tmp_path, cli, case):
    """The example's GO recorded, then a criterion broken: the GO no longer stands (the file is refused
    whole), and the meeting cannot record a new GO on it either."""
    repo = copy_example(tmp_path)  # with its GO decision
    assert judge(cli, repo, AT_TIME, "--require-go")[0] == 0  # the control: GO before the change
    break_rollback(cli, repo, case)
    code, card = judge(cli, repo, AT_TIME, "--require-go")
    assert (code, card["decision"]) == (2, "NO-GO")
    assert card["errors"]
    assert all(e["file"] == CHECKLIST for e in card["errors"])
    refused = decide(cli, repo, "GO", AT_TIME + timedelta(minutes=5), window="primary")
    assert refused.code == 2, refused.err
    assert f"{CHECKLIST}:" in refused.err


P0_RULE = 'P0: {description: "must-pass: any failure = NO-GO", blocks: true}'
P2_RULE = 'P2: {description: "minor: document and track; does not block", blocks: false}'


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (P0_RULE, P0_RULE.replace("blocks: true", "blocks: false")),
        ("blocks: true, max_warnings: 2}", "blocks: true, max_warnings: 5}"),
        (P2_RULE, P2_RULE.replace("blocks: false", "blocks: true")),
    ],
    ids=["p0-not-blocking", "p1-more-warnings", "p2-blocking"],
)
def test_the_scoring_rules_cannot_be_loosened(tmp_path, cli, old, new):
    """Seed G is the gate's contract: a launch file states it and cannot change it (the schema's `const`)."""
    repo = copy_example(tmp_path)
    text = (repo / CHECKLIST).read_text(encoding="utf-8")
    replace_once(repo / CHECKLIST, old, new)
    result = cli("check", "--repo", repo, "--at", AT)
    assert result.code == 2
    number = text[: text.index(old)].count("\n") + 1
    assert re.search(rf"^{CHECKLIST}:{number}:\d+: scoring\.P[012]\.(blocks|max_warnings): ", result.out, re.M)
