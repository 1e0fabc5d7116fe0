"""Fixtures every test directory shares (plain helpers are in tests/helpers.py).

- `cli(*argv)`: `gate.cli.main` in-process; a `Run` (exit code, stdout, stderr). Usage errors
  (argparse's `SystemExit`) come back as their exit code like any other.
- `run_gate(*argv)`: the same as a tuple `(code, out, err)`.
- `check(repo, *extra)`: `gate check --format json --at AT`: (exit code, scorecard).
- `repo_copy`: a copy of the frozen root launch in `tmp_path / "repo"` (the rest of tmp_path is "outside").
- Session-wide git identity (`GIT_AUTHOR_*`, `GIT_COMMITTER_*`), so tests can commit in real repositories.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from tests.helpers import AT, ROOT, Run, copy_frozen_launch

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Gate Tests",
    "GIT_AUTHOR_EMAIL": "gate-tests@example.invalid",
    "GIT_COMMITTER_NAME": "Gate Tests",
    "GIT_COMMITTER_EMAIL": "gate-tests@example.invalid",
    # A developer's own git config (signing, hooks, default branch) must not change what tests see.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

GateRunner = Callable[..., Run]
RunGate = Callable[..., tuple[int, str, str]]
Check = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture(autouse=True, scope="session")
def git_identity() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in GIT_ENV.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the frozen root launch in `tmp_path / "repo"` (the rest of tmp_path is "outside")."""
    return copy_frozen_launch(tmp_path / "repo")


@pytest.fixture
def cli(capsysbinary: pytest.CaptureFixture[bytes]) -> GateRunner:
    """Run `gate ARGV...` in-process; captured commands echo raw bytes, so output is read as bytes."""

    def run(*argv: str | os.PathLike[str]) -> Run:
        capsysbinary.readouterr()  # what earlier steps printed is not this command's output
        try:
            code = main([os.fspath(a) for a in argv])
        except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version exit 0
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsysbinary.readouterr()
        return Run(code, out.decode("utf-8", "surrogateescape"), err.decode("utf-8", "surrogateescape"))

    return run


@pytest.fixture
def run_gate(cli: GateRunner) -> RunGate:
    def run(*argv: str | os.PathLike[str]) -> tuple[int, str, str]:
        result = cli(*argv)
        return result.code, result.out, result.err

    return run


@pytest.fixture
def check(cli: GateRunner) -> Check:
    def run(repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
        result = cli("check", "--repo", repo, "--format", "json", "--at", AT, *extra)
        card: dict[str, Any] = result.json()
        return result.code, card

    return run
