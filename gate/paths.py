"""Repository-relative paths that can never leave the repository, and the one way files inside it are
opened: launch files and evidence alike; and where the launch repository is.

A path is refused when it is absolute, climbs with `..`, is not in its one canonical spelling (`./x`,
`x//y`, `x/./y`, `x/`), or resolves through a symlink to somewhere outside the repository. A file is
refused when it is not a regular file (a FIFO would block the reader forever, a device such as
/dev/zero would never end), and every read is bounded. Kept free of the models (and of pydantic) so
`gate evidence verify` starts fast.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

from gate.errors import UsageError

# What an archive or a tag's tree may hold when written out to be judged (`gate verify --max-size`).
MAX_UNPACKED = 8 * 1024**3
_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class PathEscape(ValueError):
    """A path that would leave the repository (absolute, `..`, or through a symlink), or is not canonical."""


class NotAFile(OSError):
    """The path names something that is not a regular file (a folder, a FIFO, a device, a socket)."""


class TooBig(OSError):
    """A file larger than the limit the reader was given."""


def canonical(path: str) -> str:
    """The one spelling of a relative path: no empty or `.` parts, no trailing slash."""
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def check_relative(path: str) -> str | None:
    """Why `path` is not an acceptable repository-relative path (lexically), or None if it is."""
    if not path or "\x00" in path:
        return "path is empty or contains a NUL byte"
    if "\\" in path:
        return f"path {path!r} uses a backslash: write repository paths with forward slashes"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return f"path {path!r} contains a control character"
    # Plain string checks, not PurePosixPath: this runs once per artifact on the hashing fast path.
    if path.startswith("/"):
        return f"path {path!r} is absolute: paths are relative to the repository root"
    if ".." in path.split("/"):
        return f"path {path!r} contains '..': paths may not leave the repository"
    if canonical(path) != path:
        return f"path {path!r} is not canonical: write {canonical(path)!r}"
    return None


class Opener:
    """Opens repository-relative paths quickly and safely.

    Each distinct folder is resolved (symlinks followed) once and checked to lie inside the repository;
    the file itself is opened with O_NOFOLLOW (and O_NONBLOCK, so a FIFO cannot block the open), and
    only when it is a symlink is its target resolved and checked. Resolving every path in full costs a
    syscall per component per file, which dominated the time of verifying many small files.
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
        """A file descriptor of the regular file `rel`; PathEscape, NotAFile or OSError otherwise."""
        problem = check_relative(rel)
        if problem:
            raise PathEscape(problem)
        folder, _, name = rel.rpartition("/")
        path = os.path.join(self._folder(folder), name)
        try:
            fd = os.open(path, _FLAGS | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            real = os.path.realpath(path)  # the file is a symlink: allowed only if it stays inside
            if not self._inside(real):
                raise PathEscape(f"path {rel!r} resolves outside the repository (through a symlink)") from None
            fd = os.open(real, _FLAGS)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
            raise NotAFile(errno.EINVAL, f"not a regular file: it is {kind}")
        return fd


def read_inside(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of the regular file `rel` inside `root`, refusing more than `limit` bytes."""
    fd = Opener(root).open(rel)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise TooBig(errno.EFBIG, f"file is {size} bytes; the limit is {limit}")
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise TooBig(errno.EFBIG, f"file grew past the limit of {limit} bytes while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_head(root: Path, rel: str, count: int) -> bytes:
    """The first `count` bytes of the regular file `rel` inside `root` (an excerpt of any size of file)."""
    fd = Opener(root).open(rel)
    try:
        return os.read(fd, count)
    finally:
        os.close(fd)


def resolve_inside(root: Path, path: str) -> Path:
    """The real location of `path` under `root`, or PathEscape when it would leave the repository.

    For a file about to be written (which may not exist yet); reads go through `Opener`.
    """
    problem = check_relative(path)
    if problem:
        raise PathEscape(problem)
    real_root = root.resolve()
    target = (real_root / path).resolve()
    if target != real_root and real_root not in target.parents:
        raise PathEscape(f"path {path!r} resolves outside the repository (through a symlink)")
    return target


def from_here(root: Path, path: str) -> str:
    """`path` as given on the command line, as a path relative to the repository `root`.

    Relative paths are taken from the current folder, as git takes them, so `../../signoffs/x.yaml`
    from `evidence/security` names `signoffs/x.yaml`. From outside the repository (`--repo` naming it
    from elsewhere) the current folder is no part of the launch, so they are taken from its root.
    The path need not exist (who would own a new file?). PathEscape when it leaves the repository.
    """
    real_root = os.path.realpath(root)
    here = os.getcwd()
    inside = here == real_root or here.startswith(real_root + os.sep)
    full = os.path.normpath(os.path.join(here if inside else real_root, path))
    rel = os.path.relpath(full, real_root)
    if rel == ".." or rel.startswith(".." + os.sep):
        # Lexically outside, yet maybe inside through a symlink (an absolute path by another route).
        rel = os.path.relpath(os.path.realpath(full), real_root)
    if rel == ".." or rel.startswith(".." + os.sep):
        raise PathEscape(f"{path} is outside the repository {root}")
    if rel == ".":
        raise PathEscape(f"{path} is the repository itself: name a file or folder in it")
    return rel.replace(os.sep, "/")


def find_root(start: Path, *, explicit: bool, marker: str = "checklist.yaml") -> Path:
    """The launch repository: `start` itself when named explicitly (`--repo`), else the nearest folder
    at or above `start` holding `marker` (checklist.yaml), as git finds its work tree."""
    if explicit:
        if (start / marker).is_file():
            return start
        raise UsageError(f"{start}: not a launch repository (no {marker} in it)")
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / marker).is_file():
            return Path(".") if folder == Path.cwd().resolve() else folder
    raise UsageError(f"not a launch repository (no {marker} here or above)")
