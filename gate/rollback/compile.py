"""Seed C's rollback criteria compiled to PromQL and to a Prometheus rule file.

One expression per condition serves both: `compile_rules` writes it into an alerting rule, and
`gate.rollback.watch` asks a Prometheus server for the very same expression at one moment. So the rule
file `promtool test rules` proves is the rule `gate rollback watch` evaluates.

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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.errors import UsageError
from gate.model.checklist import Rollback, RollbackCondition, RollbackCriterion

EVAL_STEP = "30s"  # the rule group's interval, and the step of every sustained-duration subquery
DEFAULT_BLOCK_TIME_RANGE = "2m"  # ≥ 2 scrapes even at a 1 m scrape interval; counts towards `for`
GROUP_BY = "chain_id"  # CometBFT labels every metric with it; absent labels group as one series
SEVERITY = "rollback"

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
class _Compiler:
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
    ctx = _Compiler(_target_seconds(rollback.target_block_time), _matchers(selector or {}))
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


def _compile_condition(criterion_id: str, cond: RollbackCondition, ctx: _Compiler) -> CompiledCondition:
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


def _halted_blocks(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
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


def _participation(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    missing = ctx.metric(cond.metrics["missing_power"])
    total = ctx.metric(cond.metrics["total_power"])
    # Nodes report the same last commit; a lagging node's stale view must not trigger a rollback.
    return _window_avg(f"max by ({GROUP_BY}) (100 * (1 - {missing} / {total}))", cond)


def _block_time(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    rng = cond.window or DEFAULT_BLOCK_TIME_RANGE
    name = cond.metrics["interval"]
    total = f"sum by ({GROUP_BY}) (rate({ctx.metric(name, '_sum')}[{rng}]))"
    count = f"sum by ({GROUP_BY}) (rate({ctx.metric(name, '_count')}[{rng}]))"
    expr = f"{total} / {count} / {_num(ctx.target_seconds)}"
    return _Signal(expr, _seconds(rng), f"averaged over {rng}")


def _verification_error_rate(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    if cond.window is None:
        raise RollbackConfigError("needs a window: the range errors and requests are counted over")
    errors = f"sum by ({GROUP_BY}) (increase({ctx.metric(cond.metrics['errors'])}[{cond.window}]))"
    total = f"sum by ({GROUP_BY}) (increase({ctx.metric(cond.metrics['total'])}[{cond.window}]))"
    return _Signal(f"100 * {errors} / {total}", _seconds(cond.window), f"over {cond.window}")


def _billing_mismatch(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    ratio = ctx.metric(cond.metrics["mismatch_ratio"])
    return _window_avg(f"100 * max by ({GROUP_BY}) ({ratio})", cond)


def _dispute_workflow(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    # The value is the health gauge (1 healthy, 0 failing): any replica failing fails the workflow.
    return _window_avg(f"min by ({GROUP_BY}) ({ctx.metric(cond.metrics['healthy'])})", cond)


_SIGNALS: dict[str, Callable[[RollbackCondition, _Compiler], _Signal]] = {
    "halted_blocks": _halted_blocks,
    "participation": _participation,
    "block_time": _block_time,
    "verification_error_rate": _verification_error_rate,
    "billing_mismatch": _billing_mismatch,
    "dispute_workflow_failing": _dispute_workflow,
}

_UNIT_TEXT = {"blocks": " blocks", "percent": "%", "ratio_to_target": "x target", "boolean": ""}


def _describe(cond: RollbackCondition, signal: _Signal, ctx: _Compiler) -> str:
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
