"""The go/no-go decision: which record is in force at a moment, what blocks it, and whether it holds.

This is the one place that answers "which decision is in force at T" — `gate check`, the packet, the
archive's verification and the release all ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gate.evidence.digests import manifest_digest
from gate.launch import Checks
from gate.load import Loaded
from gate.model import Decision
from gate.model.scorecard import RecordedDecision
from gate.score import Readiness, assess
from gate.windows import blackout_clashes, chosen_window, interval


@dataclass
class Evaluation:
    """A fully evaluated launch at `at`: the hash checks, readiness, the decision in force, the verdict."""

    loaded: Loaded
    checks: Checks
    readiness: Readiness
    in_force: tuple[str, Decision] | None
    blocking: list[str]
    manifest_sha256: str
    at: datetime

    @property
    def go(self) -> bool:
        return not self.blocking


def in_force(loaded: Loaded, at: datetime) -> tuple[str, Decision] | None:
    """The decision in force at `at` (file, record): the latest one taken no later than that moment."""
    taken = [(f, d) for f, d in loaded.decisions if d.decided_at <= at]
    return taken[-1] if taken else None


def evaluate(loaded: Loaded, checks: Checks, at: datetime) -> Evaluation:
    """Readiness plus the conditions of the decision in force (quorum, window, tag), as of `at`."""
    readiness = assess(loaded, checks, at)
    current = in_force(loaded, at)
    integrity = [f"integrity: {c.artifact.path}: {c.problem}" for c in checks.values() if c.problem]
    blocking = integrity + readiness.blocking + decision_blocking(loaded, current[1] if current else None)
    return Evaluation(loaded, checks, readiness, current, blocking, manifest_digest(loaded.manifest), at)


def judge_recorded(evaluation: Evaluation) -> RecordedDecision | None:
    """Does the decision in force still hold? A GO must be true, and taken on this exact state."""
    if evaluation.in_force is None:
        return None
    file, decision = evaluation.in_force
    reasons: list[str] = []
    if decision.decision == "GO":
        reasons = _go_claim_problems(evaluation, decision)
    return RecordedDecision(
        file=file,
        decision=decision.decision,
        decided_at=decision.decided_at,
        window=decision.window,
        release_tag=decision.release_tag,
        holds=not reasons,
        reasons=reasons or [f"{decision.decision} as recorded still holds"],
    )


def _go_claim_problems(evaluation: Evaluation, decision: Decision) -> list[str]:
    then = evaluate(evaluation.loaded, evaluation.checks, decision.decided_at)
    out = [f"says GO but the gate computes NO-GO: {reason}" for reason in then.blocking]
    if decision.manifest_sha256 != evaluation.manifest_sha256:
        out.append(f"manifest digest recorded {decision.manifest_sha256} but it is now {evaluation.manifest_sha256}")
    scorecard = then.readiness.digest()
    if decision.scorecard_sha256 != scorecard:
        out.append(f"scorecard digest recorded {decision.scorecard_sha256} but it is now {scorecard}")
    return out


def decision_blocking(loaded: Loaded, decision: Decision | None) -> list[str]:
    """Reasons outside the items: meeting quorum, the chosen window, the release tag."""
    if decision is None:
        record = loaded.checklist.decision_process.record
        return [f"no go/no-go decision recorded (decisions/*.yaml; seed record {record}): no meeting quorum"]
    if decision.decision == "ROLLBACK":
        return rollback_blocking(decision)
    return _quorum(loaded, decision) + _window(loaded, decision) + _tag(loaded, decision)


def rollback_blocking(decision: Decision) -> list[str]:
    """A ROLLBACK in force blocks GO until a later go/no-go decision supersedes it: what fired, and where."""
    assert decision.rollback is not None  # a ROLLBACK record carries it (model-validated)
    when = f"{decision.decided_at:%Y-%m-%d %H:%M:%S} UTC"
    return [
        f"ROLLBACK in force since {when}: rollback criterion {f.criterion} fired ({f.threshold}; value "
        f"{'NaN' if f.value is None else f'{f.value:g}'}) on {decision.rollback.prometheus}"
        for f in decision.rollback.fired
    ]


def _quorum(loaded: Loaded, decision: Decision) -> list[str]:
    present: dict[str, str] = {}
    for attendee in decision.meeting.attendees if decision.meeting else []:
        present.setdefault(attendee.role, attendee.login)
    missing = [r for r in loaded.checklist.meeting.required_attendees if r not in present]
    out = [f"meeting quorum not met: no {', '.join(missing)} recorded as attending"] if missing else []
    by_login: dict[str, list[str]] = {}
    for role, login in present.items():
        if role in loaded.checklist.meeting.required_attendees:
            by_login.setdefault(login.lower(), []).append(role)
    out += [
        f"meeting quorum: {login} stands for {', '.join(roles)} (one person, one role)"
        for login, roles in by_login.items()
        if len(roles) > 1
    ]
    return out


def _window(loaded: Loaded, decision: Decision) -> list[str]:
    if decision.window is None:
        return []
    window, problems = chosen_window(loaded.checklist, decision.window)
    if window is None:
        return [f"decision's {decision.window} window: {p}" for p in problems]
    out = [f"the {decision.window} window {c}" for c in blackout_clashes(loaded.checklist, window)]
    if window.start <= decision.decided_at:
        out.append(
            f"the {decision.window} window ({window}) is not ahead of the decision"
            f" ({decision.decided_at:%Y-%m-%d %H:%M} UTC)"
        )
    freeze, _ = interval(loaded.checklist.freeze, "freeze")
    if freeze is None or not freeze.covers(window):
        out.append(f"the freeze does not cover the {decision.window} window ({window})")
    return out


def _tag(loaded: Loaded, decision: Decision) -> list[str]:
    wanted = loaded.checklist.launch.release_tag
    return (
        []
        if decision.release_tag == wanted
        else [f"decision's release tag {decision.release_tag} is not the launch's ({wanted})"]
    )
