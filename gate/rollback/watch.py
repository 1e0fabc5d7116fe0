"""`gate rollback watch`: the compiled criteria asked of a Prometheus server at one moment.

**Doubt is not health.** The verdict is ROLLBACK when any criterion fires; otherwise UNKNOWN (exit 2)
when any criterion cannot be judged — a series it reads is missing, its expression returns nothing
or NaN, or the server scrapes one of its series more coarsely than it needs (or will not say how
often) — and HEALTHY only when every criterion was judged and none fires.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from gate.errors import UsageError
from gate.model.checklist import Rollback
from gate.report.output import Output
from gate.rollback.compile import CompiledCondition, CompiledCriterion, CompiledMetric, Matchers, compile_criteria
from gate.rollback.criteria import format_seconds
from gate.rollback.prometheus import Labels, Prometheus

State = Literal["firing", "pending", "ok", "no_data"]
WatchVerdict = Literal["ROLLBACK", "HEALTHY", "UNKNOWN"]


class SeriesState(Output):
    """One series of a condition (one chain): its value now and whether the condition holds."""

    labels: dict[str, str]
    value: float | None  # None: NaN, e.g. an error rate with no requests at all
    firing: bool
    traffic: float | None = None  # requests in the window, for a rate with a floor


class ConditionState(Output):
    """One condition: `firing` (holds, sustained), `pending` (breaches now, not yet long enough),
    `ok`, or `no_data` (nothing, or NaN, came back: cannot tell)."""

    signal: str
    threshold: str
    state: State
    series: list[SeriesState]
    expr: str
    value_expr: str
    comparison: str
    limit: float
    floor: float | None = None
    recovered_at: datetime | None = None  # a held breach: the last moment it was seen
    clears_at: datetime | None = None  # ... and when the alert stops firing, if it stays recovered
    notes: list[str] = []


class MissingSignal(Output):
    """A series a criterion reads that Prometheus does not have."""

    metric: str
    series: str
    required: bool  # False: counted as zero (an errors counter before the first error)


class ScrapeCheck(Output):
    """How often one job scrapes one series a condition reads, against what the condition needs."""

    metric: str
    job: str | None
    interval_seconds: float | None
    needed_seconds: float
    ok: bool


class CriterionState(Output):
    """One criterion: firing if any condition fires; else no_data if it cannot be judged."""

    id: str
    title: str
    alert: str
    state: State
    conditions: list[ConditionState]
    missing: list[MissingSignal] = []
    scrape: list[ScrapeCheck] = []
    reasons: list[str] = []


class WatchResult(Output):
    """What Prometheus said about every criterion at one moment, and the verdict."""

    prometheus: str
    at: datetime
    verdict: WatchVerdict
    criteria: list[CriterionState]
    reasons: list[str] = []
    recorded: str | None = None  # the ROLLBACK decision record written (`watch --record`)
    status_update: str | None = None  # the incident-update status draft rendered with it
    not_recorded: str | None = None  # why a ROLLBACK asked to be recorded could not be (the verdict stands)

    @property
    def firing(self) -> list[str]:
        """The ids of the criteria that fire."""
        return [c.id for c in self.criteria if c.state == "firing"]

    def to_json(self) -> str:
        """Stable JSON, e.g. to capture as evidence."""
        return self.model_dump_json(indent=2) + "\n"


def watch_once(
    base_url: str,
    rollback: Rollback,
    *,
    at: datetime | None = None,
    timeout: float = 5,
    match: Matchers | None = None,
) -> WatchResult:
    """Ask the Prometheus at `base_url` whether any rollback criterion fires at `at` (default now).

    Each condition's alert expression (sustained durations included) and its current value are
    queried at that moment, with every series it reads and the scrape interval of the jobs serving
    them. Raises `PrometheusUnavailable` when Prometheus cannot be reached or answers nonsense.
    """
    when = _moment(at)
    compiled = compile_criteria(rollback, match=match)
    server = Prometheus(base_url, timeout)
    base_url = server.base_url  # as the record writes it
    session = _Session(server, when)
    criteria = [_observe(session, c) for c in compiled]
    verdict = _verdict(criteria)
    return WatchResult(
        prometheus=base_url, at=when, verdict=verdict, criteria=criteria, reasons=_reasons(criteria, verdict)
    )


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


def _reasons(criteria: Sequence[CriterionState], verdict: WatchVerdict) -> list[str]:
    if verdict == "ROLLBACK":
        return [f"{c.id} fires ({c.alert})" for c in criteria if c.state == "firing"]
    return [f"{c.id}: {r}" for c in criteria if c.state == "no_data" for r in c.reasons]


@dataclass
class _Session:
    """One watch: the server, the moment, and the scrape targets (asked once, when first needed)."""

    prometheus: Prometheus
    when: datetime
    _intervals: dict[str, float | None] | None = field(default=None, init=False)

    def query(self, expr: str) -> list[tuple[Labels, float]]:
        return self.prometheus.query(expr, self.when)

    def interval(self, job: str) -> float | None:
        if self._intervals is None:
            self._intervals = self.prometheus.scrape_intervals()
        return self._intervals.get(job)


# ---- one criterion -------------------------------------------------------------------------------------


def _observe(session: _Session, compiled: CompiledCriterion) -> CriterionState:
    conditions = [_observe_condition(session, c) for c in compiled.conditions]
    missing = [_missing(m) for m in compiled.metrics if session.query(m.absent)]
    scrape = [check for c in compiled.conditions for check in _scrape_checks(session, c)]
    reasons = _doubts(conditions, missing, scrape)
    firing = any(c.state == "firing" for c in conditions)
    state: State = "firing" if firing else ("no_data" if reasons else _worst(c.state for c in conditions))
    crit = compiled.criterion
    return CriterionState(
        id=crit.id,
        title=crit.title,
        alert=compiled.alert,
        state=state,
        conditions=conditions,
        missing=missing,
        scrape=scrape,
        reasons=reasons,
    )


_SEVERITY_ORDER: tuple[State, ...] = ("firing", "no_data", "pending", "ok")


def _worst(states: Iterable[State]) -> State:
    """Firing outranks doubt, doubt outranks a pending breach, which outranks ok."""
    seen = set(states)
    return next((s for s in _SEVERITY_ORDER if s in seen), "no_data")


def _missing(metric: CompiledMetric) -> MissingSignal:
    return MissingSignal(metric=metric.name, series=metric.series, required=metric.required)


def _doubts(
    conditions: Sequence[ConditionState], missing: Sequence[MissingSignal], scrape: Sequence[ScrapeCheck]
) -> list[str]:
    """Why the criterion cannot be judged (empty: it can)."""
    out = [f"signal missing: no {m.series} series" for m in missing if m.required]
    out += [f"{c.signal}: no value (no series, or NaN)" for c in conditions if c.state == "no_data"]
    for check in scrape:
        if check.ok:
            continue
        need = format_seconds(check.needed_seconds)
        if check.job is None:
            out.append(f"{check.metric}: series without a job label, so its scrape interval is unknown (needs {need})")
        elif check.interval_seconds is None:
            out.append(f"{check.metric}: job {check.job} has no active target reporting its scrape interval")
        else:
            got = format_seconds(check.interval_seconds)
            out.append(f"{check.metric}: job {check.job} scrapes every {got}, too coarse (needs {need} or faster)")
    return out


def _scrape_checks(session: _Session, compiled: CompiledCondition) -> list[ScrapeCheck]:
    out = []
    for metric in compiled.metrics:
        for labels, _ in session.query(metric.jobs):
            job = labels.get("job")
            interval = session.interval(job) if job is not None else None
            ok = interval is not None and interval <= compiled.scrape_seconds
            out.append(
                ScrapeCheck(
                    metric=metric.name,
                    job=job,
                    interval_seconds=interval,
                    needed_seconds=compiled.scrape_seconds,
                    ok=ok,
                )
            )
    return out


# ---- one condition -------------------------------------------------------------------------------------

Key = tuple[tuple[str, str], ...]


def _observe_condition(session: _Session, compiled: CompiledCondition) -> ConditionState:
    values = {_key(labels): (labels, v) for labels, v in session.query(compiled.value)}
    holding = {_key(labels): labels for labels, _ in session.query(compiled.expr)}
    traffic = {_key(labels): v for labels, v in session.query(compiled.traffic)} if compiled.traffic else {}
    series = [
        SeriesState(
            labels=labels,
            value=None if v is None or math.isnan(v) else v,
            firing=key in holding,
            traffic=traffic.get(key),
        )
        for key, (labels, v) in _union(values, holding).items()
    ]
    state = _condition_state(compiled, series)
    recovered, clears = _recovery(session, compiled, series) if state == "firing" else (None, None)
    return ConditionState(
        signal=compiled.condition.signal,
        threshold=compiled.text,
        state=state,
        series=series,
        expr=compiled.expr,
        value_expr=compiled.value,
        comparison=compiled.comparison,
        limit=compiled.threshold,
        floor=compiled.floor,
        recovered_at=recovered,
        clears_at=clears,
        notes=_notes(compiled, series),
    )


def _union(
    values: Mapping[Key, tuple[Labels, float]], holding: Mapping[Key, Labels]
) -> dict[Key, tuple[Labels, float | None]]:
    """Every series either query returned; a holding series without a value has value None."""
    out: dict[Key, tuple[Labels, float | None]] = dict(values)
    for key, labels in holding.items():
        out.setdefault(key, (labels, None))
    return dict(sorted(out.items()))


def _key(labels: Labels) -> Key:
    return tuple(sorted(labels.items()))


def _quiet(compiled: CompiledCondition, series: SeriesState) -> bool:
    """Below the traffic floor: too few requests for the rate to mean anything."""
    return compiled.floor is not None and (series.traffic or 0.0) < compiled.floor


def _condition_state(compiled: CompiledCondition, series: Sequence[SeriesState]) -> State:
    if any(s.firing for s in series):
        return "firing"
    judged = [s for s in series if not _quiet(compiled, s)]
    if not series or any(s.value is None for s in judged):
        return "no_data"
    if any(s.value is not None and compiled.breaches(s.value) for s in judged):
        return "pending"
    return "ok"


def _notes(compiled: CompiledCondition, series: Sequence[SeriesState]) -> list[str]:
    window = compiled.condition.window
    return [
        f"{_shown(s.labels)}: {s.traffic or 0:g} requests in {window}, under the floor of {compiled.floor:g}:"
        " too few to judge the rate"
        for s in series
        if _quiet(compiled, s) and not s.firing
    ]


def _shown(labels: Labels) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "the service"


def _recovery(
    session: _Session, compiled: CompiledCondition, series: Sequence[SeriesState]
) -> tuple[datetime | None, datetime | None]:
    """For a held breach (a halt) that is over: when it was last seen and when the alert clears."""
    if compiled.hold is None or compiled.last_breach is None:
        return None, None
    if any(s.value is None or compiled.breaches(s.value) for s in series if s.firing):
        return None, None  # still breaching: it clears `hold` after it ends
    seen = [v for _, v in session.query(compiled.last_breach)]
    if not seen:
        return None, None
    last = datetime.fromtimestamp(max(seen), UTC)
    return last, last + timedelta(seconds=compiled.hold)
