"""A simulated chain and its nodes, as Prometheus would scrape them: what every rollback test is fed.

Block production follows the chain: a block every `TARGET` seconds (times a slowdown, with a small
deterministic jitter), none while halted or while no more than 2/3 of the voting power is online.
Each node sees the chain its own way, as CometBFT reports it:

- `consensus_height`: the blocks the node has committed, a short delay after their header time; a
  node that restarts behind catches up through consensus gossip at several blocks a second;
- `consensus_block_interval_seconds` (histogram, CometBFT's default buckets): one observation per
  committed block, the difference of its header time and the previous one (so a catching-up node
  observes the chain's real block times, not its own catch-up speed);
- `consensus_round_voting_power_percent{vote_type}` (0–1.0): reset to 0 when a round starts and
  climbing as votes arrive, to the share of voting power online and heard by the node; a stuck
  height starts a new round on every timeout;
- `consensus_validators_power` and `consensus_missing_validators_power`: the last commit's total and
  missing power (a commit needs more than 2/3, and a halted chain's gauge stays where it was);
- a node or exporter that stops answering gets staleness markers, as Prometheus writes them when a
  scrape fails (promtool can say `stale`; OpenMetrics cannot, so a backfill just has no samples).

The application (one replica, no `chain_id` label) counts VEID requests and errors and reports the
billing mismatch ratio and the dispute workflow's health gauge.

`Scenario.samples()` gives every series with its samples; `promtool_series` and `openmetrics` write
them for `promtool test rules` and for `promtool tsdb create-blocks-from openmetrics`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

TARGET = 6.0  # seconds: the target block time of every scenario
CHAIN_SCRAPE = 5  # seconds between samples of the chain metrics (the interval the criteria need at 6 s)
APP_SCRAPE = 15  # seconds between samples of the application metrics
ONSET = 300  # failures start 5 minutes in, after a healthy start
SPAN = 40 * 60  # seconds of data per scenario
HALT = math.inf  # a slowdown without end: no blocks at all
CHAIN = "virtengine-1"
START_HEIGHT = 100_000  # the chain's height at 0 s: a node may restart far behind it

HEIGHT = "cometbft_consensus_height"
ROUND_POWER = "cometbft_consensus_round_voting_power_percent"
TOTAL_POWER = "cometbft_consensus_validators_power"
MISSING_POWER = "cometbft_consensus_missing_validators_power"
INTERVAL = "cometbft_consensus_block_interval_seconds"
VEID_ERRORS = "virtengine_veid_verification_errors_total"
VEID_REQUESTS = "virtengine_veid_verification_requests_total"
MISMATCH = "virtengine_billing_reconciliation_mismatch_ratio"
DISPUTE_HEALTHY = "virtengine_escrow_dispute_workflow_healthy"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)  # Prometheus's DefBuckets

Fn = Callable[[float], float]
Flag = Callable[[float], bool]
Samples = dict[str, list[tuple[float, float | None]]]  # series -> (seconds, value; None: stale) in time order


def during(start: float, end: float, bad: float, good: float) -> Fn:
    """A value that is `bad` for start <= t < end, else `good`."""
    return lambda t: bad if start <= t < end else good


def never(_t: float) -> bool:
    return False


def _jitter(n: int) -> float:
    """A block's deviation from the target, ±0.2 s, the same for every run."""
    return 0.2 * math.sin(n * 12.9898)


@dataclass(frozen=True)
class Chain:
    """When the chain's blocks are made (header times, seconds from 0)."""

    slowdown: Fn = lambda _t: 1.0  # block time / target; HALT: no blocks
    online: Fn = lambda _t: 1.0  # share of the voting power online; 2/3 or less halts the chain

    def halted(self, t: float) -> bool:
        return self.slowdown(t) == HALT or self.online(t) <= 2 / 3

    def headers(self, until: float) -> list[float]:
        """Every block's header time up to `until`; the first block is at 0."""
        out = [0.0]
        while (nxt := self._next(out[-1], len(out), until)) <= until:
            out.append(nxt)
        return out

    def _next(self, last: float, n: int, until: float) -> float:
        due = last + TARGET * max(self.slowdown(last), 1e-9) + _jitter(n) if not self.halted(last) else last
        t = max(due, last + 1.0)
        # While halted no round can commit; the round that is running when it ends does.
        while self.halted(t):
            t = math.floor(t) + 1.0
            if t > until:
                return math.inf
        return t


@dataclass(frozen=True)
class Node:
    """One CometBFT node's view of the chain, scraped every CHAIN_SCRAPE seconds."""

    instance: str = "val-0"
    delay: float = 0.3  # seconds from a block's header time to this node committing it
    joins: float = 0.0  # the node (re)starts here: no samples before
    behind: int = 0  # blocks behind the chain when it (re)starts
    catch_up: float = 4.0  # blocks a second while catching up through consensus gossip
    heard: Fn = lambda _t: 1.0  # share of the online voting power whose votes reach this node
    down: Flag = never  # scrapes fail (no sample)

    def commits(self, headers: list[float]) -> list[tuple[int, float]]:
        """(block index, commit time) of every block this node commits after it (re)starts."""
        last, out = self.joins, []
        for k in range(self.first(headers) + 1, len(headers)):
            last = max(header(headers, k) + self.delay, last + 1 / self.catch_up)
            out.append((k, last))
        return out

    def first(self, headers: list[float]) -> int:
        """The index of the block this node had committed when it (re)started (negative: before 0 s)."""
        seen = bisect.bisect_right([h + self.delay for h in headers], self.joins)
        return seen - 1 - self.behind


def header(headers: list[float], k: int) -> float:
    """Block k's header time; blocks before the first (k < 0) came every TARGET seconds before it."""
    return headers[k] if k >= 0 else k * TARGET


@dataclass(frozen=True)
class App:
    """The application's own metrics (one replica), scraped every APP_SCRAPE seconds."""

    requests: float = 100.0  # VEID verification requests per scrape interval
    error_percent: Fn = lambda _t: 0.5
    errors_exported: Flag = lambda _t: True  # False: the errors counter does not exist (yet)
    mismatch_ratio: Fn = lambda _t: 0.001
    dispute_healthy: Fn = lambda _t: 1.0
    exported: Flag = lambda _t: True  # False: nothing at all (the exporter is down)
    never: tuple[str, ...] = ()  # metrics it does not export at all (a name nobody implemented)


@dataclass(frozen=True)
class Scenario:
    """A chain, its nodes and the application, over SPAN seconds."""

    chain: Chain = field(default_factory=Chain)
    nodes: tuple[Node, ...] = (Node(), Node(instance="val-1", delay=0.6), Node(instance="sentry-0", delay=0.9))
    app: App = field(default_factory=App)
    job: str = "cometbft"
    chain_scrape: int = CHAIN_SCRAPE
    labels: str = ""  # extra labels on every series, e.g. `scenario="halt"`
    chain_id: str = CHAIN

    def samples(self, span: int = SPAN) -> Samples:
        """Every series this scenario exposes, with its samples."""
        out: Samples = {}
        headers = self.chain.headers(span + 60)
        for node in self.nodes:
            _node_samples(self, node, headers, span, out)
        _app_samples(self, span, out)
        return out

    def with_labels(self, **labels: str) -> Scenario:
        """The same scenario with `labels` on every series (several scenarios share one Prometheus)."""
        return replace(self, labels=",".join(f'{k}="{v}"' for k, v in labels.items()))


def _series(name: str, labels: str, extra: str, more: str = "") -> str:
    parts = [p for p in (extra, labels, more) if p]
    return f"{name}{{{','.join(parts)}}}"


def _node_samples(scenario: Scenario, node: Node, headers: list[float], span: int, out: Samples) -> None:
    labels = f'chain_id="{scenario.chain_id}",instance="{node.instance}",job="{scenario.job}"'
    commits = node.commits(headers)
    times = [c for _, c in commits]
    histogram = _cumulative([header(headers, k) - header(headers, k - 1) for k, _ in commits])
    first = node.first(headers)
    up = False
    for t in _scrapes(scenario.chain_scrape, span):
        if t < node.joins or node.down(t):
            if up:
                _stale(out, node.instance, t)
            up = False
            continue
        up = True
        done = bisect.bisect_right(times, t)
        last_k = commits[done - 1][0] if done else first
        height = START_HEIGHT + last_k + 1  # CometBFT reports the height it is working on
        _add(out, _series(HEIGHT, labels, scenario.labels), t, float(height))
        _histogram(out, _series(INTERVAL, labels, scenario.labels), t, histogram[done])
        for vote_type, lag in (("prevote", 0.0), ("precommit", 0.5)):
            power = _round_power(scenario.chain, node, times[done - 1] if done else node.joins, t, lag)
            _add(out, _series(ROUND_POWER, labels, scenario.labels, f'vote_type="{vote_type}"'), t, power)
        signed = scenario.chain.online(header(headers, last_k))  # who signed the last commit the node saw
        _add(out, _series(TOTAL_POWER, labels, scenario.labels), t, 100.0)
        _add(out, _series(MISSING_POWER, labels, scenario.labels), t, round(100 * (1 - signed), 4))


def _stale(out: Samples, instance: str, t: float) -> None:
    """A failed scrape: every series of the target gets a staleness marker."""
    for series, points in out.items():
        if f'instance="{instance}"' in series and points[-1][1] is not None:
            points.append((t, None))


Cumulative = tuple[float, tuple[float, ...], float]  # sum, count per bucket (with +Inf), count


def _cumulative(observed: list[float]) -> list[Cumulative]:
    """The histogram after 0, 1, 2 … observations."""
    out: list[Cumulative] = [(0.0, (0.0,) * (len(BUCKETS) + 1), 0.0)]
    for o in observed:
        total, buckets, count = out[-1]
        bumped = tuple(b + (1 if o <= le else 0) for b, le in zip(buckets, (*BUCKETS, math.inf), strict=True))
        out.append((round(total + o, 6), bumped, count + 1))
    return out


def _histogram(out: Samples, series: str, t: float, state: Cumulative) -> None:
    name, _, labels = series.partition("{")
    total, buckets, count = state
    for le, value in zip((*BUCKETS, math.inf), buckets, strict=True):
        bound = "+Inf" if le == math.inf else repr(float(le))
        _add(out, f'{name}_bucket{{{labels[:-1]},le="{bound}"}}', t, value)
    _add(out, f"{name}_sum{{{labels}", t, total)
    _add(out, f"{name}_count{{{labels}", t, count)


def _round_power(chain: Chain, node: Node, since: float, t: float, lag: float) -> float:
    """The gauge at `t`: a round started at the node's last commit, then one more per timeout."""
    start, r = since, 0
    while start + TARGET + r <= t:  # a stuck height times out: round r lasts TARGET + r seconds
        start += TARGET + r
        r += 1
    ramp = min(1.0, max(0.0, (t - start - lag) / 1.0))  # votes arrive over the round's first second
    return round(chain.online(t) * node.heard(t) * ramp, 4)


def _app_samples(scenario: Scenario, span: int, out: Samples) -> None:
    app, labels = scenario.app, 'instance="app-0",job="virtengine"'
    requests = errors = 0.0
    up = False
    for t in _scrapes(APP_SCRAPE, span):
        if t:
            requests += app.requests
            errors += app.requests * app.error_percent(t) / 100
        if not app.exported(t):
            if up:
                _stale(out, "app-0", t)
            up = False
            continue
        up = True
        values = {
            VEID_REQUESTS: requests,
            VEID_ERRORS: round(errors, 6) if app.errors_exported(t) else None,
            MISMATCH: app.mismatch_ratio(t),
            DISPUTE_HEALTHY: app.dispute_healthy(t),
        }
        for name, value in values.items():
            if value is not None and name not in app.never:
                _add(out, _series(name, labels, scenario.labels), t, value)


def _scrapes(every: int, span: int) -> Iterator[float]:
    return (float(t) for t in range(0, span + 1, every))


def _add(out: Samples, series: str, t: float, value: float | None) -> None:
    out.setdefault(series, []).append((t, value))


# ---- writing the samples --------------------------------------------------------------------------------


def promtool_series(samples: Samples, step: int) -> list[dict[str, str]]:
    """`input_series` for `promtool test rules` on a grid of `step` seconds (`_`: no sample)."""
    out = []
    for series, points in samples.items():
        last = int(points[-1][0])
        values = ["_"] * (last // step + 1)
        for t, v in points:
            assert t % step == 0, f"{series}: a sample at {t}s is off the {step}s grid"
            values[int(t) // step] = "stale" if v is None else repr(v)
        out.append({"series": series, "values": " ".join(values)})
    return out


FAMILIES = {  # OpenMetrics family of each sample name, and its type
    HEIGHT: (HEIGHT, "gauge"),
    ROUND_POWER: (ROUND_POWER, "gauge"),
    TOTAL_POWER: (TOTAL_POWER, "gauge"),
    MISSING_POWER: (MISSING_POWER, "gauge"),
    f"{INTERVAL}_bucket": (INTERVAL, "histogram"),
    f"{INTERVAL}_sum": (INTERVAL, "histogram"),
    f"{INTERVAL}_count": (INTERVAL, "histogram"),
    VEID_ERRORS: (VEID_ERRORS.removesuffix("_total"), "counter"),
    VEID_REQUESTS: (VEID_REQUESTS.removesuffix("_total"), "counter"),
    MISMATCH: (MISMATCH, "gauge"),
    DISPUTE_HEALTHY: (DISPUTE_HEALTHY, "gauge"),
}


def openmetrics(samples: Samples, start: float) -> str:
    """The samples as OpenMetrics text with timestamps from `start` (Unix seconds)."""
    by_family: dict[tuple[str, str], list[str]] = {}
    for series, points in samples.items():
        lines = by_family.setdefault(FAMILIES[series.partition("{")[0]], [])
        lines += [f"{series} {v!r} {start + t:.3f}" for t, v in points if v is not None]
    text = []
    for (family, kind), lines in by_family.items():
        text += [f"# TYPE {family} {kind}", *lines]
    return "\n".join([*text, "# EOF", ""])
