"""`gate check`: load, verify every hash, score, weigh the decision in force -> one Scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gate.decision import Evaluation, evaluate, invalid_records, judge_recorded
from gate.errors import InputError
from gate.evidence.hashing import Progress
from gate.launch import prepare
from gate.load import MANIFEST
from gate.model.scorecard import (
    InputErrorEntry,
    IntegrityFailure,
    RecordedDecision,
    Scorecard,
    Totals,
    Where,
)
from gate.windows import upcoming


@dataclass(frozen=True)
class CheckRequest:
    """What `gate check` was asked."""

    repo: Path
    at: datetime | None = None
    progress: Progress | None = None  # told of the bytes hashed, for a terminal to show


def run_check(request: CheckRequest) -> Scorecard:
    """Everything `gate check` reports (`gate.cli.exit_code` says how it ends the process)."""
    at = request.at or datetime.now(UTC)
    loaded, checks, errors = prepare(request.repo, request.progress)
    if loaded is None:
        return _unusable(errors, at)
    evaluation = evaluate(loaded, checks, at)
    return _scorecard(evaluation, judge_recorded(evaluation))


def _decision_failures(evaluation: Evaluation, recorded: RecordedDecision | None) -> list[IntegrityFailure]:
    """The record in force if it does not hold, and every other record that is no decision at all."""
    out = []
    if recorded is not None and not recorded.holds:
        out.append(IntegrityFailure(path=recorded.file, message="; ".join(recorded.reasons)))
    for file, problems in invalid_records(evaluation.loaded, evaluation.at):
        if recorded is None or file != recorded.file:
            out.append(IntegrityFailure(path=file, message="not a decision: " + "; ".join(problems)))
    return out


def _scorecard(evaluation: Evaluation, recorded: RecordedDecision | None) -> Scorecard:
    loaded = evaluation.loaded
    launch = loaded.checklist.launch
    blocking = list(evaluation.blocking)
    if recorded is not None and not recorded.holds:
        blocking.insert(0, f"{recorded.file} does not hold: " + "; ".join(recorded.reasons))
    return Scorecard(
        launch=launch.name,
        network=launch.network,
        release_tag=launch.release_tag,
        evaluated_at=evaluation.at,
        decision="GO" if not blocking else "NO-GO",
        blocking=blocking,
        items=evaluation.readiness.items,
        signoffs=evaluation.readiness.signoffs,
        integrity=_integrity(evaluation) + _decision_failures(evaluation, recorded),
        errors=[],
        totals=evaluation.readiness.totals,
        manifest_sha256=evaluation.manifest_sha256,
        scorecard_sha256=evaluation.scorecard_sha256,
        recorded_decision=recorded,
        upcoming=upcoming(loaded.checklist, evaluation.at),
    )


def _integrity(evaluation: Evaluation) -> list[IntegrityFailure]:
    out = []
    for n, artifact in enumerate(evaluation.loaded.manifest.artifacts):
        check = evaluation.checks[artifact.id]
        if check.problem:
            loc = evaluation.loaded.locate(MANIFEST, ("artifacts", n, "sha256"))
            where = Where(file=loc.file, line=loc.line, column=loc.column)
            out.append(IntegrityFailure(path=artifact.path, message=check.problem, artifact=artifact.id, where=where))
    return out


def _unusable(errors: list[InputError], at: datetime) -> Scorecard:
    entries = [
        InputErrorEntry(
            file=e.location.file, line=e.location.line, column=e.location.column, message=e.message, source=e.source
        )
        for e in sorted(errors, key=lambda e: (e.location.file, e.location.line, e.location.column))
    ]
    return Scorecard(
        launch="",
        network="",
        release_tag="",
        evaluated_at=at,
        decision="NO-GO",
        blocking=[f"{len(errors)} input error(s): the launch files cannot be evaluated"],
        items=[],
        signoffs=[],
        integrity=[],
        errors=entries,
        totals=Totals(),
        manifest_sha256=None,
        scorecard_sha256=None,
        recorded_decision=None,
        upcoming=[],
    )
