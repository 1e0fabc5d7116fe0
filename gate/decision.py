"""The go/no-go decision: which record is in force at a moment, what blocks it, and whether it holds.

This is the one place that answers "which decision is in force at T" — `gate check`, the packet, the
archive's verification and the release all ask here. The rules (PRODUCT.md, decision rules):

- The decision in force is the latest record taken no later than the moment judged. It must be GO for
  the launch to be GO: a NO-GO in force is NO-GO whatever the scorecard says.
- Every record is validated, NO-GO ones included: the meeting quorum (each required role, one person
  per role) and the release tag. A record without its quorum is not a decision.
- A GO holds only on the exact state it was taken on (its scorecard digest covers every launch file's
  content, its manifest digest every artifact), only if it is dated no earlier than the sign-offs and
  evidence it relies on, and only until its window closes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from gate.evidence.digests import manifest_digest, sha256_text
from gate.launch import Checks
from gate.load import Loaded
from gate.model import Decision
from gate.model.scorecard import RecordedDecision
from gate.score import Readiness, assess, role_team, roster_of
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
    scorecard_sha256: str
    at: datetime

    @property
    def go(self) -> bool:
        return not self.blocking


def in_force(loaded: Loaded, at: datetime) -> tuple[str, Decision] | None:
    """The decision in force at `at` (file, record): the latest one taken no later than that moment."""
    taken = [(f, d) for f, d in loaded.decisions if d.decided_at <= at]
    return taken[-1] if taken else None


def evaluate(loaded: Loaded, checks: Checks, at: datetime) -> Evaluation:
    """Readiness plus the conditions of the decision in force, as of `at`."""
    readiness = assess(loaded, checks, at)
    current = in_force(loaded, at)
    integrity = [f"integrity: {c.artifact.path}: {c.problem}" for c in checks.values() if c.problem]
    blocking = integrity + readiness.blocking + decision_blocking(loaded, current, at)
    blocking += [
        f"{file} is not a decision: {'; '.join(problems)}"
        for file, problems in invalid_records(loaded, at)
        if current is None or file != current[0]
    ]
    return Evaluation(
        loaded,
        checks,
        readiness,
        current,
        blocking,
        manifest_digest(loaded.manifest),
        state_digest(loaded, readiness),
        at,
    )


def state_digest(loaded: Loaded, readiness: Readiness) -> str:
    """The scorecard digest a decision pins: every item's state and sign-off's standing, and the full
    content of the checklist, the manifest and every sign-off — the exact state the meeting saw.

    It is the SHA-256 of the canonical JSON (sorted keys, no spaces) of {checklist, items, manifest,
    signoff_files, signoffs}; the parts taken from the files are the same at every moment judged, so
    they are rendered once per launch and only the states are rendered here.
    """
    checklist, manifest, signoff_files = loaded.derived(_file_parts)
    items = _canonical([[i.id, i.state] for i in readiness.items])
    signoffs = _canonical([[s.area, s.status, s.fresh, s.current_digest] for s in readiness.signoffs])
    return sha256_text(
        f'{{"checklist":{checklist},"items":{items},"manifest":{manifest},'
        f'"signoff_files":{signoff_files},"signoffs":{signoffs}}}'
    )


def _file_parts(loaded: Loaded) -> tuple[str, str, str]:
    """The checklist, the manifest and the sign-offs as canonical JSON, for `state_digest`."""
    return (
        _canonical(loaded.checklist.model_dump(mode="json", by_alias=True)),
        _canonical(loaded.manifest.model_dump(mode="json", by_alias=True)),
        _canonical({a: s.model_dump(mode="json") for a, (_, s) in sorted(loaded.signoffs.items())}),
    )


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def judge_recorded(evaluation: Evaluation) -> RecordedDecision | None:
    """Does the decision in force hold? A GO must be true, on this exact state, and not outlived."""
    if evaluation.in_force is None:
        return None
    file, decision = evaluation.in_force
    reasons = record_problems(evaluation.loaded, decision)
    if decision.decision == "GO":
        reasons += _go_claim_problems(evaluation, decision)
    return RecordedDecision(
        file=file,
        decision=decision.decision,
        decided_at=decision.decided_at,
        window=decision.window,
        release_tag=decision.release_tag,
        holds=not reasons,
        reasons=reasons or [f"{decision.decision} as recorded still holds"],
    )


def invalid_records(loaded: Loaded, at: datetime | None = None) -> list[tuple[str, list[str]]]:
    """Every record taken no later than `at` (all of them when None), in force or not, that is not a
    decision the process allows: (file, problems). A record taken later does not exist yet at `at`: it
    cannot break a GO judged at the moment it was taken."""
    return [(file, problems) for file, when, problems in loaded.derived(_invalid) if at is None or when <= at]


def _invalid(loaded: Loaded) -> list[tuple[str, datetime, list[str]]]:
    """Every record's problems, judged once per loaded launch (from the files alone)."""
    found = [(file, d.decided_at, record_problems(loaded, d)) for file, d in loaded.decisions]
    return [(file, when, problems) for file, when, problems in found if problems]


def record_problems(loaded: Loaded, decision: Decision) -> list[str]:
    """What makes a record no decision at all: no meeting quorum, another launch's release tag.

    A ROLLBACK is recorded when a rollback criterion fires, not by a meeting: it has no quorum to meet.
    """
    if decision.decision == "ROLLBACK":
        return _tag(loaded, decision)
    out = _quorum(loaded, decision) + _tag(loaded, decision)
    if decision.meeting is not None and decision.meeting.date > decision.decided_at:
        out.append(
            f"the meeting is dated {decision.meeting.date:%Y-%m-%d %H:%M} UTC, after the decision it took"
            f" ({decision.decided_at:%Y-%m-%d %H:%M} UTC)"
        )
    return out


def _go_claim_problems(evaluation: Evaluation, decision: Decision) -> list[str]:
    then = evaluate(evaluation.loaded, evaluation.checks, decision.decided_at)
    out = [f"says GO but the gate computes NO-GO: {reason}" for reason in then.blocking]
    if decision.manifest_sha256 != evaluation.manifest_sha256:
        out.append(f"manifest digest recorded {decision.manifest_sha256} but it is now {evaluation.manifest_sha256}")
    if decision.scorecard_sha256 != then.scorecard_sha256:
        out.append(
            f"scorecard digest recorded {decision.scorecard_sha256} but it is now {then.scorecard_sha256}"
            " (a launch file changed after the decision)"
        )
    out += _dated_before_what_it_pins(evaluation.loaded, decision)
    return out


def _dated_before_what_it_pins(loaded: Loaded, decision: Decision) -> list[str]:
    """A decision cannot be taken before the sign-offs and evidence it relies on exist."""
    pinned: list[tuple[datetime, str]] = [
        (s.at, f"the {area} sign-off") for area, (_, s) in loaded.signoffs.items() if s.at and s.status != "pending"
    ]
    pinned += [(a.captured_at, f"evidence {a.id}") for a in loaded.manifest.artifacts]
    pinned += [(c.ended_at, f"the captured command {c.id}") for c in loaded.manifest.commands]
    # The meeting decided: it too must come after everything the decision relies on.
    taken = min(decision.decided_at, decision.meeting.date) if decision.meeting else decision.decided_at
    later = sorted((when, what) for when, what in pinned if when > taken)
    return [
        f"dated {taken:%Y-%m-%d %H:%M} UTC, before {what} it relies on ({when:%Y-%m-%d %H:%M} UTC)"
        for when, what in later
    ]


def decision_blocking(loaded: Loaded, current: tuple[str, Decision] | None, at: datetime) -> list[str]:
    """Reasons beside the items: no decision, a NO-GO in force, the quorum, the window, the tag."""
    if current is None:
        record = loaded.checklist.decision_process.record
        # Where a launch keeps its own copy of the record (the seed's document) is named too; a launch
        # that records only in decisions/ would otherwise read "seed record decisions".
        also = "" if record.rstrip("/") == "decisions" else f"; seed record {record}"
        return [f"no go/no-go decision recorded (decisions/*.yaml{also}): no meeting quorum"]
    file, decision = current
    out = []
    if decision.decision == "ROLLBACK":
        out += rollback_blocking(decision)
    elif decision.decision != "GO":
        out.append(f"the decision in force ({file}, {decision.decided_at:%Y-%m-%d %H:%M} UTC) is NO-GO")
    return out + record_problems(loaded, decision) + _window(loaded, decision, at)


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
    out += [
        f"meeting quorum: {login} attended as {role} but is not on the roster of {team}"
        for role, login, team in _off_roster(loaded, present)
    ]
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


def _off_roster(loaded: Loaded, present: dict[str, str]) -> list[tuple[str, str, str]]:
    """(role, login, team) for each attendee not on their role's team, where a roster lists the team."""
    checklist = loaded.checklist
    out = []
    for role_id in present:  # every role recorded as attending, required or not, must be held by its team
        login, team = present.get(role_id), role_team(checklist, role_id)
        members = roster_of(checklist, team) if team else None
        if login is not None and team is not None and members is not None and login.lower() not in members:
            out.append((role_id, login, team))
    return out


def _window(loaded: Loaded, decision: Decision, at: datetime) -> list[str]:
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
    if decision.decision == "GO" and at >= window.end:
        out.append(
            f"the {decision.window} window closed at {window.end:%Y-%m-%d %H:%M} UTC: a GO does not outlive its"
            " window (record a new decision to use another)"
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
