"""`gate rollback watch`: the compiled criteria asked of a Prometheus server over its HTTP API.

**Doubt is not health.** Unreachable, non-200, non-JSON, `status != success` or a result of the wrong
shape raises `PrometheusUnavailable` (exit 2); a condition whose expression returns nothing (or NaN,
e.g. 0/0 with no traffic) is `no_data`, and the verdict is then UNKNOWN, never HEALTHY.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from gate.errors import CannotTell, UsageError
from gate.model.checklist import Rollback, RollbackCondition
from gate.rollback.compile import CompiledCondition, CompiledCriterion, compile_criteria

MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class PrometheusUnavailable(CannotTell):
    """Prometheus cannot be reached or answers nonsense: the gate cannot tell (exit 2)."""


State = Literal["firing", "pending", "ok", "no_data"]
WatchVerdict = Literal["ROLLBACK", "HEALTHY", "UNKNOWN"]


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
    verdict: WatchVerdict
    criteria: list[CriterionState]

    @property
    def firing(self) -> list[str]:
        """The ids of the criteria that fire."""
        return [c.id for c in self.criteria if c.state == "firing"]

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


def _verdict(criteria: Sequence[CriterionState]) -> WatchVerdict:
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
