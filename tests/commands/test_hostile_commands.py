"""Hostile and careless input to the commands that act: `gate archive`, `gate verify`, `gate evidence
capture|add` and the YAML editors (`signoff`, `decide`, `mitigate`, `set`, `na`). Each ends with exit 0,
1 or 2 (never 3, never a traceback), within seconds, writing nothing it should not.

Threat -> test (each on a copy of examples/go):

- `gate archive` following a launch file linked out of the repository -> test_archive_refuses_a_file_linked_out
- `gate archive` of a launch whose artifact is missing, a FIFO or a folder (exit 3) ->
  test_archive_of_a_broken_artifact_is_refused_cleanly
- `gate verify` of archives whose texts are not UTF-8 -> test_verify_of_non_utf8_texts_does_not_hold
- `gate verify` extracting without bound (a 9 MB archive became 2 GiB) -> test_verify_refuses_a_compression_bomb,
  test_verify_refuses_an_archive_over_max_size
- `evidence capture --id` writing outside the repository -> test_capture_id_cannot_name_a_path
- edit commands corrupting valid files (quoted keys, values on the next line, block scalars, comments) ->
  test_signoff_edits_by_node_position, test_signoff_after_a_trailing_block_scalar,
  test_signoff_on_a_file_with_an_alias, test_edits_of_a_file_starting_with_a_bom,
  test_set_roster_of_a_team_already_listed
- manifest writers crashing on a valid manifest such as `{"version": 1}` ->
  test_evidence_commands_on_a_manifest_without_lists
- a backslash in a file name (exit 3) -> test_evidence_add_of_a_backslash_name_is_refused
- times near year 1 written so they no longer read back -> test_times_before_year_1000_are_written_readably
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import (
    AT,
    ATTENDEES,
    CHECKLIST,
    GO_DECISION,
    MANIFEST,
    Run,
    copy_example,
    read_manifest,
    replace_once,
    snapshot,
)

SECURITY = "signoffs/security.yaml"
SUMS = "SHA256SUMS"
PACKET = "LAUNCH-PACKET.md"
VULN_SCAN = "evidence/security/vuln-scan.txt"
Members = list[tuple[tarfile.TarInfo, bytes]]


# ---- helpers -----------------------------------------------------------------------------------------


def gate_process(*argv: str | os.PathLike[str], timeout: float = 30, env: dict[str, str] | None = None) -> Run:
    """`python -m gate ARGV…` in a child process, so that a hang fails the test instead of the suite."""
    done = subprocess.run(
        [sys.executable, "-m", "gate", *(os.fspath(a) for a in argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return Run(done.returncode, done.stdout, done.stderr)


def no_crash(run: Run) -> None:
    assert run.code != 3, run.err
    assert "Traceback" not in run.out + run.err
    assert "internal error" not in run.err


def du(folder: Path) -> int:
    """Bytes of every file under `folder` (what extraction left on disk)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def members_of(archive: Path) -> Members:
    with tarfile.open(archive) as tar:
        out = []
        for m in tar.getmembers():
            fh = tar.extractfile(m)
            assert fh is not None
            out.append((m, fh.read()))
        return out


def pack(path: Path, members: Members) -> Path:
    """A .tar.gz of exactly these members, as anyone with Python's tarfile could make it."""
    with tarfile.open(path, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def swap(members: Members, name: str, data: bytes) -> Members:
    assert name in [m.name for m, _ in members]
    return [(m, data if m.name == name else d) for m, d in members]


def resummed(members: Members) -> Members:
    """SHA256SUMS recomputed over the (tampered) members, as an attacker would."""
    ordered = sorted(members, key=lambda f: f[0].name.encode())
    listing = "".join(f"{hashlib.sha256(d).hexdigest()}  {m.name}\n" for m, d in ordered if m.name != SUMS)
    return swap(members, SUMS, listing.encode())


@pytest.fixture
def go(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


@pytest.fixture
def go_archive(tmp_path: Path, go: Path, cli) -> Path:
    out = tmp_path / "go.tar.gz"
    made = cli("archive", "--repo", go, out)
    assert made.code == 0, made.err
    return out


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where `gate verify` unpacks (tempfile.tempdir), to measure what it leaves on disk."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


# ---- gate archive ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", [CHECKLIST, SECURITY, MANIFEST, GO_DECISION, VULN_SCAN])
def test_archive_refuses_a_file_linked_out(tmp_path, go, cli, rel):
    outside = tmp_path / "outside" / Path(rel).name
    outside.parent.mkdir()
    outside.write_bytes((go / rel).read_bytes())  # the same bytes: only where they are is wrong
    (go / rel).unlink()
    (go / rel).symlink_to(outside)
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    result = cli("archive", "--repo", go, out_dir / "launch.tar.gz")

    no_crash(result)
    assert result.code == 2
    assert f"'{rel}' resolves outside the repository" in result.err
    assert list(out_dir.iterdir()) == []  # nothing written, not even a temporary file


def _missing(path: Path) -> None:
    path.unlink()


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize("damage", [_missing, _fifo, _folder], ids=["missing", "fifo", "folder"])
def test_archive_of_a_broken_artifact_is_refused_cleanly(tmp_path, go, damage):
    damage(go / VULN_SCAN)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = gate_process("archive", "--repo", go, out_dir / "launch.tar.gz")
    no_crash(result)
    assert result.code in (1, 2)
    assert VULN_SCAN in result.err
    assert list(out_dir.iterdir()) == []


# ---- gate verify -------------------------------------------------------------------------------------

NOT_UTF8 = b"\xff\xfe\x00 not UTF-8 \xc3\x28\n"


@pytest.mark.parametrize(
    ("name", "resum", "said"),
    [
        (SUMS, False, f"{SUMS}: not UTF-8 (byte 0)"),
        (PACKET, True, f"{PACKET} is missing or differs"),
        ("MANIFEST.SHA256SUMS", True, "MANIFEST.SHA256SUMS is missing or does not list"),
        (CHECKLIST, True, f"{CHECKLIST}:1:1: not UTF-8: byte 0xff"),
    ],
)
def test_verify_of_non_utf8_texts_does_not_hold(tmp_path, go_archive, scratch, cli, name, resum, said):
    members = swap(members_of(go_archive), name, NOT_UTF8)
    bad = pack(tmp_path / "bad.tar.gz", resummed(members) if resum else members)
    result = cli("verify", bad)
    no_crash(result)
    assert result.code == 1
    assert said in result.out
    assert "DOES NOT HOLD" in result.out
    assert list(scratch.iterdir()) == []  # the unpacked copy is gone


class Zeros(io.RawIOBase):
    """`size` zero bytes, read without ever holding them all."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


BOMB_BYTES = 100 * 1024 * 1024


def test_verify_refuses_a_compression_bomb(tmp_path, go_archive):
    """100 MB of zeros packed into ~100 KB, beside a real launch: refused before it is written out."""
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, mode="w:gz", compresslevel=6) as tar:
        for info, data in members_of(go_archive):
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("evidence/zeros.bin")
        info.size = BOMB_BYTES
        tar.addfile(info, io.BufferedReader(Zeros(BOMB_BYTES)))
    assert bomb.stat().st_size < BOMB_BYTES // 200
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    result = gate_process("verify", bomb, env={"TMPDIR": str(scratch)})

    no_crash(result)
    assert result.code == 1
    assert "compression bomb" in result.err
    assert du(scratch) < 1024 * 1024  # nothing large written on the way to refusing


def test_verify_refuses_an_archive_over_max_size(go_archive, scratch, cli):
    result = cli("verify", go_archive, "--max-size", "10000")
    no_crash(result)
    assert result.code == 1
    assert "expands to more than 10000 bytes (the limit; see --max-size)" in result.err
    assert "HOLDS" not in result.out
    assert du(scratch) == 0


def test_verify_within_max_size_holds(go_archive, scratch, cli):
    """The control: the same archive under a limit it fits in verifies."""
    assert cli("verify", go_archive, "--max-size", str(64 * 1024 * 1024)).code == 0


# ---- gate evidence capture ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["../../x", "a/b", "..", "/tmp/x", "evidence/captures/x"])
def test_capture_id_cannot_name_a_path(tmp_path, go, cli, bad_id):
    before = snapshot(tmp_path)
    result = cli("evidence", "capture", "--repo", go, "--item", "B-security", "--id", bad_id, "--", "true")
    no_crash(result)
    assert result.code == 2
    assert f"--id {bad_id!r} is not an id" in result.err
    assert snapshot(tmp_path) == before  # nothing written, inside the repository or out of it


# ---- edits by node position --------------------------------------------------------------------------

# A hand-written sign-off: quoted keys, a value on the line after its key, a block scalar whose text
# looks like keys, comments on every line, odd spacing. Approving it must change exactly the verdict.
HAND = """\
# Security sign-off, kept by hand.
"area": security   # the area
# the verdict
"status": rejected   # until the rate limit lands
'approver':   # who
  sec-eng-omar
note: |
  status: approved
  approver: mallory
# where it was discussed
at:   "2026-11-20T09:30:00Z"   # when
area_digest: "ab00000000000000000000000000000000000000000000000000000000000000"
pinned: {policy: {}, evidence: {}}   # what
findings: []   # none yet
# the end
"""
NOTE = "status: approved\napprover: mallory\n"


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


def approve(cli, repo: Path, *extra: str) -> Run:
    result: Run = cli("signoff", "security", "--repo", repo, "--approve", "--by", "sec-lead-ana", "--at", AT, *extra)
    no_crash(result)
    return result


def assert_reads_back(cli, repo: Path, before: str) -> dict[str, object]:
    after = (repo / SECURITY).read_text(encoding="utf-8")
    data: dict[str, object] = yaml.safe_load(after)
    assert (data["status"], data["approver"], data["at"]) == ("approved", "sec-lead-ana", AT)
    assert comments(after) == comments(before)
    checked = cli("check", "--repo", repo, "--at", AT, "--format", "json")
    assert checked.code == 0, checked.out  # gate's own reader refuses duplicate keys
    security = next(s for s in checked.json()["signoffs"] if s["area"] == "security")
    assert (security["status"], security["fresh"], security["approver"]) == ("approved", True, "sec-lead-ana")
    return data


def test_signoff_edits_by_node_position(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    (repo / SECURITY).write_text(HAND, encoding="utf-8")
    assert approve(cli, repo, "--finding", "Pin the HSM firmware", "--owner", "security-lead").code == 0
    data = assert_reads_back(cli, repo, HAND)
    assert data["note"] == NOTE
    assert data["findings"] == [
        {"id": "F1", "summary": "Pin the HSM firmware", "severity": "medium", "remediation_owner": "security-lead"}
    ]
    after = (repo / SECURITY).read_text(encoding="utf-8")
    assert after.startswith('# Security sign-off, kept by hand.\n"area": security   # the area\n')
    assert '"status": approved   # until the rate limit lands\n' in after
    assert "'approver':   # who\n  sec-lead-ana\n" in after


def test_signoff_after_a_trailing_block_scalar(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    hand = "area: security\nstatus: pending\nnote: |\n  waiting for the review\n\n# the end\n"
    (repo / SECURITY).write_text(hand, encoding="utf-8")
    assert approve(cli, repo).code == 0
    assert assert_reads_back(cli, repo, hand)["note"] == "waiting for the review\n"


def test_signoff_on_a_file_with_an_alias(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    hand = "area: &a security\nstatus: pending\nnote: *a\n"
    (repo / SECURITY).write_text(hand, encoding="utf-8")
    assert cli("check", "--repo", repo, "--at", AT).code == 0  # a valid file
    # An alias shares its anchor's node: a position found through it is the anchor's, so the edit is
    # refused cleanly rather than spliced at the wrong place.
    refused = approve(cli, repo)
    assert refused.code == 2
    assert "uses YAML anchors or aliases" in refused.err
    assert (repo / SECURITY).read_text(encoding="utf-8") == hand


BOM_EDITS = {
    "signoff": (SECURITY, ["signoff", "security", "--approve", "--by", "sec-lead-ana", "--at", AT]),
    "set": (CHECKLIST, ["set", "release-tag", "mainnet-v1.0.1"]),
    "na": (CHECKLIST, ["na", "E-cutover-timed", "--justification", "a new chain", "--accepted-by", "sre-kim"]),
}


@pytest.mark.parametrize("edit", list(BOM_EDITS))
def test_edits_of_a_file_starting_with_a_bom(tmp_path, cli, edit):
    repo = copy_example(tmp_path, decisions=False)
    rel, argv = BOM_EDITS[edit]
    (repo / rel).write_text("\ufeff" + (repo / rel).read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("check", "--repo", repo, "--at", AT).code == 0  # gate reads it
    result = cli(*argv, "--repo", repo)
    no_crash(result)
    assert result.code == 0, result.err
    assert cli("check", "--repo", repo, "--at", AT).code == 0


def test_set_roster_of_a_team_already_listed(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    result = cli("set", "roster.@virtengine/security", "sec-lead-ana,sec-eng-omar,sec-eng-lin", "--repo", repo)
    no_crash(result)
    assert result.code == 0, result.err
    data = yaml.safe_load((repo / CHECKLIST).read_text(encoding="utf-8"))
    assert data["roster"]["@virtengine/security"] == ["sec-lead-ana", "sec-eng-omar", "sec-eng-lin"]


def test_set_roster_of_a_new_team(tmp_path, cli):
    """The control: a team the checklist names but the roster does not list yet is added to the mapping."""
    repo = copy_example(tmp_path, decisions=False)
    replace_once(repo / CHECKLIST, '  "@virtengine/release-managers":\n    - rm-rosa\n', "")
    result = cli("set", "roster.@virtengine/release-managers", "rm-sam", "--repo", repo)
    assert result.code == 0, result.err
    data = yaml.safe_load((repo / CHECKLIST).read_text(encoding="utf-8"))
    assert data["roster"]["@virtengine/release-managers"] == ["rm-sam"]
    assert data["roster"]["@virtengine/security"] == ["sec-lead-ana", "sec-eng-omar"]


# ---- the manifest writers ----------------------------------------------------------------------------


def _add(cli, repo: Path) -> Run:
    result: Run = cli("evidence", "add", "--repo", repo, VULN_SCAN, "--item", "B-security")
    return result


def _capture(cli, repo: Path) -> Run:
    result: Run = cli(
        "evidence", "capture", "--repo", repo, "--item", "D-genesis-checksum", "--id", "genesis-checksum",
        "--", "sha256sum", "evidence/ops/genesis.json",
    )  # fmt: skip
    return result


@pytest.mark.parametrize("command", [_add, _capture], ids=["add", "capture"])
def test_evidence_commands_on_a_manifest_without_lists(tmp_path, cli, command):
    repo = copy_example(tmp_path, decisions=False)
    (repo / MANIFEST).write_text('{"version": 1}\n', encoding="utf-8")
    assert cli("check", "--repo", repo, "--at", AT).code == 0  # valid: the lists default to empty

    result = command(cli, repo)

    no_crash(result)
    assert result.code == 0, result.err
    data = read_manifest(repo)
    ids = [a["id"] for a in data["artifacts"]] + [c["id"] for c in data["commands"]]
    assert ids in (["vuln-scan"], ["genesis-checksum.stdout", "genesis-checksum.stderr", "genesis-checksum"])
    assert cli("check", "--repo", repo, "--at", AT).code == 0


def test_evidence_add_of_a_backslash_name_is_refused(tmp_path, cli, monkeypatch):
    repo = copy_example(tmp_path, decisions=False)
    (repo / "evidence" / "a\\b.md").write_text("a report\n", encoding="utf-8")
    before = snapshot(repo)
    monkeypatch.chdir(repo)
    result = cli("evidence", "add", "--repo", ".", "evidence/a\\b.md", "--item", "B-security", "--id", "ab")
    no_crash(result)
    assert result.code == 2
    assert "backslash" in result.err
    assert snapshot(repo) == before


# ---- times the command line accepts are written so that they read back --------------------------------

EARLY = "0001-01-01T00:00:00Z"


def _decide_early(cli, repo: Path) -> Run:
    result: Run = cli(
        "decide", "--repo", repo, "--decision", "NO-GO", "--at", EARLY, *[f"--attendee={a}" for a in ATTENDEES]
    )
    return result


def _signoff_early(cli, repo: Path) -> Run:
    result: Run = cli("signoff", "security", "--repo", repo, "--approve", "--by", "sec-lead-ana", "--at", EARLY)
    return result


def _mitigate_early(cli, repo: Path) -> Run:
    result: Run = cli(
        "mitigate", "E-cutover-timed", "--repo", repo, "--owner", "ops-lead", "--description", "x", "--due", EARLY
    )
    return result


EARLY_COMMANDS: list[Callable[..., Run]] = [_decide_early, _signoff_early, _mitigate_early]


@pytest.mark.parametrize("command", EARLY_COMMANDS, ids=["decide", "signoff", "mitigate"])
def test_times_before_year_1000_are_written_readably(tmp_path, cli, command):
    repo = copy_example(tmp_path, decisions=False)
    result = command(cli, repo)
    no_crash(result)
    assert result.code == 0, result.err
    checked = cli("check", "--repo", repo, "--at", AT)
    no_crash(checked)
    assert checked.code == 0, checked.out


@pytest.mark.parametrize("command", EARLY_COMMANDS, ids=["decide", "signoff", "mitigate"])
def test_times_before_year_1000_never_leave_a_broken_file(tmp_path, cli, command):
    """Whatever becomes of such a time, the launch is never left unreadable."""
    repo = copy_example(tmp_path, decisions=False)
    command(cli, repo)
    checked = cli("check", "--repo", repo, "--at", AT)
    no_crash(checked)
    assert checked.code == 0, checked.out


LATE = "9999-12-31T23:59:59Z"
LATE_EDITS = {
    "decide": ["decide", "--decision", "NO-GO", "--at", LATE, *[f"--attendee={a}" for a in ATTENDEES]],
    "signoff": ["signoff", "security", "--approve", "--by", "sec-lead-ana", "--at", LATE],
    "mitigate": ["mitigate", "F-customer-notice", "--owner", "product-lead", "--description", "x", "--due", LATE],
    "schedule": ["schedule", "--primary", "9999-12-31T20:00:00Z", LATE, "--backup", LATE, LATE],
    "packet": ["packet", "--at", LATE],
}


@pytest.mark.parametrize("edit", list(LATE_EDITS))
def test_the_last_second_of_the_calendar_never_crashes(tmp_path, cli, edit):
    """Time arithmetic (countdowns, windows, expiry) one second from the end of what datetime holds."""
    repo = copy_example(tmp_path, decisions=False)
    done = cli(*LATE_EDITS[edit], "--repo", repo)
    no_crash(done)
    for at in (AT, LATE):
        checked = cli("check", "--repo", repo, "--at", at, "--format", "text")
        no_crash(checked)
        assert checked.code in (0, 1)
