"""`watch_once` against a real Prometheus, and against servers that cannot be trusted.

One Prometheus serves the module: every scenario's series (a healthy chain, then each failure) is
written as OpenMetrics with a `scenario` label, backfilled with `promtool tsdb create-blocks-from
openmetrics` four hours in the past (older than the head, inside the retention), and each test
watches one scenario through `selector={"scenario": ...}` at a moment inside that data.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gate.cli import error_exit, exit_code
from gate.errors import CannotTell, UsageError
from gate.rollback.watch import PrometheusUnavailable, WatchResult, watch_once
from tests.rollback.fixtures import (
    DISPUTE_HEALTHY,
    HALT,
    INTERVAL,
    METRIC_NAMES,
    MISMATCH,
    ONSET,
    SCRAPE,
    SEED_IDS,
    VEID_ERRORS,
    VEID_REQUESTS,
    Node,
    during,
    need_binaries,
    seed_rollback,
)

SPAN = 40 * 60  # seconds of data per scenario
FOREVER = 10**9
SCENARIOS: dict[str, list[Node]] = {
    "healthy": [Node(), Node(instance="val-1")],
    "halt": [Node(slowdown=during(ONSET + 1, FOREVER, HALT, 1))],
    "participation": [Node(participation=during(ONSET, FOREVER, 60, 100))],
    "slow-blocks": [Node(slowdown=during(ONSET + 1, FOREVER, 3, 1))],
    "veid-errors": [Node(error_percent=during(ONSET + 1, FOREVER, 2.5, 0.5))],
    "billing-mismatch": [Node(mismatch_ratio=during(ONSET, FOREVER, 0.006, 0.001))],
    "dispute-failing": [Node(dispute_healthy=during(ONSET, FOREVER, 0, 1))],
    "no-dispute-metric": [Node(dispute_healthy=lambda _t: None)],
}
FAILURES = {
    "halt": "consensus-failure",
    "participation": "validator-participation",
    "slow-blocks": "chain-health",
    "veid-errors": "critical-service",
    "billing-mismatch": "billing-integrity",
    "dispute-failing": "billing-integrity",
}

# OpenMetrics families: (family, type, {sample name: series name}).
_COUNTERS = {VEID_ERRORS, VEID_REQUESTS}
_HISTOGRAM = {f"{INTERVAL}_sum", f"{INTERVAL}_count"}


def _family(name: str) -> tuple[str, str]:
    if name in _HISTOGRAM:
        return INTERVAL, "histogram"
    if name in _COUNTERS:
        return name.removesuffix("_total"), "counter"
    return name, "gauge"


def openmetrics(start: float) -> str:
    """Every scenario's series, samples every SCRAPE seconds from `start` (Unix seconds)."""
    samples = SPAN // SCRAPE + 1
    lines: dict[str, list[str]] = {}
    for scenario, nodes in SCENARIOS.items():
        for node in nodes:
            labels = f'scenario="{scenario}",chain_id="virtengine-1",instance="{node.instance}"'
            for name, values in node.series(samples).items():
                family, _ = _family(name)
                out = lines.setdefault(family, [])
                for i, value in enumerate(values):
                    if value is None:
                        continue
                    at = f"{start + i * SCRAPE:.3f}"
                    out.append(f"{name}{{{labels}}} {value!r} {at}")
                    if name == f"{INTERVAL}_count":  # a histogram needs its +Inf bucket
                        out.append(f'{INTERVAL}_bucket{{{labels},le="+Inf"}} {value!r} {at}')
    text = []
    for family, kind in dict.fromkeys(_family(n) for n in METRIC_NAMES):
        text.append(f"# TYPE {family} {kind}")
        text.extend(lines[family])
    return "\n".join([*text, "# EOF", ""])


@dataclass(frozen=True)
class Prometheus:
    """A running Prometheus and the start of its backfilled data."""

    url: str
    start: datetime

    def at(self, seconds: float) -> datetime:
        """The moment `seconds` into the backfilled data."""
        return self.start + timedelta(seconds=seconds)

    def watch(self, scenario: str, seconds: float = SPAN) -> WatchResult:
        """`watch_once` on one scenario's series, `seconds` into the data (default: its end)."""
        return watch_once(self.url, seed_rollback(), at=self.at(seconds), selector={"scenario": scenario})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    pytest.fail(f"prometheus not ready after 30 s:\n{log.read_text()}")


def _backfill(promtool: str, root: Path, start: float) -> Path:
    source, data = root / "series.om.txt", root / "data"
    source.write_text(openmetrics(start))
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return data


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """Prometheus over the backfilled scenarios; stopped by its pid when the module is done."""
    binaries = need_binaries("prometheus", "promtool")
    root = tmp_path_factory.mktemp("prometheus")
    # Four hours back, on a minute: older than any head block, well inside the retention.
    start = (int(time.time()) // 60 - 240) * 60
    data = _backfill(binaries["promtool"], root, float(start))
    (root / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    url = f"http://127.0.0.1:{_free_port()}"
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


@pytest.mark.prometheus
def test_a_healthy_chain_is_healthy(prometheus: Prometheus) -> None:
    result = prometheus.watch("healthy")
    assert result.verdict == "HEALTHY"
    assert exit_code(result) == 0
    assert [c.id for c in result.criteria] == SEED_IDS
    assert {c.state for c in result.criteria} == {"ok"}
    values = {cond.signal: cond.series[0].value for crit in result.criteria for cond in crit.conditions}
    assert values == pytest.approx(
        {
            "halted_blocks": 0,
            "participation": 100,
            "block_time": 1,
            "verification_error_rate": 0.5,
            "billing_mismatch": 0.1,
            "dispute_workflow_failing": 1,
        }
    )


@pytest.mark.prometheus
@pytest.mark.parametrize(("scenario", "criterion"), FAILURES.items())
def test_each_failure_is_a_rollback_naming_its_criterion(prometheus: Prometheus, scenario: str, criterion: str) -> None:
    result = prometheus.watch(scenario)
    assert result.verdict == "ROLLBACK"
    assert exit_code(result) == 1
    assert result.firing == [criterion]
    (crit,) = (c for c in result.criteria if c.id == criterion)
    firing = [s for cond in crit.conditions for s in cond.series if s.firing]
    assert [s.labels for s in firing] == [{"chain_id": "virtengine-1"}]


@pytest.mark.prometheus
def test_a_breach_not_yet_sustained_is_pending_not_rollback(prometheus: Prometheus) -> None:
    result = prometheus.watch("participation", ONSET + 180)
    assert result.verdict == "HEALTHY"
    states = {c.id: c.state for c in result.criteria}
    assert states["validator-participation"] == "pending"
    assert prometheus.watch("participation", ONSET + 600).firing == ["validator-participation"]


@pytest.mark.prometheus
def test_a_halted_chain_has_no_block_times_to_judge(prometheus: Prometheus) -> None:
    result = prometheus.watch("halt")
    states = {c.id: c.state for c in result.criteria}
    assert states["chain-health"] == "no_data"  # no blocks: 0/0, which is no health either
    assert result.verdict == "ROLLBACK"  # a firing criterion is enough


@pytest.mark.prometheus
def test_a_missing_metric_is_doubt_not_health(prometheus: Prometheus) -> None:
    result = prometheus.watch("no-dispute-metric")
    assert result.verdict == "UNKNOWN"
    assert exit_code(result) == 2
    (billing,) = (c for c in result.criteria if c.id == "billing-integrity")
    assert billing.state == "no_data"
    assert [c.state for c in billing.conditions] == ["ok", "no_data"]


@pytest.mark.prometheus
@pytest.mark.parametrize(("scenario", "seconds"), [("nowhere", SPAN), ("healthy", -3600)])
def test_no_series_at_all_is_unknown(prometheus: Prometheus, scenario: str, seconds: float) -> None:
    result = prometheus.watch(scenario, seconds)
    assert result.verdict == "UNKNOWN"
    assert {c.state for c in result.criteria} == {"no_data"}


@pytest.mark.prometheus
def test_the_result_is_json_evidence(prometheus: Prometheus) -> None:
    result = prometheus.watch("dispute-failing")
    doc = json.loads(result.to_json())
    assert doc["verdict"] == "ROLLBACK"
    assert doc["prometheus"] == prometheus.url
    assert doc["at"] == prometheus.at(SPAN).strftime("%Y-%m-%dT%H:%M:%SZ")
    billing = doc["criteria"][-1]
    assert billing["alert"] == "RollbackBillingIntegrity"
    mismatch, dispute = billing["conditions"]
    assert (mismatch["state"], dispute["state"]) == ("ok", "firing")
    assert dispute["series"] == [{"labels": {"chain_id": "virtengine-1"}, "value": 0.0, "firing": True}]
    assert DISPUTE_HEALTHY in dispute["expr"]
    assert MISMATCH in mismatch["value_expr"]
    assert WatchResult.model_validate_json(result.to_json()) == result


# ---------------------------------------------------------------------------------------------
# Servers that cannot be trusted: never healthy on doubt
# ---------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the stub says to every request, and what it was asked."""

    status: int
    body: bytes
    delay: float = 0.0
    requests: list[tuple[str, str, dict[str, list[str]]]] | None = None


def _handler(answer: Answer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            if answer.requests is not None:
                answer.requests.append((self.command, self.path, form))
            time.sleep(answer.delay)
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def stub() -> Iterator[tuple[str, Answer]]:
    """A local HTTP server that answers whatever `Answer` says (set it before watching)."""
    answer = Answer(200, b"{}", requests=[])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer))
    server.daemon_threads = False  # so server_close waits for a handler still sleeping
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/prom/", answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _success(result: object, kind: str = "vector") -> bytes:
    return json.dumps({"status": "success", "data": {"resultType": kind, "result": result}}).encode()


NONSENSE = {
    "not-json": (200, b"<html>login</html>"),
    "json-array": (200, b"[]"),
    "status-error": (200, b'{"status":"error","errorType":"bad_data","error":"boom"}'),
    "no-data": (200, b'{"status":"success"}'),
    "a-matrix": (200, _success([], "matrix")),
    "a-scalar": (200, _success([1, "1"], "scalar")),
    "result-not-list": (200, _success({"metric": {}})),
    "value-not-number": (200, _success([{"metric": {}, "value": [1, "lots"]}])),
    "value-not-pair": (200, _success([{"metric": {}, "value": ["1"]}])),
    "labels-not-strings": (200, _success([{"metric": {"a": 1}, "value": [1, "1"]}])),
    "http-500": (500, b"oops"),
    "http-400": (400, b'{"status":"error","errorType":"bad_data","error":"parse error"}'),
    "http-404": (404, b"404 page not found"),
}


@pytest.mark.parametrize(("status", "body"), NONSENSE.values(), ids=NONSENSE.keys())
def test_nonsense_is_prometheus_unavailable(stub: tuple[str, Answer], status: int, body: bytes) -> None:
    url, answer = stub
    answer.status, answer.body = status, body
    with pytest.raises(PrometheusUnavailable) as err:
        watch_once(url, seed_rollback())
    assert isinstance(err.value, CannotTell)
    assert error_exit(err.value) == 2
    assert url in str(err.value)


def test_a_refused_query_says_why(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.status, answer.body = NONSENSE["http-400"]
    with pytest.raises(PrometheusUnavailable, match="HTTP 400: parse error"):
        watch_once(url, seed_rollback())


def test_the_query_is_an_instant_query_at_the_moment_asked(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.body = _success([])
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = watch_once(url, seed_rollback(), at=at, selector={"job": "validators"})
    assert result.verdict == "UNKNOWN"
    assert answer.requests
    for method, path, form in answer.requests:
        assert (method, path) == ("POST", "/prom/api/v1/query")
        assert form["time"] == [f"{at.timestamp():.3f}"]
        assert 'job="validators"' in form["query"][0]
    assert len(answer.requests) == 2 * 6  # each condition: its value and whether it holds


def test_a_slow_server_times_out_as_unavailable(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.delay = 0.5
    with pytest.raises(PrometheusUnavailable, match="cannot reach"):
        watch_once(url, seed_rollback(), timeout=0.1)


def test_an_unreachable_server_is_unavailable() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(PrometheusUnavailable, match="cannot reach Prometheus"):
        watch_once(url, seed_rollback())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "localhost:9090", "http://"])
def test_a_url_that_is_no_http_server_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="http"):
        watch_once(url, seed_rollback())


def test_a_moment_without_a_zone_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="zone"):
        watch_once("http://127.0.0.1:1", seed_rollback(), at=datetime(2030, 1, 1))
