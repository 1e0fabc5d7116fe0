"""A repository's protection settings as plain values, read from GitHub's JSON by the functions below.

`gate github doctor` compares these with what the gate's guarantees need (`gate.github.doctor`).
Each reader takes one decoded answer and raises `ValueError` (wrapped by the client into a
`GitHubError`) when a field the doctor relies on is missing: a setting we cannot read is never
assumed to be in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Json = Any


@dataclass(frozen=True)
class Repository:
    full_name: str
    default_branch: str


@dataclass(frozen=True)
class RequiredCheck:
    """A required status check; `integration_id` is the App it must come from (None: any source)."""

    context: str
    integration_id: int | None = None


@dataclass(frozen=True)
class PullRequestRule:
    required_approving_review_count: int = 0
    require_code_owner_review: bool = False
    dismiss_stale_reviews_on_push: bool = False
    require_last_push_approval: bool = False


@dataclass(frozen=True)
class Rule:
    """One rule of a ruleset (`type` as GitHub names it: `pull_request`, `required_status_checks`, ...)."""

    type: str
    ruleset_id: int | None = None
    required_checks: tuple[RequiredCheck, ...] = ()
    strict: bool = False
    pull_request: PullRequestRule | None = None


@dataclass(frozen=True)
class BypassActor:
    actor_type: str
    actor_id: int | None
    bypass_mode: str


@dataclass(frozen=True)
class Ruleset:
    id: int
    name: str
    target: str  # branch, tag or push
    enforcement: str  # active, evaluate, disabled
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    bypass: tuple[BypassActor, ...] = ()
    rules: tuple[Rule, ...] = ()
    # GitHub shows `bypass_actors` only to those who may edit the ruleset: absent, nobody can say who
    # bypasses it, which is not the same as nobody.
    bypass_known: bool = True


@dataclass(frozen=True)
class BranchProtection:
    """Classic branch protection, reduced to what the gate relies on."""

    required_checks: tuple[RequiredCheck, ...] = ()
    strict: bool = False
    pull_request: PullRequestRule | None = None
    enforce_admins: bool = False


@dataclass(frozen=True)
class Environment:
    """A deployment environment; `branches` are its custom branch name patterns."""

    name: str
    protected_branches: bool = False
    custom_policies: bool = False
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    reviewers: bool = False


@dataclass(frozen=True)
class Installation:
    app_id: int
    app_slug: str
    permissions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeownersError:
    path: str
    line: int
    column: int
    kind: str
    message: str


def _get(data: Json, key: str) -> Json:
    if not isinstance(data, dict) or key not in data:
        raise ValueError(f"the answer lacks the {key}")
    return data[key]


def _str(data: Json, key: str) -> str:
    value = _get(data, key)
    if not isinstance(value, str):
        raise ValueError(f"the answer's {key} is not text")
    return value


def _int(data: Json, key: str) -> int:
    value = _get(data, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"the answer's {key} is not a number")
    return value


def _flag(data: Json, key: str) -> bool:
    return isinstance(data, dict) and data.get(key) is True


def repository(data: Json) -> Repository:
    return Repository(_str(data, "full_name"), _str(data, "default_branch"))


def _checks(items: Json) -> tuple[RequiredCheck, ...]:
    if not isinstance(items, list):
        raise ValueError("the required checks are not a list")
    out = []
    for item in items:
        app = item.get("integration_id", item.get("app_id")) if isinstance(item, dict) else None
        out.append(RequiredCheck(_str(item, "context"), app if isinstance(app, int) and app > 0 else None))
    return tuple(out)


def _pull_request_rule(params: Json) -> PullRequestRule:
    count = params.get("required_approving_review_count", 0) if isinstance(params, dict) else 0
    return PullRequestRule(
        required_approving_review_count=count if isinstance(count, int) else 0,
        require_code_owner_review=_flag(params, "require_code_owner_review"),
        dismiss_stale_reviews_on_push=_flag(params, "dismiss_stale_reviews_on_push"),
        require_last_push_approval=_flag(params, "require_last_push_approval"),
    )


def rule(data: Json) -> Rule:
    kind = _str(data, "type")
    owner = data.get("ruleset_id")
    params = data.get("parameters") or {}
    ruleset_id = owner if isinstance(owner, int) else None
    if kind == "required_status_checks":
        checks = _checks(_get(params, "required_status_checks"))
        return Rule(kind, ruleset_id, checks, _flag(params, "strict_required_status_checks_policy"))
    if kind == "pull_request":
        return Rule(kind, ruleset_id, pull_request=_pull_request_rule(params))
    return Rule(kind, ruleset_id)


def ruleset(data: Json) -> Ruleset:
    ref_name = (data.get("conditions") or {}).get("ref_name") or {}
    bypass = tuple(
        BypassActor(
            _str(b, "actor_type"),
            b.get("actor_id") if isinstance(b.get("actor_id"), int) else None,
            _str(b, "bypass_mode"),
        )
        for b in data.get("bypass_actors") or []
    )
    return Ruleset(
        id=_int(data, "id"),
        name=_str(data, "name"),
        target=str(data.get("target") or "branch"),
        enforcement=_str(data, "enforcement"),
        include=tuple(str(x) for x in ref_name.get("include") or []),
        exclude=tuple(str(x) for x in ref_name.get("exclude") or []),
        bypass=bypass,
        rules=tuple(rule(r) for r in data.get("rules") or []),
        bypass_known=isinstance(data.get("bypass_actors"), list),
    )


def protection(data: Json) -> BranchProtection:
    checks = data.get("required_status_checks")
    reviews = data.get("required_pull_request_reviews")
    return BranchProtection(
        required_checks=_checks(checks.get("checks") or []) if isinstance(checks, dict) else (),
        strict=_flag(checks, "strict"),
        pull_request=None
        if not isinstance(reviews, dict)
        else PullRequestRule(
            required_approving_review_count=int(reviews.get("required_approving_review_count") or 0),
            require_code_owner_review=_flag(reviews, "require_code_owner_reviews"),
            dismiss_stale_reviews_on_push=_flag(reviews, "dismiss_stale_reviews"),
            require_last_push_approval=_flag(reviews, "require_last_push_approval"),
        ),
        enforce_admins=_flag(data.get("enforce_admins"), "enabled"),
    )


def environment(data: Json, policies: list[Json]) -> Environment:
    policy = data.get("deployment_branch_policy")
    rules = data.get("protection_rules") or []
    return Environment(
        name=_str(data, "name"),
        protected_branches=_flag(policy, "protected_branches"),
        custom_policies=_flag(policy, "custom_branch_policies"),
        branches=tuple(_str(p, "name") for p in policies if p.get("type", "branch") == "branch"),
        tags=tuple(_str(p, "name") for p in policies if p.get("type") == "tag"),
        reviewers=any(isinstance(r, dict) and r.get("type") == "required_reviewers" for r in rules),
    )


def installation(data: Json) -> Installation:
    permissions = _get(data, "permissions")
    if not isinstance(permissions, dict):
        raise ValueError("the installation's permissions are not an object")
    return Installation(_int(data, "app_id"), _str(data, "app_slug"), {str(k): str(v) for k, v in permissions.items()})


def codeowners_error(data: Json) -> CodeownersError:
    return CodeownersError(
        _str(data, "path"), _int(data, "line"), _int(data, "column"), _str(data, "kind"), _str(data, "message")
    )
