"""Fixtures every test directory shares.

- `project_root`: the repository this test suite belongs to (the VirtEngine launch and the `gate` tool).
- `repo_copy`: a fresh copy of the root launch's files (checklist, sign-offs, manifest, evidence,
  decisions, schemas) in `tmp_path / "repo"`, to flip one thing in and run `gate` on.
- `run_gate(*args)`: `gate.cli.main` in-process; returns `(exit_code, stdout, stderr)`. Usage errors
  (argparse's `SystemExit`) come back as their exit code like any other.
- Session-wide git identity (`GIT_AUTHOR_*`, `GIT_COMMITTER_*`), so tests can commit in real repositories.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gate.cli import main

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAUNCH_FILES = ("checklist.yaml", "evidence-manifest.json")
LAUNCH_DIRS = ("signoffs", "evidence", "decisions", "schemas")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Gate Tests",
    "GIT_AUTHOR_EMAIL": "gate-tests@example.invalid",
    "GIT_COMMITTER_NAME": "Gate Tests",
    "GIT_COMMITTER_EMAIL": "gate-tests@example.invalid",
    # A developer's own git config (signing, hooks, default branch) must not change what tests see.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

RunGate = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True, scope="session")
def git_identity() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in GIT_ENV.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


def copy_launch(dest: Path) -> Path:
    """Copy the root launch's files into `dest` (created); returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in LAUNCH_FILES:
        shutil.copy2(PROJECT_ROOT / name, dest / name)
    for name in LAUNCH_DIRS:
        if (PROJECT_ROOT / name).is_dir():
            shutil.copytree(PROJECT_ROOT / name, dest / name, symlinks=True)
    return dest


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's own launch in `tmp_path / "repo"` (the rest of tmp_path is "outside")."""
    return copy_launch(tmp_path / "repo")


@pytest.fixture
def run_gate(capsys: pytest.CaptureFixture[str]) -> RunGate:
    def run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
        capsys.readouterr()  # what earlier steps printed is not this command's output
        try:
            code = main([os.fspath(a) for a in args])
        except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run
