"""Seed C's rollback criteria as Prometheus alerting rules, and a watch over Prometheus's HTTP API.

One expression per condition serves both: `compile_rules` writes it into an alerting rule, and
`watch_once` asks a Prometheus server for the very same expression at one moment. So the rule file
`promtool test rules` proves is the rule `gate rollback watch` evaluates.

Design choices (docs/rollback.md explains them for operators):

- **Sustained durations live in the expression, not in `for:`.** A condition `for: 10m` compiles to
  "the signal breached the threshold at every `EVAL_STEP` step of the last 10 minutes"
  (`max_over_time(signal[10m:30s]) < 67`), with a coverage check so a series that appeared a minute
  ago cannot pass for ten. Prometheus's own `for:` keeps its timer in the server's memory: it cannot
  be asked about a past moment, is lost when no rules are loaded, and one alert has one `for:` while
  a criterion may OR conditions of different durations. The alerts therefore carry no `for:`, fire
  the moment their expression is non-empty, and a watch with no rules loaded agrees with them.
- **One verdict per chain, not per node.** CometBFT metrics are per node and carry `chain_id`; every
  expression aggregates `by (chain_id)` so one stuck sentry is a node incident, not a rollback.
  Chain signals take the healthiest node's view (a chain halted only if no node saw a new block);
  service signals take the whole service (errors / requests summed; the worst mismatch; any replica
  reporting the dispute workflow failing).
- **Doubt is not health.** Unreachable, non-200, non-JSON, `status != success` or a result of the
  wrong shape raises `PrometheusUnavailable` (exit 2); a condition whose expression returns nothing
  (or NaN, e.g. 0/0 with no traffic) is `no_data`, and the verdict is then UNKNOWN, never HEALTHY.
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from gate.errors import ExternalError, UsageError
from gate.model.checklist import Rollback, RollbackCondition, RollbackCriterion

EVAL_STEP = "30s"  # the rule group's interval, and the step of every sustained-duration subquery
DEFAULT_BLOCK_TIME_RANGE = "2m"  # ≥ 2 scrapes even at a 1 m scrape interval; counts towards `for`
GROUP_BY = "chain_id"  # CometBFT labels every metric with it; absent labels group as one series
SEVERITY = "rollback"
MAX_RESPONSE_BYTES = 16 * 1024 * 1024

# The unit each signal is measured in: a threshold in another unit would silently mean something else.
SIGNAL_UNITS: dict[str, str] = {
    "halted_blocks": "blocks",
    "participation": "percent",
    "block_time": "ratio_to_target",
    "verification_error_rate": "percent",
    "billing_mismatch": "percent",
    "dispute_workflow_failing": "boolean",
}

_DURATION = re.compile(r"^([0-9]+)([smh])$")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


class RollbackConfigError(UsageError):
    """The rollback section cannot be compiled into rules as written (exit 2)."""


class PrometheusUnavailable(ExternalError):
    """Prometheus cannot be reached or answers nonsense: the gate cannot tell (exit 2)."""

    exit_code = 2


# ---------------------------------------------------------------------------------------------
# Compiling: criteria -> PromQL -> a rule file
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledCondition:
    """One condition as PromQL: `value` is the signal now, `expr` is non-empty while it holds."""

    condition: RollbackCondition
    value: str
    expr: str
    text: str


@dataclass(frozen=True)
class CompiledCriterion:
    """One criterion as one alert: its conditions ORed."""

    criterion: RollbackCriterion
    alert: str
    conditions: tuple[CompiledCondition, ...]

    @property
    def expr(self) -> str:
        """The alert's expression: non-empty while any condition holds."""
        if len(self.conditions) == 1:
            return self.conditions[0].expr
        return " or ".join(f"({c.expr})" for c in self.conditions)

    def rule(self) -> dict[str, Any]:
        """The Prometheus alerting rule (no `for:`: durations are inside `expr`)."""
        crit = self.criterion
        return {
            "alert": self.alert,
            "expr": self.expr,
            "labels": {"criterion": crit.id, "severity": SEVERITY},
            "annotations": {
                "summary": crit.title,
                "seed": crit.seed,
                "threshold": " or ".join(c.text for c in self.conditions),
            },
        }


@dataclass(frozen=True)
class _Context:
    """What every signal builder needs: the target block time and the extra label matchers."""

    target_seconds: float
    matchers: str

    def metric(self, name: str, suffix: str = "") -> str:
        """A selector for metric `name` (plus `suffix`) restricted by the extra matchers."""
        if not _METRIC_NAME.match(name + suffix):
            raise RollbackConfigError(f"{name!r} is not a Prometheus metric name")
        return f"{name}{suffix}{{{self.matchers}}}" if self.matchers else f"{name}{suffix}"


def alert_name(criterion_id: str) -> str:
    """`consensus-failure` -> `RollbackConsensusFailure`: Prometheus's CamelCase alert convention."""
    parts = re.split(r"[^A-Za-z0-9]+", criterion_id)
    return "Rollback" + "".join(p[:1].upper() + p[1:] for p in parts if p)


def compile_criteria(rollback: Rollback, *, selector: Mapping[str, str] | None = None) -> list[CompiledCriterion]:
    """Every criterion compiled, in checklist order.

    `selector` adds label matchers (`{"job": "validators"}`) to every metric, e.g. to pick one
    chain out of a Prometheus that scrapes several.
    """
    ctx = _Context(_target_seconds(rollback.target_block_time), _matchers(selector or {}))
    return [
        CompiledCriterion(c, alert_name(c.id), tuple(_compile_condition(c.id, k, ctx) for k in c.any_of))
        for c in rollback.criteria
    ]


def compile_rules(
    rollback: Rollback, *, group: str = "launch-rollback", selector: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A Prometheus rule-file document: one group, one alert per criterion."""
    rules = [c.rule() for c in compile_criteria(rollback, selector=selector)]
    return {"groups": [{"name": group, "interval": EVAL_STEP, "rules": rules}]}


def render_rules(
    rollback: Rollback, *, group: str = "launch-rollback", selector: Mapping[str, str] | None = None
) -> str:
    """`compile_rules` as YAML text: same input, same bytes."""
    import yaml  # only the `rules` command pays for it

    doc = compile_rules(rollback, group=group, selector=selector)
    header = "# Generated by `gate rollback rules` from checklist.yaml (rollback). Do not edit.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, width=10_000, allow_unicode=True)


def _target_seconds(target: str) -> float:
    match = _DURATION.match(target)
    if not match:
        raise RollbackConfigError(
            f"rollback.target_block_time is {target!r}, not a duration like 6s: fill in the "
            "chain's target block time before compiling rollback rules"
        )
    seconds = _seconds(target)
    if seconds <= 0:
        raise RollbackConfigError("rollback.target_block_time must be longer than 0s")
    return seconds


def _seconds(duration: str) -> float:
    match = _DURATION.match(duration)
    if not match:
        raise RollbackConfigError(f"{duration!r} is not a duration like 10m")
    return float(int(match.group(1)) * _SECONDS[match.group(2)])


def _duration(seconds: float) -> str:
    """PromQL duration text in one unit (`18m`, `24s`, `1500ms`): Prometheus 2 and 3 read them all."""
    millis = round(seconds * 1000)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


def _num(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _matchers(selector: Mapping[str, str]) -> str:
    for name in selector:
        if not _LABEL_NAME.match(name) or name.startswith("__"):
            raise RollbackConfigError(f"{name!r} is not a label name to select by")
    # json.dumps escapes quotes, backslashes and newlines as PromQL's double-quoted strings expect.
    return ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(selector.items()))


@dataclass(frozen=True)
class _Signal:
    """A signal's PromQL, and the range it already averages over (`0` for a point value)."""

    expr: str
    averaged: float = 0.0
    phrase: str = ""  # how the window reads in the threshold text


def _compile_condition(criterion_id: str, cond: RollbackCondition, ctx: _Context) -> CompiledCondition:
    where = f"rollback criterion {criterion_id}, signal {cond.signal}"
    unit = SIGNAL_UNITS[cond.signal]
    if cond.unit != unit:
        raise RollbackConfigError(f"{where}: unit must be {unit}, not {cond.unit}")
    if not math.isfinite(cond.threshold):
        raise RollbackConfigError(f"{where}: threshold must be a finite number")
    try:
        signal = _SIGNALS[cond.signal](cond, ctx)
        held = _holds(signal, cond)
    except RollbackConfigError as err:
        raise RollbackConfigError(f"{where}: {err}") from None
    return CompiledCondition(cond, signal.expr, held, _describe(cond, signal, ctx))


def _holds(signal: _Signal, cond: RollbackCondition) -> str:
    """Non-empty while the condition holds; with `for`, at every step of that duration.

    A signal averaged over a range R already covers R of the duration D, so the steps span D - R:
    "block time averaged over every 2-minute stretch of the last 20 minutes above 2x target".
    """
    value, threshold = signal.expr, _num(cond.threshold)
    if cond.sustained_for is None:
        return f"{value} {cond.comparison} {threshold}"
    span = _seconds(cond.sustained_for) - signal.averaged
    step = _seconds(EVAL_STEP)
    if span < step:
        return f"{value} {cond.comparison} {threshold}"
    rng = f"[{_duration(span)}:{EVAL_STEP}]"
    # Every step breached <=> the least breaching step breached.
    extreme = "min_over_time" if cond.comparison in (">", ">=") else "max_over_time"
    # A series with a short history would pass on the few steps it has: demand a value at every
    # step from `span` ago on. Prometheus 2 counts both ends of a subquery range and 3 only the
    # right one; one step more range and one value more than span/step holds in both.
    cover = f"[{_duration(span + step)}:{EVAL_STEP}]"
    need = _num(math.floor(span / step) + 1)
    return f"{extreme}(({value}){rng}) {cond.comparison} {threshold} and count_over_time(({value}){cover}) >= {need}"


def _window_avg(value: str, cond: RollbackCondition) -> _Signal:
    """Gauges: a `window` means the average over it."""
    if cond.window is None:
        return _Signal(value)
    return _Signal(
        f"avg_over_time(({value})[{cond.window}:{EVAL_STEP}])",
        _seconds(cond.window),
        f"averaged over {cond.window}",
    )


def _halted_blocks(cond: RollbackCondition, ctx: _Context) -> _Signal:
    """Block slots the chain went without a new block: the longest stall in `window`, in slots.

    Per node and subquery step, the latest height sample is compared with the latest one `lag`
    earlier; equal heights mean no block between the two samples' timestamps, so
    `(t1 - t0) / target - 1` slots were halted (the first slot is the normal wait for a block).
    `lag` is (threshold + 1) target block times, the shortest stall that breaches. The value is a
    lower bound (capped near `lag` + one scrape interval), and a missed scrape is never a halt: the
    span is taken from the two samples' own timestamps, not from the query times.
    """
    if cond.window is None:
        raise RollbackConfigError("needs a window: the range a stall is looked for in")
    if cond.comparison not in (">", ">=") or cond.threshold < 0:
        raise RollbackConfigError("counts halted blocks: use > or >= and a threshold of 0 or more")
    target = ctx.target_seconds
    height = ctx.metric(cond.metrics["height"])
    lag = _duration((cond.threshold + 1) * target)
    prior = f"{height} offset {lag}"
    span = f"(timestamp({height}) - timestamp({prior}))"
    stalled = f"(({height} - {prior}) == bool 0)"
    per_node = f"clamp_min({span} / {_num(target)} - 1, 0) * {stalled}"
    # The chain halted only if no node saw a block: the least halted node speaks for the chain.
    chain = f"min by ({GROUP_BY}) ({per_node})"
    # Steps of one target block time: finer than any scrape phase a stall could hide between.
    expr = f"max_over_time(({chain})[{cond.window}:{_duration(target)}])"
    return _Signal(expr, phrase=f"(no block for over {lag}) within {cond.window}")


def _participation(cond: RollbackCondition, ctx: _Context) -> _Signal:
    missing = ctx.metric(cond.metrics["missing_power"])
    total = ctx.metric(cond.metrics["total_power"])
    # Nodes report the same last commit; a lagging node's stale view must not trigger a rollback.
    return _window_avg(f"max by ({GROUP_BY}) (100 * (1 - {missing} / {total}))", cond)


def _block_time(cond: RollbackCondition, ctx: _Context) -> _Signal:
    rng = cond.window or DEFAULT_BLOCK_TIME_RANGE
    name = cond.metrics["interval"]
    total = f"sum by ({GROUP_BY}) (rate({ctx.metric(name, '_sum')}[{rng}]))"
    count = f"sum by ({GROUP_BY}) (rate({ctx.metric(name, '_count')}[{rng}]))"
    expr = f"{total} / {count} / {_num(ctx.target_seconds)}"
    return _Signal(expr, _seconds(rng), f"averaged over {rng}")


def _verification_error_rate(cond: RollbackCondition, ctx: _Context) -> _Signal:
    if cond.window is None:
        raise RollbackConfigError("needs a window: the range errors and requests are counted over")
    errors = f"sum by ({GROUP_BY}) (increase({ctx.metric(cond.metrics['errors'])}[{cond.window}]))"
    total = f"sum by ({GROUP_BY}) (increase({ctx.metric(cond.metrics['total'])}[{cond.window}]))"
    return _Signal(f"100 * {errors} / {total}", _seconds(cond.window), f"over {cond.window}")


def _billing_mismatch(cond: RollbackCondition, ctx: _Context) -> _Signal:
    ratio = ctx.metric(cond.metrics["mismatch_ratio"])
    return _window_avg(f"100 * max by ({GROUP_BY}) ({ratio})", cond)


def _dispute_workflow(cond: RollbackCondition, ctx: _Context) -> _Signal:
    # The value is the health gauge (1 healthy, 0 failing): any replica failing fails the workflow.
    return _window_avg(f"min by ({GROUP_BY}) ({ctx.metric(cond.metrics['healthy'])})", cond)


_SIGNALS: dict[str, Callable[[RollbackCondition, _Context], _Signal]] = {
    "halted_blocks": _halted_blocks,
    "participation": _participation,
    "block_time": _block_time,
    "verification_error_rate": _verification_error_rate,
    "billing_mismatch": _billing_mismatch,
    "dispute_workflow_failing": _dispute_workflow,
}

_UNIT_TEXT = {"blocks": " blocks", "percent": "%", "ratio_to_target": "x target", "boolean": ""}


def _describe(cond: RollbackCondition, signal: _Signal, ctx: _Context) -> str:
    """`participation < 67% for 10m`: the threshold as an operator reads it."""
    text = f"{cond.signal} {cond.comparison} {_num(cond.threshold)}{_UNIT_TEXT[cond.unit]}"
    if cond.unit == "ratio_to_target":
        text += f" ({_duration(ctx.target_seconds)})"
    if cond.signal == "dispute_workflow_failing":
        text += " (health gauge: 1 healthy, 0 failing)"
    if signal.phrase:
        text += f" {signal.phrase}"
    if cond.sustained_for is not None:
        text += f" for {cond.sustained_for}"
    return text


# ---------------------------------------------------------------------------------------------
# Watching: the compiled expressions, asked of a Prometheus server at one moment
# ---------------------------------------------------------------------------------------------

State = Literal["firing", "pending", "ok", "no_data"]
Verdict = Literal["ROLLBACK", "HEALTHY", "UNKNOWN"]


class _Out(BaseModel):
    # An infinite value (x/0) is written "Infinity": JSON has no literal for it, and null would hide it.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class SeriesState(_Out):
    """One series of a condition (one chain): its value now and whether the condition holds."""

    labels: dict[str, str]
    value: float | None  # None: NaN, e.g. an error rate with no requests at all
    firing: bool


class ConditionState(_Out):
    """One condition: `firing` (holds, sustained), `pending` (breaches now, not yet long enough),
    `ok`, or `no_data` (nothing, or NaN, came back: cannot tell)."""

    signal: str
    threshold: str
    state: State
    series: list[SeriesState]
    expr: str
    value_expr: str


class CriterionState(_Out):
    """One criterion: firing if any condition fires; else no_data if any has none."""

    id: str
    title: str
    alert: str
    state: State
    conditions: list[ConditionState]


class WatchResult(_Out):
    """What Prometheus said about every criterion at one moment, and the verdict."""

    prometheus: str
    at: datetime
    verdict: Verdict
    criteria: list[CriterionState]

    @property
    def firing(self) -> list[str]:
        """The ids of the criteria that fire."""
        return [c.id for c in self.criteria if c.state == "firing"]

    @property
    def exit_code(self) -> int:
        """1 ROLLBACK, 0 HEALTHY, 2 UNKNOWN (cannot tell)."""
        return {"ROLLBACK": 1, "HEALTHY": 0, "UNKNOWN": 2}[self.verdict]

    def to_json(self) -> str:
        """Stable JSON, e.g. to capture as evidence."""
        return self.model_dump_json(indent=2) + "\n"


Labels = dict[str, str]
Sample = tuple[Labels, float]


def watch_once(
    base_url: str,
    rollback: Rollback,
    *,
    at: datetime | None = None,
    timeout: float = 5,
    selector: Mapping[str, str] | None = None,
) -> WatchResult:
    """Ask the Prometheus at `base_url` whether any rollback criterion fires at `at` (default now).

    Queries `/api/v1/query` with each condition's expression (as in the alert, sustained durations
    included) and its current value. ROLLBACK if any criterion fires; otherwise UNKNOWN if any
    condition has no data; otherwise HEALTHY. Raises `PrometheusUnavailable` when Prometheus cannot
    be reached or answers something that is not a Prometheus query result.
    """
    when = _moment(at)
    prometheus = _Prometheus(base_url, timeout)
    criteria = [_observe(prometheus, c, when) for c in compile_criteria(rollback, selector=selector)]
    return WatchResult(prometheus=base_url, at=when, verdict=_verdict(criteria), criteria=criteria)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        raise UsageError("the moment to watch at has no zone: give it in UTC")
    return at.astimezone(UTC)


def _verdict(criteria: Sequence[CriterionState]) -> Verdict:
    states = {c.state for c in criteria}
    if "firing" in states:
        return "ROLLBACK"
    return "UNKNOWN" if "no_data" in states else "HEALTHY"


def _observe(prometheus: _Prometheus, compiled: CompiledCriterion, when: datetime) -> CriterionState:
    conditions = [_observe_condition(prometheus, c, when) for c in compiled.conditions]
    crit = compiled.criterion
    return CriterionState(
        id=crit.id,
        title=crit.title,
        alert=compiled.alert,
        state=_worst(c.state for c in conditions),
        conditions=conditions,
    )


_SEVERITY_ORDER: tuple[State, ...] = ("firing", "no_data", "pending", "ok")


def _worst(states: Iterable[State]) -> State:
    """Firing outranks doubt, doubt outranks a pending breach, which outranks ok."""
    seen = set(states)
    return next((s for s in _SEVERITY_ORDER if s in seen), "no_data")


def _observe_condition(prometheus: _Prometheus, compiled: CompiledCondition, when: datetime) -> ConditionState:
    values = {_key(labels): (labels, v) for labels, v in prometheus.query(compiled.value, when)}
    holding = {_key(labels): labels for labels, _ in prometheus.query(compiled.expr, when)}
    series = [
        SeriesState(
            labels=labels,
            value=None if v is None or math.isnan(v) else v,
            firing=key in holding,
        )
        for key, (labels, v) in _union(values, holding).items()
    ]
    return ConditionState(
        signal=compiled.condition.signal,
        threshold=compiled.text,
        state=_condition_state(compiled.condition, series),
        series=series,
        expr=compiled.expr,
        value_expr=compiled.value,
    )


def _union(
    values: dict[tuple[tuple[str, str], ...], Sample], holding: dict[tuple[tuple[str, str], ...], Labels]
) -> dict[tuple[tuple[str, str], ...], tuple[Labels, float | None]]:
    """Every series either query returned; a holding series without a value has value None."""
    out: dict[tuple[tuple[str, str], ...], tuple[Labels, float | None]] = dict(values)
    for key, labels in holding.items():
        out.setdefault(key, (labels, None))
    return dict(sorted(out.items()))


def _key(labels: Labels) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _condition_state(cond: RollbackCondition, series: Sequence[SeriesState]) -> State:
    if any(s.firing for s in series):
        return "firing"
    if not series or any(s.value is None for s in series):
        return "no_data"
    if any(s.value is not None and _breaches(s.value, cond) for s in series):
        return "pending"
    return "ok"


def _breaches(value: float, cond: RollbackCondition) -> bool:
    threshold = cond.threshold
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[cond.comparison]


class _Prometheus:
    """Instant queries over Prometheus's HTTP API, trusting nothing it answers."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise UsageError(f"{base_url!r} is not an http(s) URL of a Prometheus server")
        self.base_url = base_url
        self.url = base_url.rstrip("/") + "/api/v1/query"
        self.timeout = timeout

    def query(self, expr: str, when: datetime) -> list[Sample]:
        """The instant vector `expr` evaluates to at `when`."""
        body = self._post({"query": expr, "time": f"{when.timestamp():.3f}"})
        return _vector(body, self.base_url)

    def _post(self, form: Mapping[str, str]) -> Any:
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.url, data=data, method="POST")  # noqa: S310 (http(s) checked)
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as err:
            with err:
                detail = _error_detail(err.read(64 * 1024))
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} answered HTTP {err.code}{detail}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise PrometheusUnavailable(f"cannot reach Prometheus at {self.base_url}: {reason}") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} answered more than 16 MiB")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} did not answer JSON") from None


def _error_detail(raw: bytes) -> str:
    """Prometheus explains a refused query in `error`; anything else is not worth echoing."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return f": {body['error']}"
    return ""


def _vector(body: Any, base_url: str) -> list[Sample]:
    """The samples of a `status: success` instant-vector answer; anything else is nonsense."""

    def nonsense(why: str) -> PrometheusUnavailable:
        return PrometheusUnavailable(f"Prometheus at {base_url} answered nonsense: {why}")

    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, dict) else None
        raise nonsense(f"status is not success ({error})" if error else "status is not success")
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "vector":
        raise nonsense("not an instant vector")
    result = data.get("result")
    if not isinstance(result, list):
        raise nonsense("result is not a list")
    samples = [_sample(item) for item in result]
    if any(s is None for s in samples):
        raise nonsense("a sample is not {metric: {...}, value: [time, number]}")
    return [s for s in samples if s is not None]


def _sample(item: Any) -> Sample | None:
    if not isinstance(item, dict):
        return None
    metric, value = item.get("metric"), item.get("value")
    if not isinstance(metric, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metric.items()):
        return None
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], str):
        return None
    try:
        return dict(metric), float(value[1])
    except ValueError:
        return None
