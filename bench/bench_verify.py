"""Benchmark `gate evidence verify` against GNU `sha256sum -c` and the machine's SHA-256 limit.

    python3 bench/bench_verify.py [--runs 5] [--gib 1]

Two data sets of the same total size, from the page cache (each is read once before timing):
one file, and 10,000 files. The limit is `openssl speed -evp sha256` on one core (1 MiB blocks)
times the number of cores. Whole processes, medians; peak RSS shows memory staying flat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed in {cwd}")
    return elapsed, usage.ru_maxrss


def median(argv: list[str], cwd: Path, runs: int) -> tuple[float, int]:
    results = [timed(argv, cwd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


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
    """`count` files of random bytes adding up to `total`, a manifest, and a SHA256SUMS for sha256sum -c."""
    (root / "evidence").mkdir(parents=True)
    size = total // count
    block = os.urandom(min(size, 1 << 20))
    artifacts, sums = [], []
    for i in range(count):
        path = f"evidence/f{i:05d}.bin"
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
    manifest = {"version": 1, "artifacts": artifacts, "commands": []}
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
        "| data | `gate evidence verify` | `sha256sum -c` | speed-up | gate throughput | % of limit | gate peak RSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for count in (1, 10_000):
            root = Path(tmp) / f"set-{count}"
            make_set(root, total, count)
            timed(["cat", *[str(p) for p in (root / "evidence").iterdir()]], root)  # warm the page cache
            ours, rss = median([gate, "evidence", "verify"], root, args.runs)
            peer, _ = median(["sha256sum", "--quiet", "-c", "SHA256SUMS"], root, args.runs)
            rate = total / ours
            print(
                f"| {args.gib:g} GiB in {count} file(s) | {ours:.2f} s | {peer:.2f} s | {peer / ours:.1f}x"
                f" | {rate / 1e9:.2f} GB/s | {100 * rate / limit:.0f}% | {rss / 1024:.0f} MiB |"
            )


if __name__ == "__main__":
    main()
