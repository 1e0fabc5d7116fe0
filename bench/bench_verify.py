"""Benchmark `gate evidence verify` against GNU `sha256sum -c` and the machine's SHA-256 limit.

    python3 bench/bench_verify.py [--runs 5] [--gib 1]

Two data sets of the same total size, from the page cache (each is read once before timing):
one file, and 10,000 files, each added to a launch so `gate check` (which hashes the same files on
the same fast path, after loading and before scoring) runs on it too. The limit is
`openssl speed -evp sha256` on one core (1 MiB blocks) times the number of cores. Whole processes,
medians; peak RSS (from a small launcher: Linux carries a parent's peak RSS across exec) shows memory
staying flat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
LAUNCH = Path(__file__).resolve().parent.parent / "tests" / "data" / "launch"


# Installed packages carry their bytecode; let a source checkout write its own (see bench_check.py).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
LAUNCHER = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL);"
    " _, s, u = os.wait4(p.pid, 0); print(os.waitstatus_to_exitcode(s), u.ru_maxrss)"
)


def timed(argv: list[str], cwd: Path) -> float:
    """Wall seconds of one process, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed in {cwd}")
    return elapsed


def peak_rss(argv: list[str], cwd: Path) -> int:
    """Peak RSS (KiB) of one run, reported by a small launcher process."""
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *argv], cwd=cwd, env=ENV, capture_output=True)
    return int(done.stdout.split()[1])


def median(argv: list[str], cwd: Path, runs: int) -> tuple[float, int]:
    timed(argv, cwd)  # warm-up: bytecode written, files in the page cache
    return statistics.median(timed(argv, cwd) for _ in range(runs)), peak_rss(argv, cwd)


def openssl_limit() -> float:
    """Bytes per second of SHA-256 on one core, as OpenSSL measures it with 1 MiB blocks."""
    out = subprocess.run(
        ["openssl", "speed", "-seconds", "3", "-bytes", "1048576", "-evp", "sha256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kbytes = float(re.findall(r"sha256\s+([0-9.]+)k", out)[-1])
    return kbytes * 1000


def make_set(root: Path, total: int, count: int) -> None:
    """A launch (the frozen root launch of the tests: NO-GO, consistent) plus `count` files of random
    bytes adding up to `total` in its manifest, and a SHA256SUMS of those for sha256sum -c."""
    shutil.copytree(LAUNCH, root)
    (root / "evidence" / "bench").mkdir(parents=True)
    size = total // count
    block = os.urandom(min(size, 1 << 20))
    artifacts, sums = [], []
    for i in range(count):
        path = f"evidence/bench/f{i:05d}.bin"
        digest = hashlib.sha256()
        with (root / path).open("wb") as fh:
            left = size
            while left:
                chunk = block[: min(left, len(block))]
                chunk = i.to_bytes(4, "big") + chunk[4:] if left == size else chunk
                fh.write(chunk)
                digest.update(chunk)
                left -= len(chunk)
        hexd = digest.hexdigest()
        artifacts.append(
            {"id": f"f{i}", "path": path, "sha256": hexd, "size": size, "captured_at": "2026-11-01T00:00:00Z"}
        )
        sums.append(f"{hexd}  {path}\n")
    manifest = json.loads((root / "evidence-manifest.json").read_text())
    manifest["artifacts"] += artifacts
    (root / "evidence-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (root / "SHA256SUMS").write_text("".join(sums))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gib", type=float, default=1.0)
    args = parser.parse_args()
    total = int(args.gib * (1 << 30))
    cores = os.cpu_count() or 1
    per_core = openssl_limit()
    limit = per_core * cores
    gate = str(BIN / "gate")
    print(
        f"Machine: {cores} cores; openssl sha256 {per_core / 1e9:.2f} GB/s per core -> limit {limit / 1e9:.2f} GB/s\n"
    )
    print(
        "| data | `gate evidence verify` | `gate check` | `sha256sum -c` | speed-up | gate throughput | % of limit"
        " | gate peak RSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for count in (1, 10_000):
            root = Path(tmp) / f"set-{count}"
            make_set(root, total, count)
            timed(["cat", *[str(p) for p in (root / "evidence" / "bench").iterdir()]], root)  # warm the page cache
            ours, rss = median([gate, "evidence", "verify"], root, args.runs)
            check, _ = median([gate, "check"], root, args.runs)
            peer, _ = median(["sha256sum", "--quiet", "-c", "SHA256SUMS"], root, args.runs)
            rate = total / ours
            print(
                f"| {args.gib:g} GiB in {count} file(s) | {ours:.2f} s | {check:.2f} s | {peer:.2f} s"
                f" | {peer / ours:.1f}x | {rate / 1e9:.2f} GB/s | {100 * rate / limit:.0f}% | {rss / 1024:.0f} MiB |"
            )


if __name__ == "__main__":
    main()
