"""The commands that edit a launch: `evidence add|capture|verify`, `signoff`, `decide`.

End to end through `gate.cli.main` on copies of examples/go and examples/no-go: what each command writes
(checked against coreutils and the files' bytes), what it refuses, and that it never leaves a file half
written or a hand-written line reformatted.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    AREAS,
    AT,
    ATTENDEES,
    EXAMPLE,
    GO_DECISION,
    MANIFEST,
    Run,
    copy_example,
    iso,
    read_manifest,
    replace_once,
    snapshot,
    write_manifest,
)

SECURITY = "signoffs/security.yaml"
STALE = "now stale (approved for different evidence): "


def coreutils_sha256(repo: Path, rel: str) -> str:
    out = subprocess.run(["sha256sum", rel], cwd=repo, capture_output=True, text=True, check=True).stdout
    digest, name = out.split(maxsplit=1)
    assert name.strip() == rel
    return digest


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines `after` dropped from `before`, and the lines it added (in order)."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def now_s() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# ---- evidence add ------------------------------------------------------------------------------------


def test_evidence_add_registers_a_new_artifact(tmp_path, monkeypatch, cli):
    repo = copy_example(tmp_path)
    rel = "evidence/security/pentest-report.md"
    body = "# External pentest\n\nNo critical findings. Ünïcode and a tab:\t.\n".encode()
    (repo / rel).write_bytes(body)
    monkeypatch.chdir(repo)  # paths on the command line are relative to where the user stands
    before = now_s()
    result = cli(
        "evidence", "add", rel, "--item", "B-security", "--id", "pentest-report", "--supporting", "--repo", repo
    )
    after = now_s()
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "recorded: pentest-report",
        f"{STALE}security — re-approval needed",
    ]
    [entry] = [a for a in read_manifest(repo)["artifacts"] if a["id"] == "pentest-report"]
    assert entry["path"] == rel
    assert entry["sha256"] == coreutils_sha256(repo, rel)
    assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert entry["size"] == len(body)
    assert entry["items"] == ["B-security"]
    assert entry["areas"] == []
    assert before <= utc(entry["captured_at"]) <= after


def test_evidence_add_with_area_serves_that_area_too(tmp_path, monkeypatch, cli):
    repo = copy_example(tmp_path)
    rel = "evidence/security/pentest-report.md"
    (repo / rel).write_text("pentest\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    result = cli(
        "evidence",
        "add",
        rel,
        "--item",
        "B-security",
        "--id",
        "pentest",
        "--supporting",
        "--area",
        "product-release",
        "--repo",
        ".",
    )
    assert result.code == 0, result.err
    assert f"{STALE}product-release, security — re-approval needed" in result.out
    [entry] = [a for a in read_manifest(repo)["artifacts"] if a["id"] == "pentest"]
    assert entry["areas"] == ["product-release"]


def test_evidence_add_again_updates_the_entry(tmp_path, monkeypatch, cli, check):
    repo = copy_example(tmp_path)
    rel = "evidence/security/vuln-scan.txt"
    old = next(a for a in read_manifest(repo)["artifacts"] if a["path"] == rel)
    with (repo / rel).open("a", encoding="utf-8") as fh:
        fh.write("rescan 2026-11-27: 1 high (CVE-2026-0001)\n")
    monkeypatch.chdir(repo)
    result = cli("evidence", "add", rel, "--item", "B-security", "--repo", ".")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [f"recorded: {old['id']}", f"{STALE}security — re-approval needed"]
    entries = [a for a in read_manifest(repo)["artifacts"] if a["path"] == rel]
    assert len(entries) == 1  # updated in place, not duplicated
    [entry] = entries
    assert entry["id"] == old["id"]
    assert entry["sha256"] == coreutils_sha256(repo, rel) != old["sha256"]
    assert entry["size"] == (repo / rel).stat().st_size
    assert entry["items"] == old["items"]
    _, card = check(repo)
    # Every artifact matches again; only the GO decision, taken on the old evidence, no longer holds.
    assert [f["path"] for f in card["integrity"]] == [card["recorded_decision"]["file"]]
    assert [s["area"] for s in card["signoffs"] if not s["fresh"]] == ["security"]


def test_evidence_add_of_an_unchanged_file_keeps_approvals_fresh(tmp_path, monkeypatch, cli, check):
    repo = copy_example(tmp_path)
    monkeypatch.chdir(repo)
    # The example's entries were captured earlier; any later second makes the timestamps differ.
    result = cli("evidence", "add", "evidence/security/vuln-scan.txt", "--item", "B-security", "--repo", ".")
    assert result.code == 0, result.err
    assert STALE not in result.out
    code, card = check(repo, "--require-go")
    assert all(s["fresh"] for s in card["signoffs"])
    assert code == 0


def test_evidence_add_under_a_new_id_never_leaves_an_unusable_manifest(tmp_path, monkeypatch, cli, check):
    repo = copy_example(tmp_path)
    monkeypatch.chdir(repo)
    before = (repo / MANIFEST).read_bytes()
    result = cli(
        "evidence", "add", "evidence/security/threat-model.md", "--item", "B-security", "--id", "tm2", "--repo", "."
    )
    if result.code != 0:
        assert (repo / MANIFEST).read_bytes() == before
    code, card = check(repo)
    assert card["errors"] == []
    assert code != 2


# ---- evidence capture --------------------------------------------------------------------------------

SCRIPT_OK = (
    "import os, sys; "
    "sys.stdout.buffer.write(b'audit ok\\x00\\xff\\r\\n' + os.getcwd().encode() + b'\\n'); "
    "sys.stderr.buffer.write(b'warning: 2 low\\n')"
)


def supporting_capture(repo: Path, evidence_id: str, *argv: str) -> tuple[str | Path, ...]:
    """`gate evidence capture` of `argv` as Security's supporting evidence `evidence_id`."""
    return (
        "evidence",
        "capture",
        "--repo",
        repo,
        "--item",
        "B-security",
        "--id",
        evidence_id,
        "--supporting",
        "--",
        *argv,
    )


def test_evidence_capture_records_the_run(tmp_path, cli):
    repo = copy_example(tmp_path)
    argv = [sys.executable, "-c", SCRIPT_OK]
    started = now_s()
    result = cli(*supporting_capture(repo, "extra-audit", *argv))
    ended = now_s()
    assert result.code == 0, result.err
    assert "recorded: extra-audit" in result.out
    manifest = read_manifest(repo)
    [command] = [c for c in manifest["commands"] if c["id"] == "extra-audit"]
    assert command["argv"] == argv
    assert command["cwd"] == "."
    assert command["exit_code"] == 0
    assert started <= utc(command["started_at"]) <= utc(command["ended_at"]) <= ended
    assert command["items"] == ["B-security"]
    artifacts = {a["id"]: a for a in manifest["artifacts"]}
    expected = {
        "stdout": b"audit ok\x00\xff\r\n" + str(repo.resolve()).encode() + b"\n",  # run in the repo root
        "stderr": b"warning: 2 low\n",
    }
    for stream, data in expected.items():
        assert command[stream] == f"extra-audit.{stream}"
        entry = artifacts[f"extra-audit.{stream}"]
        assert entry["path"] == f"evidence/captures/extra-audit.{stream}"
        assert (repo / entry["path"]).read_bytes() == data
        assert entry["sha256"] == coreutils_sha256(repo, entry["path"])
        assert entry["size"] == len(data)
    assert not list((repo / "evidence/captures").glob(".*partial"))


def test_evidence_capture_of_a_failing_command(tmp_path, cli, check):
    repo = copy_example(tmp_path, decisions=False)
    argv = [sys.executable, "-c", "import sys; print('dispute stuck in review'); sys.exit(3)"]
    result = cli(
        "evidence", "capture", "--repo", repo, "--item", "prereq-6E", "--id", "dispute-workflow-test", "--", *argv
    )
    assert result.code == 1
    assert "the command exited 3: recorded as failing evidence for prereq-6E" in result.out
    assert f"{STALE}finance-billing — re-approval needed" in result.out
    commands = [c for c in read_manifest(repo)["commands"] if c["id"] == "dispute-workflow-test"]
    assert len(commands) == 1
    assert commands[0]["exit_code"] == 3
    assert commands[0]["argv"] == argv
    assert (repo / "evidence/captures/dispute-workflow-test.stdout").read_bytes() == b"dispute stuck in review\n"
    code, card = check(repo)
    assert code == 0  # consistent, honestly NO-GO
    assert card["decision"] == "NO-GO"
    item = next(i for i in card["items"] if i["id"] == "prereq-6E")
    assert item["state"] == "FAIL"
    assert f"command 'dispute-workflow-test' ({' '.join(argv)}) exited 3" in item["reasons"]


def test_evidence_capture_of_a_missing_program(tmp_path, cli):
    repo = copy_example(tmp_path)
    before = snapshot(repo)
    result = cli(*supporting_capture(repo, "x", "no-such-program-4711", "-v"))
    assert result.code == 2
    assert "gate: cannot run no-such-program-4711" in result.err
    assert "Traceback" not in result.err
    assert snapshot(repo) == before  # no manifest change, no partial output left


def test_evidence_capture_needs_a_command(tmp_path, cli):
    repo = copy_example(tmp_path)
    result = cli(*supporting_capture(repo, "x"))
    assert result.code == 2
    assert "give the command to run after --" in result.err


# ---- round trip: only what the command means to change changes ----------------------------------------

HAND_SIGNOFF = """\
# yaml-language-server: $schema=../schemas/signoff.schema.json
# Hand-written: the lead keeps notes here.

note: "Reviewed in the weekly security sync"  # a person wrote this

# who decided, and on what
status: "rejected"   # until the rate limit lands
area: 'security'
approver: "sec-eng-omar"
at: "2026-11-20T09:30:00Z"
area_digest: "ab00000000000000000000000000000000000000000000000000000000000000"
pinned: {policy: {}, evidence: {}}

findings:
# earlier review
- id: F1
  summary: 'Rate-limit the VEID verification endpoint per account'
  severity: "medium"    # agreed with product
  remediation_owner: security-lead
  status: resolved
"""

SIGNOFF_KEYS = ("status:", "approver:", "at:", "area_digest:", "pinned:")


def keys(lines: list[str]) -> list[str]:
    """The keys of the top-level lines (the pinned parts' own lines are nested under `pinned:`)."""
    return sorted(line.split(" ", 1)[0].rstrip("\n") for line in lines if not line.startswith(" "))


def _approve_security(cli: Callable[..., Run], repo: Path, *extra: str) -> Run:
    return cli(
        "signoff",
        "security",
        "--repo",
        repo,
        "--approve",
        "--by",
        "sec-lead-ana",
        "--at",
        "2026-11-28T10:00:00Z",
        *extra,
    )


def test_signoff_round_trip_changes_only_its_lines(tmp_path, cli, check):
    repo = copy_example(tmp_path, decisions=False)
    (repo / SECURITY).write_text(HAND_SIGNOFF, encoding="utf-8")
    result = _approve_security(cli, repo)
    assert result.code == 0, result.err
    after = (repo / SECURITY).read_text(encoding="utf-8")
    removed, added = changed_lines(HAND_SIGNOFF, after)
    assert keys(removed) == sorted(SIGNOFF_KEYS)
    assert keys(added) == sorted(SIGNOFF_KEYS)
    assert 'status: "approved"   # until the rate limit lands\n' in added
    assert 'approver: "sec-lead-ana"\n' in added
    assert "pull_request" not in after  # not given, not added
    code, card = check(repo)
    assert code == 0
    security = next(s for s in card["signoffs"] if s["area"] == "security")
    assert (security["status"], security["fresh"], security["approver"]) == ("approved", True, "sec-lead-ana")


def test_signoff_on_a_pending_file_appends_its_keys(tmp_path, cli):
    repo = copy_example(tmp_path)
    pending = "# pending, hand-written\narea: security   # the area\n\nstatus: pending\n"
    (repo / SECURITY).write_text(pending, encoding="utf-8")
    result = _approve_security(cli, repo, "--pr", "77")
    assert result.code == 0, result.err
    after = (repo / SECURITY).read_text(encoding="utf-8")
    removed, added = changed_lines(pending, after)
    assert removed == ["status: pending\n"]
    assert added[0] == "status: approved\n"
    assert [line.split(" ", 1)[0].rstrip("\n") for line in added[1:] if not line.startswith(" ")] == [
        "approver:",
        "at:",
        "pull_request:",
        "area_digest:",
        "pinned:",
    ]
    assert after.startswith("# pending, hand-written\narea: security   # the area\n\n")


def test_signoff_round_trip_keeps_an_indented_list(tmp_path, cli):
    repo = copy_example(tmp_path)
    hand = HAND_SIGNOFF.replace(
        "findings:\n# earlier review\n- id: F1\n  summary: 'Rate-limit the VEID verification endpoint per account'\n"
        '  severity: "medium"    # agreed with product\n  remediation_owner: security-lead\n  status: resolved\n',
        "findings:\n  # earlier review\n  - id: F1\n"
        "    summary: 'Rate-limit the VEID verification endpoint per account'\n"
        '    severity: "medium"    # agreed with product\n    remediation_owner: security-lead\n    status: resolved\n',
    )
    assert hand != HAND_SIGNOFF
    (repo / SECURITY).write_text(hand, encoding="utf-8")
    assert _approve_security(cli, repo).code == 0
    removed, added = changed_lines(hand, (repo / SECURITY).read_text(encoding="utf-8"))
    assert keys(removed) == sorted(SIGNOFF_KEYS)
    assert keys(added) == sorted(SIGNOFF_KEYS)


def test_signoff_round_trip_keeps_odd_spacing(tmp_path, cli):
    repo = copy_example(tmp_path)
    hand = HAND_SIGNOFF.replace('note: "Reviewed', 'note:   "Reviewed')
    (repo / SECURITY).write_text(hand, encoding="utf-8")
    assert _approve_security(cli, repo).code == 0
    removed, _ = changed_lines(hand, (repo / SECURITY).read_text(encoding="utf-8"))
    assert keys(removed) == sorted(SIGNOFF_KEYS)


def test_signoff_with_a_new_finding_keeps_existing_findings(tmp_path, cli):
    repo = copy_example(tmp_path)
    (repo / SECURITY).write_text(HAND_SIGNOFF, encoding="utf-8")
    result = _approve_security(cli, repo, "--finding", "Pin the HSM firmware", "--owner", "security-lead")
    assert result.code == 0, result.err
    removed, added = changed_lines(HAND_SIGNOFF, (repo / SECURITY).read_text(encoding="utf-8"))
    assert keys(removed) == sorted(SIGNOFF_KEYS)
    new = [line for line in added if line.startswith(("- ", "  summary", "  severity", "  remediation"))]
    assert new == [
        "- id: F2\n",
        "  summary: Pin the HSM firmware\n",
        "  severity: medium\n",
        "  remediation_owner: security-lead\n",
    ]


def _entry_span(lines: list[str], entry_id: str) -> tuple[int, int]:
    at = next(n for n, line in enumerate(lines) if line == f'      "id": "{entry_id}",\n')
    start = max(n for n in range(at) if lines[n] == "    {\n")
    end = next(n for n in range(at, len(lines)) if lines[n] in ("    },\n", "    }\n"))
    return start, end + 1


def test_evidence_add_leaves_other_manifest_entries_byte_identical(tmp_path, monkeypatch, cli):
    repo = copy_example(tmp_path)
    before = (repo / MANIFEST).read_text(encoding="utf-8")
    with (repo / "evidence/security/vuln-scan.txt").open("a", encoding="utf-8") as fh:
        fh.write("rescan: clean\n")
    monkeypatch.chdir(repo)
    assert cli("evidence", "add", "evidence/security/vuln-scan.txt", "--item", "B-security").code == 0
    after = (repo / MANIFEST).read_text(encoding="utf-8")
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    start, end = _entry_span(a, "vuln-scan")
    assert _entry_span(b, "vuln-scan") == (start, end)
    assert a[:start] == b[:start]
    assert a[end:] == b[end:]
    changed = [(x, y) for x, y in zip(a[start:end], b[start:end], strict=True) if x != y]
    assert {x.split(":")[0].strip() for x, _ in changed} <= {'"sha256"', '"size"', '"captured_at"'}
    assert any('"sha256"' in x for x, _ in changed)


def test_evidence_add_of_a_new_file_only_inserts(tmp_path, monkeypatch, cli):
    repo = copy_example(tmp_path)
    before = (repo / MANIFEST).read_text(encoding="utf-8")
    (repo / "evidence/ops/extra.md").write_text("extra\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    assert (
        cli(
            "evidence", "add", "evidence/ops/extra.md", "--item", "B-operations-sre", "--id", "extra", "--supporting"
        ).code
        == 0
    )
    after = (repo / MANIFEST).read_text(encoding="utf-8")
    entry = next(a for a in read_manifest(repo)["artifacts"] if a["id"] == "extra")
    block = "".join(f"    {line}\n" for line in json.dumps(entry, indent=2, ensure_ascii=False).splitlines())
    end_of_artifacts = '    }\n  ],\n  "commands": ['
    assert before.count(end_of_artifacts) == 1
    # The last artifact gains a comma and the new entry follows it: every other byte stays.
    assert after == before.replace(end_of_artifacts, f'    }},\n{block}  ],\n  "commands": [')


# ---- atomic writes -----------------------------------------------------------------------------------


def _crash(*_args: object, **_kwargs: object) -> None:
    raise OSError(28, "No space left on device (simulated)")


@pytest.mark.parametrize(
    ("target", "argv"),
    [
        pytest.param(
            MANIFEST,
            ["evidence", "add", "evidence/security/vuln-scan.txt", "--item", "B-security"],
            id="evidence-add",
        ),
        pytest.param(
            SECURITY,
            ["signoff", "security", "--reject", "--by", "sec-lead-ana", "--at", AT],
            id="signoff",
        ),
    ],
)
def test_a_crash_mid_write_leaves_the_original_whole(tmp_path, monkeypatch, cli, target, argv):
    repo = copy_example(tmp_path)
    with (repo / "evidence/security/vuln-scan.txt").open("a", encoding="utf-8") as fh:
        fh.write("changed\n")
    before = snapshot(repo)
    monkeypatch.chdir(repo)
    monkeypatch.setattr(os, "replace", _crash)
    result = cli(*argv, "--repo", ".")
    monkeypatch.undo()
    assert result.code != 0
    assert "simulated" in result.err
    assert snapshot(repo) == before  # the target is intact and no temp file is left beside it
    assert not list((repo / target).parent.glob(f".{Path(target).name}.*"))


def test_a_crash_writing_a_decision_leaves_no_file(tmp_path, monkeypatch, cli):
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    monkeypatch.setattr(os, "replace", _crash)
    argv = ["decide", "--repo", str(repo), "--decision", "GO", "--window", "primary", "--at", AT]
    for a in ATTENDEES:
        argv += ["--attendee", a]
    result = cli(*argv)
    monkeypatch.undo()
    assert result.code != 0
    assert snapshot(repo) == before


# ---- edit commands refuse what `gate check` rejects ---------------------------------------------------


def _syntax_error(repo: Path) -> None:
    replace_once(repo / "checklist.yaml", "  network: mainnet\n", "  network: mainnet: oops\n")


def _unknown_field(repo: Path) -> None:
    replace_once(repo / "signoffs/finance-billing.yaml", "pull_request: 44\n", "pull_request: 44\nstatsu: approved\n")


EDITS = [
    pytest.param(["evidence", "add", "evidence/security/vuln-scan.txt", "--item", "B-security"], id="evidence-add"),
    pytest.param(
        [
            "evidence",
            "capture",
            "--item",
            "B-security",
            "--id",
            "touch",
            "--",
            sys.executable,
            "-c",
            "open('touched', 'w').close()",
        ],
        id="evidence-capture",
    ),
    pytest.param(["signoff", "security", "--approve", "--by", "sec-lead-ana", "--at", AT], id="signoff"),
    pytest.param(
        ["decide", "--decision", "GO", "--window", "primary", "--at", AT, "--attendee", "security-lead=sec-lead-ana"],
        id="decide",
    ),
]


@pytest.mark.parametrize("argv", EDITS)
@pytest.mark.parametrize(
    ("breakage", "where"),
    [(_syntax_error, "checklist.yaml:"), (_unknown_field, "signoffs/finance-billing.yaml:")],
    ids=["checklist-syntax-error", "signoff-unknown-field"],
)
def test_edit_commands_refuse_unusable_input(tmp_path, monkeypatch, cli, check, argv, breakage, where):
    repo = copy_example(tmp_path, decisions=False)
    breakage(repo)
    assert check(repo)[0] == 2  # `gate check` rejects it ...
    before = snapshot(repo)
    monkeypatch.chdir(repo)
    result = cli(*argv[:2], "--repo", ".", *argv[2:]) if argv[0] == "evidence" else cli(*argv, "--repo", ".")
    assert result.code == 2  # ... and so does every command that would edit it
    assert result.err.startswith(where)
    assert "Traceback" not in result.err
    assert snapshot(repo) == before  # nothing written, nothing run


# ---- gate signoff ------------------------------------------------------------------------------------


def _drop_threat_model(repo: Path) -> str:
    data = read_manifest(repo)
    data["artifacts"] = [a for a in data["artifacts"] if a["id"] != "threat-model"]
    write_manifest(repo, data)
    return "B-security: required evidence 'threat-model' (Threat model update) has not been captured"


def _corrupt_vuln_scan(repo: Path) -> str:
    (repo / "evidence/security/vuln-scan.txt").write_text("tampered\n", encoding="utf-8")
    return "B-security: evidence 'vuln-scan' (evidence/security/vuln-scan.txt) fails integrity: SHA-256 is"


@pytest.mark.parametrize("break_evidence", [_drop_threat_model, _corrupt_vuln_scan], ids=["missing", "tampered"])
def test_signoff_approve_refuses_incomplete_p0_evidence(tmp_path, cli, break_evidence):
    repo = copy_example(tmp_path)
    expected = break_evidence(repo)
    before = (repo / SECURITY).read_bytes()
    result = _approve_security(cli, repo)
    assert result.code == 1
    assert "cannot approve security: its required evidence is not complete" in result.err
    assert expected in result.err
    assert (repo / SECURITY).read_bytes() == before


def test_signoff_approve_refuses_a_failing_command(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    before = (repo / "signoffs/finance-billing.yaml").read_bytes()
    result = cli("signoff", "finance-billing", "--repo", repo, "--approve", "--by", "fin-lead-dora", "--at", AT)
    assert result.code == 1
    failing = "command 'dispute-workflow-test' (python3 evidence/finance/dispute_workflow_test.py) exited 1"
    assert f"prereq-6E: {failing}" in result.err
    assert (repo / "signoffs/finance-billing.yaml").read_bytes() == before


def test_signoff_reject_records_findings_and_owners(tmp_path, cli, check):
    repo = copy_example(tmp_path, "no-go")
    result = cli(
        "signoff", "finance-billing", "--repo", repo, "--reject", "--by", "fin-lead-dora", "--at", AT, "--pr", "51",
        "--finding", "Dispute workflow leaves disputes open", "--owner", "finance-lead",
        "--finding", "Reconciliation job lacks an alert", "--owner", "ops-lead",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith("signoffs/finance-billing.yaml: rejected by fin-lead-dora for evidence digest ")
    code, card = check(repo)
    assert code == 0
    finance = next(s for s in card["signoffs"] if s["area"] == "finance-billing")
    assert (finance["status"], finance["fresh"], finance["approver"]) == ("rejected", False, "fin-lead-dora")
    assert finance["reasons"] == [
        "rejected by fin-lead-dora",
        "open finding F1 (medium): Dispute workflow leaves disputes open, owner finance-lead",
        "open finding F2 (medium): Reconciliation job lacks an alert, owner ops-lead",
    ]
    assert any(b.startswith("Finance/Billing sign-off: rejected by fin-lead-dora") for b in card["blocking"])
    text = (repo / "signoffs/finance-billing.yaml").read_text(encoding="utf-8")
    assert "pull_request: 51\n" in text


def test_signoff_needs_one_owner_per_finding(tmp_path, cli):
    repo = copy_example(tmp_path)
    before = snapshot(repo)
    result = cli("signoff", "security", "--repo", repo, "--reject", "--by", "sec-lead-ana", "--finding", "x")
    assert result.code == 2
    assert "give one --owner per --finding" in result.err
    assert snapshot(repo) == before


def test_signoff_of_an_unknown_area(tmp_path, cli):
    repo = copy_example(tmp_path)
    result = cli("signoff", "legal", "--repo", repo, "--approve", "--by", "sec-lead-ana")
    assert result.code == 2
    assert "unknown area 'legal'" in result.err


@pytest.mark.parametrize(
    "extra",
    [
        ["--by", "sec-lead-ana", "--finding", "x", "--owner", "not-a-role"],
        ["--by", "bad login!"],
    ],
    ids=["unknown-owner-role", "invalid-login"],
)
def test_signoff_refuses_what_check_would_reject(tmp_path, cli, check, extra):
    repo = copy_example(tmp_path)
    before = snapshot(repo)
    result = cli("signoff", "security", "--repo", repo, "--reject", "--at", AT, *extra)
    if result.code == 0:
        assert check(repo)[0] != 2
    else:
        assert result.code == 2
        assert snapshot(repo) == before
    assert check(repo)[0] != 2


# ---- gate decide -------------------------------------------------------------------------------------


def _decide(cli: Callable[..., Run], repo: Path, *extra: str) -> Run:
    argv: list[str] = ["decide", "--repo", str(repo), "--at", AT, *extra]
    for a in ATTENDEES:
        argv += ["--attendee", a]
    return cli(*argv)


def test_decide_refuses_go_while_no_go(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    result = _decide(cli, repo, "--decision", "GO", "--window", "primary")
    assert result.code == 1
    assert "refusing to record GO: the gate computes NO-GO" in result.err
    assert "P0 prereq-6E" in result.err
    assert "Security sign-off: stale" in result.err
    assert "Finance/Billing sign-off: stale" in result.err
    assert list((repo / "decisions").glob("*")) == []


def test_decide_needs_the_meeting_s_decision(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    result = _decide(cli, repo, "--window", "primary")
    assert result.code == 2
    assert "the following arguments are required: --decision" in result.err
    assert list((repo / "decisions").glob("*")) == []


def test_decide_records_no_go_with_its_reasons(tmp_path, cli, check):
    repo = copy_example(tmp_path, "no-go")
    result = _decide(cli, repo, "--decision", "NO-GO", "--window", "primary")
    assert result.code == 0, result.err
    name = f"decisions/{AT[:10]}T{AT[11:13]}{AT[14:16]}00-no-go.yaml"
    assert result.out.splitlines()[0] == f"{name}: NO-GO"
    text = (repo / name).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/decision.schema.json\n")
    assert "decision: NO-GO\n" in text
    code, card = check(repo)
    assert (code, card["decision"]) == (0, "NO-GO")
    recorded = card["recorded_decision"]
    assert (recorded["file"], recorded["decision"], recorded["holds"]) == (name, "NO-GO", True)
    # The record lists every blocking reason, and the screen shows them.
    reasons = [line.removeprefix("  - ") for line in result.out.splitlines()[1:]]
    assert any(r.startswith("P0 prereq-6E") for r in reasons)
    assert any(r.startswith("Security sign-off: stale") for r in reasons)
    assert any(r.startswith("Finance/Billing sign-off: stale") for r in reasons)
    in_force = f"the decision in force ({name}, {AT[:10]} {AT[11:16]} UTC) is NO-GO"
    assert card["blocking"] == [*reasons, in_force]
    assert f"scorecard_sha256: {card['scorecard_sha256']}\n" in text
    assert f"manifest_sha256: {card['manifest_sha256']}\n" in text


def test_decide_records_go_and_check_requires_it(tmp_path, cli, check):
    repo = copy_example(tmp_path, decisions=False)
    result = _decide(cli, repo, "--decision", "GO", "--window", "primary")
    assert result.code == 0, result.err
    name = f"decisions/{AT[:10]}T{AT[11:13]}{AT[14:16]}00-go.yaml"
    assert result.out == f"{name}: GO\n"
    code, card = check(repo, "--require-go")
    assert code == 0
    assert card["decision"] == "GO"
    assert card["blocking"] == []
    assert (card["recorded_decision"]["file"], card["recorded_decision"]["holds"]) == (name, True)
    # The manifest digest is the SHA-256 of a coreutils SHA256SUMS listing: verifiable with no Python.
    listing = "".join(
        f"{a['sha256']}  {a['path']}\n"
        for a in sorted(read_manifest(repo)["artifacts"], key=lambda a: a["path"].encode())
    )
    (repo / "SHA256SUMS").write_text(listing, encoding="utf-8")
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=repo, check=True)
    assert f"manifest_sha256: {coreutils_sha256(repo, 'SHA256SUMS')}\n" in (repo / name).read_text(encoding="utf-8")


def test_decide_go_explicitly_needs_the_window_ahead(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    late = iso(EXAMPLE.primary[0] + timedelta(hours=1))  # inside the window it would choose
    argv = ["decide", "--repo", str(repo), "--at", late, "--decision", "GO", "--window", "primary"]
    for a in ATTENDEES:
        argv += ["--attendee", a]
    result = cli(*argv)
    assert result.code == 1
    shown = f"{EXAMPLE.primary[0]:%Y-%m-%d %H:%M}–{EXAMPLE.primary[1]:%Y-%m-%d %H:%M} UTC"
    assert f"the primary window ({shown}) is not ahead of the decision" in result.err
    assert list((repo / "decisions").glob("*")) == []


def test_decide_go_without_a_window_is_a_usage_error(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    result = _decide(cli, repo, "--decision", "GO")
    assert result.code == 2
    assert "window" in result.err
    assert "internal error" not in result.err


def _record_name(at: str, verdict: str) -> str:
    """Where `gate decide --at AT` writes: decisions/<date>T<HHMMSS>-<verdict>.yaml."""
    return f"decisions/{at[:10]}T{at[11:13]}{at[14:16]}{at[17:19]}-{verdict}.yaml"


def _dry_run_record(out: str, name: str) -> str:
    """The record `gate decide --dry-run` shows, after its one header line naming the file."""
    header, record = out.split("\n", 1)
    assert header == f"# {name} (dry run: not written)"
    return record


def test_decide_dry_run_shows_the_record_and_writes_nothing(tmp_path, cli, check):
    repo = copy_example(tmp_path, decisions=False)
    before = snapshot(repo)
    result = _decide(cli, repo, "--decision", "GO", "--window", "primary", "--dry-run")
    assert result.code == 0, result.err
    name = _record_name(AT, "go")
    shown = yaml.safe_load(_dry_run_record(result.out, name))
    assert (shown["decision"], shown["window"], shown["decided_at"]) == ("GO", "primary", AT)
    attendees = [dict(zip(("role", "login"), a.split("=", 1), strict=True)) for a in ATTENDEES]
    assert shown["meeting"]["attendees"] == attendees
    _, card = check(repo)  # the state the record would be taken on
    assert (shown["scorecard_sha256"], shown["manifest_sha256"]) == (card["scorecard_sha256"], card["manifest_sha256"])
    assert snapshot(repo) == before
    assert list((repo / "decisions").glob("*")) == []
    # What it showed is exactly what the real run writes.
    assert _decide(cli, repo, "--decision", "GO", "--window", "primary").code == 0
    assert (repo / name).read_text(encoding="utf-8") == _dry_run_record(result.out, name)


def test_decide_keeps_the_note_in_the_meeting_record(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    note = "Re-run the dispute workflow test after the escrow fix; owner fin-lead-dora"
    shown = _decide(cli, repo, "--decision", "NO-GO", "--note", note, "--dry-run")
    assert shown.code == 0, shown.err
    assert yaml.safe_load(_dry_run_record(shown.out, _record_name(AT, "no-go")))["meeting"]["notes"] == note
    result = _decide(cli, repo, "--decision", "NO-GO", "--note", note)
    assert result.code == 0, result.err
    written = yaml.safe_load((repo / _record_name(AT, "no-go")).read_text(encoding="utf-8"))
    assert written["meeting"]["notes"] == note


def test_two_decisions_in_the_same_second_never_overwrite(tmp_path, cli):
    """The record is named to the second: a second decision within it gets its own file."""
    repo = copy_example(tmp_path, decisions=False)
    first = _decide(cli, repo, "--decision", "GO", "--window", "primary", "--note", "first", "--at", AT[:-1] + ".2Z")
    second = _decide(cli, repo, "--decision", "GO", "--window", "backup", "--note", "second", "--at", AT[:-1] + ".7Z")
    assert (first.code, second.code) == (0, 0), first.err + second.err
    name = _record_name(AT, "go")
    other = name.replace("-go.yaml", "-go-2.yaml")
    assert first.out == f"{name}: GO\n"
    assert second.out == f"{other}: GO\n"
    assert sorted(p.name for p in (repo / "decisions").iterdir()) == sorted([Path(name).name, Path(other).name])
    kept = {n: yaml.safe_load((repo / n).read_text(encoding="utf-8")) for n in (name, other)}
    assert (kept[name]["window"], kept[name]["meeting"]["notes"]) == ("primary", "first")
    assert (kept[other]["window"], kept[other]["meeting"]["notes"]) == ("backup", "second")


def test_decide_refuses_a_go_dated_before_the_signoffs_it_relies_on(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    signed = {
        area: utc(yaml.safe_load((repo / f"signoffs/{area}.yaml").read_text(encoding="utf-8"))["at"]) for area in AREAS
    }
    area, last = max(signed.items(), key=lambda kv: kv[1])
    early = last - timedelta(minutes=1)
    before = snapshot(repo)
    result = _decide(cli, repo, "--decision", "GO", "--window", "primary", "--at", iso(early))
    assert result.code == 1
    assert "refusing to record GO: the gate computes NO-GO" in result.err
    relies = f"before the {area} sign-off it relies on ({last:%Y-%m-%d %H:%M} UTC)"
    assert f"dated {early:%Y-%m-%d %H:%M} UTC, {relies}" in result.err
    assert snapshot(repo) == before


@pytest.mark.parametrize("minutes", [0, -60])
def test_decide_refuses_a_decision_not_after_the_latest_record(tmp_path, cli, minutes):
    repo = copy_example(tmp_path)
    before = snapshot(repo)
    at = iso(EXAMPLE.decided_at + timedelta(minutes=minutes))
    result = _decide(cli, repo, "--decision", "NO-GO", "--at", at)
    assert result.code == 2
    assert f"{GO_DECISION} was decided at {iso(EXAMPLE.decided_at)}: a new decision must come after it" in result.err
    assert snapshot(repo) == before


# ---- gate evidence verify ----------------------------------------------------------------------------


def test_evidence_verify_ok(tmp_path, cli):
    repo = copy_example(tmp_path)
    artifacts = read_manifest(repo)["artifacts"]
    result = cli("evidence", "verify", "--repo", repo)
    assert result.code == 0
    assert result.out == f"{len(artifacts)} artifact(s), {sum(a['size'] for a in artifacts)} bytes: OK\n"


def test_evidence_verify_names_a_flipped_file(tmp_path, cli):
    repo = copy_example(tmp_path)
    rel = "evidence/ops/mainnet-launch-runbook.md"
    data = bytearray((repo / rel).read_bytes())
    data[-2] ^= 0x20
    (repo / rel).write_bytes(bytes(data))
    result = cli("evidence", "verify", "--repo", repo)
    assert result.code == 1
    lines = result.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{rel}: SHA-256 is ")
    assert lines[1].endswith("FAILED")


@pytest.mark.parametrize("damage", ["syntax-error", "deleted"])
def test_evidence_verify_reads_only_the_manifest(tmp_path, cli, check, damage):
    repo = copy_example(tmp_path)
    if damage == "deleted":
        (repo / "checklist.yaml").unlink()
    else:
        _syntax_error(repo)
    assert cli("check", "--repo", repo).code == 2
    result = cli("evidence", "verify", "--repo", repo)
    assert result.code == 0, result.err
    assert result.out.endswith("bytes: OK\n")


def test_evidence_verify_rejects_a_broken_manifest(tmp_path, cli):
    repo = copy_example(tmp_path)
    text = (repo / MANIFEST).read_text(encoding="utf-8")
    (repo / MANIFEST).write_text(text.replace('"version": 1,', '"version": 1,,', 1), encoding="utf-8")
    result = cli("evidence", "verify", "--repo", repo)
    assert result.code == 2
    assert result.err.startswith(f"{MANIFEST}:3:")


def test_evidence_verify_reports_only_manifest_errors(tmp_path, cli):
    """A manifest entry the schema rejects is reported at its line; a broken checklist is not its business."""
    repo = copy_example(tmp_path)
    _syntax_error(repo)
    data = read_manifest(repo)
    data["artifacts"][1]["sha256"] = "NOT-A-DIGEST"
    write_manifest(repo, data)
    line = next(
        n
        for n, text in enumerate((repo / MANIFEST).read_text(encoding="utf-8").splitlines(), 1)
        if "NOT-A-DIGEST" in text
    )
    result = cli("evidence", "verify", "--repo", repo)
    assert result.code == 2
    errors = result.err.splitlines()
    assert errors
    assert all(e.startswith(f"{MANIFEST}:") for e in errors), errors
    assert any(e.startswith(f"{MANIFEST}:{line}:") and "sha256" in e for e in errors), errors


def test_ctrl_c_during_capture_leaves_no_half_written_entry(tmp_path):
    """SIGINT while the captured command runs: exit 130, the manifest byte-identical, no output files left."""
    import signal
    import time

    repo = copy_example(tmp_path)
    before = (repo / "evidence-manifest.json").read_bytes()
    started = tmp_path / "started"
    script = (
        f"import pathlib, time; pathlib.Path({str(started)!r}).write_text('x'); "
        "print('working', flush=True); time.sleep(30)"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gate",
            "evidence",
            "capture",
            "--repo",
            str(repo),
            "--item",
            "B-security",
            "--id",
            "interrupted",
            "--supporting",
            "--",
            sys.executable,
            "-c",
            script,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not started.exists() and time.monotonic() < deadline:  # bounded wait for the child to be running
        time.sleep(0.05)
    assert started.exists(), "the captured command never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert b"interrupted" in err
    assert b"Traceback" not in err
    assert (repo / "evidence-manifest.json").read_bytes() == before
    leftovers = [p.name for p in (repo / "evidence" / "captures").iterdir() if "interrupted" in p.name]
    assert leftovers == []


def test_evidence_add_refuses_a_manifest_check_would_reject_before_writing(tmp_path, cli):
    """An id already taken by a captured command would make two entries with one id: refused, nothing written."""
    repo = copy_example(tmp_path)
    (repo / "evidence" / "extra.md").write_text("extra\n", encoding="utf-8")
    before = (repo / MANIFEST).read_bytes()
    result = cli(
        "evidence",
        "add",
        repo / "evidence" / "extra.md",
        "--item",
        "D-genesis-checksum",
        "--id",
        "genesis-checksum",
        "--repo",
        repo,
    )
    assert result.code == 2, result.err
    assert "duplicate manifest id 'genesis-checksum'" in result.err
    assert (repo / MANIFEST).read_bytes() == before
