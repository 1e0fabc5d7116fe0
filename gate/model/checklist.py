"""`checklist.yaml`: the launch, its prerequisites, items A–J, sign-off areas, windows, rollback, comms."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from gate.model.base import (
    Duration,
    Field,
    Id,
    Model,
    PlannedTime,
    SerializerFunctionWrapHandler,
    StringConstraints,
    TeamHandle,
    Text,
    field_errors,
    model_serializer,
    model_validator,
)
from gate.rollback.criteria import rollback_problems

Priority = Literal["P0", "P1", "P2"]
TemplateVar = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
SectionId = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
EvidenceKind = Literal["document", "report", "command", "record"]
Rule = Literal[
    "launch-window",
    "backup-window",
    "blackouts",
    "freeze",
    "rollback-criteria",
    "internal-comms",
    "external-comms",
    "status-templates",
    "decision-process",
]


class Launch(Model):
    """What is being launched, and the tag a GO releases."""

    name: Text
    network: Text
    release_tag: Text
    owner: Text
    last_updated: Text
    source: Text | None = None


class Role(Model):
    """A role named by the seed (Security Lead, Release Manager, …)."""

    title: Text
    area: Id | None = None
    team: TeamHandle | None = None


class EvidenceRequirement(Model):
    """Evidence an item needs: its `id` is the id the manifest entry (artifact or command) must carry."""

    id: Id
    description: Text
    kind: EvidenceKind = "document"
    source: Text | None = None


class Mitigation(Model):
    """Why a P1 that does not pass may still be accepted as a WARN."""

    description: Text
    owner: str = ""
    due: PlannedTime | None = None


class NotApplicable(Model):
    """An item that does not apply, with the reason and who accepted it (never skipped silently)."""

    justification: str = ""
    accepted_by: str = ""


class Item(Model):
    """One line of the checklist: a stable id, a priority, an owner and the evidence it needs."""

    id: Id
    title: Text
    priority: Priority
    owner: Id
    area: Id
    validation: Text
    evidence: list[EvidenceRequirement] = Field(default_factory=list)
    rule: Rule | None = None
    why: Text | None = None
    mitigation: Mitigation | None = None
    not_applicable: NotApplicable | None = None


class SectionItem(Item):
    """An item of sections A–J."""

    section: SectionId


class Area(Model):
    """A sign-off area (seed A and B): who approves, which team owns its sign-off file."""

    id: Id
    name: Text
    approver_role: Id
    team: TeamHandle
    evidence_links: list[Text] = Field(default_factory=list)
    validation: Text


class Span(Model):
    """A planned interval; either end may still be an unfilled placeholder."""

    start: PlannedTime
    end: PlannedTime


class Blackout(Span):
    """A period no launch may touch, with the external conflict it documents."""

    reason: Text


class Windows(Model):
    """Seed C: launch windows (UTC)."""

    primary: Span
    backup: Span | None = None
    blackouts: list[Blackout] = Field(default_factory=list)


class AllowedChange(Model):
    """A kind of change still allowed during the freeze, and how a pull request proves it is one."""

    id: Id
    description: Text
    label: Text | None = None
    approver_role: Id | None = None
    # The role whose team (or roster) may apply `label`: a label applied by anyone else proves nothing.
    granted_by: Id | None = None

    @model_serializer(mode="wrap")
    def _without_unset_grant(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Left out while unset, so the digests of launches written before the field existed still hold.
        data = handler(self)
        if self.granted_by is None and isinstance(data, dict):
            data.pop("granted_by", None)
        return data

    @model_validator(mode="after")
    def _provable(self) -> AllowedChange:
        if self.label is None and self.approver_role is None:
            raise ValueError("an allowed change needs a `label` or an `approver_role` that proves it")
        return self


class Freeze(Span):
    """Seed C: the code/config freeze and its exceptions."""

    allowed_changes: list[AllowedChange]
    paths_always_allowed: list[Text] = Field(
        default_factory=lambda: [
            "evidence/**",
            "evidence-manifest.json",
            "signoffs/**",
            "decisions/**",
        ]
    )


Comparison = Literal[">", ">=", "<", "<="]
Signal = Literal[
    "halted_blocks",
    "participation",
    "block_time",
    "verification_error_rate",
    "billing_mismatch",
    "dispute_workflow_failing",
]
Unit = Literal["blocks", "percent", "ratio_to_target", "boolean"]


class RollbackCondition(Model):
    """One measurable threshold: `signal comparison threshold`, sustained `for`, over a `window`.

    Which units, comparisons, metrics and durations fit which signal is decided in one place,
    `gate.rollback.criteria`, and checked when the whole `rollback` section is validated.
    """

    signal: Signal
    comparison: Comparison
    threshold: float
    unit: Unit
    window: Duration | None = None
    sustained_for: Duration | None = Field(default=None, alias="for")
    confirm: Duration | None = None
    min_requests: int | None = None
    metrics: dict[Id, Text]


class RollbackCriterion(Model):
    """A seed C rollback criterion; any of its conditions triggers it."""

    id: Id
    title: Text
    seed: Text
    any_of: list[RollbackCondition] = Field(min_length=1)


class RollbackMatch(Model):
    """Label matchers per metric family: CometBFT's chain metrics and the application's own."""

    chain: dict[str, Text] = Field(default_factory=dict)
    application: dict[str, Text] = Field(default_factory=dict)


class Rollback(Model):
    """Seed C: rollback criteria, with the chain parameters their thresholds refer to.

    `target_block_time` is needed only by criteria measured in blocks (halted_blocks, block_time): a
    service that is not a chain has no block time, and must not be made to invent one.
    """

    target_block_time: Duration | Text | None = None
    match: RollbackMatch = Field(default_factory=RollbackMatch)
    criteria: list[RollbackCriterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _measurable(self) -> Rollback:
        problems = rollback_problems(self)
        if problems:
            # "[key]" ends the location of a problem with a mapping key (a label name): it is shown there.
            raise field_errors("Rollback", [((*p.path, "[key]") if p.key else p.path, p.message) for p in problems])
        return self


class Channel(Model):
    """A communications channel or notice (seed F)."""

    id: Id
    audience: Literal["internal", "external"]
    title: Text
    value: Text


class StatusTemplate(Model):
    """A status-page template; `<NAME>` in its text must be one of its declared variables."""

    id: Id
    name: Text
    text: Text
    variables: list[TemplateVar] = Field(default_factory=list)


class Communications(Model):
    """Seed F."""

    channels: list[Channel]
    status_page_templates: list[StatusTemplate]


# Seed G's scoring is the gate's contract, not a setting: the values below are fixed (`const` in the
# schema), so a launch file can state them but never loosen them. A P0 that stopped blocking would be
# a GO nobody decided.
MAX_P1_WARNINGS = 2
Severity = Literal["low", "medium", "high", "critical"]


def _default_blocking() -> list[Severity]:
    return ["critical", "high"]


class P0Rule(Model):
    """Seed G, P0 (fixed): must pass; any failure is NO-GO."""

    description: Text
    blocks: Literal[True]


class P1Rule(Model):
    """Seed G, P1 (fixed): up to two warnings, each with a mitigation owner."""

    description: Text
    blocks: Literal[True]
    max_warnings: Literal[2]


class P2Rule(Model):
    """Seed G, P2 (fixed): tracked and shown, never blocks."""

    description: Text
    blocks: Literal[False]


class Scoring(Model):
    """Seed G: scoring. The priority rules are fixed; which open finding severities block GO is the
    launch's choice, but an open critical finding always blocks."""

    P0: P0Rule
    P1: P1Rule
    P2: P2Rule
    blocking_findings: list[Severity] = Field(default_factory=_default_blocking)

    @model_validator(mode="after")
    def _critical_always_blocks(self) -> Scoring:
        if "critical" not in self.blocking_findings:
            raise ValueError("blocking_findings must include critical: an open critical finding always blocks GO")
        return self


class Step(Model):
    """One step of the decision process."""

    n: int
    actor: Text
    action: Text


class DecisionProcess(Model):
    """Seed G: the four steps, the quorum of areas, and where the decision is recorded."""

    steps: list[Step]
    quorum: list[Id] = Field(min_length=1)
    record: Text


class Packet(Model):
    """Seed H: where the launch packet lives and how artifacts are hashed."""

    location: Text
    hashing: Literal["sha256"]
    include: list[Text]


class Meeting(Model):
    """Seed I: the go/no-go meeting record and who must attend."""

    record: Text
    required_attendees: list[Id] = Field(min_length=1)


class Section(Model):
    """A section heading of the seed, with what it says beyond its items."""

    id: SectionId
    title: Text
    references: list[Text] = Field(default_factory=list)


class Checklist(Model):
    """The whole of `checklist.yaml`."""

    version: Literal[1]
    launch: Launch
    purpose: Text
    roles: dict[Id, Role]
    roster: dict[TeamHandle, list[Text]] = Field(default_factory=dict)
    sections: list[Section]
    prerequisites: list[Item]
    areas: list[Area] = Field(min_length=1)
    windows: Windows
    freeze: Freeze
    rollback: Rollback
    communications: Communications
    scoring: Scoring
    decision_process: DecisionProcess
    packet: Packet
    meeting: Meeting
    items: list[SectionItem]

    @model_validator(mode="after")
    def _roster_of_named_teams(self) -> Checklist:
        # A roster under a team nothing names (a typo, or a team renamed since) checks nobody, and leaves
        # the team meant without one: its logins then go unchecked offline. Teams compare in any case,
        # as GitHub's do and as `roster_of` reads them. A team only CODEOWNERS names is declared as a
        # role's team, so checklist.yaml alone says which teams exist (an archive holds no CODEOWNERS).
        teams = sorted({a.team for a in self.areas} | {r.team for r in self.roles.values() if r.team})
        named = {t.lower() for t in teams}
        stray = [t for t in self.roster if t.lower() not in named]
        if stray:
            from gate.names import did_you_mean  # not at import: gate.names reads launches, built on these models

            def why(team: str) -> str:
                return (
                    f"no area or role has this team{did_you_mean(team, teams)}, so its roster would check "
                    f"nobody (teams: {', '.join(teams)}; a team only CODEOWNERS names needs a role with `team:`)"
                )

            raise field_errors("Checklist", [(("roster", t, "[key]"), why(t)) for t in stray])
        return self
