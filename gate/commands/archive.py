"""`gate archive`: a reproducible .tar.gz of the launch with SHA256SUMS inside."""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from gate.commands.packet import MANIFEST_SUMS, SUMS, render_packet
from gate.errors import GateFailed
from gate.evidence.digests import sha256sums
from gate.evidence.hashing import sha256_bytes
from gate.launch import load_valid
from gate.load import CHECKLIST, DECISIONS, MANIFEST, SIGNOFFS, Loaded
from gate.paths import read_inside

MAX_MEMBER_BYTES = 64 * 1024**3

# The packet rendered for the archive sits at its root, never at packet.location: that path may itself
# be an artifact (the packet captured as evidence), which the archive must carry unchanged.
# MANIFEST_SUMS lists the artifacts alone, exactly as the manifest digest is computed:
# `sha256sum MANIFEST.SHA256SUMS` prints the digest a decision records, with no Python at all.
ARCHIVE_PACKET = "LAUNCH-PACKET.md"


def archive_members(repo: Path, loaded: Loaded) -> list[str]:
    """Every file an auditor needs: launch files, schemas, and every artifact, sorted."""
    names = {CHECKLIST, MANIFEST}
    for folder in (SIGNOFFS, DECISIONS):
        base = repo / folder
        if base.is_dir():
            names |= {f"{folder}/{p.name}" for p in base.iterdir() if p.is_file() and not p.name.startswith(".")}
    schemas = repo / "schemas"
    if schemas.is_dir():
        names |= {p.relative_to(repo).as_posix() for p in schemas.rglob("*.schema.json") if p.is_file()}
    names |= {a.path for a in loaded.manifest.artifacts}
    return sorted(names, key=lambda n: n.encode("utf-8"))


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_archive(repo: Path) -> bytes:
    """A reproducible .tar.gz: fixed order, mtimes, owners and modes; gzip header without a time."""
    loaded, checks = load_valid(repo)
    broken = [f"{c.artifact.path}: {c.problem}" for c in checks.values() if c.problem]
    if broken:
        # An archive is what an auditor keeps: it holds the launch as recorded, or nothing.
        raise GateFailed("archive refused: evidence does not match the manifest:\n  " + "\n  ".join(broken))
    files = {name: read_inside(repo, name, MAX_MEMBER_BYTES) for name in archive_members(repo, loaded)}
    files[ARCHIVE_PACKET] = render_packet(repo).encode("utf-8")  # as of the latest decision: reproducible
    files[MANIFEST_SUMS] = sha256sums(loaded.manifest.artifacts).encode("utf-8")
    ordered = sorted(files, key=lambda n: n.encode("utf-8"))
    sums = "".join(f"{sha256_bytes(files[n])}  {n}\n" for n in ordered)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tarinfo(SUMS, len(sums.encode())), io.BytesIO(sums.encode()))
        for name in ordered:
            tar.addfile(_tarinfo(name, len(files[name])), io.BytesIO(files[name]))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


@dataclass(frozen=True)
class ArchiveWritten:
    """The archive written: where, its SHA-256 and its size in bytes."""

    path: str
    sha256: str
    size: int


def write_archive(repo: Path, out: Path) -> ArchiveWritten:
    """Write the archive atomically."""
    data = build_archive(repo)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return ArchiveWritten(str(out), sha256_bytes(data), len(data))
