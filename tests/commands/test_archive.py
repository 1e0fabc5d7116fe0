"""`gate archive` at size: streamed in flat memory, each evidence byte read once, compressed in parallel
into gzip members that gzip, tar and `gate verify` read as one archive, and refused (leaving nothing
behind) when evidence no longer matches the manifest. Checked with the real gzip, tar and sha256sum."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from gate.commands.archive import BLOCK, gzip_member
from tests.helpers import EXAMPLE, copy_example, reapprove_and_decide, sha256sum

MIB = 1024 * 1024


def _text(size: int, seed: int) -> bytes:
    """Log-like text that compresses as reports do (not all zeros, not all noise)."""
    rng = random.Random(seed)
    words = [f"w{n:04d}".encode() for n in range(3000)]
    out = bytearray()
    while len(out) < size:
        out += b"%08d " % rng.randrange(10**8) + b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
    return bytes(out[:size])


def _register(repo: Path, rel: str, digest: str, size: int) -> None:
    """Add an artifact entry by hand (as a release manager's tooling might), for B-security."""
    path = repo / "evidence-manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["artifacts"].append(
        {"id": "big-scan", "path": rel, "sha256": digest, "size": size, "items": ["B-security"],
         "areas": [], "captured_at": "2026-11-01T00:00:00Z", "kind": "report"}
    )  # fmt: skip
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _members(data: bytes) -> int:
    """How many gzip members `data` holds (each one complete: header, deflate data, CRC and size)."""
    count = 0
    while data:
        inflate = zlib.decompressobj(wbits=31)
        inflate.decompress(data)
        assert inflate.eof, "a truncated gzip member"
        data = inflate.unused_data
        count += 1
    return count


@pytest.fixture
def multi_block(tmp_path: Path, cli) -> Path:
    """The GO example with 3 MiB more evidence (several gzip members), re-approved and decided."""
    repo = copy_example(tmp_path)
    (repo / "evidence" / "security" / "scan-full.log").write_bytes(_text(3 * MIB, seed=1))
    argv = ["evidence", "add", "evidence/security/scan-full.log", "--item", "B-security", "--id", "scan-full"]
    added = cli(*argv, "--supporting", "--repo", repo)
    assert added.code == 0, added.err
    reapprove_and_decide(cli, repo, EXAMPLE.decided_at)
    return repo


def test_a_multi_block_archive_is_reproducible_and_reads_as_one_gzip_stream(tmp_path, multi_block, cli):
    first, second = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    assert cli("archive", "--repo", multi_block, first).code == 0
    assert cli("archive", "--repo", multi_block, second).code == 0
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert _members(data) >= 3 * MIB // BLOCK  # compressed block by block: the parallel path ran
    assert subprocess.run(["gzip", "-t", str(first)], check=False).returncode == 0
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-xzf", str(first), "-C", str(unpacked)], check=True)
    assert (unpacked / "evidence/security/scan-full.log").read_bytes() == _text(3 * MIB, seed=1)
    for listing in ("SHA256SUMS", "MANIFEST.SHA256SUMS"):
        done = subprocess.run(["sha256sum", "--quiet", "-c", listing], cwd=unpacked, capture_output=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    verified = cli("verify", first)
    assert verified.code == 0, verified.out + verified.err


@pytest.mark.parametrize("change", ["same-size", "longer", "missing", "lfs-pointer"])
def test_evidence_that_no_longer_matches_is_refused_and_nothing_is_left(tmp_path, cli, change):
    repo = copy_example(tmp_path)
    scan = repo / "evidence" / "security" / "vuln-scan.txt"
    if change == "missing":
        scan.unlink()
    elif change == "lfs-pointer":  # a clone without `git lfs pull`
        scan.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 9000\n")
    else:
        text = scan.read_bytes()
        scan.write_bytes(text.upper() if change == "same-size" else text + b"one more line\n")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "launch.tar.gz"
    result = cli("archive", "--repo", repo, out)
    assert result.code == 1
    assert result.err.startswith("gate: archive refused: evidence does not match the manifest:")
    assert "evidence/security/vuln-scan.txt" in result.err
    assert ("git lfs pull" in result.err) == (change == "lfs-pointer")
    assert not out.exists()
    assert list(out.parent.iterdir()) == []  # no temporary file either


def test_archive_of_a_large_file_stays_under_64_mib(tmp_path):
    """A whole `gate archive` process over 256 MiB of evidence (a sparse file: no disk, little time)."""
    size = 256 * MIB
    repo = copy_example(tmp_path)
    big = repo / "evidence" / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(size)
    zeros, digest = bytes(MIB), hashlib.sha256()
    for _ in range(size // MIB):
        digest.update(zeros)
    _register(repo, "evidence/big.bin", digest.hexdigest(), size)
    out = tmp_path / "big.tar.gz"
    # Linux carries a process's peak RSS across exec, and a child starts as a copy of (or inside) its
    # parent: so a small launcher starts gate and reports, not this test process grown by others.
    launcher = "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); _, s, u = os.wait4(p.pid, 0);"
    launcher += " print(os.waitstatus_to_exitcode(s), u.ru_maxrss)"
    argv = [sys.executable, "-c", launcher, sys.executable, "-m", "gate", "archive", "--repo", str(repo), str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    printed, outcome = done.stdout.splitlines()
    code, peak_kib = (int(n) for n in outcome.split())
    assert code == 0, done.stderr
    assert peak_kib * 1024 < 64 * MIB  # ru_maxrss is in KiB on Linux
    assert printed == f"{sha256sum(out)}  {out}"
    assert subprocess.run(["gzip", "-t", str(out)], check=False).returncode == 0


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes read through /proc/self/io")
def test_each_evidence_byte_is_read_once(tmp_path, cli):
    """The bytes this process reads while archiving: the evidence once, plus the small launch files
    (hashing the evidence first and reading it again to write it would double the count)."""
    size = 64 * MIB
    repo = copy_example(tmp_path)
    data = _text(size, seed=2)
    (repo / "evidence" / "big.log").write_bytes(data)
    _register(repo, "evidence/big.log", hashlib.sha256(data).hexdigest(), size)
    del data
    cli("archive", "--repo", repo, tmp_path / "warm-up.tar.gz")  # imports are read once per process
    before = _bytes_read()
    result = cli("archive", "--repo", repo, tmp_path / "launch.tar.gz")
    read = _bytes_read() - before
    assert result.code == 0, result.err
    evidence = sum(p.stat().st_size for p in (repo / "evidence").rglob("*") if p.is_file())
    assert evidence <= read < evidence + 4 * MIB


def _bytes_read() -> int:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["rchar"])


@pytest.mark.parametrize("kind", ["text", "random"])
def test_a_block_is_one_gzip_member_and_noise_is_stored_not_searched(kind):
    """Already-compressed evidence (random bytes here) is stored as it is; text is compressed."""
    block = _text(BLOCK, seed=3) if kind == "text" else random.Random(3).randbytes(BLOCK)
    member = gzip_member(block)
    assert zlib.decompress(member, wbits=31) == block
    assert member == gzip_member(block)
    if kind == "text":
        assert len(member) < len(block) // 2
    else:
        assert len(block) < len(member) < len(block) + 200  # deflate's stored blocks: 5 bytes each 64 KiB
