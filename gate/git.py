"""The git binary, in one place: commands, a commit's tree as files, and annotated tags.

A commit is judged from its tree objects (`ls-tree` + `cat-file`), never from `git archive`: a
committed `.gitattributes` can make `git archive` leave files out (`export-ignore`) or rewrite them
(`export-subst`), and a release must judge exactly what the commit holds.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO

from gate.errors import ExternalError, GateError, GateFailed, UsageError
from gate.paths import MAX_UNPACKED

CHUNK = 1024 * 1024
_MODE_FILE = ("100644", "100755")
_MODE_LINK = "120000"


def run_git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`git -C repo ARGS…`, never prompting for credentials (in CI a prompt is a hang, not a question)."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True, env=env, check=False
        )
    except FileNotFoundError:
        raise UsageError("this needs the git command, which is not installed") from None


def git_out(repo: Path, *args: str, stdin: str | None = None, error: type[GateError] = ExternalError) -> str:
    """The stripped standard output of a git command that must succeed; `error` carries git's message."""
    done = run_git(repo, *args, stdin=stdin)
    if done.returncode:
        command = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        raise error(f"git {command}: {done.stderr.strip()}")
    return done.stdout.strip()


def resolve_commit(repo: Path, rev: str) -> str:
    """`rev` as a full commit id, or UsageError naming what git said."""
    if rev.strip("0") == "":
        raise UsageError(f"{rev} names no commit (a deleted branch's push?)")
    done = run_git(repo, "rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode:
        raise UsageError(f"{rev} names no commit in {repo} (git: {done.stderr.strip()})")
    return done.stdout.strip()


def head_commit(repo: Path) -> str:
    """The checked-out commit."""
    return git_out(repo, "rev-parse", "--verify", "HEAD^{commit}", error=UsageError)


def commit_time(repo: Path, sha: str) -> datetime:
    """When `sha` was committed: for a merge, squash or rebase by GitHub, the moment of the merge."""
    return datetime.fromisoformat(git_out(repo, "show", "-s", "--format=%cI", sha))


# ---- a commit's tree, as files -------------------------------------------------------------------------


MAX_TREE_FILES = 100_000


@contextmanager
def export_tree(repo: Path, rev: str, max_bytes: int = MAX_UNPACKED) -> Iterator[Path]:
    """The launch folder (`repo`, which may be a subfolder of the git work tree) exactly as committed in
    `rev`, written from its tree objects into a temporary folder — refused, before anything is written,
    when it holds more than `max_bytes` or MAX_TREE_FILES files (a commit is input like any other)."""
    commit = resolve_commit(repo, rev)
    prefix = git_out(repo, "rev-parse", "--show-prefix").rstrip("/")
    treeish = f"{commit}:{prefix}" if prefix else commit
    entries = _tree_entries(repo, treeish)
    total = sum(size for *_, size in entries)
    if len(entries) > MAX_TREE_FILES:
        raise GateFailed(f"{rev}: refused: more than {MAX_TREE_FILES} files (the limit)")
    if total > max_bytes:
        raise GateFailed(
            f"{rev}: refused: its files hold {total} bytes, more than {max_bytes} (the limit; see --max-size)"
        )
    with tempfile.TemporaryDirectory(prefix="gate-tree-") as tmp:
        _write_entries(repo, entries, Path(tmp))
        yield Path(tmp)


def _tree_entries(repo: Path, treeish: str) -> list[tuple[str, str, str, int]]:
    """(mode, object id, path, size) of every blob under `treeish`; submodules and odd paths are refused."""
    done = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "-z", "-l", "--full-tree", treeish], capture_output=True, check=False
    )
    if done.returncode:
        raise UsageError(f"git ls-tree {treeish}: {done.stderr.decode(errors='replace').strip()}")
    out = []
    for record in done.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, oid, size = meta.decode().split()  # the size is right-aligned: split on any run
        path = raw_path.decode("utf-8", errors="surrogateescape")
        parts = PurePosixPath(path).parts
        if path.startswith("/") or ".." in parts or not parts:
            raise GateFailed(f"{treeish}: the commit holds a path that would leave the folder: {path!r}")
        if kind != "blob" or mode not in (*_MODE_FILE, _MODE_LINK):
            raise GateFailed(f"{treeish}: {path} is a {kind} (mode {mode}): only files and links are judged")
        out.append((mode, oid, path, int(size)))
    return out


def _write_entries(repo: Path, entries: list[tuple[str, str, str, int]], dest: Path) -> None:
    proc = subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        for mode, oid, path, _size in entries:
            proc.stdin.write(f"{oid}\n".encode())
            proc.stdin.flush()
            _write_blob(proc.stdout, mode, path, dest)
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def _write_blob(stream: IO[bytes], mode: str, path: str, dest: Path) -> None:
    header = stream.readline().decode().split()
    if len(header) != 3 or header[1] != "blob":
        raise ExternalError(f"git cat-file: unexpected answer for {path}: {' '.join(header)}")
    size = int(header[2])
    target = dest / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == _MODE_LINK:
        link = stream.read(size).decode("utf-8", errors="surrogateescape")
        os.symlink(link, target)  # confined later, like any link in a launch, by the loaders
    else:
        with open(target, "wb") as fh:
            remaining = size
            while remaining:
                chunk = stream.read(min(CHUNK, remaining))
                if not chunk:
                    raise ExternalError(f"git cat-file: {path} ended early")
                fh.write(chunk)
                remaining -= len(chunk)
        if mode == "100755":
            target.chmod(target.stat().st_mode | stat.S_IXUSR)
    stream.read(1)  # the newline after each object


# ---- annotated tags ------------------------------------------------------------------------------------


def check_tag_name(repo: Path, tag: str) -> None:
    """Refuse a tag name git would not accept."""
    if run_git(repo, "check-ref-format", f"refs/tags/{tag}").returncode:
        raise UsageError(f"the release tag {tag!r} is not a valid git tag name")


def local_tag(repo: Path, tag: str, sha: str, message: str) -> bool:
    """Create the annotated tag locally (True), or accept the annotated one already on `sha` (False)."""
    found = run_git(repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}")
    if found.returncode == 0:
        target = found.stdout.strip()
        if target != sha:
            raise GateFailed(f"not releasing: tag {tag} already exists here on {target[:12]}, not on {sha[:12]}")
        if git_out(repo, "cat-file", "-t", f"refs/tags/{tag}") != "tag":
            raise GateFailed(f"tag {tag} exists here but is not annotated; a release tag must carry its decision")
        return False
    # verbatim: the default clean-up would drop a line starting with "#", such as a PR number.
    git_out(repo, *_identity(repo), "tag", "-a", "--cleanup=verbatim", "-F", "-", tag, sha, stdin=message)
    return True


def remote_tag(repo: Path, remote: str, tag: str, sha: str, message: str) -> bool:
    """Push the annotated tag to `remote` (True) unless it is already there on `sha` (False)."""
    found = remote_tag_commit(repo, remote, tag)
    if found == sha:
        return False
    if found is not None:
        raise GateFailed(f"not releasing: tag {tag} already exists on {remote} on {found[:12]}, not on {sha[:12]}")
    local_tag(repo, tag, sha, message)
    pushed = run_git(repo, "push", "--quiet", remote, f"refs/tags/{tag}:refs/tags/{tag}")
    if pushed.returncode:
        if remote_tag_commit(repo, remote, tag) == sha:  # a concurrent run pushed the same tag first
            return False
        raise ExternalError(f"git push {remote} refs/tags/{tag} failed: {pushed.stderr.strip()}")
    return True


def remote_tag_commit(repo: Path, remote: str, tag: str) -> str | None:
    """The commit `refs/tags/<tag>` names on `remote` (peeled through an annotated tag), or None."""
    ref = f"refs/tags/{tag}"
    listed = run_git(repo, "ls-remote", "--tags", remote, ref, f"{ref}^{{}}")  # the second: the peeled commit
    if listed.returncode:
        raise ExternalError(f"git ls-remote {remote}: {listed.stderr.strip()} (cannot tell whether {tag} exists)")
    refs: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        commit, _, name = line.partition("\t")
        refs[name] = commit
    return refs.get(f"{ref}^{{}}") or refs.get(ref)


def _identity(repo: Path) -> list[str]:
    """Who tags: the configured identity, else a stand-in so a bare CI runner can still tag."""
    if run_git(repo, "var", "GIT_COMMITTER_IDENT").returncode == 0:
        return []
    return ["-c", "user.name=gate release", "-c", "user.email=gate-release@localhost"]
