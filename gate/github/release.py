"""`gate release`: once a GO decision has merged, prove it again, then tag and publish it.

Every check comes before any write, and each one fails closed:

1. **The whole gate, at the commit.** The tree of `sha` (which must be the checked-out `HEAD`) is
   written out from its tree objects (`gate.git.export_tree`, never `git archive`, which a committed
   `.gitattributes` can make leave files out) and `gate check --require-go` runs on it. Judging the
   commit rather than the working tree means an uncommitted edit or an untracked file (a stray
   `decisions/*.yaml`, an evidence file never committed) cannot sway a tag that names the commit.
   The check must exit 0 with GO, and the latest decision must be a GO that still holds.
2. **The decision PR's quorum, as merged** (with a GitHub client). The pull request whose merge
   commit is `sha` and which changes the decision file is judged by `check_pull_request`: rules and
   teams from its base, approvals on its final head, the freeze as of the merge commit's time. No such
   PR (a direct push), or a quorum not met, refuses the release.
3. **The annotated tag** named by the decision, its message carrying the decision, the window, the
   scorecard and manifest digests and who approved. Idempotent: a tag already on `sha` is success; on
   any other commit it is an error. Published with the git binary to `remote` (after `git ls-remote`),
   through the GitHub API, or both; with neither, only the local tag is made.
4. **The GitHub release** (with a client) whose body is the launch packet. A given packet file must be
   byte for byte the packet of the tagged state: the release must not describe another one. If GitHub
   says a release for the tag already exists, that is success and it is left unchanged: a re-run must
   not fail, and a published release may have been edited by people on purpose.

Nothing to release is not a failure: when no decision is recorded at the commit (a revert removed it)
or the latest one is NO-GO, the run ends with `ReleaseResult.released` false and the reason, exit 0.

The decision PR is the one that brought the decision file into the history of `sha` (the last commit
that changed it, found with git), so it is found the same way for a merge commit, a squash, a rebase
and a merge queue that batched several PRs into one push. GitHub associates commits with pull
requests some seconds after a merge: the lookup is retried (`ASSOCIATION_WAITS`) before refusing.

The release workflow releases the protected branch as it is when the run starts, not the pushed
commit: GitHub keeps one pending run per concurrency group and drops the others, so the run that
survives releases whatever decision is in force by then — a decision pushed in between is not lost,
and one superseded in between is, rightly, not released.

The core returns a `ReleaseResult`; the command line prints it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from gate.commands.check import CheckRequest, run_check
from gate.errors import GateFailed, UsageError
from gate.evidence.hashing import sha256_file
from gate.git import (
    check_tag_name,
    commit_time,
    export_tree,
    git_out,
    head_commit,
    local_tag,
    remote_tag,
    resolve_commit,
)
from gate.github.approvals import ApprovalsReport, MembershipSource, check_pull_request
from gate.github.client import GitHubClient, GitHubError
from gate.github.types import PullRequest
from gate.load import CHECKLIST, load_yaml
from gate.model import Checklist, Decision
from gate.model.base import format_time
from gate.model.scorecard import Scorecard
from gate.windows import chosen_window

TagOutcome = Literal["created", "exists"]
M = TypeVar("M", Decision, Checklist)
# GitHub refuses a release body longer than this many characters.
MAX_RELEASE_BODY = 125_000
# Pauses between lookups of a just-merged commit's pull request (GitHub fills the association late).
ASSOCIATION_WAITS = (2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class ReleaseRequest:
    """What `gate release` was asked. `client` is set exactly when publishing to GitHub (`github`)."""

    repo: Path
    sha: str | None = None  # default: HEAD
    remote: str | None = None
    client: GitHubClient | None = None
    github: str | None = None  # owner/name, for the messages
    membership: MembershipSource = "roster"
    packet: Path | None = None
    archive: Path | None = None
    branch: str = "main"
    sleep: Callable[[float], None] = time.sleep
    at: datetime | None = None  # judge as of this moment (default: now); for rehearsals and tests


@dataclass(frozen=True)
class Published:
    """Where the tag went and whether this run made it."""

    where: str
    outcome: TagOutcome


@dataclass(frozen=True)
class ReleaseResult:
    """Everything `gate release` verified and did."""

    tag: str
    sha: str
    decision_file: str
    message: str
    pull_request: int | None
    quorum: tuple[tuple[str, str], ...]  # (area, who stands for it) in the decision PR
    tags: tuple[Published, ...]
    release: TagOutcome | None = None
    release_id: int | None = None
    released: bool = True
    note: str = ""  # why nothing was released (released false)


@dataclass(frozen=True)
class Verified:
    """A GO that holds at the commit: the scorecard, the decision record, the checklist."""

    card: Scorecard
    decision_file: str
    decision: Decision
    checklist: Checklist
    packet: str


def release(request: ReleaseRequest) -> ReleaseResult:
    """Verify the GO at the commit (and its decision PR), then tag and release; see the module docstring."""
    if request.client is None and (request.packet or request.archive):
        raise UsageError("the packet and the archive go into the GitHub release: give --github as well")
    sha = _release_commit(request.repo, request.sha)
    with export_tree(request.repo, sha) as tree:
        card = run_check(CheckRequest(tree, at=request.at))  # the whole gate, once, on the commit
        nothing = nothing_to_release(card)
        if nothing:
            return ReleaseResult("", sha, "", "", None, (), (), released=False, note=nothing)
        verified = verify_go(tree, card, with_packet=request.client is not None)
    check_tag_name(request.repo, verified.decision.release_tag)
    if request.client is None:
        message = tag_message(verified, sha, None, ())
        tags = _publish_tag(request, verified.decision.release_tag, sha, message)
        return ReleaseResult(verified.decision.release_tag, sha, verified.decision_file, message, None, (), tags)
    return _release_on_github(request, request.client, sha, verified)


def _release_on_github(request: ReleaseRequest, client: GitHubClient, sha: str, verified: Verified) -> ReleaseResult:
    tag = verified.decision.release_tag
    body = release_body(_given_packet(request.packet, verified.packet), _archive_line(request.archive))
    introduced = git_out(request.repo, "log", "-1", "--format=%H", sha, "--", verified.decision_file)
    pr = decision_pull(client, introduced or sha, verified, request.sleep)
    report = verify_decision_pr(
        client, pr, request.membership, commit_time(request.repo, introduced or sha), request.branch
    )
    quorum = tuple((a.area, a.representative) for a in report.result.areas if a.representative)
    message = tag_message(verified, sha, report.pr.number, quorum)
    tags = _publish_tag(request, tag, sha, message)
    outcome, release_id = github_release(client, tag, f"{verified.card.launch} {tag}", body)
    return ReleaseResult(tag, sha, verified.decision_file, message, report.pr.number, quorum, tags, outcome, release_id)


# ---- (a) the whole gate at the commit ----------------------------------------------------------------


def nothing_to_release(card: Scorecard) -> str:
    """Why there is nothing to release at all ("" when the latest decision is a GO, to be verified)."""
    recorded = card.recorded_decision
    if recorded is None:
        return "no go/no-go decision is recorded at this commit (none yet, or reverted): nothing to release"
    if recorded.decision != "GO":
        return f"the latest decision, {recorded.file}, is {recorded.decision}: nothing to release"
    return ""


def verify_go(tree: Path, card: Scorecard, *, with_packet: bool = False) -> Verified:
    """`card` (the gate's scorecard of `tree`) as `gate check --require-go` reads it: anything but a GO
    whose recorded decision holds is refused."""
    reasons = _refusals(card)
    if reasons:
        raise GateFailed("not releasing: the gate does not say GO\n" + "\n".join(f"  - {r}" for r in reasons))
    assert card.recorded_decision is not None  # _refusals guarantees it
    file = card.recorded_decision.file
    decision = _load(tree, file, Decision)
    checklist = _load(tree, CHECKLIST, Checklist)
    packet = ""
    if with_packet:
        from gate.commands.packet import render_packet

        packet = render_packet(tree)
    return Verified(card, file, decision, checklist, packet)


def _refusals(card: Scorecard) -> list[str]:
    reasons = [f"{e.file}:{e.line}:{e.column}: {e.message}" for e in card.errors]
    reasons += card.blocking
    recorded = card.recorded_decision
    if recorded is None:
        reasons.append("no go/no-go decision is recorded: there is nothing to release")
    elif recorded.decision != "GO":
        reasons.append(f"the latest decision, {recorded.file}, is {recorded.decision}")
    if not reasons and (card.integrity or card.decision != "GO"):
        reasons.append(f"gate check --require-go says {card.decision}, with {len(card.integrity)} integrity failure(s)")
    return reasons


def _load(tree: Path, rel: str, model: type[M]) -> M:
    _, obj, errors = load_yaml(tree, rel, model)
    if obj is None:  # the check just read it: only a file changing under us gets here
        raise GateFailed(f"{rel} cannot be read again: " + "; ".join(str(e) for e in errors))
    return obj


# ---- (b) the decision PR's quorum, as merged ---------------------------------------------------------


def verify_decision_pr(
    client: GitHubClient, pr: PullRequest, source: MembershipSource, merged_at: datetime, branch: str = "main"
) -> ApprovalsReport:
    """The decision's merged PR, judged by the approvals rules as of its merge."""
    report = check_pull_request(client, pr.number, source, merged_at, branch=branch)
    if not report.satisfied:
        reasons = report.blocking
        raise GateFailed(
            f"not releasing: decision PR #{pr.number} does not have its quorum at the commit it merged"
            f" ({pr.head_sha[:12]})\n" + "\n".join(f"  - {r}" for r in reasons)
        )
    return report


def decision_pull(
    client: GitHubClient, sha: str, verified: Verified, sleep: Callable[[float], None] = time.sleep
) -> PullRequest:
    """The merged PR that brought commit `sha` (the last to change the decision file) and changes that file.

    A merge commit, a squash or the merge queue's commit is the PR's merge commit; a rebased commit is
    one of its commits: GitHub associates both with the PR. The association appears some seconds
    after the merge, so an empty answer is asked again after each of `ASSOCIATION_WAITS`.
    """
    pulls = _associated(client, sha, sleep)
    merged = [p for p in pulls if p.merged]
    if not merged:
        listed = ", ".join(f"#{p.number}" for p in pulls) or "none"
        raise GateFailed(
            f"not releasing: no merged pull request brought {sha[:12]} (associated: {listed});"
            " a decision pushed without a reviewed pull request has no quorum to verify"
        )
    file = verified.decision_file
    deciding = [p for p in merged if file in p.files]
    if not deciding:
        raise GateFailed(
            f"not releasing: #{merged[0].number} merged {sha[:12]} but does not change {file}:"
            " the decision's own pull request is the one whose quorum counts"
        )
    pr = deciding[0]
    named = verified.decision.pull_request
    if named is not None and named != pr.number:
        raise GateFailed(f"not releasing: {file} names pull request #{named}, but #{pr.number} merged it")
    return pr


def _associated(client: GitHubClient, sha: str, sleep: Callable[[float], None]) -> list[PullRequest]:
    numbers = client.pulls_for_commit(sha)
    for wait in ASSOCIATION_WAITS:
        if numbers:
            break
        sleep(wait)
        numbers = client.pulls_for_commit(sha)
    return [client.pull_request(n) for n in numbers]


# ---- (c) the annotated tag ---------------------------------------------------------------------------


def tag_message(verified: Verified, sha: str, pull_request: int | None, quorum: tuple[tuple[str, str], ...]) -> str:
    """The tag's message: what was decided, on which exact state, and by whom."""
    d, card = verified.decision, verified.card
    window, _ = chosen_window(verified.checklist, d.window or "primary")
    lines = [
        f"{d.release_tag}: {d.decision} for {card.launch} ({card.network})",
        "",
        f"commit: {sha}",
        f"decision: {d.decision} ({verified.decision_file})",
        f"decided_at: {format_time(d.decided_at)}",
        f"window: {d.window}" + (f" ({window})" if window else ""),
        f"scorecard_sha256: {d.scorecard_sha256}",
        f"manifest_sha256: {d.manifest_sha256}",
    ]
    if pull_request is not None:
        lines.append(f"decision_pull_request: #{pull_request}")
        lines += [f"quorum: {area} approved by {login}" for area, login in quorum]
    lines += ["", "sign-off approvers:"]
    lines += [f"  {s.area}: {s.approver or '-'}" for s in card.signoffs]
    lines += ["meeting attendees:"]
    lines += [f"  {a.role}: {a.login}" for a in (d.meeting.attendees if d.meeting else [])]
    lines += ["", f"Verify offline: gate verify --tag {d.release_tag}"]
    return "\n".join(lines) + "\n"


def _publish_tag(request: ReleaseRequest, tag: str, sha: str, message: str) -> tuple[Published, ...]:
    published = []
    if request.remote is not None:
        made = remote_tag(request.repo, request.remote, tag, sha, message)
        published.append(Published(f"remote {request.remote}", _made(made)))
    if request.client is not None:
        published.append(
            Published(f"GitHub {request.github or ''}".strip(), github_tag(request.client, tag, sha, message))
        )
    if not published:
        made = local_tag(request.repo, tag, sha, message)
        published.append(Published("this repository only (nothing published)", _made(made)))
    return tuple(published)


def _made(created: bool) -> TagOutcome:
    return "created" if created else "exists"


def github_tag(client: GitHubClient, tag: str, sha: str, message: str) -> TagOutcome:
    """Create the annotated tag through the API unless `tags/<tag>` already names `sha`."""
    found = client.ref_sha(f"tags/{tag}")
    if found is not None and found.lower() == sha:
        return "exists"
    if found is not None:
        raise GateFailed(f"not releasing: tag {tag} already exists on GitHub on {found[:12]}, not on {sha[:12]}")
    try:
        client.create_tag(tag, sha, message)
    except GitHubError as failed:
        # A write whose answer was lost may still have happened, and a concurrent run may have won.
        if _ref_now(client, tag) == sha:
            return "exists"
        raise failed from None
    return "created"


def _ref_now(client: GitHubClient, tag: str) -> str | None:
    try:
        found = client.ref_sha(f"tags/{tag}")
    except GitHubError:
        return None
    return found.lower() if found else None


# ---- (d) the GitHub release --------------------------------------------------------------------------


def github_release(client: GitHubClient, tag: str, name: str, body: str) -> tuple[TagOutcome, int | None]:
    """Create the release; one GitHub already has for this tag is success, left as it is."""
    try:
        return "created", client.create_release(tag, name, body)
    except GitHubError as error:
        if _already_exists(error):
            return "exists", None
        raise


def _already_exists(error: GitHubError) -> bool:
    """GitHub's 422 for a second release of a tag names the code `already_exists`; other 422s fail."""
    return error.status == 422 and error.code == "already_exists"


def release_body(packet: str, archive: str | None) -> str:
    """The launch packet, with the archive's digest when one is given, within GitHub's size limit."""
    footer = f"\n---\n\n{archive}\n" if archive else ""
    room = MAX_RELEASE_BODY - len(footer)
    if len(packet) > room:
        note = "\n\n(The packet is cut here to fit GitHub's limit; the full packet is in the launch archive.)\n"
        packet = packet[: packet.rfind("\n", 0, room - len(note)) + 1] + note
    return packet + footer


def _given_packet(path: Path | None, rendered: str) -> str:
    if path is None:
        return rendered
    try:
        given = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the packet {path}: {exc}") from None
    if given != rendered:
        raise GateFailed(
            f"not releasing: {path} is not the launch packet of this commit (run `gate packet` again);"
            " the release must describe the state it tags"
        )
    return given


def _archive_line(path: Path | None) -> str | None:
    if path is None:
        return None
    if not path.is_file():
        raise UsageError(f"the archive {path} does not exist")
    digest = sha256_file(path)
    return f"Launch archive `{path.name}`: SHA-256 `{digest.hex}`, {digest.size} bytes (`gate verify {path.name}`)."


def _release_commit(repo: Path, sha: str | None) -> str:
    """`sha` (default HEAD) as a full commit id; the checked-out HEAD must be that commit."""
    head = head_commit(repo)
    if sha is None:
        return head
    full = resolve_commit(repo, sha)
    if full != head:
        raise UsageError(f"the working tree is at {head[:12]}, not at {full[:12]}: check out the commit to release")
    return full
