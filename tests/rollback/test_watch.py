"""`watch_once` against a real Prometheus (tests/rollback/conftest.py), and against servers that cannot be trusted."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gate.cli import error_exit, exit_code
from gate.errors import CannotTell, UsageError
from gate.report.text import text as watch_text
from gate.rollback.compile import compile_criteria
from gate.rollback.criteria import Family
from gate.rollback.prometheus import PrometheusUnavailable, duration_seconds
from gate.rollback.watch import CriterionState, WatchResult, watch_once
from tests.rollback.chain import DISPUTE_HEALTHY, MISMATCH, ONSET, SPAN, VEID_ERRORS
from tests.rollback.conftest import Prometheus, free_port
from tests.rollback.fixtures import SEED_IDS, seed_rollback

FAILURES = {
    "halt": ["consensus-failure"],
    # Under 2/3 of the power online the chain halts too: both criteria fire (docs/rollback.md).
    "participation": ["consensus-failure", "validator-participation"],
    "slow-blocks": ["chain-health"],
    "veid-errors": ["critical-service"],
    "billing-mismatch": ["billing-integrity"],
    "dispute-failing": ["billing-integrity"],
}


def _criterion(result: WatchResult, criterion_id: str) -> CriterionState:
    return next(c for c in result.criteria if c.id == criterion_id)


@pytest.mark.prometheus
def test_a_healthy_chain_is_healthy(prometheus: Prometheus) -> None:
    result = prometheus.watch("healthy")
    assert result.verdict == "HEALTHY", result.reasons
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
        },
        abs=0.05,
    )
    assert all(check.ok for crit in result.criteria for check in crit.scrape)
    assert {(check.job, check.interval_seconds) for crit in result.criteria for check in crit.scrape} == {
        ("cometbft", 5),
        ("virtengine", 15),
    }


@pytest.mark.prometheus
@pytest.mark.parametrize(("scenario", "criteria"), FAILURES.items())
def test_each_failure_is_a_rollback_naming_its_criteria(
    prometheus: Prometheus, scenario: str, criteria: list[str]
) -> None:
    result = prometheus.watch(scenario)
    assert result.verdict == "ROLLBACK"
    assert exit_code(result) == 1
    assert result.firing == criteria
    for criterion in criteria:
        firing = [s for cond in _criterion(result, criterion).conditions for s in cond.series if s.firing]
        chain_level = criterion in ("consensus-failure", "validator-participation", "chain-health")
        assert [s.labels for s in firing] == [{"chain_id": "virtengine-1"} if chain_level else {}]


@pytest.mark.prometheus
def test_chain_matchers_do_not_blind_the_application_criteria(prometheus: Prometheus) -> None:
    """Item 2: chain_id selects CometBFT's metrics; the application's carry none and still count."""
    result = prometheus.watch("healthy", chain={"chain_id": "virtengine-1"})
    assert result.verdict == "HEALTHY", result.reasons
    # The same matcher on the application's metrics would blind its two criteria: doubt, not health.
    blinded = prometheus.watch("healthy", application={"chain_id": "virtengine-1"})
    assert blinded.verdict == "UNKNOWN"
    assert [c.id for c in blinded.criteria if c.state == "no_data"] == ["critical-service", "billing-integrity"]


@pytest.mark.prometheus
def test_a_missing_series_is_doubt_and_named(prometheus: Prometheus) -> None:
    """Item 1: the criterion reading a series that does not exist says which, and the verdict is UNKNOWN."""
    result = prometheus.watch("no-dispute-metric")
    assert result.verdict == "UNKNOWN"
    assert exit_code(result) == 2
    billing = _criterion(result, "billing-integrity")
    assert billing.state == "no_data"
    assert [m.metric for m in billing.missing] == [DISPUTE_HEALTHY]
    assert f"signal missing: no {DISPUTE_HEALTHY}" in billing.reasons[0]
    assert result.reasons == [f"billing-integrity: {r}" for r in billing.reasons]


@pytest.mark.prometheus
def test_a_coarse_scrape_is_refused_healthy(prometheus: Prometheus) -> None:
    """Item 5: the job serving the height scrapes every 15 s; the halt criterion needs one per block time."""
    result = prometheus.watch("coarse-scrape")
    assert result.verdict == "UNKNOWN"
    unjudged = {c.id: c.reasons for c in result.criteria if c.state == "no_data"}
    assert set(unjudged) == {"consensus-failure"}
    assert unjudged["consensus-failure"] == [
        "cometbft_consensus_height: job cometbft-coarse scrapes every 15s, too coarse (needs 6s or faster)"
    ]
    # 15 s is enough for the others: participation (15 s), block time (30 s).
    assert {c.id: c.state for c in result.criteria}["chain-health"] == "ok"


@pytest.mark.prometheus
def test_a_job_the_server_does_not_scrape_is_doubt(prometheus: Prometheus) -> None:
    result = prometheus.watch("unknown-job")
    assert result.verdict == "UNKNOWN"
    reasons = [r for c in result.criteria for r in c.reasons]
    assert "cometbft_consensus_height: job federated has no active target reporting its scrape interval" in reasons


@pytest.mark.prometheus
def test_a_point_value_breach_is_pending_until_confirmed(prometheus: Prometheus) -> None:
    """Item 6: the first sample of a mismatch is pending; it fires once two evaluations saw it."""
    first = prometheus.watch("billing-mismatch", ONSET + 15)
    assert first.verdict == "HEALTHY"
    assert _criterion(first, "billing-integrity").state == "pending"
    assert "pending  billing-integrity" in watch_text(first)
    assert prometheus.watch("billing-mismatch", ONSET + 90).firing == ["billing-integrity"]


@pytest.mark.prometheus
def test_no_errors_counter_while_requests_flow_is_zero_errors(prometheus: Prometheus) -> None:
    """Item 7: a labelled errors counter appears with the first error; until then the rate is 0 %."""
    result = prometheus.watch("no-errors-counter")
    assert result.verdict == "HEALTHY", result.reasons
    service = _criterion(result, "critical-service")
    assert service.state == "ok"
    assert service.conditions[0].series[0].value == 0
    assert [(m.metric, m.required) for m in service.missing] == [(VEID_ERRORS, False)]
    assert f"counted as zero while missing: {VEID_ERRORS}" in watch_text(result)


@pytest.mark.prometheus
def test_a_rate_under_its_traffic_floor_is_not_judged(prometheus: Prometheus) -> None:
    """Item 7: 5 % of about 20 requests is one error in 15 minutes: no rollback, and the watch says why."""
    result = prometheus.watch("low-traffic")
    assert result.verdict == "HEALTHY", result.reasons
    (cond,) = _criterion(result, "critical-service").conditions
    (series,) = cond.series
    assert series.value == pytest.approx(5, abs=0.5)
    assert series.traffic is not None
    assert series.traffic < 100
    assert cond.state == "ok"
    assert "under the floor of 100: too few to judge the rate" in cond.notes[0]


@pytest.mark.prometheus
def test_a_held_halt_says_when_it_recovered_and_when_it_clears(prometheus: Prometheus) -> None:
    """Item 8: the halt is over, the alert still fires for its 10 minute window, and says until when."""
    during_halt = prometheus.watch("halt-60s", ONSET + 45)
    (cond,) = _criterion(during_halt, "consensus-failure").conditions
    assert cond.state == "firing"
    assert cond.recovered_at is None  # still halted: nothing to promise yet
    after = prometheus.watch("halt-60s", ONSET + 300)
    (cond,) = _criterion(after, "consensus-failure").conditions
    assert cond.state == "firing"
    assert cond.series[0].value == 0  # blocks again
    assert cond.recovered_at is not None
    assert cond.clears_at is not None
    # The halt ran from the last block before ONSET + 1 to ONSET + 61; the last breach is seen just before.
    assert prometheus.at(ONSET + 50) <= cond.recovered_at <= prometheus.at(ONSET + 65)
    assert cond.clears_at == cond.recovered_at + timedelta(minutes=10)
    assert prometheus.watch("halt-60s", (cond.clears_at - prometheus.start).total_seconds() + 30).verdict == "HEALTHY"
    text = watch_text(after)
    assert (
        f"recovered at {cond.recovered_at:%Y-%m-%d %H:%M:%S} UTC, clears at {cond.clears_at:%Y-%m-%d %H:%M:%S} UTC"
        in text
    )


@pytest.mark.prometheus
def test_a_halt_masked_by_no_catching_up_node(prometheus: Prometheus) -> None:
    """Item 4: a node catching up 3,000 blocks back keeps its height rising; the chain's is still halted."""
    result = prometheus.watch("halt", ONSET + 120)
    (cond,) = _criterion(result, "consensus-failure").conditions
    assert cond.state == "firing"
    assert cond.series[0].value is not None
    assert cond.series[0].value >= 3


@pytest.mark.prometheus
def test_a_halted_chain_has_no_block_times_to_judge(prometheus: Prometheus) -> None:
    result = prometheus.watch("halt")
    assert {c.id: c.state for c in result.criteria}["chain-health"] == "no_data"  # no blocks: 0/0, no health either
    assert result.verdict == "ROLLBACK"  # a firing criterion is enough


@pytest.mark.prometheus
@pytest.mark.parametrize(("scenario", "seconds"), [("nowhere", SPAN), ("healthy", -3600)])
def test_no_series_at_all_is_unknown(prometheus: Prometheus, scenario: str, seconds: float) -> None:
    result = prometheus.watch(scenario, seconds)
    assert result.verdict == "UNKNOWN"
    assert {c.state for c in result.criteria} == {"no_data"}
    assert all(any(r.startswith("signal missing") for r in c.reasons) for c in result.criteria)


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
    assert dispute["series"] == [{"labels": {}, "value": 0.0, "firing": True, "traffic": None}]
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
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    targets: bytes = b'{"status":"success","data":{"activeTargets":[]}}'


def _handler(answer: Answer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            answer.requests.append((self.command, self.path, form))
            self._answer(answer.status, answer.body)

        def do_GET(self) -> None:
            answer.requests.append((self.command, self.path, {}))
            self._answer(200, answer.targets)

        def _answer(self, status: int, body: bytes) -> None:
            time.sleep(answer.delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def stub() -> Iterator[tuple[str, Answer]]:
    """A local HTTP server that answers whatever `Answer` says (set it before watching)."""
    answer = Answer(200, b"{}")
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


@pytest.mark.parametrize(
    "targets",
    [
        b"[]",
        b'{"status":"success","data":{"activeTargets":{}}}',
        b'{"status":"success","data":{"activeTargets":[{"labels":{}}]}}',
    ],
    ids=["not-an-object", "targets-not-a-list", "target-without-job"],
)
def test_nonsense_targets_are_prometheus_unavailable(stub: tuple[str, Answer], targets: bytes) -> None:
    url, answer = stub
    answer.body = _success([{"metric": {"job": "cometbft"}, "value": [1, "1"]}])
    answer.targets = targets
    with pytest.raises(PrometheusUnavailable, match="nonsense"):
        watch_once(url, seed_rollback())


def test_a_target_that_does_not_report_its_interval_is_doubt(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.body = _success([{"metric": {"job": "cometbft", "chain_id": "x"}, "value": [1, "1"]}])
    answer.targets = b'{"status":"success","data":{"activeTargets":[{"labels":{"job":"cometbft"}}]}}'
    result = watch_once(url, seed_rollback())
    assert result.verdict != "HEALTHY"
    assert all(not check.ok and check.interval_seconds is None for c in result.criteria for check in c.scrape)


@pytest.mark.parametrize(("text", "seconds"), [("15s", 15), ("1m30s", 90), ("500ms", 0.5), ("2h", 7200), ("x", None)])
def test_prometheus_durations(text: str, seconds: float | None) -> None:
    assert duration_seconds(text) == seconds


def test_a_refused_query_says_why(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.status, answer.body = NONSENSE["http-400"]
    with pytest.raises(PrometheusUnavailable, match="HTTP 400: parse error"):
        watch_once(url, seed_rollback())


def test_the_queries_are_instant_queries_of_the_compiled_expressions(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.body = _success([])
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    match: dict[Family, dict[str, str]] = {"chain": {"job": "validators"}}
    result = watch_once(url, seed_rollback(), at=at, match=match)
    assert result.verdict == "UNKNOWN"
    for method, path, form in answer.requests:
        assert (method, path) == ("POST", "/prom/api/v1/query")
        assert form["time"] == [f"{at.timestamp():.3f}"]
    asked = {form["query"][0] for _, _, form in answer.requests}
    compiled = compile_criteria(seed_rollback(), match=match)
    wanted = {q for c in compiled for k in c.conditions for q in (k.value, k.expr, k.traffic) if q}
    wanted |= {q for c in compiled for m in c.metrics for q in (m.absent, m.jobs)}
    assert asked == wanted
    assert all('job="validators"' in q for q in asked if "cometbft" in q)


def test_a_slow_server_times_out_as_unavailable(stub: tuple[str, Answer]) -> None:
    url, answer = stub
    answer.delay = 0.5
    with pytest.raises(PrometheusUnavailable, match="cannot reach"):
        watch_once(url, seed_rollback(), timeout=0.1)


def test_an_unreachable_server_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PrometheusUnavailable, match="cannot reach Prometheus"):
        watch_once(url, seed_rollback())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "localhost:9090", "http://"])
def test_a_url_that_is_no_http_server_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="http"):
        watch_once(url, seed_rollback())


def test_a_moment_without_a_zone_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="zone"):
        watch_once("http://127.0.0.1:1", seed_rollback(), at=datetime(2030, 1, 1))
