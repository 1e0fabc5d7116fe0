"""The shipped examples, end to end: examples/go is GO, examples/no-go is NO-GO for the right reasons,
and flipping one thing at a time in a copy of examples/go changes exactly the verdict it should.

Every test works on a copy in tmp_path (the real examples are never touched) and drives the real
command in-process (`run_gate` from tests/conftest.py), asserting on the exit code and the JSON scorecard.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    AREAS,
    AT,
    ATTENDEES,
    EXAMPLE,
    GO_DECISION,
    NO_DECISION,
    copy_example,
    drop_decisions,
    flip_byte,
    fresh_flags,
    iso,
    item,
    read_manifest,
    reapprove_and_decide,
    replace_once,
    seed,
    sha256sum,
)


def extra_blocking(card: dict[str, Any]) -> list[str]:
    """Blocking reasons beside the missing decision record (which every decision-less copy has)."""
    return [b for b in card["blocking"] if not b.startswith(NO_DECISION)]


def item_blocking(card: dict[str, Any]) -> list[str]:
    """Blocking reasons beside the missing decision and the sign-offs (checked on their own)."""
    return [b for b in extra_blocking(card) if " sign-off: " not in b]


def stale_areas(card: dict[str, Any]) -> set[str]:
    return {s["area"] for s in card["signoffs"] if not s["fresh"]}


ALL_FRESH = dict.fromkeys(AREAS, True)


# ---- the examples as shipped -------------------------------------------------------------------------


def test_go_example_is_go(tmp_path, check):
    repo = copy_example(tmp_path)
    code, card = check(repo, "--require-go")
    assert code == 0
    assert card["decision"] == "GO"
    assert card["blocking"] == []
    assert card["integrity"] == []
    assert card["errors"] == []
    assert fresh_flags(card) == ALL_FRESH
    assert all(s["status"] == "approved" for s in card["signoffs"])
    assert not [i["id"] for i in card["items"] if i["state"] == "FAIL"]
    assert card["recorded_decision"]["file"] == GO_DECISION
    assert card["recorded_decision"]["holds"] is True


def test_go_example_text_ends_with_the_verdict(tmp_path, cli):
    repo = copy_example(tmp_path)
    result = cli("check", "--repo", str(repo), "--at", AT, "--require-go")
    assert result.code == 0
    assert result.out.rstrip().splitlines()[-1].startswith("Decision: GO")


def test_no_go_example_is_no_go_for_its_reasons(tmp_path, check):
    repo = copy_example(tmp_path, "no-go")
    code, card = check(repo)
    assert code == 0  # a NO-GO launch in progress is consistent
    assert card["decision"] == "NO-GO"
    assert card["integrity"] == []
    blocking = card["blocking"]
    assert any(b.startswith("Security sign-off: stale") for b in blocking), blocking
    assert any(b.startswith("Finance/Billing sign-off: stale") for b in blocking), blocking
    assert any(
        b.startswith("P0 prereq-6E") and "command 'dispute-workflow-test'" in b and "exited 1" in b for b in blocking
    ), blocking
    assert any(b.startswith(NO_DECISION) for b in blocking), blocking
    assert fresh_flags(card) == {**ALL_FRESH, "security": False, "finance-billing": False}
    assert item(card, "prereq-6E")["state"] == "FAIL"


def test_no_go_example_fails_require_go(tmp_path, check):
    code, card = check(copy_example(tmp_path, "no-go"), "--require-go")
    assert (code, card["decision"]) == (1, "NO-GO")


def test_go_example_without_its_decision_lacks_only_the_decision(tmp_path, check):
    """The baseline the decision-less flips below are measured against."""
    repo = copy_example(tmp_path)
    drop_decisions(repo)
    code, card = check(repo)
    assert (code, card["decision"]) == (0, "NO-GO")
    assert extra_blocking(card) == []
    assert len(card["blocking"]) == 1
    assert card["recorded_decision"] is None


# ---- integrity flips (decision kept) -------------------------------------------------------------------

INTEGRITY_PATHS = [
    "evidence/security/vuln-scan.txt",
    "evidence/compliance/GDPR_COMPLIANCE.md",
    "evidence/captures/genesis-checksum.stdout",
]


@pytest.mark.parametrize("rel", INTEGRITY_PATHS)
def test_one_changed_byte_is_an_integrity_failure(tmp_path, check, rel):
    repo = copy_example(tmp_path)
    flip_byte(repo / rel, offset=3)
    code, card = check(repo)
    assert code == 1
    assert card["decision"] == "NO-GO"
    # The artifact, and the GO decision that no longer holds on the changed state.
    assert [f["path"] for f in card["integrity"]] == [rel, GO_DECISION]
    assert "SHA-256 is" in card["integrity"][0]["message"]
    assert any(b.startswith(f"integrity: {rel}: SHA-256 is") for b in card["blocking"])
    assert card["recorded_decision"]["holds"] is False


@pytest.mark.parametrize("rel", INTEGRITY_PATHS)
def test_a_deleted_artifact_is_missing(tmp_path, check, rel):
    repo = copy_example(tmp_path)
    (repo / rel).unlink()
    code, card = check(repo)
    assert code == 1
    assert card["decision"] == "NO-GO"
    assert [(f["path"], f["message"]) for f in card["integrity"][:1]] == [(rel, "file is missing")]
    assert [f["path"] for f in card["integrity"][1:]] == [GO_DECISION]
    assert f"integrity: {rel}: file is missing" in card["blocking"]


# ---- changed evidence, re-registered: only its own area goes stale ----------------------------------

AREA_ARTIFACTS = [
    ("security", "evidence/security/vuln-scan.txt"),
    ("compliance-privacy", "evidence/compliance/GDPR_COMPLIANCE.md"),
    ("operations-sre", "evidence/ops/cutover-timings.csv"),
    ("finance-billing", "evidence/finance/treasury-controls.md"),
    ("product-release", "evidence/product/status-page-prep.md"),
]


@pytest.mark.parametrize(("area", "rel"), AREA_ARTIFACTS)
def test_re_registered_change_stales_only_its_area_and_breaks_the_go(tmp_path, cli, check, area, rel):
    repo = copy_example(tmp_path)
    entry = next(a for a in read_manifest(repo)["artifacts"] if a["path"] == rel)
    with (repo / rel).open("a", encoding="utf-8") as fh:
        fh.write("\nAddendum: one more line after approval.\n")
    added = cli("evidence", "add", str(repo / rel), "--item", entry["items"][0], "--repo", str(repo))
    assert added.code == 0, added.err
    assert f"now stale (approved for different evidence): {area} — re-approval needed\n" in added.out

    code, card = check(repo)
    # The manifest matches the file again; only the GO decision, taken on other evidence, fails.
    assert [f["path"] for f in card["integrity"]] == [GO_DECISION]
    assert fresh_flags(card) == {**ALL_FRESH, area: False}
    stale = [s for s in card["signoffs"] if not s["fresh"]]
    assert stale[0]["recorded_digest"] != stale[0]["current_digest"]
    now = sha256sum(repo / rel)
    assert stale[0]["changes"] == [f"evidence {entry['id']} changed ({entry['sha256'][:12]} -> {now[:12]})"]
    assert stale[0]["reasons"][0].startswith(f"stale: changed since it was approved: evidence {entry['id']} changed (")
    view = cli("status", "--repo", str(repo), "--at", AT).out  # says what changed, and how to re-approve
    assert f"sign-off: stale: changed since it was approved: evidence {entry['id']} changed" in view
    assert f"→ gate signoff {area} --approve --by LOGIN" in view
    assert card["decision"] == "NO-GO"
    # The recorded GO was taken on a different state: it no longer holds, and that fails the gate.
    assert code == 1
    recorded = card["recorded_decision"]
    assert recorded["holds"] is False
    assert any(
        r.startswith("says GO but the gate computes NO-GO") and "sign-off: stale" in r for r in recorded["reasons"]
    )
    assert any(r.startswith("manifest digest recorded") for r in recorded["reasons"])
    assert card["blocking"][0].startswith(f"{GO_DECISION} does not hold")


# ---- flips judged without the decision file's effect (decisions removed) ----------------------------

CHECKLIST = "checklist.yaml"
CUSTOMER_MITIGATION = (
    "    mitigation:\n"
    "      description: The 24-hour notice goes out the day before the window, after this decision\n"
    "      owner: product-lead\n"
)


def _third_p1_warning(repo: Path) -> None:
    # Two more P1 items each miss a required piece of evidence (not captured: no digest changes) and
    # carry a mitigation with an owner: with F-customer-notice that makes three P1 WARNs.
    replace_once(
        repo / CHECKLIST,
        "      - {id: cutover-timings, kind: record, description: Cutover step timings}\n",
        "      - {id: cutover-timings, kind: record, description: Cutover step timings}\n"
        "      - {id: cutover-countersigned, kind: record, description: Timings countersigned by the SRE lead}\n"
        "    mitigation:\n"
        "      description: Countersignature after the freeze starts\n"
        "      owner: ops-lead\n",
    )
    replace_once(
        repo / CHECKLIST,
        "      - {id: status-page-drafts, kind: document, description: Draft status page posts}\n",
        "      - {id: status-page-drafts, kind: document, description: Draft status page posts}\n"
        "      - {id: status-page-review, kind: record, description: Drafts reviewed by legal}\n"
        "    mitigation:\n"
        "      description: Legal reviews the drafts during the freeze\n"
        "      owner: product-lead\n",
    )


def _expect_third_p1_warning(card: dict[str, Any]) -> None:
    warned = ["E-cutover-timed", "F-status-page", "F-customer-notice"]
    assert [item(card, i)["state"] for i in warned] == ["WARN"] * 3
    assert card["totals"]["p1_warnings"] == 3
    assert item_blocking(card) == [f"3 P1 warnings, at most 2 allowed: {', '.join(warned)}"]


def _two_p1_warnings_are_fine(repo: Path) -> None:
    replace_once(
        repo / CHECKLIST,
        "      - {id: cutover-timings, kind: record, description: Cutover step timings}\n",
        "      - {id: cutover-timings, kind: record, description: Cutover step timings}\n"
        "      - {id: cutover-countersigned, kind: record, description: Timings countersigned by the SRE lead}\n"
        "    mitigation:\n"
        "      description: Countersignature after the freeze starts\n"
        "      owner: ops-lead\n",
    )


def _expect_two_p1_warnings(card: dict[str, Any]) -> None:
    assert item(card, "E-cutover-timed")["state"] == "WARN"
    assert card["totals"]["p1_warnings"] == 2
    assert item_blocking(card) == []


def _mitigation_without_owner(repo: Path) -> None:
    replace_once(repo / CHECKLIST, CUSTOMER_MITIGATION, CUSTOMER_MITIGATION.replace("owner: product-lead", 'owner: ""'))


def _expect_mitigation_without_owner(card: dict[str, Any]) -> None:
    result = item(card, "F-customer-notice")
    assert result["state"] == "FAIL"
    assert "P1 mitigation has no owner" in result["reasons"]
    [reason] = item_blocking(card)
    assert reason.startswith("P1 F-customer-notice (")
    assert reason.endswith("P1 mitigation has no owner")


def _unmitigated_p1(repo: Path) -> None:
    replace_once(repo / CHECKLIST, CUSTOMER_MITIGATION, "")


def _expect_unmitigated_p1(card: dict[str, Any]) -> None:
    result = item(card, "F-customer-notice")
    assert result["state"] == "FAIL"
    assert "P1 not passing and no mitigation recorded" in result["reasons"]
    assert len(item_blocking(card)) == 1


UPGRADE_VALIDATION = "    validation: Runbook review record with a timebox per step\n"


def _na(justification: str, accepted_by: str) -> Callable[[Path], None]:
    def flip(repo: Path) -> None:
        na = f"{{justification: {json.dumps(justification)}, accepted_by: {json.dumps(accepted_by)}}}"
        replace_once(repo / CHECKLIST, UPGRADE_VALIDATION, f"{UPGRADE_VALIDATION}    not_applicable: {na}\n")

    return flip


def _expect_na_missing(what: str) -> Callable[[dict[str, Any]], None]:
    def check(card: dict[str, Any]) -> None:
        result = item(card, "D-upgrade-runbook")
        assert result["state"] == "FAIL"
        assert result["reasons"] == [f"marked N/A, but {what}"]
        assert item_blocking(card) == [
            f"P0 D-upgrade-runbook (Upgrade runbook reviewed and timeboxed) is FAIL: marked N/A, but {what}"
        ]

    return check


def _expect_na_accepted(card: dict[str, Any]) -> None:
    result = item(card, "D-upgrade-runbook")
    assert result["state"] == "N/A"
    assert result["reasons"] == ["not applicable: no upgrade before genesis (accepted by ops-lead-chen)"]
    assert card["totals"]["N/A"] == 1
    assert item_blocking(card) == []


PRIMARY = f'  primary: {{start: "{seed(EXAMPLE.primary[0])}", end: "{seed(EXAMPLE.primary[1])}"}}\n'


def _primary_placeholder(repo: Path) -> None:
    replace_once(repo / CHECKLIST, PRIMARY, PRIMARY.replace(f'"{seed(EXAMPLE.primary[0])}"', '"YYYY-MM-DD HH:MM UTC"'))


def _expect_primary_placeholder(card: dict[str, Any], repo: Path) -> None:
    lines = (repo / CHECKLIST).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("  primary: {start:"))
    column = lines[line - 1].index('"YYYY') + 1
    result = item(card, "C-primary-window")
    assert result["state"] == "FAIL"
    assert result["reasons"] == [f"checklist.yaml:{line}:{column}: unfilled placeholder YYYY, HH:MM"]
    assert item_blocking(card) == [
        f"P0 C-primary-window (Primary window: set, and outside every blackout) is FAIL: "
        f"checklist.yaml:{line}:{column}: unfilled placeholder YYYY, HH:MM"
    ]


BLACKOUT = f'    - start: "{seed(EXAMPLE.blackout[0])}"\n      end: "{seed(EXAMPLE.blackout[1])}"\n'
OVER_PRIMARY = (EXAMPLE.primary[0] - timedelta(hours=2), EXAMPLE.primary[0] + timedelta(hours=1))


def _blackout_over_primary(repo: Path) -> None:
    over = f'    - start: "{seed(OVER_PRIMARY[0])}"\n      end: "{seed(OVER_PRIMARY[1])}"\n'
    replace_once(repo / CHECKLIST, BLACKOUT, over)


def _expect_blackout_over_primary(card: dict[str, Any]) -> None:
    result = item(card, "C-primary-window")
    assert result["state"] == "FAIL"
    assert len(result["reasons"]) == 1
    shown = f"{OVER_PRIMARY[0]:%Y-%m-%d %H:%M}–{OVER_PRIMARY[1]:%Y-%m-%d %H:%M} UTC"
    assert result["reasons"][0].startswith(f"touches the blackout {shown}")
    assert item(card, "C-blackouts")["state"] == "PASS"  # the blackout itself is well-formed
    assert item(card, "C-backup-window")["state"] == "PASS"
    assert [b.split(" (", 1)[0] for b in item_blocking(card)] == ["P0 C-primary-window"]


FREEZE = f'  start: "{seed(EXAMPLE.freeze[0])}"\n  end: "{seed(EXAMPLE.freeze[1])}"\n'


def _freeze_too_short(repo: Path) -> None:
    short = EXAMPLE.primary[0] + timedelta(hours=2)
    replace_once(repo / CHECKLIST, FREEZE, f'  start: "{seed(EXAMPLE.freeze[0])}"\n  end: "{seed(short)}"\n')


def _expect_freeze_too_short(card: dict[str, Any]) -> None:
    result = item(card, "C-freeze")
    assert result["state"] == "FAIL"
    primary = f"{EXAMPLE.primary[0]:%Y-%m-%d %H:%M}–{EXAMPLE.primary[1]:%Y-%m-%d %H:%M} UTC"
    assert any(f"does not cover the primary window ({primary})" in r for r in result["reasons"])
    assert [b.split(" (", 1)[0] for b in item_blocking(card)] == ["P0 C-freeze"]


def _approver_not_in_roster(repo: Path) -> None:
    replace_once(repo / "signoffs/security.yaml", "approver: sec-lead-ana\n", "approver: mallory\n")


def _expect_approver_not_in_roster(card: dict[str, Any]) -> None:
    assert fresh_flags(card) == {**ALL_FRESH, "security": False}
    security = next(s for s in card["signoffs"] if s["area"] == "security")
    assert security["recorded_digest"] == security["current_digest"]  # not stale: wrong person
    assert "approver mallory is not a member of @virtengine/security (roster in checklist.yaml)" in security["reasons"]
    [reason] = extra_blocking(card)
    assert reason.startswith("Security sign-off: ")
    assert "not a member of @virtengine/security" in reason


OPS, PRODUCT = {"operations-sre"}, {"product-release"}
NO_GO_FLIPS = [
    # (flip, expectation, the sign-offs it makes stale: a change of an area's items, or of what their
    # rules judge (the windows, the freeze: Product/Release's C items), is a change of the policy its
    # lead approved, so exactly that area goes stale)
    pytest.param(_third_p1_warning, _expect_third_p1_warning, OPS | PRODUCT, id="third-p1-warning"),
    pytest.param(
        _mitigation_without_owner, _expect_mitigation_without_owner, PRODUCT, id="p1-mitigation-without-owner"
    ),
    pytest.param(_unmitigated_p1, _expect_unmitigated_p1, PRODUCT, id="p1-without-mitigation"),
    pytest.param(
        _na("", "ops-lead-chen"), _expect_na_missing("it has no justification"), OPS, id="na-without-justification"
    ),
    pytest.param(
        _na("no upgrade before genesis", " "),
        _expect_na_missing("who accepted it is not a GitHub login (' ')"),
        OPS,
        id="na-without-acceptor",
    ),
    pytest.param(
        _na("no upgrade before genesis", "<insert name>"),
        _expect_na_missing("who accepted it is not a GitHub login ('<insert name>')"),
        OPS,
        id="na-accepted-by-a-placeholder",
    ),
    pytest.param(
        _na("no upgrade before genesis", "fin-lead-dora"),
        _expect_na_missing("fin-lead-dora who accepted it is not on the roster of @virtengine/sre"),
        OPS,
        id="na-accepted-by-someone-off-the-area-roster",
    ),
    pytest.param(_primary_placeholder, _expect_primary_placeholder, PRODUCT, id="placeholder-in-primary-window"),
    pytest.param(_blackout_over_primary, _expect_blackout_over_primary, PRODUCT, id="blackout-over-primary"),
    pytest.param(_freeze_too_short, _expect_freeze_too_short, PRODUCT, id="freeze-too-short"),
    pytest.param(_approver_not_in_roster, _expect_approver_not_in_roster, {"security"}, id="approver-not-in-roster"),
]


@pytest.mark.parametrize(("flip", "expect", "stale"), NO_GO_FLIPS)
def test_one_flip_makes_no_go(tmp_path, check, flip, expect, stale):
    repo = copy_example(tmp_path)
    drop_decisions(repo)
    flip(repo)
    code, card = check(repo)
    assert code == 0, card["errors"]
    assert card["decision"] == "NO-GO"
    assert card["integrity"] == []
    assert stale_areas(card) == stale
    if expect is _expect_primary_placeholder:
        expect(card, repo)
    else:
        expect(card)


@pytest.mark.parametrize(
    ("flip", "expect"),
    [
        pytest.param(_two_p1_warnings_are_fine, _expect_two_p1_warnings, id="two-p1-warnings"),
        pytest.param(_na("no upgrade before genesis", "ops-lead-chen"), _expect_na_accepted, id="na-accepted"),
    ],
)
def test_flip_that_stays_ready(tmp_path, check, flip, expect):
    """The controls: at the limit, or with a proper N/A, no item blocks (the area's lead re-approves the
    changed policy, which these flips leave stale)."""
    repo = copy_example(tmp_path)
    drop_decisions(repo)
    flip(repo)
    code, card = check(repo)
    assert code == 0
    expect(card)


# ---- flips of the recorded decision (decision kept) -------------------------------------------------


def test_go_claim_while_a_p0_fails_is_a_false_go(tmp_path, check):
    """A P0 fails without touching the manifest: the placeholder kills the block-time target."""
    repo = copy_example(tmp_path)
    replace_once(repo / CHECKLIST, "  target_block_time: 6s\n", "  target_block_time: <insert target block time>\n")
    code, card = check(repo)
    assert code == 1
    assert card["decision"] == "NO-GO"
    assert [f["path"] for f in card["integrity"]] == [GO_DECISION]
    assert item(card, "C-rollback-criteria")["state"] == "FAIL"
    recorded = card["recorded_decision"]
    assert recorded["holds"] is False
    assert any(
        r.startswith("says GO but the gate computes NO-GO: P0 C-rollback-criteria") for r in recorded["reasons"]
    ), recorded["reasons"]
    assert not any(r.startswith("manifest digest") for r in recorded["reasons"])  # the evidence did not change
    assert card["blocking"][0].startswith(f"{GO_DECISION} does not hold: says GO but the gate computes NO-GO")


@pytest.mark.parametrize("field", ["scorecard_sha256", "manifest_sha256"])
def test_decision_with_a_digest_that_no_longer_matches_fails(tmp_path, check, field):
    repo = copy_example(tmp_path)
    path = repo / GO_DECISION
    text = path.read_text(encoding="utf-8")
    recorded = next(line for line in text.splitlines() if line.startswith(f"{field}: ")).split(": ")[1]
    forged = "ab" * 32
    replace_once(path, f"{field}: {recorded}\n", f"{field}: {forged}\n")
    code, card = check(repo)
    assert code == 1
    assert card["decision"] == "NO-GO"
    reasons = card["recorded_decision"]["reasons"]
    what = field.split("_")[0]
    changed = " (a launch file changed after the decision)" if what == "scorecard" else ""
    assert reasons == [f"{what} digest recorded {forged} but it is now {recorded}{changed}"]
    assert card["blocking"] == [f"{GO_DECISION} does not hold: {reasons[0]}"]


FINANCE_ATTENDEE = "  - role: finance-lead\n    login: fin-lead-dora\n"


def test_decision_missing_a_required_attendee_is_no_quorum(tmp_path, check):
    repo = copy_example(tmp_path)
    replace_once(repo / GO_DECISION, FINANCE_ATTENDEE, "")
    code, card = check(repo)
    assert code == 1  # it still says GO
    assert card["decision"] == "NO-GO"
    quorum = "meeting quorum not met: no finance-lead recorded as attending"
    assert quorum in card["blocking"]
    assert f"says GO but the gate computes NO-GO: {quorum}" in card["recorded_decision"]["reasons"]


def test_one_login_for_two_roles_is_no_quorum(tmp_path, check):
    repo = copy_example(tmp_path)
    replace_once(repo / GO_DECISION, FINANCE_ATTENDEE, "  - role: finance-lead\n    login: Sec-Lead-Ana\n")
    code, card = check(repo)
    assert code == 1
    assert card["decision"] == "NO-GO"
    reason = "meeting quorum: sec-lead-ana stands for security-lead, finance-lead (one person, one role)"
    assert reason in card["blocking"]


@pytest.mark.parametrize("decision", ["GO", "NO-GO"])
def test_a_decision_without_its_quorum_is_refused_whatever_it_says(tmp_path, cli, decision):
    repo = copy_example(tmp_path)
    drop_decisions(repo)
    attendees = [a for a in ATTENDEES if not a.startswith("finance-lead=")]
    argv = ["decide", "--repo", str(repo), "--window", "primary", "--at", AT, "--decision", decision]
    refused = cli(*argv, *[f"--attendee={a}" for a in attendees])
    assert refused.code == 1
    assert "not a decision: meeting quorum not met: no finance-lead recorded as attending" in refused.err
    assert list((repo / "decisions").glob("*.yaml")) == []


# ---- time: a mitigation's due date -------------------------------------------------------------------


DUE = EXAMPLE.decided_at + timedelta(days=2)


@pytest.mark.parametrize(
    ("at", "state", "code"),
    [
        (DUE - timedelta(seconds=1), "WARN", 0),
        (DUE, "FAIL", 1),
        (DUE + timedelta(days=1), "FAIL", 1),
    ],
)
def test_mitigation_due_date(tmp_path, cli, at, state, code):
    """A GO taken while a P1 was mitigated stops being GO when the mitigation expires."""
    repo = copy_example(tmp_path)
    drop_decisions(repo)
    why = "The 24-hour notice goes out the day before the window, after this decision"
    due = cli("mitigate", "F-customer-notice", "--owner", "product-lead", "--due", iso(DUE), "--description", why,
              "--repo", repo)  # fmt: skip
    assert due.code == 0, due.err
    reapprove_and_decide(cli, repo, EXAMPLE.decided_at)
    result = cli("check", "--repo", str(repo), "--format", "json", "--at", iso(at), "--require-go")
    card = result.json()
    assert result.code == code
    assert card["decision"] == ("GO" if state == "WARN" else "NO-GO")
    notice = item(card, "F-customer-notice")
    assert notice["state"] == state
    if state == "WARN":
        assert notice["reasons"][-1].endswith(f"(owner product-lead, due {seed(DUE)})")
    else:
        assert f"P1 mitigation expired on {seed(DUE)}" in notice["reasons"]
        assert any(b.startswith("P1 F-customer-notice") for b in card["blocking"])
        assert card["recorded_decision"]["holds"] is True  # it was true when taken: no false claim, just NO-GO
