"""Streaming SHA-256 with one reused buffer per thread: flat memory at any file size.

Kept free of the models (and so of pydantic) so `gate evidence verify` starts fast.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import stat
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.paths import NotAFile, Opener, PathEscape, TooBig

CHUNK = 2 * 1024 * 1024  # a huge page: see `buffer`
SMALL = 1024 * 1024  # files under this are read in one call and hashed in one update
_local = threading.local()


@dataclass(frozen=True)
class Digest:
    """A SHA-256 digest and the number of bytes it covers."""

    hex: str
    size: int


# How far long work has come: (bytes done, bytes in all). Called from worker threads, often: the
# command line draws it on a terminal; the core only reports.
Progress = Callable[[int, int], None]
Advance = Callable[[int], None]


class Tally:
    """Counts bytes done (from any thread) towards a total and tells a `Progress` of each step."""

    def __init__(self, total: int, progress: Progress) -> None:
        self.total = total
        self.done = 0
        self.progress = progress
        self.lock = threading.Lock()

    def __call__(self, n: int) -> None:
        with self.lock:
            self.done += n
            # Files may have grown since the manifest recorded their size: never report past 100%.
            self.total = max(self.total, self.done)
            self.progress(self.done, self.total)


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of bytes in memory."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, advance: Advance | None = None) -> Digest:
    """Hash a file by streaming through one reused per-thread buffer (flat memory at any size).

    For files outside any launch (an archive, a packet given on the command line); a launch's own
    files are hashed through `hash_many`, which confines them to the repository.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotAFile(errno.EINVAL, f"{path} is not a regular file")
        return _digest_fd(fd, SMALL, advance)  # a hint of SMALL always takes the streaming path
    finally:
        os.close(fd)


def sha256_inside(root: Path, rel: str, advance: Advance | None = None) -> Digest:
    """Hash the repository file `rel`, confined like every launch file (PathEscape, NotAFile, OSError)."""
    fd = Opener(root).open(rel)
    try:
        return _digest_fd(fd, SMALL, advance)
    finally:
        os.close(fd)


def workers() -> int:
    """Hashing threads: hashlib releases the GIL on large updates, so one per core pays off."""
    return max(1, min(32, os.cpu_count() or 1))


def buffer() -> memoryview:
    """This thread's reusable CHUNK-sized read buffer, mapped on its own.

    Not a bytearray: malloc places one of this size in a mapping of its own, unaligned, of small
    pages, and the kernel's copy of each read into it then cost as much system time as the hashing
    (1 GiB: 0.55 s of system time against 0.10 s). A mapping of whole huge pages (2 MiB, asked for
    where the kernel wants it asked) takes the copy at full speed.
    """
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = mmap.mmap(-1, CHUNK)
        if hasattr(mmap, "MADV_HUGEPAGE"):
            buf.madvise(mmap.MADV_HUGEPAGE)
    return memoryview(buf)


def _digest_fd(fd: int, size_hint: int, advance: Advance | None = None) -> Digest:
    if size_hint < SMALL:
        data = os.read(fd, size_hint + 1)
        if len(data) <= size_hint:  # read it all in one call: one hash update, no buffer loop
            if advance:
                advance(len(data))
            return Digest(hashlib.sha256(data).hexdigest(), len(data))
        digest, size = hashlib.sha256(data), len(data)
    else:
        digest, size = hashlib.sha256(), 0
    with open(fd, "rb", buffering=0, closefd=False) as fh:
        view = buffer()
        while n := fh.readinto(view):
            digest.update(view[:n])
            size += n
            if advance:  # per chunk, so one large file moves the progress too
                advance(n)
    return Digest(digest.hexdigest(), size)


HashResult = Digest | PathEscape | OSError


def describe(outcome: OSError) -> str:
    """A file problem as a person reads it."""
    if isinstance(outcome, FileNotFoundError):
        return "file is missing"
    if isinstance(outcome, IsADirectoryError):
        return "path is a directory, not a file"
    if isinstance(outcome, NotAFile | TooBig):
        return str(outcome.strerror)
    return f"cannot read: {outcome.strerror or outcome}"


LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def lfs_pointer(root: Path, rel: str) -> bool:
    """Whether the file is a Git LFS pointer (the file itself was never pulled): asked only on a
    mismatch, so it costs nothing when all is well."""
    try:
        fd = Opener(root).open(rel)
    except (PathEscape, OSError):
        return False
    try:
        return os.read(fd, len(LFS_POINTER)) == LFS_POINTER
    finally:
        os.close(fd)


LFS_HINT = "it is a Git LFS pointer, not the file: run `git lfs pull`"


def mismatch(sha256: str, size: int, actual: Digest) -> str | None:
    """What differs between a recorded digest and size and the file's, or None."""
    problems = []
    if actual.hex != sha256:
        problems.append(f"SHA-256 is {actual.hex}, manifest says {sha256}")
    if actual.size != size:
        problems.append(f"size is {actual.size} bytes, manifest says {size}")
    return "; ".join(problems) or None


def _one(opener: Opener, rel: str, size_hint: int, advance: Advance | None) -> HashResult:
    try:
        fd = opener.open(rel)
    except (PathEscape, OSError) as exc:
        return exc
    try:
        return _digest_fd(fd, size_hint, advance)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)


def hash_many(root: Path, files: Sequence[tuple[str, int]], progress: Progress | None = None) -> list[HashResult]:
    """Hash repository-relative files (path, expected size) in parallel; results in input order.

    The work is split into one balanced batch per core up front (largest files first), so the only
    per-file cost in Python is the open/read/close itself — no future or queue per file.
    `progress(done, total)` hears of every chunk read, from the hashing threads.
    """
    advance = Tally(sum(size for _, size in files), progress) if progress else None
    opener = Opener(root)
    results: list[HashResult | None] = [None] * len(files)
    order = sorted(range(len(files)), key=lambda i: -files[i][1])
    batches: list[list[int]] = [[] for _ in range(min(workers(), max(1, len(files))))]
    loads = [0] * len(batches)
    for i in order:
        k = loads.index(min(loads))
        batches[k].append(i)
        loads[k] += files[i][1] + 4096  # an open costs something even for an empty file

    def run(batch: list[int]) -> None:
        for i in batch:
            results[i] = _one(opener, *files[i], advance)

    threads = [threading.Thread(target=run, args=(b,)) for b in batches[1:]]
    for t in threads:
        t.start()
    run(batches[0])
    for t in threads:
        t.join()
    return [r if r is not None else OSError("not hashed") for r in results]
