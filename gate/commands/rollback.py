"""`gate rollback rules` and `gate rollback watch [--record]`: the criteria compiled, watched, and acted on.

When a watch with `--record` sees a criterion fire, it writes a ROLLBACK decision record (what fired,
its value, the query, the Prometheus asked, when) into decisions/, so `gate check` holds the launch
at NO-GO from then on, and renders the checklist's incident-update status template for the launch
room. The template is rendered once before watching starts, so a missing variable is refused up
front rather than in the middle of a rollback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gate.comms import find_template, launch_values, parse_vars, render, window_in_force
from gate.decision import evaluate
from gate.edit import dump_record, write_atomic
from gate.errors import GateError, UsageError
from gate.launch import load_valid
from gate.load import DECISIONS
from gate.model import Decision
from gate.model.base import format_time
from gate.model.checklist import Checklist
from gate.outputs import refuse_launch_file
from gate.report.output import Output
from gate.rollback.compile import Matchers, compile_criteria, render_rules, scrape_text
from gate.rollback.criteria import Family, match_option
from gate.rollback.prometheus import server_url
from gate.rollback.watch import CriterionState, WatchResult, watch_once

INCIDENT_TEMPLATE = "incident-update"


# ---- rules ---------------------------------------------------------------------------------------------


class CriterionRules(Output):
    """One criterion's alerts and the scrape interval it needs."""

    id: str
    alert: str
    missing_alert: str
    metrics: list[str]
    scrape_interval_seconds: float
    scrape_interval: str


class RulesFile(Output):
    """The rule file's text, where it was written (None: it is printed), and what each criterion needs."""

    text: str
    path: str | None
    criteria: list[CriterionRules]


@dataclass(frozen=True)
class RulesRequest:
    """What `gate rollback rules` was asked."""

    repo: Path
    out: Path | None = None
    match: Sequence[str] = ()


def parse_match(options: Sequence[str]) -> dict[Family, dict[str, str]]:
    """`--match chain:chain_id=virtengine-1 …` as label matchers per metric family."""
    out: dict[Family, dict[str, str]] = {}
    for option in options:
        try:
            family, label, value = match_option(option)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        out.setdefault(family, {})[label] = value
    return out


def rules(request: RulesRequest) -> RulesFile:
    """The rule file for the launch's criteria; written to `request.out` when given."""
    loaded = load_valid(request.repo)[0]
    if request.out is not None:
        refuse_launch_file(request.repo, loaded, request.out, writing="the rules", elsewhere="with --out FILE")
    rollback = loaded.checklist.rollback
    match = parse_match(request.match)
    text = render_rules(rollback, match=match)
    if request.out is not None:
        write_atomic(request.out, text)
    criteria = [
        CriterionRules(
            id=c.criterion.id,
            alert=c.alert,
            missing_alert=c.missing_alert,
            metrics=[m.series for m in c.metrics],
            scrape_interval_seconds=c.scrape_seconds,
            scrape_interval=scrape_text(c),
        )
        for c in compile_criteria(rollback, match=match)
    ]
    return RulesFile(text=text, path=None if request.out is None else str(request.out), criteria=criteria)


# ---- watch ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchRequest:
    """What `gate rollback watch` was asked."""

    repo: Path
    prometheus: str
    at: datetime | None = None
    timeout: float = 5.0
    match: Sequence[str] = ()
    record: bool = False
    template: str = INCIDENT_TEMPLATE
    variables: Sequence[str] = field(default_factory=tuple)


class Watcher:
    """One launch watched against one Prometheus: `once()` per evaluation, recording a ROLLBACK if asked."""

    def __init__(self, request: WatchRequest) -> None:
        self.request = request
        loaded = load_valid(request.repo)[0]
        self.checklist = loaded.checklist
        self.window = window_in_force(loaded, request.at or datetime.now(UTC))
        self.match: Matchers = parse_match(request.match)
        self.url = server_url(request.prometheus)  # no server's URL: a usage error before anything is asked
        self.variables = parse_vars(request.variables)
        if request.record:
            self.status_update()  # refuse a template it cannot fill before anything fires
        elif request.variables:
            raise UsageError("--var fills the status template a ROLLBACK record renders: it needs --record")

    def status_update(self) -> str:
        """The incident-update template, filled in."""
        template = find_template(self.checklist, self.request.template)
        return render(template, self.variables, launch_values(self.checklist, self.window)).text

    def once(self) -> WatchResult:
        """One evaluation; with `--record`, a ROLLBACK verdict is written into decisions/."""
        req = self.request
        result = watch_once(self.url, self.checklist.rollback, at=req.at, timeout=req.timeout, match=self.match)
        if not req.record or result.verdict != "ROLLBACK":
            return result
        update = {"status_update": self.status_update()}
        try:
            update["recorded"] = self._record(result)
        except (GateError, OSError) as exc:
            # The chain fired: that verdict and the incident update must reach the launch room even when
            # the record cannot be written (a launch file broken meanwhile, a record already there).
            update["not_recorded"] = str(exc)
        return result.model_copy(update=update)

    def _record(self, result: WatchResult) -> str:
        loaded, checks = load_valid(self.request.repo)  # the state as it is now, not when the watch began
        evaluation = evaluate(loaded, checks, result.at)
        record = rollback_record(result, loaded.checklist, self.status_update())
        record["scorecard_sha256"] = evaluation.scorecard_sha256
        record["manifest_sha256"] = evaluation.manifest_sha256
        Decision.model_validate(record)  # never write a record `gate check` would refuse
        name = f"{DECISIONS}/{result.at:%Y-%m-%dT%H%M%S}-rollback.yaml"
        if (self.request.repo / name).exists():
            raise UsageError(f"{name} already exists: a ROLLBACK for this moment is recorded")
        write_atomic(self.request.repo / name, dump_record(record, "decision"))
        return name


def rollback_record(result: WatchResult, checklist: Checklist, status_update: str) -> dict[str, Any]:
    """The ROLLBACK decision record of a watch that fired (the digests are the caller's to add)."""
    fired = [_fired(c) for c in result.criteria if c.state == "firing"]
    return {
        "decision": "ROLLBACK",
        "decided_at": format_time(result.at),
        "release_tag": checklist.launch.release_tag,
        "reasons": [f"{f['criterion']} fired: {f['threshold']}" for f in fired],
        "rollback": {"prometheus": result.prometheus, "fired": fired, "status_update": status_update},
    }


def _fired(criterion: CriterionState) -> dict[str, Any]:
    """The first firing condition of a criterion: its series, value and the query that fires."""
    cond = next(c for c in criterion.conditions if c.state == "firing")
    series = next(s for s in cond.series if s.firing)
    return {
        "criterion": criterion.id,
        "alert": criterion.alert,
        "signal": cond.signal,
        "labels": dict(series.labels),
        "value": series.value if series.value is not None and math.isfinite(series.value) else None,
        "threshold": cond.threshold,
        "query": cond.expr,
    }
