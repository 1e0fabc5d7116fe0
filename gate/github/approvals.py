"""`gate approvals`: read a pull request through the client, then apply the pure review rules.

Everything that decides who may approve — CODEOWNERS, the areas and their teams, the roster, the
freeze — is read from the **protected branch as it is now** (`rules_sha`, the branch's current
commit), never from the PR's head nor from its recorded base commit: a PR cannot change its own rules,
and a PR opened against a branch carrying looser rules is refused outright, as is a PR whose base is
not the protected branch (it could be retargeted after turning green).

On top of the review rules: authors and co-authors of the PR's commits never count as approvers,
the judging machinery and the verdicts may not change together (`duties.py`), and a freeze label
counts only when applied by someone allowed to grant it (`freeze.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import ValidationError

from gate.errors import ExternalError
from gate.github.client import GitHubClient
from gate.github.codeowners import Codeowners, find_codeowners
from gate.github.duties import CHECKLIST, checklist_policy_changed, separation_problems
from gate.github.freeze import FreezeResult, freeze_check, label_appliers
from gate.github.reviews import ApprovalResult, AreaSpec, evaluate, verdicts
from gate.github.types import Membership, PullCommit, PullRequest, Team
from gate.model import Checklist
from gate.yamlread import YamlProblem, parse

MembershipSource = Literal["api", "roster"]
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class ApprovalsReport:
    """The review rules' result, the freeze check, the PR-level refusals, and where the rules came from."""

    pr: PullRequest
    result: ApprovalResult
    freeze: FreezeResult
    membership_source: MembershipSource
    codeowners_path: str
    rules_sha: str = ""
    branch: str = DEFAULT_BRANCH
    refusals: tuple[str, ...] = ()  # base branch, separation of duties, unknown commit authors

    @property
    def satisfied(self) -> bool:
        return not self.refusals and self.result.satisfied and self.freeze.ok

    @property
    def blocking(self) -> tuple[str, ...]:
        """Every reason the PR is not approved, in the order a person acts on them."""
        frozen = () if self.freeze.ok else tuple(self.freeze.reasons)
        return (*self.refusals, *self.result.blocking, *frozen)


def _yaml_at(client: GitHubClient, path: str, ref: str) -> object | None:
    text = client.file_at(path, ref)
    if text is None:
        return None
    try:
        data: object = parse(text, path).data
    except YamlProblem as problem:
        raise ExternalError(f"{path} at {ref[:12]} cannot be read: {problem}") from None
    return data


def rules_checklist(client: GitHubClient, rules_sha: str) -> Checklist:
    """checklist.yaml as it is on the protected branch (fail closed if it is missing or invalid there)."""
    data = _yaml_at(client, CHECKLIST, rules_sha)
    if data is None:
        raise ExternalError(f"checklist.yaml does not exist on the protected branch at {rules_sha[:12]}")
    try:
        return Checklist.model_validate(data)
    except ValidationError as exc:
        raise ExternalError(
            f"checklist.yaml on the protected branch is invalid: {exc.error_count()} error(s)"
        ) from None


def head_checklist(client: GitHubClient, pr: PullRequest) -> Checklist | None:
    """The checklist the PR proposes; None when it cannot be read (which counts as a policy change)."""
    try:
        data = _yaml_at(client, CHECKLIST, pr.head_sha)
        return Checklist.model_validate(data)
    except (ExternalError, ValidationError):
        return None


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


def contributors(commits: list[PullCommit]) -> tuple[frozenset[str], list[str]]:
    """Lower-cased logins of every author and co-author, and the commits whose people GitHub cannot name.

    Someone GitHub links to no account could be a reviewer writing under another address: such a
    commit blocks until it is re-authored with an address GitHub knows (fail closed).
    """
    logins: set[str] = set()
    unknown: list[str] = []
    for commit in commits:
        for person in (commit.author, *commit.coauthors):
            if person.login:
                logins.add(person.login.lower())
            else:
                unknown.append(
                    f"commit {commit.sha[:12]} names {person}, whom GitHub links to no account: who wrote it"
                    " cannot be told apart from who approves it (use an address of a GitHub account)"
                )
    return frozenset(logins), unknown


def check_pull_request(
    client: GitHubClient,
    number: int,
    source: MembershipSource,
    at: datetime,
    *,
    branch: str = DEFAULT_BRANCH,
    rules_sha: str | None = None,
    lead: timedelta = timedelta(0),
) -> ApprovalsReport:
    """Everything the approvals check needs, read once, judged by the pure rules.

    `rules_sha` is the protected branch's commit the rules are read at (default: `branch` now);
    `lead` makes the freeze count that long before its start (`gate.github.clock`).
    """
    pr = client.pull_request(number)
    rules = rules_sha or client.branch_sha(branch)
    found = find_codeowners(lambda path: client.file_at(path, rules))
    if found is None:
        raise ExternalError(f"no CODEOWNERS on {branch} at {rules[:12]}: nobody's approval can count")
    codeowners = Codeowners.parse(found[1], found[0])
    checklist = rules_checklist(client, rules)
    members = membership(client, checklist, source, codeowners)
    reviews = client.reviews(number)
    wrote, unknown = contributors(client.pull_commits(number))
    areas = [AreaSpec(a.id, a.team) for a in checklist.areas]
    result = evaluate(pr, reviews, codeowners, areas, members, signoff_logins(client, pr, [a.id for a in areas]), wrote)
    labels = label_appliers(client.label_events(number)) if pr.labels else {}
    approved = verdicts(pr, reviews, wrote).approved
    freeze = freeze_check(checklist, pr, approved, members, at, labels, lead)
    refusals = [*base_refusal(pr, branch), *unknown]
    policy_changed = CHECKLIST in pr.files and checklist_policy_changed(checklist, head_checklist(client, pr))
    refusals += separation_problems(pr.files, policy_changed)
    return ApprovalsReport(pr, result, freeze, source, found[0], rules, branch, tuple(refusals))


def base_refusal(pr: PullRequest, branch: str) -> list[str]:
    """Why a pull request is not judged at all: its base is not the protected branch (or nothing)."""
    if pr.base_ref == branch:
        return []
    return [
        f"the pull request's base is {pr.base_ref!r}, not the protected branch {branch!r}: only pull requests"
        f" into {branch} are judged (retarget it, and it is judged again)"
    ]
