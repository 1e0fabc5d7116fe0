"""`decisions/*.yaml`: the go/no-go decision record (seed G step 4 and I)."""

from __future__ import annotations

from typing import Annotated, Literal

from gate.model.base import (
    AllowInfNan,
    Field,
    Id,
    Model,
    Person,
    Sha256Hex,
    StringConstraints,
    Text,
    UtcTime,
    field_errors,
    model_validator,
)


class Attendee(Model):
    """Who attended the go/no-go meeting, by role."""

    role: Id
    login: Person
    name: Text | None = None


class MeetingRecord(Model):
    """The go/no-go meeting (seed I)."""

    date: UtcTime
    attendees: list[Attendee] = Field(min_length=1)
    notes: Text | None = None


class FiredCriterion(Model):
    """A rollback criterion that fired: what `gate rollback watch` saw, and the query that says so."""

    criterion: Id
    alert: Text
    signal: Text
    labels: dict[str, str] = Field(default_factory=dict)
    value: Annotated[float, AllowInfNan(False)] | None  # None: the query returned NaN
    threshold: Text
    query: Text


class RollbackRecord(Model):
    """Where and what a ROLLBACK was seen: the Prometheus asked and every criterion that fired."""

    prometheus: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2048)]
    fired: list[FiredCriterion] = Field(min_length=1)
    status_update: Text | None = None


class Decision(Model):
    """A decision and the exact state (scorecard and manifest digests) it was taken on.

    GO and NO-GO are taken by the go/no-go meeting; ROLLBACK is recorded by `gate rollback watch
    --record` the moment a rollback criterion fires, with what it saw instead of a meeting.
    """

    decision: Literal["GO", "NO-GO", "ROLLBACK"]
    decided_at: UtcTime
    window: Literal["primary", "backup"] | None = None
    release_tag: Text
    meeting: MeetingRecord | None = None
    scorecard_sha256: Sha256Hex
    manifest_sha256: Sha256Hex
    reasons: list[Text] = Field(default_factory=list)
    pull_request: int | None = Field(default=None, ge=1)
    rollback: RollbackRecord | None = None

    @model_validator(mode="after")
    def _go_names_a_window(self) -> Decision:
        if self.decision == "GO" and self.window is None:
            raise ValueError("a GO decision must name the chosen `window` (primary or backup)")
        return self

    @model_validator(mode="after")
    def _taken_the_way_its_kind_is(self) -> Decision:
        problems = self._rollback_problems() if self.decision == "ROLLBACK" else self._meeting_problems()
        if problems:
            raise field_errors("Decision", problems)
        return self

    def _rollback_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        out: list[tuple[tuple[str | int, ...], str]] = []
        if self.rollback is None:
            out.append((("decision",), "a ROLLBACK records what fired: `rollback` (prometheus, fired) is required"))
        why = "a ROLLBACK is recorded when a criterion fires, not by a go/no-go meeting"
        out += [((name,), f"{why}: no {name}") for name in ("meeting", "window") if getattr(self, name) is not None]
        return out

    def _meeting_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        out: list[tuple[tuple[str | int, ...], str]] = []
        if self.meeting is None:
            out.append((("decision",), f"a {self.decision} decision records the go/no-go `meeting` that took it"))
        if self.rollback is not None:
            out.append((("rollback",), f"`rollback` belongs to a ROLLBACK record, not to a {self.decision} decision"))
        return out
