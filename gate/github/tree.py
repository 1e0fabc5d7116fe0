"""A commit's files read through the API as data, written into a temporary folder for `gate check`.

Nothing of the pull request is checked out, installed or run: its tree is listed
(`git/trees?recursive=1`), each blob fetched (`git/blobs`), and written as plain bytes. Links are
written as links and confined later by the loaders, as for any launch; a submodule, a tree GitHub
truncates, a path that would leave the folder, or more than the bounds below are refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from gate.errors import GateFailed
from gate.github.client import GitHubClient
from gate.github.types import TreeEntry

MAX_FILES = 20_000
MAX_TOTAL = 1024 * 1024 * 1024  # bytes written for one commit
_LINK = "120000"


@contextmanager
def fetched_tree(client: GitHubClient, sha: str) -> Iterator[Path]:
    """The files of commit `sha`, written from the API into a temporary folder (removed afterwards)."""
    entries = client.tree(sha)
    _check_bounds(sha, entries)
    with tempfile.TemporaryDirectory(prefix="gate-pr-") as tmp:
        root = Path(tmp)
        for entry in entries:
            _write(root, entry, client.blob(entry.sha))
        yield root


def _check_bounds(sha: str, entries: list[TreeEntry]) -> None:
    if len(entries) > MAX_FILES:
        raise GateFailed(f"{sha[:12]} holds {len(entries)} files, more than the {MAX_FILES} this judges")
    total = sum(e.size for e in entries)
    if total > MAX_TOTAL:
        raise GateFailed(f"{sha[:12]} holds {total} bytes, more than the {MAX_TOTAL} this judges")
    links = {e.path for e in entries if e.mode == _LINK}
    for entry in entries:
        parts = PurePosixPath(entry.path).parts
        inside_link = any("/".join(parts[:i]) in links for i in range(1, len(parts)))
        if entry.path.startswith("/") or ".." in parts or not parts or "\\" in entry.path or inside_link:
            raise GateFailed(f"{sha[:12]} holds a path that would leave the folder: {entry.path!r}")


def _write(root: Path, entry: TreeEntry, data: bytes) -> None:
    target = root / entry.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if entry.mode == _LINK:
        os.symlink(data.decode("utf-8", errors="surrogateescape"), target)
        return
    target.write_bytes(data)
    if entry.mode == "100755":
        target.chmod(target.stat().st_mode | stat.S_IXUSR)
