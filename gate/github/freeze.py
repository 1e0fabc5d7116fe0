"""Freeze enforcement for pull requests (seed C): during the freeze only allowed changes merge.

An exception's label counts only when the person who applied it (the `labeled` event's actor, from
GitHub's issue events) belongs to the team of the role the checklist names in `granted_by`: anyone
with triage rights can add a label, so a label alone proves nothing. A label-only exception never
admits a change to the judging machinery without a release manager's approval as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from gate.github.duties import machinery_paths
from gate.github.types import LabelEvent, Membership, PullRequest
from gate.model import Checklist
from gate.model.checklist import AllowedChange
from gate.score import role_team
from gate.windows import interval

MACHINERY_APPROVER_ROLE = "release-manager"


@dataclass(frozen=True)
class FreezeResult:
    """Whether the pull request may merge as far as the freeze is concerned, and why."""

    ok: bool
    in_freeze: bool
    reasons: list[str] = field(default_factory=list)


def label_appliers(events: Iterable[LabelEvent]) -> dict[str, str | None]:
    """Lower-cased label -> lower-cased login of who applied it last (None: GitHub names nobody)."""
    applied: dict[str, str | None] = {}
    for event in events:
        name = event.label.lower()
        if event.action == "labeled":
            applied[name] = event.actor.lower() if event.actor else None
        else:
            applied.pop(name, None)
    return applied


@dataclass(frozen=True)
class _Evidence:
    """What the PR shows: its labels with who applied them, and who approved at head."""

    labels: Mapping[str, str | None]
    approvers: Set[str]
    members: Membership
    checklist: Checklist

    def team_of(self, role_id: str | None) -> frozenset[str]:
        team = role_team(self.checklist, role_id)
        return self.members.of(team) if team else frozenset()


def _label_proof(change: AllowedChange, ev: _Evidence) -> tuple[bool, str]:
    if change.label is None:
        return True, ""
    name = change.label.lower()
    if name not in ev.labels:
        return False, f"label `{change.label}` is not on the pull request"
    actor = ev.labels[name]
    granters = ev.team_of(change.granted_by)
    if change.granted_by is None:
        return False, f"label `{change.label}`: the checklist names no role that may grant it (granted_by)"
    if actor is None or actor not in granters:
        who = f"@{actor}" if actor else "an unknown account"
        return False, f"label `{change.label}` was applied by {who}, who is not {change.granted_by}"
    return True, f"label {change.label} applied by {actor}"


def _proves(change: AllowedChange, ev: _Evidence, machinery: list[str]) -> tuple[str | None, str]:
    """How the PR proves this allowed change (None when it does not), and what is missing otherwise."""
    labelled, said = _label_proof(change, ev)
    approved = sorted(ev.approvers & ev.team_of(change.approver_role)) if change.approver_role else []
    needs = [] if labelled else [said]
    if change.approver_role and not approved:
        needs.append(f"an approval by {change.approver_role}")
    if machinery and not change.approver_role and not ev.approvers & ev.team_of(MACHINERY_APPROVER_ROLE):
        # A label-only exception (e.g. security-hotfix) must not carry a change of the judge itself.
        needs.append(f"an approval by {MACHINERY_APPROVER_ROLE} too, as it changes {', '.join(machinery[:3])}")
    if needs:
        return None, "; ".join(needs)
    parts = ([said] if said else []) + ([f"approved by {', '.join(approved)}"] if approved else [])
    return ", ".join(parts), ""


def freeze_check(
    checklist: Checklist,
    pr: PullRequest,
    approved_by: Set[str],
    members: Membership,
    at: datetime,
    labels: Mapping[str, str | None] | None = None,
    lead: timedelta = timedelta(0),
) -> FreezeResult:
    """Outside the freeze everything passes; inside it, a PR changing anything but evidence, sign-offs
    and decisions needs one of the checklist's allowed changes (see the module docstring).

    `labels` maps each label on the PR to who applied it (`label_appliers`); without it, no label
    counts (fail closed). `lead` makes the freeze count from that long before its start: a
    scheduled re-judgement may run late, and a PR must not slip through in between."""
    span, problems = interval(checklist.freeze, "freeze")
    if span is None:
        return FreezeResult(True, False, [f"no freeze in force ({'; '.join(problems) or 'not set'})"])
    if not span.start - lead <= at < span.end:
        return FreezeResult(True, False, [f"outside the freeze ({span})"])
    frozen = [p for p in pr.files if not any(fnmatchcase(p, pat) for pat in checklist.freeze.paths_always_allowed)]
    if not frozen:
        return FreezeResult(True, True, ["in the freeze, but only evidence, sign-offs and decisions change"])
    on_pr = {label.lower() for label in pr.labels}
    applied = {name: who for name, who in (labels or {}).items() if name in on_pr}
    ev = _Evidence(applied, {login.lower() for login in approved_by}, members, checklist)
    machinery = machinery_paths(pr.files)
    missing = []
    for change in checklist.freeze.allowed_changes:
        proof, needs = _proves(change, ev, machinery)
        if proof is not None:
            return FreezeResult(True, True, [f"allowed during the freeze: {change.description} ({proof})"])
        missing.append(f"{change.description} ({needs})")
    changed = ", ".join(frozen[:5]) + (" …" if len(frozen) > 5 else "")
    return FreezeResult(
        False, True, [f"the freeze ({span}) is in force and this changes {changed}; not allowed: {'; '.join(missing)}"]
    )
