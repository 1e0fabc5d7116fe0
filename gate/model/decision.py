"""`decisions/*.yaml`: the go/no-go decision record (seed G step 4 and I)."""

from __future__ import annotations

from typing import Literal

from gate.model.base import Field, Id, Login, Model, Sha256Hex, Text, UtcTime, model_validator


class Attendee(Model):
    """Who attended the go/no-go meeting, by role."""

    role: Id
    login: Login
    name: Text | None = None


class MeetingRecord(Model):
    """The go/no-go meeting (seed I)."""

    date: UtcTime
    attendees: list[Attendee] = Field(min_length=1)
    notes: Text | None = None


class Decision(Model):
    """A decision and the exact state (scorecard and manifest digests) it was taken on."""

    decision: Literal["GO", "NO-GO"]
    decided_at: UtcTime
    window: Literal["primary", "backup"] | None = None
    release_tag: Text
    meeting: MeetingRecord
    scorecard_sha256: Sha256Hex
    manifest_sha256: Sha256Hex
    reasons: list[Text] = Field(default_factory=list)
    pull_request: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _go_names_a_window(self) -> Decision:
        if self.decision == "GO" and self.window is None:
            raise ValueError("a GO decision must name the chosen `window` (primary or backup)")
        return self
