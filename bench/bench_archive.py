"""Benchmark `gate archive` against `tar -czf` of the same files, measured in the same run.

    python3 bench/bench_archive.py [--runs 3] [--gib 1]

A launch (the GO example) with `--gib` GiB more evidence: half node logs (zlib -6 makes them about
3.4x smaller), half random bytes (as PDFs, images and .gz files: incompressible), in 64 MiB files.
Both commands read the page cache (every file is read once before timing), run in alternating order,
as whole processes; medians. Peak RSS comes from wait4 on a small launcher process (Linux carries a process's
peak RSS across exec, so measuring from this process, grown by generating the data, would overstate
it). Also timed: `gate verify` of the archive, `gzip -t` and `tar -xzf` of it.
Prints a Markdown report (paste into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIB = 1024 * 1024
FILE = 64 * MIB
# Reports the peak RSS of the command it starts; small itself, so it cannot inflate the figure.
LAUNCHER = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL);"
    " _, s, u = os.wait4(p.pid, 0); print(os.waitstatus_to_exitcode(s), u.ru_maxrss)"
)


def measured(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one whole process, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *argv], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    code, peak = (int(n) for n in done.stdout.split())
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({code}): {done.stderr}")
    return elapsed, peak


LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
PARTS = ("consensus", "p2p", "mempool", "rpc", "store", "state", "evidence", "blocksync")
EVENTS = (
    "committed block height=%d hash=%016x txs=%d",
    "peer %016x connected latency=%dms queue=%d",
    "validated tx %016x gas=%d fee=%d",
    "request /status took %dms from %016x code=%d",
)


def text_block(rng: random.Random) -> bytes:
    """1 MiB of node logs: timestamps, levels, components, ids and numbers (zlib -6 makes it ~3.4x smaller)."""
    lines, size = [], 0
    while size < MIB:
        t = rng.randrange(86_400_000)
        event = rng.choice(EVENTS) % (rng.randrange(10**7), rng.getrandbits(64), rng.randrange(5000))
        stamp = f"2026-11-01T{t // 3_600_000:02d}:{t // 60_000 % 60:02d}:{t // 1000 % 60:02d}.{t % 1000:03d}Z"
        line = f"{stamp} {rng.choice(LEVELS):<5} [{rng.choice(PARTS)}] {event}\n".encode()
        lines.append(line)
        size += len(line)
    return b"".join(lines)[:MIB]


def make_launch(base: Path, total: int) -> tuple[Path, list[str]]:
    """The GO example plus `total` bytes of evidence registered in its manifest; the files tar gets."""
    repo = base / "launch"
    shutil.copytree(ROOT / "examples" / "go", repo)
    rng = random.Random(11)
    manifest = json.loads((repo / "evidence-manifest.json").read_text(encoding="utf-8"))
    (repo / "evidence" / "bulk").mkdir()
    text = [text_block(rng) for _ in range(16)]  # varied, yet quick to make
    for n in range(total // FILE):
        rel = f"evidence/bulk/{'log' if n % 2 == 0 else 'blob'}-{n:03d}.{'txt' if n % 2 == 0 else 'bin'}"
        digest = hashlib.sha256()
        with (repo / rel).open("wb") as fh:
            for k in range(FILE // MIB):
                block = text[(n + k) % len(text)] if n % 2 == 0 else rng.randbytes(MIB)
                fh.write(block)
                digest.update(block)
        manifest["artifacts"].append(
            {"id": f"bulk-{n:03d}", "path": rel, "sha256": digest.hexdigest(), "size": FILE,
             "items": [], "areas": [], "captured_at": "2026-11-01T00:00:00Z", "kind": "report"}
        )  # fmt: skip
    (repo / "evidence-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    redecide(repo)
    files = ["checklist.yaml", "evidence-manifest.json", "signoffs", "decisions", "schemas", "evidence"]
    return repo, files


def redecide(repo: Path) -> None:
    """The example's GO pinned its manifest before the bulk evidence: record the GO again (a minute
    later, same meeting), so `gate verify` of the archive judges a decision that holds."""
    [record] = (repo / "decisions").glob("*.yaml")
    data = record.read_text(encoding="utf-8")
    decided = data.split("decided_at: '", 1)[1].split("'", 1)[0]
    at = datetime.fromisoformat(decided.replace("Z", "+00:00")) + timedelta(minutes=1)
    roles = [line.split(": ", 1)[1] for line in data.splitlines() if line.strip().startswith("- role:")]
    logins = [line.split(": ", 1)[1] for line in data.splitlines() if line.strip().startswith("login:")]
    attendees = [f"--attendee={role}={login}" for role, login in zip(roles, logins, strict=True)]
    argv = [str(BIN / "gate"), "decide", "--repo", str(repo), "--decision", "GO", "--window", "primary"]
    subprocess.run([*argv, "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"), *attendees], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gib", type=float, default=1.0)
    args = parser.parse_args()
    total = int(args.gib * 1024) * MIB // FILE * FILE
    gate = str(BIN / "gate")
    print(
        f"Machine: {os.cpu_count()} cores; {args.runs} alternating rounds; load average"
        f" {os.getloadavg()[0]:.1f} at the start\n"
    )
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        base = Path(tmp)
        repo, files = make_launch(base, total)
        subprocess.run(["cat", *[str(p) for p in (repo / "evidence").rglob("*") if p.is_file()]],
                       stdout=subprocess.DEVNULL, check=True)  # fmt: skip
        ours: list[float] = []
        theirs: list[float] = []
        rss = 0
        commands = {
            "gate": [gate, "archive", "--repo", str(repo), str(base / "gate.tar.gz")],
            "tar": ["tar", "-czf", str(base / "tar.tar.gz"), "-C", str(repo), *files],
        }
        for n in range(args.runs):
            for name in ("gate", "tar") if n % 2 == 0 else ("tar", "gate"):
                elapsed, peak = measured(commands[name], base)
                (ours if name == "gate" else theirs).append(elapsed)
                rss = max(rss, peak) if name == "gate" else rss
        size = (base / "gate.tar.gz").stat().st_size
        tar_size = (base / "tar.tar.gz").stat().st_size
        verify, verify_rss = measured([gate, "verify", str(base / "gate.tar.gz")], base)
        gzip_t, _ = measured(["gzip", "-t", str(base / "gate.tar.gz")], base)
        (base / "out").mkdir()
        untar, _ = measured(["tar", "-xzf", str(base / "gate.tar.gz"), "-C", str(base / "out")], base)
        sums = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=base / "out", check=False)
    gib = total / 1024**3
    print("| command | median wall | peak RSS | archive size |\n| --- | --- | --- | --- |")
    print(f"| `gate archive` ({gib:g} GiB of evidence) | {statistics.median(ours):.1f} s | {rss / 1024:.0f} MiB"
          f" | {size / MIB:.0f} MiB |")  # fmt: skip
    print(f"| `tar -czf` (the same files) | {statistics.median(theirs):.1f} s | | {tar_size / MIB:.0f} MiB |")
    print(f"| `gate verify` of the archive | {verify:.1f} s | {verify_rss / 1024:.0f} MiB | |")
    print(f"| `gzip -t` / `tar -xzf` of the archive | {gzip_t:.1f} s / {untar:.1f} s | | |")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(
        f"\nRatio: gate archive takes **{ratio:.2f}x** the time of `tar -czf` ({1 / ratio:.1f}x faster);"
        f" its archive is {size / tar_size:.3f}x the size. `sha256sum -c SHA256SUMS` after `tar -xzf`:"
        f" {'OK' if sums.returncode == 0 else 'FAILED'}."
    )


if __name__ == "__main__":
    main()
