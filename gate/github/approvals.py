"""`gate approvals`: read a pull request through the client, then apply the pure review rules.

Everything that decides who may approve — CODEOWNERS, the areas and their teams, the roster, the
freeze — is read at the pull request's **base** commit, so a pull request cannot change its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from gate.errors import ExternalError
from gate.github.client import GitHubClient
from gate.github.codeowners import Codeowners, find_codeowners
from gate.github.freeze import FreezeResult, freeze_check
from gate.github.reviews import ApprovalResult, AreaSpec, evaluate, verdicts
from gate.github.types import Membership, PullRequest, Team
from gate.model import Checklist
from gate.yamlread import YamlProblem, parse

MembershipSource = Literal["api", "roster"]


@dataclass(frozen=True)
class ApprovalsReport:
    """The review rules' result, the freeze check, and where team membership came from."""

    pr: PullRequest
    result: ApprovalResult
    freeze: FreezeResult
    membership_source: MembershipSource
    codeowners_path: str

    @property
    def satisfied(self) -> bool:
        return self.result.satisfied and self.freeze.ok


def _yaml_at(client: GitHubClient, path: str, ref: str) -> object | None:
    text = client.file_at(path, ref)
    if text is None:
        return None
    try:
        data: object = parse(text, path).data
    except YamlProblem as problem:
        raise ExternalError(f"{path} at {ref[:12]} cannot be read: {problem}") from None
    return data


def base_checklist(client: GitHubClient, base_sha: str) -> Checklist:
    """checklist.yaml as it is at the base commit (fail closed if it is missing or invalid there)."""
    data = _yaml_at(client, "checklist.yaml", base_sha)
    if data is None:
        raise ExternalError(f"checklist.yaml does not exist at the base commit {base_sha[:12]}")
    try:
        return Checklist.model_validate(data)
    except ValidationError as exc:
        raise ExternalError(f"checklist.yaml at the base commit is invalid: {exc.error_count()} error(s)") from None


def membership(
    client: GitHubClient, checklist: Checklist, source: MembershipSource, codeowners: Codeowners | None = None
) -> Membership:
    """Members of every team that can matter — the areas', the roles' and every team CODEOWNERS names —
    from the API (one request per distinct team), or from the checklist's roster."""
    teams = {a.team.lower() for a in checklist.areas} | {r.team.lower() for r in checklist.roles.values() if r.team}
    if codeowners is not None:
        teams |= {o.lower() for rule in codeowners.rules for o in rule.owners if o.startswith("@") and "/" in o}
    if source == "roster":
        roster = {t.lower(): frozenset(m.lower() for m in ms) for t, ms in checklist.roster.items()}
        return Membership({t: roster.get(t, frozenset()) for t in teams}, "roster")
    return Membership({t: client.team_members(Team.parse(t)) for t in sorted(teams)}, "api")


def signoff_logins(client: GitHubClient, pr: PullRequest, areas: list[str]) -> dict[str, str | None]:
    """The approver each changed sign-off file records at the head commit (None when absent)."""
    out: dict[str, str | None] = {}
    for area in areas:
        path = f"signoffs/{area}.yaml"
        if path in pr.files:
            data = _yaml_at(client, path, pr.head_sha)
            approver = data.get("approver") if isinstance(data, dict) else None
            out[area] = approver if isinstance(approver, str) else None
        else:
            out[area] = None
    return out


def check_pull_request(client: GitHubClient, number: int, source: MembershipSource, at: datetime) -> ApprovalsReport:
    """Everything the approvals check needs, read once, judged by the pure rules."""
    pr = client.pull_request(number)
    reviews = client.reviews(number)
    found = find_codeowners(lambda path: client.file_at(path, pr.base_sha))
    if found is None:
        raise ExternalError(f"no CODEOWNERS at the base commit {pr.base_sha[:12]}: nobody's approval can count")
    codeowners = Codeowners.parse(found[1], found[0])
    checklist = base_checklist(client, pr.base_sha)
    members = membership(client, checklist, source, codeowners)
    areas = [AreaSpec(a.id, a.team) for a in checklist.areas]
    logins = signoff_logins(client, pr, [a.id for a in checklist.areas])
    result = evaluate(pr, reviews, codeowners, areas, members, logins)
    freeze = freeze_check(checklist, pr, verdicts(pr, reviews).approved, members, at)
    return ApprovalsReport(pr, result, freeze, source, found[0])
