"""`gate archive`: a reproducible .tar.gz of the launch with SHA256SUMS inside, streamed.

Memory stays flat at any size of evidence, and each byte of evidence is read once: every artifact goes
from the file, through its hash, into the tar stream. The tar stream is cut into fixed blocks, each
compressed on a core of its own into an independent gzip member; concatenated members are one valid
gzip file (RFC 1952, 2.2), which `gzip -t`, `tar -xzf` and Python read as one stream.

SHA256SUMS still comes first (an auditor reads it first), so it cannot be computed from the bytes
written after it: it lists the launch files, schemas and packet from memory (each read once, the
launch files as the loader validated them) and each artifact by its manifest SHA-256 — which the
stream then checks. When an artifact does not match its entry, the archive is refused and nothing is
left behind: its SHA256SUMS would be false. Fixed order, mtimes, owners and modes and gzip headers
without a time make the same launch give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tarfile
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gate.commands.packet import MANIFEST_SUMS, SUMS, render_packet
from gate.edit import atomic_file
from gate.errors import GateFailed, InputErrors
from gate.evidence.digests import sha256sums
from gate.evidence.hashing import LFS_HINT, Progress, Tally, describe, lfs_pointer, sha256_bytes, workers
from gate.evidence.integrity import as_recorded
from gate.launch import artifact_error, load_unhashed
from gate.load import CHECKLIST, DECISIONS, MANIFEST, SIGNOFFS, Loaded
from gate.model import Artifact
from gate.outputs import refuse_launch_file
from gate.paths import Opener, PathEscape, read_inside

# The packet rendered for the archive sits at its root, never at packet.location: that path may itself
# be an artifact (the packet captured as evidence), which the archive must carry unchanged.
# MANIFEST_SUMS lists the artifacts alone, exactly as the manifest digest is computed:
# `sha256sum MANIFEST.SHA256SUMS` prints the digest a decision records, with no Python at all.
ARCHIVE_PACKET = "LAUNCH-PACKET.md"
GENERATED = (SUMS, MANIFEST_SUMS, ARCHIVE_PACKET)
MAX_SCHEMA_BYTES = 32 * 1024 * 1024

# Each gzip member holds this much of the tar stream: large enough that restarting the compressor's
# 32 KiB window costs well under 1 % of size, small enough that the blocks in flight stay a few MiB.
BLOCK = 1024 * 1024
LEVEL = 6  # what `gzip` and `tar -czf` use
_SAMPLE = 16 * 1024
# Magic, deflate, no flags, MTIME 0 (reproducible), no extra flags, OS "unknown" (the same bytes on
# every system).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_TAR_BLOCK = tarfile.BLOCKSIZE
_TAR_RECORD = tarfile.RECORDSIZE


@dataclass(frozen=True)
class Member:
    """One file of the archive: its bytes in memory, or the artifact whose file is streamed."""

    name: str
    size: int
    sha256: str
    data: bytes | None = None
    artifact: Artifact | None = None


@dataclass(frozen=True)
class ArchiveWritten:
    """The archive written: where, its SHA-256 and its size in bytes."""

    path: str
    sha256: str
    size: int


def write_archive(repo: Path, out: Path, progress: Progress | None = None) -> ArchiveWritten:
    """Write the archive of the launch at `repo` to `out`, atomically; `progress(done, total)` hears of
    the bytes archived. Refused, with nothing written, when evidence does not match (GateFailed) or `out`
    is one of the launch's own files (UsageError)."""
    loaded = load_unhashed(repo)
    refuse_launch_file(repo, loaded, out, writing="the archive", elsewhere="(another OUT.tar.gz)")
    _refuse_unmatched(repo, loaded)
    members = plan(repo, loaded)
    advance = Tally(sum(m.size for m in members), progress) if progress else None
    with atomic_file(out) as fh:  # the archive becomes `out` only when written whole
        packed = _GzipMembers(fh)
        try:
            problems = _write_tar(repo, members, packed, advance)
            packed.finish()
        finally:
            packed.shutdown()
        if problems:
            raise GateFailed("archive refused: evidence does not match the manifest:\n  " + "\n  ".join(problems))
    return ArchiveWritten(str(out), packed.sha256.hexdigest(), packed.size)


def archive_members(repo: Path, loaded: Loaded) -> list[str]:
    """Every file an auditor needs besides what the archive generates: launch files, schemas, and every
    artifact, sorted by their bytes."""
    names = {CHECKLIST, MANIFEST} | {f for f in loaded.documents if f.startswith((f"{SIGNOFFS}/", f"{DECISIONS}/"))}
    schemas = repo / "schemas"
    if schemas.is_dir():
        names |= {p.relative_to(repo).as_posix() for p in schemas.rglob("*.schema.json") if p.is_file()}
    names |= {a.path for a in loaded.manifest.artifacts}
    return sorted(names, key=lambda n: n.encode("utf-8"))


def plan(repo: Path, loaded: Loaded) -> list[Member]:
    """Every member in archive order, SHA256SUMS first; all but the artifacts' bytes are in memory."""
    by_path = {a.path: a for a in loaded.manifest.artifacts}
    clash = sorted(set(GENERATED) & set(by_path))
    if clash:
        raise GateFailed(f"archive refused: {', '.join(clash)} is an artifact path, but the archive writes its own")
    members = [_member(repo, loaded, name, by_path.get(name)) for name in archive_members(repo, loaded)]
    packet = render_packet(repo, prepared=(loaded, as_recorded(loaded.manifest.artifacts)))
    members += [_in_memory(ARCHIVE_PACKET, packet), _in_memory(MANIFEST_SUMS, sha256sums(loaded.manifest.artifacts))]
    members.sort(key=lambda m: m.name.encode("utf-8"))
    listing = "".join(f"{m.sha256}  {m.name}\n" for m in members)
    return [_in_memory(SUMS, listing), *members]


def _in_memory(name: str, data: bytes | str) -> Member:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return Member(name, len(raw), sha256_bytes(raw), data=raw)


def _member(repo: Path, loaded: Loaded, name: str, artifact: Artifact | None) -> Member:
    if name in (CHECKLIST, MANIFEST) or name in loaded.documents:
        member = _in_memory(name, loaded.source(name))
    elif artifact is None:  # a schema, read once here
        member = _in_memory(name, read_inside(repo, name, MAX_SCHEMA_BYTES))
    else:
        return Member(name, artifact.size, artifact.sha256, artifact=artifact)
    if artifact is not None and (member.sha256, member.size) != (artifact.sha256, artifact.size):
        raise GateFailed(f"archive refused: {name} (artifact {artifact.id}) does not match the manifest")
    return member


def _refuse_unmatched(repo: Path, loaded: Loaded) -> None:
    """Before writing anything: every artifact opens inside the repository, as a regular file of the
    size its entry records (its bytes are checked as they are archived)."""
    opener = Opener(repo)
    escapes, problems = [], []
    for n, artifact in enumerate(loaded.manifest.artifacts):
        try:
            fd = opener.open(artifact.path)
        except PathEscape as exc:
            escapes.append(artifact_error(loaded, n, str(exc)))
            continue
        except OSError as exc:
            problems.append(f"{artifact.path}: {describe(exc)}")
            continue
        size = os.fstat(fd).st_size
        os.close(fd)
        if size != artifact.size:
            sizes = f"size is {size} bytes, manifest says {artifact.size}"
            problems.append(f"{artifact.path}: {LFS_HINT if lfs_pointer(repo, artifact.path) else sizes}")
    if escapes:
        raise InputErrors(escapes)
    if problems:
        raise GateFailed("archive refused: evidence does not match the manifest:\n  " + "\n  ".join(problems))


# ---- the tar stream ----------------------------------------------------------------------------------


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _write_tar(
    repo: Path, members: list[Member], out: _GzipMembers, advance: Callable[[int], None] | None
) -> list[str]:
    """The tar stream of `members` into `out`, as tarfile writes it; what did not match, as text."""
    opener = Opener(repo)
    problems = []
    offset = 0
    for member in members:
        header = _header(member.name, member.size)
        out.write(header)
        if member.data is not None:
            out.write(member.data)
            if advance:
                advance(member.size)
        else:
            assert member.artifact is not None
            problem = _stream(opener, member.artifact, out, advance)
            problems += [f"{member.name}: {problem}"] if problem else []
        padding = -member.size % _TAR_BLOCK
        out.write(bytes(padding))
        offset += len(header) + member.size + padding
    end = 2 * _TAR_BLOCK  # two empty blocks close the archive; tarfile pads it to a whole record
    out.write(bytes(end + -(offset + end) % _TAR_RECORD))
    return problems


def _stream(opener: Opener, artifact: Artifact, out: _GzipMembers, advance: Callable[[int], None] | None) -> str | None:
    """Copy the artifact's recorded size of bytes into the stream, hashing them on the way; why they do
    not match the entry, or None."""
    digest = hashlib.sha256()
    try:
        fd = opener.open(artifact.path)
    except (PathEscape, OSError) as exc:  # it was there a moment ago, when the archive began
        raise GateFailed(f"archive refused: {artifact.path} changed while it was being archived ({exc})") from None
    with open(fd, "rb", buffering=0) as fh:
        left = artifact.size
        while left:
            space = out.space()[:left]
            n = fh.readinto(space)
            if not n:
                raise GateFailed(f"archive refused: {artifact.path} shrank while it was being archived")
            digest.update(space[:n])
            out.commit(n)
            left -= n
            if advance:
                advance(n)
        grew = bool(fh.read(1))
    if grew:
        return f"grew past the {artifact.size} bytes the manifest records"
    if digest.hexdigest() != artifact.sha256:
        return f"SHA-256 is {digest.hexdigest()}, manifest says {artifact.sha256}"
    return None


# ---- parallel gzip -----------------------------------------------------------------------------------


def gzip_member(block: bytes | bytearray | memoryview) -> bytes:
    """`block` as one complete gzip member (header, deflate data, CRC-32, size)."""
    deflate = zlib.compressobj(LEVEL if _compressible(block) else 0, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(block) + deflate.flush()
    return _GZIP_HEADER + body + struct.pack("<II", zlib.crc32(block), len(block) & 0xFFFFFFFF)


def _compressible(block: bytes | bytearray | memoryview) -> bool:
    """Whether deflate can shrink the block: evidence is often already compressed (PDF, images, .gz
    logs), and searching such bytes for matches costs as much as compressing text for nothing. Four
    samples quickly compressed decide; a block none of them shrinks is stored as deflate's stored
    blocks (level 0), which any gzip reads. The choice depends only on the bytes: reproducible."""
    size = len(block)
    if size < 4 * _SAMPLE:
        return True
    starts = [n * (size - _SAMPLE) // 3 for n in range(4)]
    return any(len(zlib.compress(block[s : s + _SAMPLE], 1)) < 0.9 * _SAMPLE for s in starts)


class _GzipMembers:
    """A byte stream written as gzip members of BLOCK bytes each, compressed in parallel (zlib releases
    the GIL) and written in order; a bounded number of blocks in flight keeps memory flat. Callers fill
    the current block in place (`space`, `commit`) or copy into it (`write`)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="gzip")
        self.pending: deque[Future[bytes]] = deque()
        self.in_flight = workers() + 1  # enough to keep every core busy; each more costs two blocks
        self.block = bytearray(BLOCK)
        self.used = 0

    def space(self) -> memoryview:
        """The free part of the current block, to read into."""
        return memoryview(self.block)[self.used :]

    def commit(self, n: int) -> None:
        """`n` bytes were put into `space()`."""
        self.used += n
        if self.used == BLOCK:
            self._submit()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            space = self.space()
            n = min(len(space), len(view))
            space[:n] = view[:n]
            view = view[n:]
            self.commit(n)

    def _submit(self) -> None:
        block, self.block, self.used = memoryview(self.block)[: self.used], bytearray(BLOCK), 0
        self.pending.append(self.pool.submit(gzip_member, block))
        while len(self.pending) > self.in_flight:
            self._emit(self.pending.popleft())

    def _emit(self, member: Future[bytes]) -> None:
        data = member.result()
        self.out.write(data)
        self.sha256.update(data)
        self.size += len(data)

    def finish(self) -> None:
        """Compress what is left and write every member."""
        if self.used:
            self._submit()
        while self.pending:
            self._emit(self.pending.popleft())

    def shutdown(self) -> None:
        """Stop the compressing threads; after an error, what is still in flight is dropped."""
        for member in self.pending:
            member.cancel()
        self.pool.shutdown(wait=True)
