"""The scorecard `gate check` computes and every reporter renders (`--format json` is this model)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from gate.model.base import ConfigDict, Field, Model

State = Literal["PASS", "WARN", "FAIL", "N/A"]
Verdict = Literal["GO", "NO-GO"]
Recorded = Literal["GO", "NO-GO", "ROLLBACK"]  # what a decision record may say


class Where(Model):
    """A place in an input file (1-based)."""

    file: str
    line: int
    column: int


class Missing(Model):
    """Evidence an item requires that nobody has captured yet: what to add, and how (its kind)."""

    id: str
    kind: Literal["document", "report", "command", "record"]
    description: str


class ItemResult(Model):
    """How one item ended, and why."""

    id: str
    section: str
    title: str
    priority: Literal["P0", "P1", "P2"]
    owner: str
    area: str
    state: State
    reasons: list[str]
    missing: list[Missing] = Field(default_factory=list)
    where: Where | None = None


class SignoffResult(Model):
    """An area's sign-off as it stands now."""

    area: str
    name: str
    approver_role: str
    team: str
    roster: list[str] | None  # who may approve, when the checklist lists the team; else the team decides
    status: Literal["pending", "approved", "rejected", "missing"]
    fresh: bool
    stands: bool  # counts towards GO: approved, fresh, and no open finding of a blocking severity
    approver: str | None
    recorded_digest: str | None
    current_digest: str
    changes: list[str]  # what changed since the verdict, part by part
    reasons: list[str]
    where: Where | None = None


class IntegrityFailure(Model):
    """An evidence file or decision record that does not match what was recorded."""

    path: str
    message: str
    artifact: str | None = None
    where: Where | None = None


class InputErrorEntry(Model):
    """An input file that cannot be used (exit 2)."""

    file: str
    line: int
    column: int
    message: str
    source: str | None = None  # the offending line of a syntax error


class RecordedDecision(Model):
    """The latest decision file, and whether it still holds."""

    file: str
    decision: Recorded
    decided_at: datetime
    window: str | None
    release_tag: str
    holds: bool
    reasons: list[str]


class Totals(Model):
    """How many items ended in each state, and the P1 warnings counted against the limit."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    PASS: int = 0
    WARN: int = 0
    FAIL: int = 0
    NA: int = Field(default=0, alias="N/A")
    p1_warnings: int = 0
    p1_warning_limit: int = 2


class Scorecard(Model):
    """Everything `gate check` found: the decision with every blocking reason, and all the detail."""

    version: Literal[1] = 1
    launch: str
    network: str
    release_tag: str
    evaluated_at: datetime
    decision: Verdict
    blocking: list[str]
    items: list[ItemResult]
    signoffs: list[SignoffResult]
    integrity: list[IntegrityFailure]
    errors: list[InputErrorEntry]
    totals: Totals
    manifest_sha256: str | None
    scorecard_sha256: str | None
    recorded_decision: RecordedDecision | None
    upcoming: list[str]
