"""Benchmark `gate check` as a whole process, against check-jsonschema measured in the same run.

    python3 bench/bench_check.py [--runs 15] [--sizes 1000,10000]

1. This repository: median wall time of `gate check` vs `check-jsonschema` validating the same files
   against the same schemas (one process per schema, as a pre-commit hook would run it; summed per run).
2. Generated launches with N items and N evidence files (1 KiB each): median time and peak RSS, to show
   both grow linearly.
Prints a Markdown report (paste into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (KiB) and exit code of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, proc.returncode


def median_of(argvs: list[list[str]], cwd: Path, runs: int) -> tuple[float, int]:
    """Median over `runs` of the summed wall time of `argvs` run one after another; max RSS seen."""
    times, peak = [], 0
    for _ in range(runs):
        total = 0.0
        for argv in argvs:
            elapsed, rss, _ = run(argv, cwd)
            total += elapsed
            peak = max(peak, rss)
        times.append(total)
    return statistics.median(times), peak


def peer_argvs(repo: Path) -> list[list[str]]:
    """check-jsonschema over the same YAML/JSON files and the same schemas gate checks."""
    cj = str(BIN / "check-jsonschema")
    signoffs = sorted(str(p.relative_to(repo)) for p in (repo / "signoffs").glob("*.yaml"))
    return [
        [cj, "--schemafile", "schemas/checklist.schema.json", "checklist.yaml"],
        [cj, "--schemafile", "schemas/signoff.schema.json", *signoffs],
        [cj, "--schemafile", "schemas/evidence-manifest.schema.json", "evidence-manifest.json"],
    ]


def generate(base: Path, n: int) -> Path:
    """A launch with the root checklist plus `n` P0 items, each proven by its own 1 KiB evidence file."""
    repo = base / f"launch-{n}"
    shutil.copytree(ROOT / "signoffs", repo / "signoffs")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    (repo / "evidence" / "gen").mkdir(parents=True)
    lines = [(ROOT / "checklist.yaml").read_text(encoding="utf-8")]
    artifacts = []
    import hashlib

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    gate = str(BIN / "gate")
    code = run([gate, "check"], ROOT)[2]
    peer_codes = [run(argv, ROOT)[2] for argv in peer_argvs(ROOT)]
    if peer_codes != [0, 0, 0]:
        raise SystemExit(f"check-jsonschema rejected the files ({peer_codes}): the comparison would be unfair")
    ours, ours_rss = median_of([[gate, "check"]], ROOT, args.runs)
    peer, peer_rss = median_of(peer_argvs(ROOT), ROOT, args.runs)
    print(f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {args.runs} runs each\n")
    print("| this repository | median wall | peak RSS |\n| --- | --- | --- |")
    print(f"| `gate check` (exit {code}) | {ours * 1000:.0f} ms | {ours_rss / 1024:.0f} MiB |")
    print(f"| `check-jsonschema` (3 schemas, same files) | {peer * 1000:.0f} ms | {peer_rss / 1024:.0f} MiB |")
    print(f"\nRatio: gate takes {ours / peer:.2f}x the time of check-jsonschema ({peer / ours:.1f}x faster).\n")
    print("| generated launch | median wall | peak RSS | per item |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            repo = generate(Path(tmp), n)
            elapsed, rss = median_of([[gate, "check", "--repo", str(repo)]], repo, max(3, args.runs // 3))
            print(f"| {n} items + {n} files | {elapsed:.2f} s | {rss / 1024:.0f} MiB | {elapsed / n * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
