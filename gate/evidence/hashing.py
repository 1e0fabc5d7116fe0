"""Streaming SHA-256 with one reused buffer per thread: flat memory at any file size.

Kept free of the models (and so of pydantic) so `gate evidence verify` starts fast.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
SMALL = 1024 * 1024  # files under this are read in one call and hashed in one update
_local = threading.local()


@dataclass(frozen=True)
class Digest:
    """A SHA-256 digest and the number of bytes it covers."""

    hex: str
    size: int


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of bytes in memory."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> Digest:
    """Hash a file by streaming through one reused per-thread buffer (flat memory at any size)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        return _digest_fd(fd, SMALL)  # a hint of SMALL always takes the streaming path
    finally:
        os.close(fd)


def workers() -> int:
    """Hashing threads: hashlib releases the GIL on large updates, so one per core pays off."""
    return max(1, min(32, os.cpu_count() or 1))


class PathEscape(ValueError):
    """A path that would leave the repository (absolute, `..`, or through a symlink)."""


class _Opener:
    """Opens repository-relative paths quickly and safely.

    Each distinct folder is resolved (symlinks followed) once and checked to lie inside the repository;
    the file itself is opened with O_NOFOLLOW, and only when it is a symlink is its target resolved and
    checked. Resolving every path in full costs a syscall per component per file, which dominated the
    time of verifying many small files.
    """

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self.folders: dict[str, str] = {}
        self.lock = threading.Lock()

    def _inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.root + os.sep)

    def _folder(self, rel_folder: str) -> str:
        real = self.folders.get(rel_folder)
        if real is None:
            real = os.path.realpath(os.path.join(self.root, rel_folder))
            if not self._inside(real):
                raise PathEscape(f"folder {rel_folder!r} resolves outside the repository (through a symlink)")
            with self.lock:
                self.folders[rel_folder] = real
        return real

    def open(self, rel: str) -> int:
        from gate.paths import check_relative

        problem = check_relative(rel)
        if problem:
            raise PathEscape(problem)
        folder, _, name = rel.rpartition("/")
        path = os.path.join(self._folder(folder), name)
        try:
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
        real = os.path.realpath(path)  # the file is a symlink: allowed only if it stays inside
        if not self._inside(real):
            raise PathEscape(f"path {rel!r} resolves outside the repository (through a symlink)") from None
        return os.open(real, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))


def _digest_fd(fd: int, size_hint: int) -> Digest:
    if size_hint < SMALL:
        data = os.read(fd, size_hint + 1)
        if len(data) <= size_hint:  # read it all in one call: one hash update, no buffer loop
            return Digest(hashlib.sha256(data).hexdigest(), len(data))
        digest, size = hashlib.sha256(data), len(data)
    else:
        digest, size = hashlib.sha256(), 0
    with open(fd, "rb", buffering=0, closefd=False) as fh:
        buf = getattr(_local, "buf", None)
        if buf is None:
            buf = _local.buf = bytearray(CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(view):
            digest.update(view[:n])
            size += n
    return Digest(digest.hexdigest(), size)


HashResult = Digest | PathEscape | OSError


def describe(outcome: OSError) -> str:
    """A file problem as a person reads it."""
    if isinstance(outcome, FileNotFoundError):
        return "file is missing"
    if isinstance(outcome, IsADirectoryError):
        return "path is a directory, not a file"
    return f"cannot read: {outcome.strerror or outcome}"


def mismatch(sha256: str, size: int, actual: Digest) -> str | None:
    """What differs between a recorded digest and size and the file's, or None."""
    problems = []
    if actual.hex != sha256:
        problems.append(f"SHA-256 is {actual.hex}, manifest says {sha256}")
    if actual.size != size:
        problems.append(f"size is {actual.size} bytes, manifest says {size}")
    return "; ".join(problems) or None


def _one(opener: _Opener, rel: str, size_hint: int) -> HashResult:
    try:
        fd = opener.open(rel)
    except (PathEscape, OSError) as exc:
        return exc
    try:
        return _digest_fd(fd, size_hint)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)


def hash_many(
    root: Path, files: Sequence[tuple[str, int]], progress: Callable[[int], None] | None = None
) -> list[HashResult]:
    """Hash repository-relative files (path, expected size) in parallel; results in input order.

    The work is split into one balanced batch per core up front (largest files first), so the only
    per-file cost in Python is the open/read/close itself — no future or queue per file.
    """
    opener = _Opener(root)
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
            results[i] = _one(opener, *files[i])
            if progress:
                progress(files[i][1])

    threads = [threading.Thread(target=run, args=(b,)) for b in batches[1:]]
    for t in threads:
        t.start()
    run(batches[0])
    for t in threads:
        t.join()
    return [r if r is not None else OSError("not hashed") for r in results]
