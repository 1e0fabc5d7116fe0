"""Benchmark `gate check` as a whole process, against check-jsonschema measured in the same run.

    python3 bench/bench_check.py [--runs 21] [--sizes 1000,10000] [--before DIR]

1. This repository: median wall time of `gate check` vs `check-jsonschema --schemafile
   schemas/checklist.schema.json checklist.yaml` (the target: gate at most 0.5x of it), and vs
   check-jsonschema over all three kinds of files (one process per schema, as a pre-commit hook runs
   it; summed per round). The commands run in interleaved rounds (gate, peer, peer, gate, ...), so a
   neighbour's load on a shared machine falls on both sides of each ratio alike; CPU time (user + sys)
   is reported beside wall time because it moves less with that load.
2. Start-up of the commands a hook runs: `gate --help`, `gate evidence verify`. With `--before DIR`
   (an earlier commit's whole tree: `git archive COMMIT | tar -x -C DIR`), that gate on its own launch
   files, and check-jsonschema on them, in the same rounds; and on launches generated from them.
3. Generated launches with N items and N evidence files (1 KiB each): median time and peak RSS, to show
   both grow linearly.
Prints a Markdown report (paste into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EARLIER = [sys.executable, "-P", "-m", "gate"]  # an earlier gate, found through PYTHONPATH


@dataclass
class Runs:
    """Every measurement of one command line (several processes summed per round)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_kib: int = 0
    codes: set[int] = field(default_factory=set)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)


# Installed packages carry their compiled bytecode; a source checkout writes it on first run. A
# sandbox may forbid that (PYTHONDONTWRITEBYTECODE), which would make gate alone recompile itself on
# every run: the processes measured here may write it, and a warm-up run does.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + sys) and exit code of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


# argvs run one after another, their env (None: ENV) and folder (None: the one `rounds` is given)
Command = tuple[list[list[str]], dict[str, str] | None, Path | None]


LAUNCHER = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL);"
    " _, s, u = os.wait4(p.pid, 0); print(os.waitstatus_to_exitcode(s), u.ru_maxrss)"
)


def peak_rss(argv: list[str], cwd: Path, env: dict[str, str] | None) -> int:
    """Peak RSS (KiB) of one run, reported by a small launcher: Linux carries a process's peak RSS
    across exec, so a child of this process (grown by generating launches) would inherit ours."""
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *argv], cwd=cwd, env=env or ENV, capture_output=True)
    return int(done.stdout.split()[1])


def rounds(commands: dict[str, Command], cwd: Path, count: int) -> dict[str, Runs]:
    """`count` rounds after a warm-up; each round runs every command once (its argvs summed),
    alternating the order between rounds so neither side always runs on a warmer machine."""
    results = {name: Runs() for name in commands}
    names = list(commands)
    for name, (argvs, env, where) in commands.items():
        results[name].rss_kib = max(peak_rss(argv, where or cwd, env) for argv in argvs)  # also the warm-up
    for n in range(count):
        for name in names if n % 2 == 0 else reversed(names):
            wall = cpu = 0.0
            argvs, env, where = commands[name]
            for argv in argvs:
                elapsed, used, code = run(argv, where or cwd, env)
                wall, cpu = wall + elapsed, cpu + used
                results[name].codes.add(code)
            results[name].wall.append(wall)
            results[name].cpu.append(cpu)
    return results


def peer_argvs(repo: Path) -> list[list[str]]:
    """check-jsonschema over the same YAML/JSON files and the same schemas gate checks."""
    cj = str(BIN / "check-jsonschema")
    signoffs = sorted(str(p.relative_to(repo)) for p in (repo / "signoffs").glob("*.yaml"))
    return [
        [cj, "--schemafile", "schemas/checklist.schema.json", "checklist.yaml"],
        [cj, "--schemafile", "schemas/signoff.schema.json", *signoffs],
        [cj, "--schemafile", "schemas/evidence-manifest.schema.json", "evidence-manifest.json"],
    ]


def generate(base: Path, n: int, root: Path = ROOT) -> Path:
    """A launch with `root`'s checklist plus `n` P0 items, each proven by its own 1 KiB evidence file."""
    repo = base / f"launch-{n}"
    shutil.copytree(root / "signoffs", repo / "signoffs")
    shutil.copytree(root / "schemas", repo / "schemas")
    (repo / "evidence" / "gen").mkdir(parents=True)
    lines = [(root / "checklist.yaml").read_text(encoding="utf-8")]
    artifacts = []
    for i in range(n):
        body = (f"evidence {i}\n" * 80)[:1024].encode()
        path = f"evidence/gen/ev-{i:05d}.txt"
        (repo / path).write_bytes(body)
        lines.append(
            f"  - id: GEN-{i:05d}\n    section: D\n    title: Generated check {i}\n    priority: P0\n"
            f"    owner: ops-lead\n    area: operations-sre\n    validation: evidence file present\n"
            f"    evidence:\n      - {{id: ev-{i:05d}, kind: report, description: generated report {i}}}\n"
        )
        artifacts.append(
            {
                "id": f"ev-{i:05d}",
                "path": path,
                "sha256": hashlib.sha256(body).hexdigest(),
                "size": len(body),
                "items": [f"GEN-{i:05d}"],
                "areas": [],
                "captured_at": "2026-11-01T00:00:00Z",
                "kind": "report",
            }
        )
    (repo / "checklist.yaml").write_text("".join(lines), encoding="utf-8")
    manifest = {"version": 1, "artifacts": artifacts, "commands": []}
    (repo / "evidence-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return repo


def row(label: str, runs: Runs) -> str:
    codes = ",".join(str(c) for c in sorted(runs.codes))
    return (
        f"| {label} (exit {codes}) | {runs.median_wall * 1000:.0f} ms | {runs.median_cpu * 1000:.0f} ms"
        f" | {runs.rss_kib / 1024:.0f} MiB |"
    )


def this_repository(count: int, before: Path | None) -> None:
    gate = str(BIN / "gate")
    peers = peer_argvs(ROOT)
    if [run(argv, ROOT)[2] for argv in peers] != [0, 0, 0]:
        raise SystemExit("check-jsonschema rejected the files: the comparison would be unfair")
    commands: dict[str, Command] = {
        "gate check": ([[gate, "check"]], None, None),
        "check-jsonschema checklist": (peers[:1], None, None),
        "check-jsonschema all": (peers, None, None),
        "gate --help": ([[gate, "--help"]], None, None),
        "gate evidence verify": ([[gate, "evidence", "verify"]], None, None),
    }
    if before:  # an earlier commit's tree, on its own launch files, against check-jsonschema on them
        commands["before: gate check"] = ([[*EARLIER, "check"]], {**ENV, "PYTHONPATH": str(before)}, before)
        commands["before: check-jsonschema"] = (peer_argvs(before)[:1], None, before)
    results = rounds(commands, ROOT, count)
    ours, one, three = results["gate check"], results["check-jsonschema checklist"], results["check-jsonschema all"]
    print("| this repository | median wall | median CPU | peak RSS |\n| --- | --- | --- | --- |")
    print(row("`gate check`", ours))
    print(row("`check-jsonschema --schemafile schemas/checklist.schema.json checklist.yaml`", one))
    print(row("`check-jsonschema`, 3 schemas over the same files as gate (3 processes)", three))
    print(row("`gate --help`", results["gate --help"]))
    print(row("`gate evidence verify`", results["gate evidence verify"]))
    print(
        f"\nRatio, gate check / check-jsonschema on checklist.yaml: **{ours.median_wall / one.median_wall:.2f}x**"
        f" wall ({ours.median_cpu / one.median_cpu:.2f}x CPU); over the 3 schemas:"
        f" {ours.median_wall / three.median_wall:.2f}x wall."
    )
    if before:
        old, peer = results["before: gate check"], results["before: check-jsonschema"]
        print(f"\nBefore ({before.name}, on its own launch files, in the same rounds):\n")
        print("| before | median wall | median CPU | peak RSS |\n| --- | --- | --- | --- |")
        print(row("`gate check`", old))
        print(row("`check-jsonschema --schemafile schemas/checklist.schema.json checklist.yaml`", peer))
        wall, cpu = old.median_wall / peer.median_wall, old.median_cpu / peer.median_cpu
        print(f"\nRatio before: {wall:.2f}x wall ({cpu:.2f}x CPU).")
    print()


def generated(sizes: list[int], count: int, before: Path | None) -> None:
    gate = str(BIN / "gate")
    head = "| generated launch | median wall | peak RSS | per item |"
    if before:
        head += " before: median wall | before: peak RSS |"
    print(head + "\n" + "| --- " * (head.count("|") - 1) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            repo = generate(Path(tmp) / "now", n)
            commands: dict[str, Command] = {"now": ([[gate, "check", "--repo", str(repo)]], None, None)}
            if before:
                old = generate(Path(tmp) / "before", n, before)
                argv = [*EARLIER, "check", "--repo", str(old)]
                commands["before"] = ([argv], {**ENV, "PYTHONPATH": str(before)}, None)
            runs = rounds(commands, repo, count)
            now = runs["now"]
            line = f"| {n} items + {n} files | {now.median_wall:.2f} s | {now.rss_kib / 1024:.0f} MiB"
            line += f" | {now.median_wall / n * 1e6:.0f} µs |"
            if before:
                line += f" {runs['before'].median_wall:.2f} s | {runs['before'].rss_kib / 1024:.0f} MiB |"
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--sizes", default="1000,10000", help="generated launches (empty: skip)")
    parser.add_argument(
        "--before", type=Path, default=None, help="an earlier commit's tree (git archive COMMIT | tar -x -C DIR)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {args.runs} interleaved rounds,"
        f" load average {load:.1f} at the start\n"
    )
    this_repository(args.runs, args.before)
    if args.sizes:
        generated([int(s) for s in args.sizes.split(",")], max(3, args.runs // 5), args.before)


if __name__ == "__main__":
    main()
