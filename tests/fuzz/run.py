"""Fuzz `gate check` with seeded mutations of examples/go: never a crash, never a hang, never a false GO.

    python3 -m tests.fuzz.run --mutations 2000 --seed 1 --jobs 2 [--seconds 120]

Each mutation is applied to a private copy of the example (restored after each run), then
`gate check --require-go --format json --at AT` runs in-process. A run fails on exit code 3 or any
code outside 0-2, a traceback or "internal error" on stderr, a run longer than `--timeout` seconds, or
exit 0 with GO after a change to something a GO relies on, or a changed launch file that the models'
quick check accepts and pydantic refuses (the quick check may refuse more, never less). Exit status: 0
when every run passed, 1 with the failing seeds (each reproducible alone: `--seed N --mutations 1`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from gate.model import Checklist, Decision, Manifest, Signoff, strict
from gate.model.base import Model
from gate.model.twin import pydantic_model
from gate.yamlread import YamlProblem, parse
from tests.fuzz.mutate import Mutation, mutate
from tests.helpers import AT, EXAMPLES


@dataclass(frozen=True)
class Failure:
    """A seed whose mutation broke a rule, and how."""

    seed: int
    mutation: str
    problem: str


class _Hang(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Hang


def check_once(repo: Path, timeout: float) -> tuple[int, str, str]:
    """`gate check` in-process on `repo`; (exit code, stdout, stderr); raises _Hang after `timeout`."""
    from gate.cli import main

    out, err = io.StringIO(), io.StringIO()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["check", "--repo", str(repo), "--require-go", "--format", "json", "--at", AT])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return code, out.getvalue(), err.getvalue()


# Which model reads which launch file (the quick check and pydantic are asked about each one changed).
def _model_of(rel: str) -> type[Model] | None:
    if rel == "checklist.yaml":
        return Checklist
    if rel == "evidence-manifest.json":
        return Manifest
    folder, _, name = rel.partition("/")
    if name.endswith(".yaml") and "/" not in name:
        return {"signoffs": Signoff, "decisions": Decision}.get(folder)
    return None


def quick_check_holes(repo: Path, rel: str) -> str | None:
    """Why the quick check's answer on the changed file is looser than pydantic's, or None.

    A file that does not parse, or that both refuse or both accept, is fine here; `gate check` judged it.
    """
    model = _model_of(rel)
    path = repo / rel
    if model is None or path.is_symlink() or not path.is_file():
        return None
    try:
        data = parse(path.read_text(encoding="utf-8"), rel).data
    except (YamlProblem, UnicodeDecodeError, OSError):
        return None
    try:
        strict.validate(model, data)
    except Exception:  # refused (or not understood) by the quick check: pydantic decides, as in gate
        return None
    import pydantic

    try:
        pydantic_model(model).model_validate(data)
    except pydantic.ValidationError as exc:
        return f"quick check accepts what pydantic refuses: {rel}: {str(exc).splitlines()[0][:200]}"
    return None


def judge(mutation: Mutation, code: int, out: str, err: str) -> str | None:
    """Why this run breaks a rule, or None."""
    if code not in (0, 1, 2):
        return f"exit code {code}"
    if "Traceback" in err or "internal error" in err:
        return f"crash: {err.strip().splitlines()[-1][:300]}"
    if code == 0 and mutation.guarded:
        try:
            decision = json.loads(out).get("decision")
        except ValueError:
            return "exit 0 with output that is not JSON"
        if decision == "GO":
            return "false GO: a guarded change left the launch GO"
    return None


@contextlib.contextmanager
def _workspace(source: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gate-fuzz-") as tmp:
        repo = Path(tmp) / "launch"
        shutil.copytree(source, repo, symlinks=True)
        yield repo


def _restore(source: Path, repo: Path, rel: str) -> None:
    """Undo one mutation: its one path back as the source has it (or gone, if the source has none)."""
    target = repo / rel
    if target.is_symlink() or target.is_file() or (target.exists() and not target.is_dir()):
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    if (source / rel).exists():
        shutil.copy2(source / rel, target)


def run_seeds(seeds: list[int], timeout: float, source: Path = EXAMPLES / "go") -> list[Failure]:
    """Mutate and check once per seed; every failure found."""
    failures = []
    with _workspace(source) as repo:
        for seed in seeds:
            mutation = mutate(repo, random.Random(seed))
            try:
                code, out, err = check_once(repo, timeout)
                problem = judge(mutation, code, out, err) or quick_check_holes(repo, mutation.target)
            except _Hang:
                problem = f"hang: no answer within {timeout} s"
            except Exception as exc:  # a crash that escaped main() is a failure, not the fuzzer's end
                problem = f"crash outside main: {type(exc).__name__}: {exc}"
            _restore(source, repo, mutation.target)
            if problem:
                failures.append(Failure(seed, str(mutation), problem))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1, help="the first seed; seeds run consecutively")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one check may take")
    args = parser.parse_args(argv)
    seeds = list(range(args.seed, args.seed + args.mutations))
    chunks = [seeds[i :: args.jobs] for i in range(args.jobs)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        failures = [f for found in pool.map(run_seeds, chunks, [args.timeout] * args.jobs) for f in found]
    elapsed = time.perf_counter() - start
    for f in sorted(failures, key=lambda f: f.seed):
        print(f"seed {f.seed}: {f.problem}\n    {f.mutation}")
    crashes = sum(f.problem.startswith(("crash", "exit code")) for f in failures)
    hangs = sum(f.problem.startswith("hang") for f in failures)
    false_go = sum(f.problem.startswith("false GO") for f in failures)
    loose = sum(f.problem.startswith("quick check") for f in failures)
    print(
        f"fuzz: {len(seeds)} mutations of examples/go in {elapsed:.0f} s ({args.jobs} jobs, seeds "
        f"{seeds[0]}-{seeds[-1]}): {crashes} crashes, {hangs} hangs, {false_go} false GO, "
        f"{loose} quick-check answers looser than pydantic's"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
