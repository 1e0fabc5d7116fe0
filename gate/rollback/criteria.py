"""The one validator of rollback criteria: units, comparisons, metrics, matchers and durations.

`gate check` (through the `Rollback` model, so a broken criterion is an input error at its line and
column) and `gate rollback rules` / `watch` (through the same model, and `match_option` for the
command line) ask here and nowhere else. Pure: no HTTP, no files.

Two kinds of findings, on purpose:

- **structural problems** (`rollback_problems`): a criterion that can never mean what it says — a
  threshold in the wrong unit, NaN, a comparison the signal cannot make, a duration of zero, a
  metric name Prometheus would reject. The file is wrong: exit 2, FILE:LINE:COL.
- **unfilled placeholders** (`unready`): `target_block_time: <insert …>` is honest work in
  progress. It fails item C-rollback-criteria (so the launch is NO-GO) and the compiler refuses
  it, but the file is usable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from gate.placeholders import find_placeholders

if TYPE_CHECKING:  # the model imports this module to validate itself
    from gate.model.checklist import Rollback, RollbackCondition, RollbackCriterion

Family = Literal["chain", "application"]
FAMILIES: tuple[Family, ...] = ("chain", "application")
_FAMILY: dict[str, Family] = {f: f for f in FAMILIES}
Path_ = tuple[str | int, ...]

EVAL_STEP_SECONDS = 30  # the rule group's interval, and the step of every sustained-duration subquery
DEFAULT_CONFIRM = "1m"  # a point-value condition must hold this long: at least two evaluations
DEFAULT_MIN_REQUESTS = 100  # a rate criterion judges no window with fewer requests than this
DEFAULT_RATE_RANGE = "2m"  # block time's rate() range when the condition sets no window

_DURATION = re.compile(r"^([0-9]+)([smh])$")
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600}
# Criteria judge minutes and hours of a launch; a week bounds every duration (and keeps each one inside
# what Prometheus parses: a duration past its range makes the whole rule file fail to load).
MAX_DURATION_SECONDS = 7 * 24 * 3600
# Past these a criterion could never fire in a launch (and its arithmetic would leave floats' range).
MAX_BLOCKS = 100_000
MAX_RATIO = 1_000
MAX_MIN_REQUESTS = 10_000_000
_MAX_DIGITS = 12


@dataclass(frozen=True)
class SignalSpec:
    """What one signal measures and which conditions on it make sense."""

    unit: str
    metrics: Mapping[str, Family]  # metric key -> the family whose label matchers select it
    comparisons: tuple[str, ...]  # the directions a breach can go
    low: float  # the threshold's range, inclusive
    high: float
    window: Literal["required", "optional"]
    window_means: str
    point: bool = False  # a gauge read at one moment: without `for` it needs confirmation
    rate: bool = False  # a ratio of counters: it has a traffic floor
    optional_metrics: frozenset[str] = field(default_factory=frozenset)  # absent means zero
    in_blocks: bool = False  # measured in target block times: needs rollback.target_block_time


SIGNALS: dict[str, SignalSpec] = {
    "halted_blocks": SignalSpec(
        "blocks",
        {"height": "chain"},
        (">", ">="),
        0,
        MAX_BLOCKS,
        "required",
        "the range a stall is looked for in",
        in_blocks=True,
    ),
    "participation": SignalSpec(
        "percent",
        {"round_voting_power": "chain"},
        ("<", "<="),
        0,
        100,
        "required",
        "the span each round's peak voting power is taken over",
    ),
    "block_time": SignalSpec(
        "ratio_to_target",
        {"interval": "chain"},
        (">", ">="),
        0,
        MAX_RATIO,
        "optional",
        "the range block intervals are averaged over",
        in_blocks=True,
    ),
    "verification_error_rate": SignalSpec(
        "percent",
        {"errors": "application", "total": "application"},
        (">", ">="),
        0,
        100,
        "required",
        "the range errors and requests are counted over",
        rate=True,
        optional_metrics=frozenset({"errors"}),
    ),
    "billing_mismatch": SignalSpec(
        "percent",
        {"mismatch_ratio": "application"},
        (">", ">="),
        0,
        100,
        "optional",
        "the range the ratio is averaged over",
        point=True,
    ),
    "dispute_workflow_failing": SignalSpec(
        "boolean",
        {"healthy": "application"},
        ("<", "<="),
        0,
        1,
        "optional",
        "the range the health gauge is averaged over",
        point=True,
    ),
}


@dataclass(frozen=True)
class Problem:
    """One structural problem, at a path inside the `rollback` section (`key`: the mapping key itself)."""

    path: Path_
    message: str
    key: bool = False


# ---- durations ---------------------------------------------------------------------------------------


def is_duration(text: str) -> bool:
    """`10m`, `30s`, `1h`: the one duration form checklist.yaml uses."""
    return _DURATION.match(text) is not None


def seconds(duration: str) -> float:
    """`10m` -> 600.0 (the text must be a duration: the model has checked it). Infinite for a number
    of more digits than any duration needs: `int()` of thousands of digits is refused and `float()`
    of hundreds overflows; the validator then says it is too long, at its line and column."""
    match = _DURATION.match(duration)
    if match is None:
        raise ValueError(f"{duration!r} is not a duration like 10m")
    digits, unit = match.groups()
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        return math.inf
    return float(int(digits) * _SECONDS[unit])


def _too_long(name: str, value: str) -> Problem | None:
    """A duration past the longest a launch's rollback watch judges (a week), or None."""
    if seconds(value) <= MAX_DURATION_SECONDS:
        return None
    shown = value if len(value) <= 24 else f"{value[:20]}…{value[-1]}"
    return Problem((name,), f"{name} {shown} is longer than {format_seconds(MAX_DURATION_SECONDS)} (7 days)")


def format_seconds(value: float) -> str:
    """PromQL duration text in one unit (`18m`, `24s`, `1500ms`): Prometheus 2 and 3 read them all."""
    millis = round(value * 1000)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


# ---- what a condition works out to ---------------------------------------------------------------------


def averaged_over(cond: RollbackCondition) -> float:
    """Seconds of history the signal's own value already spans (0 for a point value)."""
    if cond.signal == "block_time":
        return seconds(cond.window or DEFAULT_RATE_RANGE)
    if cond.signal == "halted_blocks":
        return 0.0  # its window is a hold, not an average
    return seconds(cond.window) if cond.window else 0.0


def confirmation(cond: RollbackCondition) -> str | None:
    """How long a point-value condition without `for` must hold before it fires (None: not needed)."""
    spec = SIGNALS[cond.signal]
    if not spec.point or cond.sustained_for is not None or cond.window is not None:
        return None
    return cond.confirm or DEFAULT_CONFIRM


def min_requests(cond: RollbackCondition) -> int | None:
    """A rate condition's traffic floor (None for the other signals)."""
    if not SIGNALS[cond.signal].rate:
        return None
    return DEFAULT_MIN_REQUESTS if cond.min_requests is None else cond.min_requests


# ---- structural problems --------------------------------------------------------------------------------


def rollback_problems(rollback: Rollback) -> list[Problem]:
    """Every structural problem of the rollback section, each at the field it is about."""
    out = list(_target_problems(rollback))
    out += _match_problems(rollback)
    out += _identity_problems(rollback.criteria)
    target = _known_target(rollback.target_block_time)
    for n, criterion in enumerate(rollback.criteria):
        for k, cond in enumerate(criterion.any_of):
            base: Path_ = ("criteria", n, "any_of", k)
            out += [Problem((*base, *p.path), p.message, p.key) for p in condition_problems(cond, target)]
    return out


def condition_problems(cond: RollbackCondition, target: float | None) -> list[Problem]:
    """One condition's problems, at paths inside the condition; `target` in seconds when known."""
    spec = SIGNALS[cond.signal]
    out = _measure_problems(cond, spec)
    out += _metric_problems(cond, spec)
    out += _duration_problems(cond, spec, target)
    out += _option_problems(cond, spec)
    return out


def _measure_problems(cond: RollbackCondition, spec: SignalSpec) -> list[Problem]:
    out = []
    if cond.unit != spec.unit:
        out.append(Problem(("unit",), f"signal {cond.signal} is measured in {spec.unit}, not {cond.unit}"))
    if cond.comparison not in spec.comparisons:
        ways = " or ".join(spec.comparisons)
        out.append(Problem(("comparison",), f"signal {cond.signal} breaches with {ways}, not {cond.comparison}"))
    if not math.isfinite(cond.threshold):
        out.append(Problem(("threshold",), f"threshold must be a finite number, not {cond.threshold}"))
    elif not spec.low <= cond.threshold <= spec.high:
        out.append(Problem(("threshold",), f"{cond.threshold} is not {_range_text(spec)}"))
    elif (cond.comparison == ">" and cond.threshold >= spec.high) or (
        cond.comparison == "<" and cond.threshold <= spec.low
    ):
        # Silent forever: no value of the signal is past it, so the criterion could never fire.
        edge = f"{cond.comparison} {cond.threshold:g}"
        out.append(Problem(("threshold",), f"signal {cond.signal} is never {edge}: this criterion could never fire"))
    return out


def _range_text(spec: SignalSpec) -> str:
    if spec.unit == "percent":
        return "a percentage (0 to 100)"
    if spec.unit == "boolean":
        return "a health level between 0 (failing) and 1 (healthy)"
    return f"a count of blocks from 0 to {MAX_BLOCKS}" if spec.unit == "blocks" else f"a ratio from 0 to {MAX_RATIO}"


def _metric_problems(cond: RollbackCondition, spec: SignalSpec) -> list[Problem]:
    need = list(spec.metrics)
    missing = [m for m in need if m not in cond.metrics]
    out = []
    if missing:
        takes = ", ".join(need)
        out.append(Problem(("metrics",), f"signal {cond.signal} takes metrics {takes}; missing: {', '.join(missing)}"))
    for key, name in cond.metrics.items():
        if key not in spec.metrics:
            out.append(Problem(("metrics", key), f"signal {cond.signal} takes no metric {key!r}", key=True))
        elif find_placeholders(name):
            continue  # unfilled: `unready` reports it
        elif not _METRIC_NAME.match(name):
            out.append(Problem(("metrics", key), f"{name!r} is not a Prometheus metric name"))
        elif cond.signal == "block_time" and name.endswith(("_sum", "_count", "_bucket")):
            out.append(Problem(("metrics", key), f"give the histogram's base name, without {name.rsplit('_', 1)[1]}"))
    return out


def _duration_problems(cond: RollbackCondition, spec: SignalSpec, target: float | None) -> list[Problem]:
    out = []
    for name in ("window", "for", "confirm"):
        value = cond.sustained_for if name == "for" else getattr(cond, name)
        if value is not None and seconds(value) <= 0:
            out.append(Problem((name,), f"{name} must be longer than 0s"))
        elif value is not None and (long := _too_long(name, value)):
            out.append(long)
    if out:
        return out
    if spec.window == "required" and cond.window is None:
        out.append(Problem(("window",), f"signal {cond.signal} needs a window: {spec.window_means}"))
    if cond.signal == "halted_blocks":
        out += _halt_problems(cond, target)
    elif cond.sustained_for is not None:
        out += _sustain_problems(cond)
    if cond.signal == "participation" and cond.window and target and seconds(cond.window) < 2 * target:
        out.append(Problem(("window",), f"a peak over {cond.window} can miss whole rounds: use 2 block times or more"))
    return out


def _halt_problems(cond: RollbackCondition, target: float | None) -> list[Problem]:
    if cond.sustained_for is not None:
        return [Problem(("for",), "a stall is already a duration: say how long with threshold and window, not for")]
    spec = SIGNALS[cond.signal]
    if target is None or cond.window is None or not spec.low <= cond.threshold <= spec.high:
        return []  # an unknown target, or a threshold out of range (said where it is measured)
    stall = (cond.threshold + 1) * target
    if seconds(cond.window) < stall:
        why = f"window {cond.window} is shorter than the stall it looks for ({format_seconds(stall)})"
        return [Problem(("window",), why)]
    return []


def _sustain_problems(cond: RollbackCondition) -> list[Problem]:
    assert cond.sustained_for is not None
    averaged = averaged_over(cond)
    if seconds(cond.sustained_for) - averaged < EVAL_STEP_SECONDS:
        over = f" than the {format_seconds(averaged)} the signal already spans" if averaged else ""
        why = f"for {cond.sustained_for} must be at least {EVAL_STEP_SECONDS}s longer{over}: two evaluations"
        return [Problem(("for",), why)]
    return []


def _option_problems(cond: RollbackCondition, spec: SignalSpec) -> list[Problem]:
    out = []
    if cond.confirm is not None and confirmation(cond) is None:
        why = "confirm applies to a point-value condition (billing_mismatch, dispute_workflow_failing) without for"
        out.append(Problem(("confirm",), why + " or window"))
    elif cond.confirm is not None and 0 < seconds(cond.confirm) < EVAL_STEP_SECONDS:
        out.append(Problem(("confirm",), f"confirm must be {EVAL_STEP_SECONDS}s or more: two evaluations"))
    if cond.min_requests is not None and not spec.rate:
        out.append(Problem(("min_requests",), "min_requests applies to a rate signal (verification_error_rate)"))
    elif cond.min_requests is not None and cond.min_requests < 1:
        out.append(Problem(("min_requests",), "min_requests must be 1 or more"))
    elif cond.min_requests is not None and cond.min_requests > MAX_MIN_REQUESTS:
        why = f"min_requests must be at most {MAX_MIN_REQUESTS}: a floor no launch window reaches never fires"
        out.append(Problem(("min_requests",), why))
    return out


def _target_problems(rollback: Rollback) -> Iterator[Problem]:
    target = rollback.target_block_time
    if target is None:
        # Absent (not a placeholder): the file says there is no block time, so a criterion in blocks
        # could never be compiled. Said at each such condition, where the mistake is.
        for n, criterion in enumerate(rollback.criteria):
            for k, cond in enumerate(criterion.any_of):
                if SIGNALS[cond.signal].in_blocks:
                    why = f"signal {cond.signal} is measured in target block times: set rollback.target_block_time"
                    yield Problem(("criteria", n, "any_of", k, "signal"), why)
        return
    if find_placeholders(target):
        return
    if not is_duration(target):
        yield Problem(("target_block_time",), f"{target!r} is not a duration like 6s")
    elif seconds(target) <= 0:
        yield Problem(("target_block_time",), "target_block_time must be longer than 0s")
    elif long := _too_long("target_block_time", target):
        yield long


def _known_target(target: str | None) -> float | None:
    if target is None or find_placeholders(target) or not is_duration(target):
        return None
    value = seconds(target)
    return value if 0 < value <= MAX_DURATION_SECONDS else None


def _match_problems(rollback: Rollback) -> list[Problem]:
    out = []
    for family in FAMILIES:
        for label in getattr(rollback.match, family):
            for why in label_problems(label):
                out.append(Problem(("match", family, label), why, key=True))
    return out


def label_problems(label: str) -> list[str]:
    """Why `label` cannot select series (empty: it can)."""
    if not _LABEL_NAME.match(label):
        return [f"{label!r} is not a Prometheus label name"]
    if label.startswith("__"):
        return [f"{label!r} is reserved by Prometheus: select by a label of the series"]
    return []


def alert_name(criterion_id: str) -> str:
    """`consensus-failure` -> `RollbackConsensusFailure`: Prometheus's CamelCase alert convention."""
    parts = re.split(r"[^A-Za-z0-9]+", criterion_id)
    return "Rollback" + "".join(p[:1].upper() + p[1:] for p in parts if p)


def missing_alert_name(criterion_id: str) -> str:
    """`consensus-failure` -> `consensus-failure-signal-missing`: the alert that says the criterion is blind."""
    return f"{criterion_id}-signal-missing"


def _identity_problems(criteria: Sequence[RollbackCriterion]) -> list[Problem]:
    out = []
    seen: dict[str, str] = {}
    for n, criterion in enumerate(criteria):
        alert = alert_name(criterion.id)
        if alert in seen:
            first = seen[alert]
            why = f"criterion {criterion.id!r} names the same alert as {first!r} ({alert})"
            out.append(Problem(("criteria", n, "id"), why if first != criterion.id else f"duplicate id {first!r}"))
        seen.setdefault(alert, criterion.id)
    return out


# ---- unfilled placeholders -------------------------------------------------------------------------------


def unready(rollback: Rollback) -> list[str]:
    """What must still be filled in before the criteria can be compiled (empty: nothing)."""
    out = []
    if rollback.target_block_time is not None and find_placeholders(rollback.target_block_time):
        out.append(
            f"rollback.target_block_time is not filled in ({rollback.target_block_time}): "
            "block criteria are measured in target block times"
        )
    for family in FAMILIES:
        for label, value in getattr(rollback.match, family).items():
            if find_placeholders(value):
                out.append(f"rollback.match.{family}.{label} is not filled in ({value})")
    for criterion in rollback.criteria:
        for cond in criterion.any_of:
            out += [
                f"rollback criterion {criterion.id}: metric {key} is not filled in ({name})"
                for key, name in cond.metrics.items()
                if find_placeholders(name)
            ]
    return out


# ---- label matchers from the command line ----------------------------------------------------------------


def match_option(text: str) -> tuple[Family, str, str]:
    """`chain:chain_id=virtengine-1` -> ("chain", "chain_id", "virtengine-1"); ValueError says why not."""
    name, sep, rest = text.partition(":")
    family = _FAMILY.get(name)
    if not sep or family is None:
        raise ValueError(
            f"--match {text!r}: name the metric family it restricts, e.g. chain:chain_id=virtengine-1 "
            "(chain: CometBFT's metrics; application: VEID, billing and escrow)"
        )
    label, eq, value = rest.partition("=")
    if not eq or not value:
        raise ValueError(f"--match {text!r}: expected FAMILY:LABEL=VALUE")
    problems = label_problems(label)
    if problems:
        raise ValueError(f"--match {text!r}: {problems[0]}")
    return family, label, value
