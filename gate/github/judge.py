"""`gate github judge`: the verdicts GitHub requires, computed by protected-branch code, posted as check runs.

One entry point for every privileged trigger of the gate workflow (see `.github/workflows/gate.yml`):

- `pull_request_target` / `workflow_dispatch`: the pull requests named (`numbers`);
- `workflow_run` relaying a review: every open pull request into the protected branch whose head is
  `head_sha` — the relayed run names nothing we trust, not even a number: the list is re-read here;
- `workflow_run` relaying a `merge_group`: `head_branch` is `gh-readonly-queue/<branch>/pr-<N>-<sha>`,
  the group's commit is judged with `gate check`, pull request N's approvals are judged as of now;
- `schedule`: every open pull request into the protected branch, when a re-judgement is due
  (`clock.rejudge_due`): in the freeze always, around freeze and window boundaries, else not.

For each, two check runs are posted on exactly the commit judged: `gate check` (the launch files of
that commit, read through the API as data — nothing is checked out or run) and `gate approvals`
(CODEOWNERS, quorum, freeze, separation of duties, from the protected branch as it is now). The token
that posts them is the gate App's, which no pull request can use, and the rulesets require these
two names from that App.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from gate.commands.check import CheckRequest, run_check
from gate.errors import GateError, UsageError
from gate.github.approvals import (
    ApprovalsReport,
    MembershipSource,
    base_refusal,
    check_pull_request,
    rules_checklist,
)
from gate.github.client import GitHubClient
from gate.github.clock import LEAD, rejudge_due
from gate.github.tree import fetched_tree
from gate.github.types import CheckConclusion, CheckRun, PullRequest
from gate.model.scorecard import Scorecard
from gate.report.scorecard import STICKY_MARKER

CHECK = "gate check"
APPROVALS = "gate approvals"
_SHA = re.compile(r"[0-9a-f]{40}")
MAX_OPEN = 200  # pull requests judged by one scheduled run; more fails (never a partial silence)
Trigger = Literal["pull_request", "relay", "merge_group", "schedule"]


@dataclass(frozen=True)
class JudgeRequest:
    """Which pull requests (or merge group) to judge, and how."""

    branch: str
    at: datetime
    membership: MembershipSource = "roster"
    numbers: tuple[int, ...] = ()
    head_sha: str | None = None
    head_branch: str | None = None
    scheduled: bool = False
    force: bool = False  # scheduled, but due whatever the clock says (a person asked for it)
    comment_as: str | None = None  # the App's bot login: also update the sticky scorecard comment


@dataclass(frozen=True)
class Verdict:
    """What was posted on one commit: each check's conclusion and title."""

    number: int
    sha: str
    check: CheckRun
    approvals: CheckRun
    posted: bool = True
    note: str = ""


@dataclass(frozen=True)
class JudgeResult:
    trigger: Trigger
    verdicts: tuple[Verdict, ...] = ()
    skipped: tuple[str, ...] = field(default_factory=tuple)


def judge(client: GitHubClient, request: JudgeRequest) -> JudgeResult:
    """Judge what `request` names; see the module docstring."""
    if request.head_branch is not None:
        return _judge_merge_group(client, request)
    if request.head_sha is not None:
        return _judge_relay(client, request)
    if request.scheduled:
        return _judge_scheduled(client, request)
    if not request.numbers:
        raise UsageError("name the pull requests to judge, a head commit, a merge group, or --scheduled")
    return _judge_many(client, request, request.numbers, "pull_request")


def _judge_relay(client: GitHubClient, request: JudgeRequest) -> JudgeResult:
    sha = _valid_sha(request.head_sha or "")
    numbers = tuple(n for n, head in client.open_pulls(request.branch) if head == sha)
    result = _judge_many(client, request, numbers, "relay")
    if numbers:
        return result
    return JudgeResult("relay", (), (f"no open pull request into {request.branch} has {sha[:12]} as its head",))


def _judge_scheduled(client: GitHubClient, request: JudgeRequest) -> JudgeResult:
    rules = client.branch_sha(request.branch)
    due, why = (
        (True, "re-judged on request") if request.force else rejudge_due(rules_checklist(client, rules), request.at)
    )
    if not due:
        return JudgeResult("schedule", (), (why,))
    numbers = tuple(n for n, _ in client.open_pulls(request.branch))
    if len(numbers) > MAX_OPEN:
        raise UsageError(f"{len(numbers)} open pull requests: more than the {MAX_OPEN} one run re-judges")
    result = _judge_many(client, request, numbers, "schedule")
    return JudgeResult("schedule", result.verdicts, (why,))


def _judge_many(client: GitHubClient, request: JudgeRequest, numbers: tuple[int, ...], trigger: Trigger) -> JudgeResult:
    verdicts, skipped = [], []
    for number in dict.fromkeys(numbers):
        pr = client.pull_request(number)
        if pr.state != "open":
            skipped.append(f"#{number} is {pr.state}: nothing to judge")
            continue
        verdicts.append(_judge_pull(client, request, pr))
    return JudgeResult(trigger, tuple(verdicts), tuple(skipped))


def _judge_pull(client: GitHubClient, request: JudgeRequest, pr: PullRequest) -> Verdict:
    areas: dict[str, str] = {}
    approvals = _approvals(client, request, pr.number, areas)
    comment: list[str] = []  # the review comment, written while the head's files are at hand
    check = _check_run(client, pr.head_sha, request.at, _base_problem(pr, request.branch), (pr, areas, comment))
    verdict = Verdict(pr.number, pr.head_sha, check, approvals)
    current = dict(client.open_pulls(pr.base_ref)).get(pr.number)  # read again, uncached
    if current != pr.head_sha:
        # Posting on a head that is no longer the PR's would be exact but useless; the new head's own
        # run (synchronize) judges it. Never post a verdict on a commit other than the one judged.
        return Verdict(pr.number, pr.head_sha, check, approvals, False, f"head moved to {str(current)[:12]}")
    _post(client, verdict)
    if request.comment_as:
        client.upsert_comment(pr.number, STICKY_MARKER, comment[0] if comment else check.summary, request.comment_as)
    return verdict


def _judge_merge_group(client: GitHubClient, request: JudgeRequest) -> JudgeResult:
    sha = _valid_sha(request.head_sha or "")
    prefix = f"gh-readonly-queue/{request.branch}/pr-"
    found = re.fullmatch(
        re.escape(prefix) + r"(\d+)-[0-9a-f]{40}", (request.head_branch or "").removeprefix("refs/heads/")
    )
    if found is None:
        raise UsageError(f"{request.head_branch!r} is not a merge group of {request.branch}")
    number = int(found[1])
    pr = client.pull_request(number)
    problem = _base_problem(pr, request.branch) or ("" if pr.state == "open" else f"#{number} is {pr.state}")
    approvals = _approvals(client, request, number)
    check = _check_run(client, sha, request.at, problem)
    verdict = Verdict(number, sha, check, _retarget(approvals, sha))
    _post(client, verdict)
    return JudgeResult("merge_group", (verdict,))


def _retarget(run: CheckRun, sha: str) -> CheckRun:
    return CheckRun(run.name, sha, run.conclusion, run.title, run.summary)


def _approvals(
    client: GitHubClient, request: JudgeRequest, number: int, areas: dict[str, str] | None = None
) -> CheckRun:
    """The approvals verdict; with `areas`, also fills in each required area's state for the comment."""
    pr = client.pull_request(number)
    try:
        report = check_pull_request(client, number, request.membership, request.at, branch=request.branch, lead=LEAD)
    except GateError as error:  # fail closed, and say why on the pull request itself
        return CheckRun(APPROVALS, pr.head_sha, "failure", "cannot be judged", f"gate approvals: {error}")
    if areas is not None:
        for area in report.result.areas:
            if area.required:
                areas[area.area] = area.needs or "approved by " + ", ".join(f"@{a}" for a in area.approvers)
    return CheckRun(
        APPROVALS, pr.head_sha, _conclusion(report.satisfied), _approvals_title(report), _approvals_summary(report)
    )


def _check_run(
    client: GitHubClient,
    sha: str,
    at: datetime,
    problem: str,
    review_for: tuple[PullRequest, dict[str, str], list[str]] | None = None,
) -> CheckRun:
    """`gate check` on the files of `sha`; with `review_for` (the PR, its areas' approvals, where to put
    it), also the review comment, written while the head's files are at hand."""
    if problem:
        return CheckRun(CHECK, sha, "failure", "refused", problem)
    try:
        with fetched_tree(client, sha) as tree:
            card = run_check(CheckRequest(tree, at=at))
            if review_for is not None:
                pr, areas, comment = review_for
                comment.append(_review(tree, card, pr, areas))
    except GateError as error:
        return CheckRun(CHECK, sha, "failure", "cannot be judged", f"gate check: {error}")
    return CheckRun(CHECK, sha, _conclusion(consistent(card)), _check_title(card), _check_summary(card))


def _review(tree: Path, card: Scorecard, pr: PullRequest, areas: dict[str, str]) -> str:
    """The comment for review: what the PR changes, the areas it touches, what blocks (gate.report.review)."""
    from gate.load import load_repo
    from gate.report.review import changed_files, review

    loaded, _ = load_repo(tree)
    changes = changed_files(loaded, pr.files) if loaded is not None else []
    return review(card, changes, areas)


def _post(client: GitHubClient, verdict: Verdict) -> None:
    client.create_check_run(verdict.check)
    client.create_check_run(verdict.approvals)


def _base_problem(pr: PullRequest, branch: str) -> str:
    return "; ".join(f"refused: {why}" for why in base_refusal(pr, branch))


def _valid_sha(text: str) -> str:
    if not _SHA.fullmatch(text):
        raise UsageError(f"{text[:60]!r} is not a commit id (40 lower-case hex digits)")
    return text


def _conclusion(ok: bool) -> CheckConclusion:
    return "success" if ok else "failure"


def consistent(card: Scorecard) -> bool:
    """`gate check` would exit 0: every file usable, every hash right, no GO claimed falsely (NO-GO is fine)."""
    holds = card.recorded_decision is None or card.recorded_decision.holds
    return not card.errors and not card.integrity and holds


def _check_title(card: Scorecard) -> str:
    if not consistent(card):
        return f"{card.decision}: the files do not hold ({len(card.integrity)} integrity, {len(card.errors)} input)"
    return f"{card.decision}: the files are consistent"


def _check_summary(card: Scorecard) -> str:
    from gate.report.scorecard import render

    return render(card, "markdown")  # starts with STICKY_MARKER: the same text is the sticky comment


def _approvals_title(report: ApprovalsReport) -> str:
    if report.satisfied:
        return "approved"
    return f"not approved: {len(report.blocking)} reason(s)"


def _approvals_summary(report: ApprovalsReport) -> str:
    pr = report.pr
    lines = [
        f"PR #{pr.number} at `{pr.head_sha[:12]}`, judged with the rules of `{report.branch}` at"
        f" `{report.rules_sha[:12]}` (team membership: {report.membership_source})",
        "",
    ]
    for area in report.result.areas:
        if area.required:
            lines.append(
                f"- {area.area}: {'ok' if area.satisfied else 'NEEDS'} {area.needs or ', '.join(area.approvers)}"
            )
    lines += [f"- freeze: {r}" for r in report.freeze.reasons]
    lines += [f"- **{b}**" for b in report.blocking]
    return "\n".join(lines) + "\n"
