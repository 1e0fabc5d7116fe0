"""`gate check`: load, verify every hash, score, weigh the recorded decision -> one Scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gate.errors import InputError, InputErrors
from gate.evidence import ArtifactCheck, manifest_digest, verify
from gate.load import MANIFEST, Loaded, load_repo
from gate.model import Decision
from gate.model.scorecard import (
    InputErrorEntry,
    IntegrityFailure,
    RecordedDecision,
    Scorecard,
    Totals,
    Where,
)
from gate.paths import check_relative
from gate.references import check_references
from gate.score import Readiness, assess, decision_blocking
from gate.windows import upcoming

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


@dataclass(frozen=True)
class CheckRequest:
    """What `gate check` was asked."""

    repo: Path
    at: datetime | None = None
    require_go: bool = False


@dataclass
class Outcome:
    """A fully evaluated launch: the models, the hash checks, and the verdict at `at`."""

    loaded: Loaded
    checks: dict[str, ArtifactCheck]
    readiness: Readiness
    blocking: list[str]
    manifest_sha256: str
    at: datetime

    @property
    def go(self) -> bool:
        return not self.blocking


def evaluate(loaded: Loaded, checks: dict[str, ArtifactCheck], at: datetime) -> Outcome:
    """Readiness plus the latest decision's own conditions (quorum, window, tag), as of `at`."""
    readiness = assess(loaded, checks, at)
    latest = latest_decision(loaded, at)
    integrity = [f"integrity: {c.artifact.path}: {c.problem}" for c in checks.values() if c.problem]
    blocking = integrity + readiness.blocking + decision_blocking(loaded, latest)
    return Outcome(loaded, checks, readiness, blocking, manifest_digest(loaded.manifest), at)


def latest_decision(loaded: Loaded, at: datetime) -> Decision | None:
    """The decision in force at `at`: the latest one taken no later than that moment."""
    taken = [d for _, d in loaded.decisions if d.decided_at <= at]
    return taken[-1] if taken else None


def prepare(repo: Path) -> tuple[Loaded | None, dict[str, ArtifactCheck], list[InputError]]:
    """Load and cross-check every file and hash every artifact; input errors stop evaluation."""
    loaded, errors = load_repo(repo)
    if loaded is None:
        return None, {}, errors
    errors += check_references(loaded)
    checks = {c.artifact.id: c for c in verify(repo, loaded.manifest.artifacts)}
    for n, artifact in enumerate(loaded.manifest.artifacts):
        check = checks[artifact.id]
        # Lexically bad paths are already reported by check_references; here only symlink escapes.
        if check.escapes and check.problem and check_relative(artifact.path) is None:
            errors.append(InputError(loaded.locate(MANIFEST, ("artifacts", n, "path")), check.problem))
    return (None if errors else loaded), checks, errors


def load_valid(repo: Path) -> tuple[Loaded, dict[str, ArtifactCheck]]:
    """The launch for a command that acts on it: raises InputErrors (exit 2) on anything `gate check`
    would reject as unusable, so no command ever writes on top of a broken repository."""
    loaded, checks, errors = prepare(repo)
    if loaded is None:
        raise InputErrors(errors)
    return loaded, checks


def run_check(request: CheckRequest) -> Scorecard:
    """Everything `gate check` reports, with the exit code it implies."""
    at = request.at or datetime.now(UTC)
    loaded, checks, errors = prepare(request.repo)
    if loaded is None:
        return _unusable(errors, at)
    outcome = evaluate(loaded, checks, at)
    recorded = judge_decision(outcome)
    failed = any(c.problem for c in checks.values()) or (recorded is not None and not recorded.holds)
    code = EXIT_FAILED if failed or (request.require_go and not outcome.go) else EXIT_OK
    return _scorecard(outcome, at, recorded, code)


def _decision_failure(recorded: RecordedDecision | None) -> list[IntegrityFailure]:
    if recorded is None or recorded.holds:
        return []
    return [IntegrityFailure(path=recorded.file, message="; ".join(recorded.reasons))]


def judge_decision(outcome: Outcome) -> RecordedDecision | None:
    """Does the latest decision file still hold? A GO must be true, and taken on this exact state."""
    taken = [(f, d) for f, d in outcome.loaded.decisions if d.decided_at <= outcome.at]
    if not taken:
        return None
    file, decision = taken[-1]
    reasons: list[str] = []
    if decision.decision == "GO":
        reasons = _go_claim_problems(outcome, decision)
    return RecordedDecision(
        file=file,
        decision=decision.decision,
        decided_at=decision.decided_at,
        window=decision.window,
        release_tag=decision.release_tag,
        holds=not reasons,
        reasons=reasons or [f"{decision.decision} as recorded still holds"],
    )


def _go_claim_problems(outcome: Outcome, decision: Decision) -> list[str]:
    then = evaluate(outcome.loaded, outcome.checks, decision.decided_at)
    out = [f"says GO but the gate computes NO-GO: {reason}" for reason in then.blocking]
    if decision.manifest_sha256 != outcome.manifest_sha256:
        out.append(f"manifest digest recorded {decision.manifest_sha256} but it is now {outcome.manifest_sha256}")
    scorecard = then.readiness.digest()
    if decision.scorecard_sha256 != scorecard:
        out.append(f"scorecard digest recorded {decision.scorecard_sha256} but it is now {scorecard}")
    return out


def _scorecard(outcome: Outcome, at: datetime, recorded: RecordedDecision | None, code: int) -> Scorecard:
    loaded = outcome.loaded
    launch = loaded.checklist.launch
    blocking = list(outcome.blocking)
    if recorded is not None and not recorded.holds:
        blocking.insert(0, f"{recorded.file} does not hold: " + "; ".join(recorded.reasons))
    return Scorecard(
        launch=launch.name,
        network=launch.network,
        release_tag=launch.release_tag,
        evaluated_at=at,
        decision="GO" if not blocking else "NO-GO",
        blocking=blocking,
        items=outcome.readiness.items,
        signoffs=outcome.readiness.signoffs,
        integrity=_integrity(outcome) + _decision_failure(recorded),
        errors=[],
        totals=outcome.readiness.totals,
        manifest_sha256=outcome.manifest_sha256,
        scorecard_sha256=outcome.readiness.digest(),
        recorded_decision=recorded,
        upcoming=upcoming(loaded.checklist, at),
        exit_code=code,
    )


def _integrity(outcome: Outcome) -> list[IntegrityFailure]:
    out = []
    for n, artifact in enumerate(outcome.loaded.manifest.artifacts):
        check = outcome.checks[artifact.id]
        if check.problem:
            loc = outcome.loaded.locate(MANIFEST, ("artifacts", n, "sha256"))
            where = Where(file=loc.file, line=loc.line, column=loc.column)
            out.append(IntegrityFailure(path=artifact.path, message=check.problem, artifact=artifact.id, where=where))
    return out


def _unusable(errors: list[InputError], at: datetime) -> Scorecard:
    entries = [
        InputErrorEntry(file=e.location.file, line=e.location.line, column=e.location.column, message=e.message)
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
        exit_code=EXIT_INPUT,
    )
