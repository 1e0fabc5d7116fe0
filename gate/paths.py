"""Repository-relative paths that can never leave the repository."""

from __future__ import annotations

from pathlib import Path


def check_relative(path: str) -> str | None:
    """Why `path` is not an acceptable repository-relative path (lexically), or None if it is."""
    if not path or "\x00" in path:
        return "path is empty or contains a NUL byte"
    if "\\" in path:
        return f"path {path!r} uses a backslash: write repository paths with forward slashes"
    # Plain string checks, not PurePosixPath: this runs once per artifact on the hashing fast path.
    if path.startswith("/"):
        return f"path {path!r} is absolute: paths are relative to the repository root"
    if ".." in path.split("/"):
        return f"path {path!r} contains '..': paths may not leave the repository"
    return None


def resolve_inside(root: Path, path: str) -> Path:
    """The real location of `path` under `root`, or ValueError when it would leave the repository.

    Symlinks are followed: one whose target lies outside the repository is refused even if the link
    itself is inside, because hashing its target would certify a file nobody reviewed.
    """
    problem = check_relative(path)
    if problem:
        raise ValueError(problem)
    real_root = root.resolve()
    target = (real_root / path).resolve()
    if target != real_root and real_root not in target.parents:
        raise ValueError(f"path {path!r} resolves outside the repository (through a symlink)")
    return target
