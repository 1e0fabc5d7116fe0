"""Recording commands that cannot misfile evidence: every file its own requirement, never a guess, a typo
refused with a suggestion, the manifest listed and pruned, Git LFS understood, large files warned about,
files written with the mode the umask allows."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import AT, ATTENDEES, MANIFEST, ROOT, copy_example, git, read_manifest, sha256sum, snapshot

NOTICE_ITEM = "F-customer-notice"  # requires customer-notice-7d (captured) and customer-notice-24h (open)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path, decisions=False)


def _write(repo: Path, rel: str, text: str = "report\n") -> str:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text, encoding="utf-8")
    return rel


def test_several_files_each_get_their_own_requirement(repo, cli):
    a = _write(repo, "evidence/product/customer-notice-24h.eml")
    b = _write(repo, "evidence/security/threat-model-annex.md")
    before = snapshot(repo)
    refused = cli("evidence", "add", a, b, "--item", NOTICE_ITEM, "--repo", repo)
    assert refused.code == 2
    assert "which requirement of F-customer-notice is evidence/security/threat-model-annex.md?" in refused.err
    assert snapshot(repo) == before  # all or nothing: the first file was not registered either
    added = cli("evidence", "add", a, "--item", NOTICE_ITEM, "--repo", repo)  # named after its requirement
    assert added.code == 0, added.err
    assert added.out.startswith("recorded: customer-notice-24h\n")


def test_the_one_open_requirement_is_never_guessed(repo, cli):
    lunch = _write(repo, "evidence/product/lunch-order.txt", "2x pizza\n")
    before = snapshot(repo)
    refused = cli("evidence", "add", lunch, "--item", NOTICE_ITEM, "--repo", repo)
    assert refused.code == 2
    assert "give --id (open: customer-notice-24h (" in refused.err
    assert snapshot(repo) == before
    confirmed = cli("evidence", "add", lunch, "--item", NOTICE_ITEM, "--yes", "--repo", repo)
    assert confirmed.code == 0, confirmed.err
    assert any(a["id"] == "customer-notice-24h" for a in read_manifest(repo)["artifacts"])


def test_a_person_at_a_terminal_is_asked(repo, tmp_path):
    """Through a real pseudo-terminal: the guess is offered as a question, and 'n' refuses it."""
    import pty

    lunch = _write(repo, "evidence/product/lunch-order.txt", "2x pizza\n")
    gate = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "gate"
    gate = gate if gate.exists() else Path(__file__).resolve().parents[2] / ".venv" / "bin" / "gate"
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [str(gate), "evidence", "add", lunch, "--item", NOTICE_ITEM, "--repo", str(repo)],
        stdin=child,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(child)
    os.write(main, b"n\n")
    _, err = proc.communicate(timeout=60)
    os.close(main)
    assert proc.returncode == 2
    assert b"lunch-order.txt is customer-notice-24h (" in err  # the question
    assert b"which requirement of F-customer-notice" in err  # and the refusal after "n"


def test_an_unknown_id_is_refused_with_a_suggestion(repo, cli):
    rel = _write(repo, "evidence/security/scan.txt")
    result = cli("evidence", "add", rel, "--item", "B-security", "--id", "vuln-scna", "--repo", repo)
    assert result.code == 2
    assert "--id 'vuln-scna' is not a requirement of B-security (did you mean 'vuln-scan'?)" in result.err
    supporting = cli(
        "evidence", "add", rel, "--item", "B-security", "--id", "extra-scan", "--supporting", "--repo", repo
    )
    assert supporting.code == 0, supporting.err


def _serving(cli, repo: Path, entry_id: str) -> dict[str, Any]:
    listed = cli("evidence", "ls", "--repo", repo, "--format", "json").json()["entries"]
    entry: dict[str, Any] = next(e for e in listed if e["id"] == entry_id)
    return entry


@pytest.mark.parametrize("supporting", [(), ("--supporting",)], ids=["requirement", "supporting"])
def test_an_id_of_another_item_never_takes_its_evidence_over(repo, cli, supporting):
    """Security's threat model stays Security's: a lunch order filed under its id for another item is
    refused, --supporting or not, and nothing is written."""
    lunch = _write(repo, "evidence/product/lunch.txt", "2x pizza\n")
    before = snapshot(repo)
    refused = cli("evidence", "add", lunch, "--item", NOTICE_ITEM, "--id", "threat-model", *supporting, "--repo", repo)
    assert refused.code == 2
    assert "--id 'threat-model' is not evidence of F-customer-notice: it belongs to B-security" in refused.err
    assert "requirements of F-customer-notice: customer-notice-7d, customer-notice-24h" in refused.err
    assert snapshot(repo) == before
    threat = _serving(cli, repo, "threat-model")
    assert (threat["path"], threat["items"]) == ("evidence/security/threat-model.md", ["B-security"])


def test_an_id_of_another_item_is_refused_with_a_suggestion_of_its_own(repo, cli):
    rel = _write(repo, "evidence/product/e2e.txt")
    result = cli("evidence", "add", rel, "--item", "prereq-6B", "--id", "provider-e2e-report", "--repo", repo)
    assert result.code == 2
    assert "--id 'provider-e2e-report' is not evidence of prereq-6B (did you mean 'veid-e2e-report'?)" in result.err
    assert "it belongs to prereq-6C" in result.err


def test_a_registered_file_is_not_filed_under_another_item_either(repo, cli):
    before = snapshot(repo)
    result = cli("evidence", "add", "evidence/security/threat-model.md", "--item", NOTICE_ITEM, "--repo", repo)
    assert result.code == 2
    assert "evidence/security/threat-model.md (registered as 'threat-model') is not evidence of F-customer-notice" in (
        result.err
    )
    assert snapshot(repo) == before


def test_a_command_output_s_id_is_refused(repo, cli):
    rel = _write(repo, "evidence/security/audit.txt")
    result = cli("evidence", "add", rel, "--item", "B-security", "--id", "dependency-audit.stdout", "--repo", repo)
    assert result.code == 2
    assert "(did you mean 'dependency-audit'?): it is the output of the captured command dependency-audit" in (
        result.err
    )


def test_evidence_is_updated_under_the_id_of_its_own_item(repo, cli):
    """Re-registering is how evidence is updated: an item's own requirement, its supporting evidence,
    and a requirement two items share, each under the item it belongs to."""
    threat = repo / "evidence/security/threat-model.md"
    threat.write_text(threat.read_text(encoding="utf-8") + "\nRevised.\n", encoding="utf-8")
    again = cli("evidence", "add", threat, "--item", "B-security", "--id", "threat-model", "--repo", repo)
    assert again.code == 0, again.err
    assert _serving(cli, repo, "threat-model")["sha256"] == sha256sum(threat)
    extra = _write(repo, "evidence/security/extra-scan.txt")
    args = ("evidence", "add", extra, "--id", "extra-scan", "--repo", repo)
    assert cli(*args, "--item", "B-security", "--supporting").code == 0
    _write(repo, extra, "report, revised\n")
    assert cli(*args, "--item", "B-security").code == 0
    taken = cli(*args, "--item", NOTICE_ITEM, "--supporting")
    assert taken.code == 2
    assert "it belongs to B-security" in taken.err
    shared = _write(repo, "evidence/ops/restore-drill.txt")
    drill = ("--item", "D-backup-restore-drill", "--id", "backup-restore-test")
    both = cli("evidence", "add", shared, *drill, "--repo", repo)
    assert both.code == 0, both.err  # B-operations-sre and D-backup-restore-drill both require it


def test_capture_never_takes_another_item_s_id(repo, cli):
    before = snapshot(repo)
    args = ("evidence", "capture", "--repo", repo, "--item", NOTICE_ITEM, "--id", "threat-model", "--", "true")
    result = cli(*args)
    assert result.code == 2
    assert "--id 'threat-model' is not evidence of F-customer-notice: it belongs to B-security" in result.err
    assert snapshot(repo) == before


def test_an_unknown_item_is_refused_with_a_suggestion(repo, cli):
    rel = _write(repo, "evidence/security/scan.txt")
    result = cli("evidence", "add", rel, "--item", "B-securty", "--repo", repo)
    assert result.code == 2
    assert "unknown item 'B-securty' (did you mean 'B-security'?)" in result.err


def test_ls_lists_by_item_area_and_what_changed_since_approval(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    by_item = cli("evidence", "ls", "--item", "B-security", "--repo", repo, "--format", "json").json()
    assert {e["id"] for e in by_item["entries"]} == {
        "threat-model",
        "vuln-scan",
        "security-checklist",
        "dependency-audit",
    }
    by_area = cli("evidence", "ls", "--area", "finance-billing", "--repo", repo, "--format", "json").json()
    assert all("finance-billing" in e["areas"] for e in by_area["entries"])
    stale = cli("evidence", "ls", "--stale", "--repo", repo).out
    assert "threat-model  evidence/security/threat-model.md" in stale
    assert "CHANGED since security approved" in stale
    assert "vuln-scan" not in stale


def test_rm_takes_an_entry_out_and_says_what_goes_stale(repo, cli):
    rm = cli("evidence", "rm", "vuln-scan", "--repo", repo)
    assert rm.code == 0, rm.err
    assert "removed from the manifest: vuln-scan" in rm.out
    assert "the files stay on disk: evidence/security/vuln-scan.txt" in rm.out
    assert "now stale (approved for different evidence): security" in rm.out
    assert (repo / "evidence/security/vuln-scan.txt").exists()
    assert all(a["id"] != "vuln-scan" for a in read_manifest(repo)["artifacts"])


def test_rm_of_a_command_takes_its_outputs_and_refuses_an_output_alone(repo, cli):
    alone = cli("evidence", "rm", "genesis-checksum.stdout", "--repo", repo)
    assert alone.code == 2
    assert "is the output of the captured command genesis-checksum" in alone.err
    both = cli("evidence", "rm", "genesis-checksum", "--repo", repo)
    assert both.code == 0, both.err
    ids = {a["id"] for a in read_manifest(repo)["artifacts"]} | {c["id"] for c in read_manifest(repo)["commands"]}
    assert not ids & {"genesis-checksum", "genesis-checksum.stdout", "genesis-checksum.stderr"}


def test_a_git_lfs_pointer_is_named_not_reported_as_a_mismatch(repo, cli, check):
    rel = "evidence/ops/backup-restore-drill.md"
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 12345\n"
    (repo / rel).write_text(pointer, encoding="utf-8")
    code, card = check(repo)
    assert code == 1
    [failure] = [f for f in card["integrity"] if f["path"] == rel]
    assert failure["message"] == "it is a Git LFS pointer, not the file: run `git lfs pull`"
    verify = cli("evidence", "verify", "--repo", repo)
    assert f"{rel}: it is a Git LFS pointer, not the file: run `git lfs pull`" in verify.out


def _sparse(path: Path, size: int) -> str:
    with path.open("wb") as fh:
        fh.truncate(size)  # a hole: no disk used, read back as zeros
    return path.name


def test_files_over_50_mb_are_warned_about_and_over_100_mb_need_lfs(repo, cli):
    git(repo, "init", "-q")
    mid = repo / "evidence/ops/big-60mb.bin"
    _sparse(mid, 60 * 1024 * 1024)
    warned = cli("evidence", "add", mid, "--item", "B-operations-sre", "--id", "big", "--supporting", "--repo", repo)
    assert warned.code == 0, warned.err
    assert warned.out.startswith("warning: evidence/ops/big-60mb.bin is 62914560 bytes: GitHub warns above 50 MB")
    huge = repo / "evidence/ops/huge-110mb.bin"
    _sparse(huge, 110 * 1024 * 1024)
    argv = ("evidence", "add", huge, "--item", "B-operations-sre", "--id", "huge", "--supporting", "--repo", repo)
    refused = cli(*argv)
    assert refused.code == 2
    assert "GitHub refuses files over 100 MB in git; track it with Git LFS first" in refused.err
    (repo / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n", encoding="utf-8")
    tracked = cli(*argv)
    assert tracked.code == 0, tracked.err
    assert "warning" not in tracked.out  # LFS stores it: nothing to warn about


def test_outside_a_git_work_tree_a_large_file_is_only_warned_about(repo, cli):
    """Whether LFS would store it cannot be known without git: warned, never refused on a guess."""
    huge = repo / "evidence/ops/huge-110mb.bin"
    _sparse(huge, 110 * 1024 * 1024)
    done = cli("evidence", "add", huge, "--item", "B-operations-sre", "--id", "huge", "--supporting", "--repo", repo)
    assert done.code == 0, done.err
    assert done.out.startswith("warning: evidence/ops/huge-110mb.bin is 115343360 bytes: GitHub warns above 50 MB")


def test_the_lfs_hint_names_a_page_that_explains_it(repo, cli):
    git(repo, "init", "-q")
    huge = repo / "evidence/ops/huge-110mb.bin"
    _sparse(huge, 110 * 1024 * 1024)
    refused = cli("evidence", "add", huge, "--item", "B-operations-sre", "--id", "huge", "--supporting", "--repo", repo)
    assert "see Large evidence in gate's docs/journey.md" in refused.err
    page = (ROOT / "docs" / "journey.md").read_text(encoding="utf-8")
    section = page.split("### Large evidence: Git LFS", 1)[1].split("\n## ", 1)[0]
    assert all(words in section for words in ("50 MB", "100 MB", "git lfs track", "git lfs pull"))


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_get_the_mode_the_umask_allows(repo, cli, umask, mode):
    """Three umasks, so a mode written as a constant (0o644, 0o600) cannot pass for all of them."""
    old = os.umask(umask)
    try:
        attendees = [f"--attendee={a}" for a in ATTENDEES]
        assert cli("decide", "--repo", repo, "--decision", "NO-GO", "--at", AT, *attendees).code == 0
    finally:
        os.umask(old)
    [record] = (repo / "decisions").glob("*.yaml")
    assert stat.S_IMODE(record.stat().st_mode) == mode
    manifest = repo / MANIFEST
    manifest.chmod(0o640)  # an existing file keeps its own mode
    rel = _write(repo, "evidence/security/scan.txt")
    assert cli("evidence", "add", rel, "--item", "B-security", "--id", "x", "--supporting", "--repo", repo).code == 0
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o640
