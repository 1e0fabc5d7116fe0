"""Freeze enforcement for pull requests (seed C): during the freeze only allowed changes merge."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase

from gate.github.types import Membership, PullRequest
from gate.model import Checklist
from gate.model.checklist import AllowedChange
from gate.windows import interval


@dataclass(frozen=True)
class FreezeResult:
    """Whether the pull request may merge as far as the freeze is concerned, and why."""

    ok: bool
    in_freeze: bool
    reasons: list[str] = field(default_factory=list)


def _always_allowed(checklist: Checklist, path: str) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in checklist.freeze.paths_always_allowed)


def _proves(
    change: AllowedChange, labels: set[str], approvers: set[str], checklist: Checklist, members: Membership
) -> str | None:
    """How the PR proves this allowed change, or None. With both a label and an approver role, both are
    needed: a release manager approves every tool change as a code owner, so an approval alone would
    let any reviewed change through the freeze."""
    has_label = change.label is None or change.label.lower() in labels
    role = checklist.roles.get(change.approver_role or "")
    team = role.team if role else None
    approved = approvers & members.of(team) if team else set()
    has_approval = change.approver_role is None or bool(approved)
    if not (has_label and has_approval):
        return None
    parts = ([f"label {change.label}"] if change.label else []) + (
        [f"approved by {', '.join(sorted(approved))}"] if approved else []
    )
    return ", ".join(parts)


def freeze_check(
    checklist: Checklist, pr: PullRequest, approved_by: Set[str], members: Membership, at: datetime
) -> FreezeResult:
    """Outside the freeze everything passes; inside it, a PR changing anything but evidence, sign-offs
    and decisions needs one of the checklist's allowed changes: its label, or an approval at head from
    the team of its approver role (e.g. the release managers)."""
    span, problems = interval(checklist.freeze, "freeze")
    if span is None:
        return FreezeResult(True, False, [f"no freeze in force ({'; '.join(problems) or 'not set'})"])
    if not span.start <= at < span.end:
        return FreezeResult(True, False, [f"outside the freeze ({span})"])
    frozen = [p for p in pr.files if not _always_allowed(checklist, p)]
    if not frozen:
        return FreezeResult(True, True, ["in the freeze, but only evidence, sign-offs and decisions change"])
    labels = {label.lower() for label in pr.labels}
    approvers = {login.lower() for login in approved_by}
    for change in checklist.freeze.allowed_changes:
        proof = _proves(change, labels, approvers, checklist, members)
        if proof:
            return FreezeResult(True, True, [f"allowed during the freeze: {change.description} ({proof})"])
    allowed = "; ".join(f"{c.description} ({_needs(c)})" for c in checklist.freeze.allowed_changes)
    changed = ", ".join(frozen[:5]) + (" …" if len(frozen) > 5 else "")
    return FreezeResult(
        False, True, [f"the freeze ({span}) is in force and this changes {changed}; allowed: {allowed}"]
    )


def _needs(change: AllowedChange) -> str:
    need = ([f"label `{change.label}`"] if change.label else []) + (
        [f"approval by {change.approver_role}"] if change.approver_role else []
    )
    return " and ".join(need)
