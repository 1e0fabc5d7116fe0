"""Seed C's rollback criteria compiled to PromQL and to a Prometheus rule file.

One expression per condition serves both: `compile_rules` writes it into an alerting rule, and
`gate.rollback.watch` asks a Prometheus server for the very same expression at one moment. So the rule
file `promtool test rules` proves is the rule `gate rollback watch` evaluates. The criteria reaching
this module are valid (`gate.rollback.criteria` checked them when the checklist loaded); what can still
stop compilation is an unfilled placeholder, and the compiler refuses it.

Design choices (docs/rollback.md explains them for operators):

- **Durations live in the expression, not in `for:`.** "Sustained for 10m" compiles to "the signal
  breached at every 30 s step of the last 10 minutes" with a coverage check, so a series that
  appeared a minute ago cannot pass for ten. Prometheus keeps a `for:` timer only in memory; a watch
  could not ask about it. The alerts carry no `for:`, and a watch with no rules loaded agrees with them.
- **Nothing is silently blind.** Every series a criterion reads has an `absent()` alert named
  `<criterion>-signal-missing`, one rule per metric, labelled with the metric.
- **Label matchers per metric family.** CometBFT's chain metrics and the application's own carry
  different labels: restricting one family never blinds the other.
- **One verdict per chain.** Every expression aggregates `by (chain_id)`; application metrics carry
  none and aggregate as one service.
- **Point values are confirmed** over two evaluations or more; **rates have a traffic floor**.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.errors import UsageError
from gate.model.checklist import Rollback, RollbackCondition, RollbackCriterion
from gate.rollback.criteria import (
    DEFAULT_RATE_RANGE,
    EVAL_STEP_SECONDS,
    FAMILIES,
    SIGNALS,
    Family,
    alert_name,
    averaged_over,
    confirmation,
    format_seconds,
    label_problems,
    min_requests,
    missing_alert_name,
    seconds,
    unready,
)

EVAL_STEP = format_seconds(EVAL_STEP_SECONDS)  # the rule group's interval and the sustained-duration step
GROUP_BY = "chain_id"  # CometBFT labels every metric with it; absent labels group as one series
SEVERITY = "rollback"
VOTE_TYPES = 'vote_type=~"prevote|precommit"'

Matchers = Mapping[Family, Mapping[str, str]]


class RollbackConfigError(UsageError):
    """The rollback section cannot be compiled into rules as written (exit 2)."""


# ---------------------------------------------------------------------------------------------
# What compiling produces
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledMetric:
    """One series a condition reads: its configured name, the selector queried, and its family."""

    key: str
    name: str  # the metric name as queried (a histogram's `_sum` or `_count`)
    series: str
    family: Family
    required: bool = True  # False: absent means zero (an errors counter before the first error)

    @property
    def absent(self) -> str:
        """Non-empty while no such series exists: the condition cannot see."""
        return f"absent({self.series})"

    @property
    def jobs(self) -> str:
        """The scrape jobs the series come from."""
        return f"count by (job) ({self.series})"


@dataclass(frozen=True)
class CompiledCondition:
    """One condition as PromQL: `value` is the signal now, `expr` is non-empty while the condition holds."""

    condition: RollbackCondition
    value: str
    expr: str
    text: str
    comparison: str  # how `value` compares with `threshold` (a halt's value is a lower bound: >=)
    threshold: float
    metrics: tuple[CompiledMetric, ...]
    scrape_seconds: float  # the coarsest scrape interval this condition can be judged at
    scrape_why: str
    traffic: str | None = None  # requests in the window, for a rate with a floor
    floor: float | None = None
    hold: float | None = None  # seconds a breach keeps the condition firing after it ends
    last_breach: str | None = None  # the moment of the last breaching step within the hold

    def breaches(self, value: float) -> bool:
        """Whether `value` is on the wrong side of the threshold right now."""
        compare: dict[str, Callable[[float, float], bool]] = {
            ">": operator.gt,
            ">=": operator.ge,
            "<": operator.lt,
            "<=": operator.le,
        }
        return compare[self.comparison](value, self.threshold)


@dataclass(frozen=True)
class CompiledCriterion:
    """One criterion as one alert (its conditions ORed) and its signal-missing alerts."""

    criterion: RollbackCriterion
    alert: str
    conditions: tuple[CompiledCondition, ...]

    @property
    def missing_alert(self) -> str:
        """The name of the alert that says this criterion is blind."""
        return missing_alert_name(self.criterion.id)

    @property
    def expr(self) -> str:
        """The alert's expression: non-empty while any condition holds."""
        if len(self.conditions) == 1:
            return self.conditions[0].expr
        return " or ".join(f"({c.expr})" for c in self.conditions)

    @property
    def metrics(self) -> list[CompiledMetric]:
        """Every series the criterion reads, once each."""
        seen: dict[str, CompiledMetric] = {}
        for cond in self.conditions:
            for metric in cond.metrics:
                seen.setdefault(metric.series, metric)
        return list(seen.values())

    @property
    def scrape_seconds(self) -> float:
        """The coarsest scrape interval every condition of this criterion can be judged at."""
        return min(c.scrape_seconds for c in self.conditions)

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
                "scrape_interval": scrape_text(self),
            },
        }

    def missing_rules(self) -> list[dict[str, Any]]:
        """One `absent()` rule per series, all named `<criterion>-signal-missing`."""
        return [self._missing_rule(m) for m in self.metrics]

    def _missing_rule(self, metric: CompiledMetric) -> dict[str, Any]:
        crit = self.criterion
        if metric.required:
            severity, effect = "critical", "it cannot fire while the series is missing"
        else:
            severity, effect = "warning", "it counts the series as zero while it is missing"
        return {
            "alert": self.missing_alert,
            "expr": metric.absent,
            "labels": {"criterion": crit.id, "metric": metric.name, "severity": severity},
            "annotations": {
                "summary": f"Rollback criterion {crit.id} is blind: no {metric.series} series",
                "description": (
                    f"{crit.title} ({crit.seed}) reads {metric.series}; {effect}. Check the metric name "
                    f"in checklist.yaml (rollback.criteria) and that the {metric.family} exporters are scraped."
                ),
            },
        }


def scrape_text(compiled: CompiledCriterion) -> str:
    """`6s or faster (cometbft_consensus_height: …)`: what the criterion needs from the scrape config."""
    parts = [f"{', '.join(m.name for m in c.metrics)}: {c.scrape_why}" for c in compiled.conditions]
    return f"{format_seconds(compiled.scrape_seconds)} or faster ({'; '.join(parts)})"


# ---------------------------------------------------------------------------------------------
# Compiling: criteria -> PromQL -> a rule file
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiler:
    """What every signal builder needs: the target block time and each family's label matchers."""

    target: float | None  # seconds; None where no criterion is measured in blocks (validated)
    matchers: Mapping[Family, str]

    @property
    def target_seconds(self) -> float:
        """The target block time, for a signal measured in blocks (the model refuses one without it)."""
        assert self.target is not None
        return self.target

    def series(self, name: str, family: Family, suffix: str = "", extra: str = "") -> str:
        """A selector for metric `name` (plus `suffix`), restricted by its family's matchers."""
        inside = ",".join(part for part in (self.matchers[family], extra) if part)
        return f"{name}{suffix}{{{inside}}}" if inside else f"{name}{suffix}"


def compile_criteria(rollback: Rollback, *, match: Matchers | None = None) -> list[CompiledCriterion]:
    """Every criterion compiled, in checklist order.

    `match` adds label matchers per family to those of checklist.yaml (`rollback.match`), e.g.
    `{"chain": {"chain_id": "virtengine-1"}}`; a label given in both takes the value given here.
    """
    holes = unready(rollback)
    if holes:
        raise RollbackConfigError("cannot compile the rollback criteria: " + "; ".join(holes))
    target = None if rollback.target_block_time is None else seconds(rollback.target_block_time)
    ctx = _Compiler(target, _family_matchers(rollback, match or {}))
    return [
        CompiledCriterion(c, alert_name(c.id), tuple(_compile_condition(k, ctx) for k in c.any_of))
        for c in rollback.criteria
    ]


def compile_rules(
    rollback: Rollback, *, group: str = "launch-rollback", match: Matchers | None = None
) -> dict[str, Any]:
    """A Prometheus rule-file document: one group; per criterion its alert, then its signal-missing alerts."""
    rules: list[dict[str, Any]] = []
    for compiled in compile_criteria(rollback, match=match):
        rules += [compiled.rule(), *compiled.missing_rules()]
    return {"groups": [{"name": group, "interval": EVAL_STEP, "rules": rules}]}


def render_rules(rollback: Rollback, *, group: str = "launch-rollback", match: Matchers | None = None) -> str:
    """`compile_rules` as YAML text, headed by the scrape interval each criterion needs: same input, same bytes."""
    import yaml  # only the `rules` command pays for it

    doc = compile_rules(rollback, group=group, match=match)
    header = ["# Generated by `gate rollback rules` from checklist.yaml (rollback). Do not edit."]
    header.append("# Scrape intervals these rules need (Prometheus sees nothing shorter than it scrapes):")
    header += [f"#   {c.criterion.id}: {scrape_text(c)}" for c in compile_criteria(rollback, match=match)]
    return "\n".join(header) + "\n" + yaml.safe_dump(doc, sort_keys=False, width=10_000, allow_unicode=True)


def _family_matchers(rollback: Rollback, extra: Matchers) -> dict[Family, str]:
    out: dict[Family, str] = {}
    for family in FAMILIES:
        chosen = {**getattr(rollback.match, family), **extra.get(family, {})}
        for label in chosen:
            problems = label_problems(label)
            if problems:
                raise RollbackConfigError(problems[0])
        # json.dumps escapes quotes, backslashes and newlines as PromQL's double-quoted strings expect.
        out[family] = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(chosen.items()))
    return out


def _num(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class _Signal:
    """What a signal builder works out: the value, how it is judged, and what it needs to be seen."""

    value: str
    metrics: tuple[CompiledMetric, ...]
    scrape_seconds: float
    scrape_why: str
    phrase: str = ""  # how the window reads in the threshold text
    gated: str | None = None  # the value as the alert judges it, when a floor filters it
    expr: str | None = None  # a ready alert expression (the halt's hold)
    comparison: str | None = None
    traffic: str | None = None
    floor: float | None = None
    hold: float | None = None
    last_breach: str | None = None


def _compile_condition(cond: RollbackCondition, ctx: _Compiler) -> CompiledCondition:
    signal = _SIGNALS[cond.signal](cond, ctx)
    comparison = signal.comparison or cond.comparison
    expr = signal.expr or _holds(signal.gated or signal.value, comparison, cond)
    return CompiledCondition(
        condition=cond,
        value=signal.value,
        expr=expr,
        text=_describe(cond, signal, ctx),
        comparison=comparison,
        threshold=cond.threshold,
        metrics=signal.metrics,
        scrape_seconds=signal.scrape_seconds,
        scrape_why=signal.scrape_why,
        traffic=signal.traffic,
        floor=signal.floor,
        hold=signal.hold,
        last_breach=signal.last_breach,
    )


def _holds(value: str, comparison: str, cond: RollbackCondition) -> str:
    """Non-empty while the condition holds; sustained (`for`, or a point value's confirmation) at every step.

    A signal already spanning a range R (an average, a rate, a peak) covers R of the duration D, so
    the steps span D - R: "block time averaged over every 2-minute stretch of the last 20 minutes".
    """
    threshold = _num(cond.threshold)
    sustain = cond.sustained_for or confirmation(cond)
    if sustain is None:
        return f"{value} {comparison} {threshold}"
    span = seconds(sustain) - averaged_over(cond)  # at least one step: the validator sees to it
    rng = f"[{format_seconds(span)}:{EVAL_STEP}]"
    # Every step breached <=> the least breaching step breached.
    extreme = "min_over_time" if comparison in (">", ">=") else "max_over_time"
    # A series with a short history would pass on the few steps it has: demand a value at every
    # step from `span` ago on. Prometheus 2 counts both ends of a subquery range and 3 only the
    # right one; one step more range and one value more than span/step holds in both.
    cover = f"[{format_seconds(span + EVAL_STEP_SECONDS)}:{EVAL_STEP}]"
    need = _num(math.floor(span / EVAL_STEP_SECONDS) + 1)
    return f"{extreme}(({value}){rng}) {comparison} {threshold} and count_over_time(({value}){cover}) >= {need}"


def _window_avg(value: str, cond: RollbackCondition) -> tuple[str, str]:
    """Gauges: a `window` means the average over it."""
    if cond.window is None:
        return value, ""
    return f"avg_over_time(({value})[{cond.window}:{EVAL_STEP}])", f"averaged over {cond.window}"


def _quarter(range_seconds: float, what: str) -> tuple[float, str]:
    """Four samples in every range a function reads: Prometheus's own rule of thumb for rate()."""
    return range_seconds / 4, f"{what} over {format_seconds(range_seconds)} needs 4 samples in it"


def _halted_blocks(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    """Block slots the chain went without a new block, measured at the chain's maximum height.

    Per node and step, its latest height sample is compared with its latest one `look` earlier
    (`lag`, the shortest stall that breaches, (threshold + 1) target block times, plus one block
    time). Equal heights mean no block between the two samples' own timestamps, so a missed scrape is
    never a halt, and the stall lasted *longer* than that span: a block came before the first sample
    and the next after the last. With a sample every block time or faster the span is `lag` or more
    at every step inside a stall, so a span of `lag` or more breaches (>=, on a lower bound).

    Only nodes at the chain's maximum height speak, and all of them must have stalled: a node still
    catching up (its height rising, below the chain's) cannot mask a halt, and a dead node's last
    sample drops out once it is older than `look`. The alert holds for `window` after the last breach.
    """
    assert cond.window is not None  # validated: a halt criterion has its window
    target = ctx.target_seconds
    lag_seconds = (cond.threshold + 1) * target
    look = _num(lag_seconds + target)
    height = ctx.series(cond.metrics["height"], "chain")
    prior = f"{height} offset {format_seconds(lag_seconds + target)}"
    span = f"(timestamp({height}) - timestamp({prior}))"
    stalled = f"(({height} - {prior}) == bool 0)"
    per_node = f"clamp_min({span} / {_num(target)} - 1, 0) * {stalled}"
    leaders = f"({height} == on ({GROUP_BY}) group_left max by ({GROUP_BY}) ({height}))"
    fresh = f"(timestamp({height}) > time() - {look})"
    instant = f"min by ({GROUP_BY}) ({per_node} and {leaders} and {fresh})"
    threshold = _num(cond.threshold)
    hold = f"[{cond.window}:{format_seconds(target / 2)}]"
    sure = format_seconds(lag_seconds + 2.5 * target)
    return _Signal(
        value=instant,
        metrics=(CompiledMetric("height", cond.metrics["height"], height, "chain"),),
        scrape_seconds=target,
        scrape_why=(
            f"equal heights {format_seconds(lag_seconds + target)} apart mean a stall of "
            f"{format_seconds(lag_seconds)} or more only with a sample every block time; "
            f"then every stall of {sure} or more is seen"
        ),
        phrase=f"(no block at the chain's height for {format_seconds(lag_seconds)} or more) within {cond.window}",
        expr=f"max_over_time(({instant}){hold}) >= {threshold}",
        comparison=">=",
        hold=seconds(cond.window),
        last_breach=f"max_over_time(timestamp({instant} >= {threshold}){hold})",
    )


def _participation(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    """The peak share of voting power that voted in a round, over `window`, in percent.

    CometBFT's `round_voting_power_percent` (0–1.0 per vote type) restarts at 0 with every round and
    climbs as votes arrive, so only its peak means anything. A commit needs more than 2/3, so the
    last commit's missing power can never show participation under 67 %; a stuck round's votes can.
    The best-connected node speaks for the chain (it has heard the most votes).
    """
    assert cond.window is not None  # validated: the peak needs its window
    name = cond.metrics["round_voting_power"]
    gauge = ctx.series(name, "chain", extra=VOTE_TYPES)
    scrape, why = _quarter(seconds(cond.window), "the peak of each round's votes")
    return _Signal(
        value=f"100 * max by ({GROUP_BY}) (max_over_time({gauge}[{cond.window}]))",
        metrics=(CompiledMetric("round_voting_power", name, gauge, "chain"),),
        scrape_seconds=scrape,
        scrape_why=why,
        phrase=f"(each round's peak voting power, over {cond.window})",
    )


def _block_time(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    rng = cond.window or DEFAULT_RATE_RANGE
    name = cond.metrics["interval"]
    total, count = ctx.series(name, "chain", "_sum"), ctx.series(name, "chain", "_count")
    mean = f"sum by ({GROUP_BY}) (rate({total}[{rng}])) / sum by ({GROUP_BY}) (rate({count}[{rng}]))"
    scrape, why = _quarter(seconds(rng), "rate()")
    return _Signal(
        value=f"{mean} / {_num(ctx.target_seconds)}",
        metrics=(
            CompiledMetric("interval", f"{name}_sum", total, "chain"),
            CompiledMetric("interval", f"{name}_count", count, "chain"),
        ),
        scrape_seconds=scrape,
        scrape_why=why,
        phrase=f"averaged over {rng}",
    )


def _verification_error_rate(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    """Errors per request over `window`, in percent, judged only above a traffic floor.

    An errors counter that has not appeared yet while requests flow is zero errors: client libraries
    export a labelled counter only from its first increment.
    """
    assert cond.window is not None  # validated: a rate needs its window
    errors_series = ctx.series(cond.metrics["errors"], "application")
    total_series = ctx.series(cond.metrics["total"], "application")
    total = f"sum by ({GROUP_BY}) (increase({total_series}[{cond.window}]))"
    errors = f"(sum by ({GROUP_BY}) (increase({errors_series}[{cond.window}])) or 0 * {total})"
    value = f"100 * {errors} / {total}"
    floor = float(min_requests(cond) or 0)
    scrape, why = _quarter(seconds(cond.window), "increase()")
    return _Signal(
        value=value,
        metrics=(
            CompiledMetric("errors", cond.metrics["errors"], errors_series, "application", required=False),
            CompiledMetric("total", cond.metrics["total"], total_series, "application"),
        ),
        scrape_seconds=scrape,
        scrape_why=why,
        phrase=f"over {cond.window} (with {_num(floor)} requests or more)",
        gated=f"({value} and {total} >= {_num(floor)})",
        traffic=total,
        floor=floor,
    )


def _point(cond: RollbackCondition, value: str, key: str, ctx: _Compiler) -> _Signal:
    """A gauge read at one moment (or averaged over `window`)."""
    series = ctx.series(cond.metrics[key], "application")
    shown, phrase = _window_avg(value.format(series=series), cond)
    if cond.window is not None:
        scrape, why = _quarter(seconds(cond.window), "the average")
    else:
        scrape, why = EVAL_STEP_SECONDS, "each evaluation, 30s apart, must read a new sample to confirm"
    confirm = confirmation(cond)
    return _Signal(
        value=shown,
        metrics=(CompiledMetric(key, cond.metrics[key], series, "application"),),
        scrape_seconds=scrape,
        scrape_why=why,
        phrase=phrase or (f"confirmed over {confirm}" if confirm else ""),
    )


def _billing_mismatch(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    return _point(cond, f"100 * max by ({GROUP_BY}) ({{series}})", "mismatch_ratio", ctx)


def _dispute_workflow(cond: RollbackCondition, ctx: _Compiler) -> _Signal:
    # The value is the health gauge (1 healthy, 0 failing): any replica failing fails the workflow.
    return _point(cond, f"min by ({GROUP_BY}) ({{series}})", "healthy", ctx)


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
    """`participation < 67% (…) for 10m`: the threshold as an operator reads it."""
    text = f"{cond.signal} {cond.comparison} {_num(cond.threshold)}{_UNIT_TEXT[SIGNALS[cond.signal].unit]}"
    if cond.unit == "ratio_to_target":
        text += f" ({format_seconds(ctx.target_seconds)})"
    if cond.signal == "dispute_workflow_failing":
        text += " (health gauge: 1 healthy, 0 failing)"
    if signal.phrase:
        text += f" {signal.phrase}"
    if cond.sustained_for is not None:
        text += f" for {cond.sustained_for}"
    return text
