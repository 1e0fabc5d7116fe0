"""One real Prometheus for every rollback test that watches: started once, stopped by its pid.

Every scenario's series (tests/rollback/chain.py) carry a `scenario` label and are backfilled with
`promtool tsdb create-blocks-from openmetrics` four hours in the past (older than the head, inside the
retention). The server's own scrape jobs, pointed at a closed port, exist so that `/api/v1/targets`
reports the scrape interval each job is configured with: `cometbft` every 5 s, `virtengine` every
15 s, and `cometbft-coarse` every 15 s (too coarse for the halt criterion).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gate.rollback.criteria import FAMILIES, Family
from gate.rollback.watch import WatchResult, watch_once
from tests.rollback.chain import (
    DISPUTE_HEALTHY,
    HALT,
    ONSET,
    SPAN,
    App,
    Chain,
    Node,
    Scenario,
    during,
    openmetrics,
)
from tests.rollback.fixtures import need_binaries, seed_rollback

FOREVER = 10**7
CATCHING_UP = (Node(), Node(instance="val-1", delay=0.6), Node(instance="val-2", joins=ONSET - 60, behind=3000))
SCENARIOS: dict[str, Scenario] = {
    "healthy": Scenario(),
    "halt": Scenario(chain=Chain(slowdown=during(ONSET + 1, FOREVER, HALT, 1)), nodes=CATCHING_UP),
    "halt-60s": Scenario(chain=Chain(slowdown=during(ONSET + 1, ONSET + 61, HALT, 1))),
    "participation": Scenario(chain=Chain(online=during(ONSET, FOREVER, 0.6, 1))),
    "slow-blocks": Scenario(chain=Chain(slowdown=during(ONSET + 1, FOREVER, 3, 1))),
    "veid-errors": Scenario(app=App(error_percent=during(ONSET + 1, FOREVER, 2.5, 0.5))),
    "billing-mismatch": Scenario(app=App(mismatch_ratio=during(ONSET, FOREVER, 0.006, 0.001))),
    "dispute-failing": Scenario(app=App(dispute_healthy=during(ONSET, FOREVER, 0, 1))),
    "no-dispute-metric": Scenario(app=App(never=(DISPUTE_HEALTHY,))),
    "no-errors-counter": Scenario(app=App(error_percent=lambda _t: 0.0, errors_exported=lambda _t: False)),
    "low-traffic": Scenario(app=App(requests=0.35, error_percent=lambda _t: 5.0)),
    "coarse-scrape": Scenario(job="cometbft-coarse"),
    "unknown-job": Scenario(job="federated"),
}
JOBS = {"cometbft": "5s", "virtengine": "15s", "cometbft-coarse": "15s"}


@dataclass(frozen=True)
class Prometheus:
    """A running Prometheus and the start of its backfilled data."""

    url: str
    start: datetime

    def at(self, seconds: float) -> datetime:
        """The moment `seconds` into the backfilled data."""
        return self.start + timedelta(seconds=seconds)

    def watch(self, scenario: str, seconds: float = SPAN, **match: dict[str, str]) -> WatchResult:
        """`watch_once` on one scenario's series, `seconds` into the data (default: its end)."""
        chosen: dict[Family, dict[str, str]] = {f: {"scenario": scenario, **match.get(f, {})} for f in FAMILIES}
        return watch_once(self.url, seed_rollback(), at=self.at(seconds), match=chosen)

    def match_options(self, scenario: str) -> list[str]:
        """The same choice of scenario as `gate rollback watch` options."""
        return ["--match", f"chain:scenario={scenario}", "--match", f"application:scenario={scenario}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=1) as response:
        return json.loads(response.read())


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Ready, and every scrape job listed among the active targets (the scrape manager starts late)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}:\n{log.read_text()}")
        try:
            targets = _get(f"{url}/api/v1/targets?state=active")["data"]["activeTargets"]
            if {t["labels"]["job"] for t in targets} >= set(JOBS):
                return
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    pytest.fail(f"prometheus not ready after 60 s:\n{log.read_text()}")


def _backfill(promtool: str, root: Path, start: float) -> Path:
    samples = {}
    for name, scenario in SCENARIOS.items():
        samples.update(scenario.with_labels(scenario=name).samples())
    source, data = root / "series.om.txt", root / "data"
    source.write_text(openmetrics(samples, start))
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return data


def _config(dead_port: int) -> str:
    target = f"static_configs: [{{targets: ['127.0.0.1:{dead_port}']}}]"
    jobs = "".join(f"  - job_name: {job}\n    scrape_interval: {every}\n    {target}\n" for job, every in JOBS.items())
    return f"global:\n  scrape_interval: 1m\nscrape_configs:\n{jobs}"


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """Prometheus over the backfilled scenarios; stopped by its pid when the session is done."""
    binaries = need_binaries("prometheus", "promtool")
    root = tmp_path_factory.mktemp("prometheus")
    # Four hours back, on a minute: older than any head block, well inside the retention.
    start = (int(time.time()) // 60 - 240) * 60
    data = _backfill(binaries["promtool"], root, float(start))
    (root / "prometheus.yml").write_text(_config(free_port()))
    url = f"http://127.0.0.1:{free_port()}"
    log = root / "prometheus.log"
    args = [
        binaries["prometheus"],
        f"--config.file={root / 'prometheus.yml'}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=30d",
        f"--web.listen-address={url.removeprefix('http://')}",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(url, process, log)
        yield Prometheus(url, datetime.fromtimestamp(start, UTC))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
