"""What the gate's guarantees need of a repository's settings, compared with what GitHub says they are.

Pure rules over `gate.github.settings` values: `diagnose` lists every protection that is missing,
each with what it lets through. The command that reads the settings is `gate.commands.doctor`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from gate.github.judge import APPROVALS, CHECK
from gate.github.settings import (
    BranchProtection,
    CodeownersError,
    Environment,
    Installation,
    RequiredCheck,
    Rule,
    Ruleset,
)

REQUIRED_CHECKS = (CHECK, APPROVALS)
# What the gate App's judge needs, and what it must not have (least privilege): tags are the release App's.
APP_NEEDS = {"checks": "write", "contents": "read", "pull_requests": "write", "members": "read", "issues": "read"}
APP_MUST_NOT = (
    "contents",
    "administration",
    "workflows",
    "secrets",
    "actions",
    "environments",
    "organization_administration",
)


@dataclass(frozen=True)
class Expected:
    """What the repository should enforce: the protected branch, the App, the environments, the tags."""

    branch: str = "main"
    app_id: int | None = None  # None: taken from the installation
    release_app_id: int | None = None  # the only actor that may create release tags (None: any one App)
    environments: tuple[str, ...] = ("gate", "release")
    tag_pattern: str = "refs/tags/mainnet-*"
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """The repository's settings as read (None where GitHub would not say)."""

    rules: tuple[Rule, ...]
    rulesets: tuple[Ruleset, ...]
    protection: BranchProtection | None
    environments: tuple[Environment, ...]
    labels: frozenset[str]
    installation: Installation | None
    codeowners_errors: tuple[CodeownersError, ...]
    unreadable: tuple[str, ...] = ()  # what could not be read: each a finding, never assumed fine


@dataclass(frozen=True)
class Finding:
    """One missing protection and what it lets through."""

    area: str
    message: str

    def __str__(self) -> str:
        return f"{self.area}: {self.message}"


@dataclass(frozen=True)
class Diagnosis:
    findings: tuple[Finding, ...] = field(default_factory=tuple)


def diagnose(facts: Facts, expected: Expected) -> Diagnosis:
    """Every protection the gate relies on that `facts` do not show, in a stable order."""
    app = expected.app_id or (facts.installation.app_id if facts.installation else None)
    found = [Finding("read", f"could not read {what}: it cannot be verified") for what in facts.unreadable]
    found += _checks(facts, expected.branch, app)
    found += _reviews(facts, expected.branch)
    found += _bypass(facts, expected.branch)
    found += _tags(facts.rulesets, expected.tag_pattern, expected.release_app_id)
    found += [f for name in expected.environments for f in _environment(facts.environments, name, expected.branch)]
    found += [
        Finding("labels", f"the label {label!r} does not exist")
        for label in expected.labels
        if label.lower() not in facts.labels
    ]
    found += _installation(facts.installation, app)
    found += [
        Finding("CODEOWNERS", f"{e.path}:{e.line}:{e.column}: GitHub says {e.kind}: {e.message.splitlines()[0]}")
        for e in facts.codeowners_errors
    ]
    return Diagnosis(tuple(found))


def _all_checks(facts: Facts) -> list[RequiredCheck]:
    checks = [c for r in facts.rules if r.type == "required_status_checks" for c in r.required_checks]
    return checks + list(facts.protection.required_checks if facts.protection else ())


def _checks(facts: Facts, branch: str, app: int | None) -> list[Finding]:
    out = []
    checks = _all_checks(facts)
    for name in REQUIRED_CHECKS:
        sources = [c.integration_id for c in checks if c.context == name]
        if not sources:
            out.append(Finding(branch, f"the check {name!r} is not required: a PR merges without that verdict"))
        elif app is None:
            why = "which App is the gate's is not known: give --app-id (or --app-key to read the installation)"
            out.append(Finding(branch, f"the check {name!r} cannot be matched to the gate App: {why}"))
        elif any(s != app for s in sources):
            shown = ", ".join("any source" if s is None else str(s) for s in sources)
            out.append(
                Finding(
                    branch,
                    f"the check {name!r} is required from {shown}, not from the gate App ({app}): any"
                    " workflow of a pull request can post a check of that name",
                )
            )
    if not any(r.type == "merge_queue" for r in facts.rules):
        # Up-to-date branches are not enough: a verdict given before the freeze, or before a review was
        # dismissed, stays green until something re-runs it, and the clock's schedule can be late or
        # disabled. The queue judges every merge on its own commit at the moment it merges.
        out.append(
            Finding(
                branch,
                "no merge queue: a verdict given earlier (before the freeze began, before a review was"
                " dismissed) can merge without a fresh one",
            )
        )
    return out


def _reviews(facts: Facts, branch: str) -> list[Finding]:
    rules = [r.pull_request for r in facts.rules if r.type == "pull_request" and r.pull_request]
    if facts.protection and facts.protection.pull_request:
        rules.append(facts.protection.pull_request)
    if not rules:
        return [Finding(branch, "pull requests are not required: anyone with write access pushes to it directly")]
    wanted = (
        ("require_code_owner_review", "code-owner review is not required"),
        ("dismiss_stale_reviews_on_push", "stale approvals are not dismissed on push"),
        ("require_last_push_approval", "the most recent push need not be approved by someone else"),
    )
    out = [Finding(branch, text) for attr, text in wanted if not any(getattr(r, attr) for r in rules)]
    if max(r.required_approving_review_count for r in rules) < 1:
        out.append(Finding(branch, "no approving review is required"))
    kinds = {r.type for r in facts.rules}
    out += [
        Finding(branch, f"no {kind} rule: history of {branch} can be {what}")
        for kind, what in (("deletion", "deleted"), ("non_fast_forward", "rewritten"))
        if kind not in kinds
    ]
    return out


def _bypass(facts: Facts, branch: str) -> list[Finding]:
    out = []
    applying = {r.ruleset_id for r in facts.rules if r.ruleset_id is not None}
    for ruleset in facts.rulesets:
        if ruleset.id in applying and not ruleset.bypass_known:
            out.append(Finding(branch, _unknown_bypass(ruleset)))
        if ruleset.id in applying and ruleset.bypass:
            who = ", ".join(f"{b.actor_type} {b.actor_id}" for b in ruleset.bypass)
            out.append(
                Finding(branch, f"ruleset {ruleset.name!r} lets {who} bypass it: they merge without the verdicts")
            )
    if facts.protection is not None and not facts.protection.enforce_admins:
        out.append(Finding(branch, "branch protection does not apply to administrators"))
    return out


def _tags(rulesets: Iterable[Ruleset], pattern: str, app: int | None) -> list[Finding]:
    guarding = [
        r
        for r in rulesets
        if r.target == "tag"
        and r.enforcement == "active"
        and any(fnmatchcase(pattern, p) or p == pattern for p in r.include)
        # An exclude that covers the pattern (or any tag it names) takes it out of the ruleset.
        and not any(fnmatchcase(pattern, p) or fnmatchcase(p, pattern) or p == pattern for p in r.exclude)
    ]
    if not guarding:
        return [
            Finding(
                "tags", f"no active tag ruleset covers {pattern}: anyone with write access can create a release tag"
            )
        ]
    out = []
    kinds = {rule.type for r in guarding for rule in r.rules}
    out += [Finding("tags", f"{pattern}: no {k} rule") for k in ("creation", "update", "deletion") if k not in kinds]
    out += [Finding("tags", _unknown_bypass(r)) for r in guarding if not r.bypass_known]
    apps = [b for r in guarding for b in r.bypass if b.actor_type == "Integration"]
    for r in guarding:
        others = [b for b in r.bypass if b.actor_type != "Integration" or (app is not None and b.actor_id != app)]
        if others:
            who = ", ".join(f"{b.actor_type} {b.actor_id}" for b in others)
            out.append(Finding("tags", f"ruleset {r.name!r} lets {who} create {pattern}, not only the release App"))
    if app is None and len({b.actor_id for b in apps}) > 1:
        out.append(Finding("tags", f"more than one App may create {pattern}: only the release App should"))
    if not apps:
        out.append(Finding("tags", f"no App may create {pattern}: the release cannot tag"))
    return out


def _unknown_bypass(ruleset: Ruleset) -> str:
    return (
        f"ruleset {ruleset.name!r}: who may bypass it cannot be read with this token (GitHub shows"
        " bypass_actors only to those who can edit rulesets): run the doctor with a repository admin's token"
    )


def _environment(environments: Sequence[Environment], name: str, branch: str) -> list[Finding]:
    env = next((e for e in environments if e.name == name), None)
    if env is None:
        return [Finding(f"environment {name}", "does not exist: its secret would be in reach of every workflow")]
    if not env.custom_policies or env.protected_branches or list(env.branches) != [branch] or env.tags:
        return [
            Finding(
                f"environment {name}",
                f"is not restricted to the branch {branch} alone (branches: "
                f"{', '.join(env.branches) or 'any'}): a workflow of another ref could use its secret",
            )
        ]
    return []


def _installation(installation: Installation | None, app: int | None) -> list[Finding]:
    if installation is None:
        return []
    out = []
    if app is not None and installation.app_id != app:
        out.append(Finding("App", f"the token belongs to App {installation.app_id}, not the gate App {app}"))
    for permission, level in APP_NEEDS.items():
        have = installation.permissions.get(permission)
        if have is None or (level == "write" and have != "write"):
            out.append(Finding("App", f"{installation.app_slug} lacks {permission}: {level}"))
    for permission in APP_MUST_NOT:
        if installation.permissions.get(permission) == "write":
            out.append(Finding("App", f"{installation.app_slug} has {permission}: write, which the judge never needs"))
    return out
