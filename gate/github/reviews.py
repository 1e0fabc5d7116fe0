"""Review rules: do a PR's reviews satisfy CODEOWNERS, its sign-off and the decision quorum?

Pure rules: no I/O, no PyGithub. `evaluate` takes plain values (`gate.github.types`) and returns
an `ApprovalResult` that lists every unmet requirement, never just the first.

What the caller must guarantee, because these rules cannot see it:

- `codeowners` is parsed from the PR's **base** commit, never its head: a PR must not be able to
  change its own owners, and nothing here can tell which commit a `Codeowners` came from.
- `membership` holds every team that CODEOWNERS or an `AreaSpec` names. An unknown team has no
  members, so nobody can approve for it: missing knowledge fails closed.
- `signoff_logins` maps the area of every changed `signoffs/<area>.yaml` to the approver login
  recorded in that file at the PR's head (`None` when the file records none, e.g. a `pending`
  sign-off or a deleted file). A changed sign-off whose area is missing from the mapping blocks.

Decisions taken where GitHub or the product page leave room:

- A reviewer's standing is their latest APPROVED / CHANGES_REQUESTED / DISMISSED review, ordered
  by `submitted_at`, then `id`; a review without `submitted_at` (GitHub omits it only for PENDING
  ones) sorts before every dated one, so it can never override a dated decision.
- CHANGES_REQUESTED blocks on whatever commit it was given (GitHub keeps it until it is dismissed
  or superseded); an approval counts only on the head commit.
- The author and bots count for nothing, neither approving nor blocking; nor does anyone who
  authored or co-authored a commit of the PR (`contributors`): they would be approving their own work.
- An e-mail owner in CODEOWNERS never matches: GitHub resolves it through verified e-mails we
  cannot see. A file owned only by e-mails therefore cannot be approved here, which is reported.
- In a sign-off PR the recorded approver must be an owner of the area **and** must have approved
  the PR themselves: a file naming one lead while another lead approved would misstate who signed
  off. A recorded approver who is the PR's author can never satisfy this (an author's approval
  never counts); someone else has to open the PR.
- A sign-off or decision PR needs its areas' owners (`AreaSpec.team`) even where CODEOWNERS forgot
  the file, and an owner of such an area blocks with CHANGES_REQUESTED like a code owner does.
- Fail closed on what cannot be checked: a changed `signoffs/<x>.yaml` whose `x` is no area, and a
  decision PR when no areas are configured, both block.
- The decision quorum is a maximum bipartite matching of areas to distinct approving people, so
  one person in two teams stands for one area only, and who stands for what is never greedy.

CODEOWNERS lines GitHub rejects (`Codeowners.problems`) give no rule, exactly as on GitHub;
reporting them is `codeowners lint`'s job, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from gate.github.types import Membership, PullRequest, Review

SIGNOFF_DIR = "signoffs/"
SIGNOFF_SUFFIX = ".yaml"
DECISION_DIR = "decisions/"

_DECISIVE = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LISTED_SUBJECTS = 3


class OwnersLookup(Protocol):
    """What the rules need of CODEOWNERS; `gate.github.codeowners.Codeowners` provides it."""

    def owners_of(self, path: str) -> tuple[str, ...]:
        """The owners (`@user`, `@org/team` or e-mail) of `path`; empty when nobody owns it."""
        ...


@dataclass(frozen=True)
class AreaSpec:
    """A sign-off area and the owner handle that approves for it, e.g. `@virtengine/security`."""

    id: str
    team: str


@dataclass(frozen=True)
class FileStatus:
    """Whether one changed file has the code-owner approval GitHub would require."""

    path: str
    owners: tuple[str, ...]
    satisfied: bool
    approvers: tuple[str, ...]
    needs: str


@dataclass(frozen=True)
class AreaStatus:
    """One area's part in this PR.

    `required` is true when the PR changes the area's sign-off or a decision. `approvers` are the
    area's owners whose approval counts; `representative` is who stands for the area in the decision
    quorum (None outside a decision PR or when nobody distinct is left). `needs` is "" when
    satisfied.
    """

    area: str
    team: str
    required: bool
    satisfied: bool
    approvers: tuple[str, ...]
    representative: str | None
    needs: str


@dataclass(frozen=True)
class ApprovalResult:
    """The verdict on a PR's reviews: `satisfied` exactly when `blocking` is empty."""

    satisfied: bool
    areas: tuple[AreaStatus, ...]
    files: tuple[FileStatus, ...]
    changes_requested: tuple[str, ...]
    blocking: tuple[str, ...]


@dataclass(frozen=True)
class Verdicts:
    """Where each eligible reviewer stands after rules 1-3; logins lower-cased."""

    approved: frozenset[str]
    stale: frozenset[str]
    requested_changes: frozenset[str]
    contributed: frozenset[str] = frozenset()  # approved, but wrote part of the PR: never counted


def latest_reviews(reviews: Iterable[Review]) -> dict[str, Review]:
    """Latest APPROVED / CHANGES_REQUESTED / DISMISSED review per lower-cased reviewer login."""
    latest: dict[str, Review] = {}
    for review in sorted((r for r in reviews if r.state in _DECISIVE), key=_review_order):
        latest[review.user.lower()] = review
    return latest


def verdicts(pr: PullRequest, reviews: Iterable[Review], contributors: Set[str] = frozenset()) -> Verdicts:
    """Classify the latest reviews, leaving out the PR's author, its commits' (co-)authors and bots."""
    latest = latest_reviews(reviews)
    excluded = {login.lower() for login in contributors} | {pr.author.lower()}
    counted = {login: r for login, r in latest.items() if login not in excluded and not _is_bot(r)}
    head = pr.head_sha.lower()
    approvals = {login for login, r in counted.items() if r.state == "APPROVED"}
    current = {login for login in approvals if counted[login].commit_id.lower() == head}
    changes = {login for login, r in counted.items() if r.state == "CHANGES_REQUESTED"}
    contributed = {
        login for login, r in latest.items() if login in excluded - {pr.author.lower()} and r.state == "APPROVED"
    }
    return Verdicts(frozenset(current), frozenset(approvals - current), frozenset(changes), frozenset(contributed))


def evaluate(
    pr: PullRequest,
    reviews: Sequence[Review],
    codeowners: OwnersLookup,
    areas: Sequence[AreaSpec],
    membership: Membership,
    signoff_logins: Mapping[str, str | None],
    contributors: Set[str] = frozenset(),
) -> ApprovalResult:
    """Decide whether `pr`'s reviews meet every ownership rule; see the module docstring.

    Raises ValueError on a programming error in the input: duplicate area ids, or a naive
    `submitted_at` (which cannot be ordered against GitHub's UTC times).
    """
    _check_areas(areas)
    ctx = _Context(pr, verdicts(pr, reviews, contributors), membership)
    paths = tuple(dict.fromkeys(pr.files))
    files = tuple(_file_status(path, codeowners.owners_of(path), ctx) for path in paths)
    decision = any(path.startswith(DECISION_DIR) for path in paths)
    demands = _Demands(_signoff_areas(paths), decision, signoff_logins)
    statuses = _area_statuses(areas, ctx, demands)
    objections = _objections(ctx, _owned_subjects(files, statuses, ctx))
    blocking = _blocking(objections, files, statuses, demands, areas)
    return ApprovalResult(
        satisfied=not blocking,
        areas=statuses,
        files=files,
        changes_requested=tuple(login for login, _ in objections),
        blocking=blocking,
    )


def login_text(login: str) -> str:
    """A login as people read it: `@alice`."""
    return f"@{login}"


@dataclass(frozen=True)
class _Context:
    """What every rule consults: the PR, the reviewers' verdicts and team membership."""

    pr: PullRequest
    verdicts: Verdicts
    membership: Membership

    @property
    def head(self) -> str:
        return self.pr.head_sha[:7]

    def logins(self, handles: Iterable[str]) -> frozenset[str]:
        """Every lower-cased login that any of `handles` stands for."""
        return frozenset().union(*(self._logins_of(h) for h in handles))

    def _logins_of(self, handle: str) -> frozenset[str]:
        name = handle.strip().lower()
        if not name.startswith("@"):
            return frozenset()  # an e-mail: GitHub maps it through verified e-mails we cannot see
        if "/" in name:
            return frozenset(m.lower() for m in self.membership.of(name))
        return frozenset({name[1:]})

    def approval_need(self, handles: Sequence[str], owners: frozenset[str], kind: str = "an approval") -> str:
        """What is missing when none of `owners` (the logins of `handles`) approved."""
        if not owners:
            return f"{kind} from {_describe(handles)}, who resolve to no known login"
        need = f"{kind} on {self.head} from {_describe(handles)}"
        return need + self.stale_hint(owners)

    def stale_hint(self, owners: frozenset[str]) -> str:
        stale = sorted(owners & self.verdicts.stale)
        wrote = sorted(owners & self.verdicts.contributed)
        hints = [f"{', '.join(map(login_text, stale))} approved an older commit"] if stale else []
        if wrote:
            hints.append(f"{', '.join(map(login_text, wrote))} wrote a commit of it, so cannot approve it")
        return f" ({'; '.join(hints)})" if hints else ""


def _blocking(
    objections: Sequence[tuple[str, str]],
    files: Sequence[FileStatus],
    statuses: Sequence[AreaStatus],
    demands: _Demands,
    areas: Sequence[AreaSpec],
) -> tuple[str, ...]:
    """Every reason the PR is not approved, objections first because they need a person to act."""
    reasons = [f"{login_text(who)} requested changes as an owner of {what}" for who, what in objections]
    reasons += [f"{f.path}: needs {f.needs}" for f in files if not f.satisfied]
    reasons += [f"area {a.area}: needs {a.needs}" for a in statuses if not a.satisfied]
    reasons += _unknown_signoffs(demands.signed, areas)
    if demands.decision and not areas:
        reasons.append("decision quorum: no sign-off areas are configured, so none can be verified")
    return tuple(reasons)


def _review_order(review: Review) -> tuple[datetime, int]:
    when = review.submitted_at
    if when is not None and when.utcoffset() is None:
        raise ValueError(f"review {review.id}: submitted_at {when} has no time zone")
    # Undated sorts first: it can never override a dated decision.
    return (when or _EARLIEST, review.id)


def _is_bot(review: Review) -> bool:
    return review.user_is_bot or review.user.lower().endswith("[bot]")


def _check_areas(areas: Sequence[AreaSpec]) -> None:
    ids = [area.id for area in areas]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate sign-off area ids: {', '.join(duplicates)}")


def _describe(handles: Sequence[str]) -> str:
    if len(handles) == 1:
        return _describe_one(handles[0])
    return "one of " + ", ".join(handles)


def _describe_one(handle: str) -> str:
    return f"a member of {handle}" if "/" in handle else handle


def _file_status(path: str, handles: tuple[str, ...], ctx: _Context) -> FileStatus:
    if not handles:
        return FileStatus(path, (), satisfied=True, approvers=(), needs="")
    owners = ctx.logins(handles)
    approvers = tuple(sorted(owners & ctx.verdicts.approved))
    needs = "" if approvers else ctx.approval_need(handles, owners)
    return FileStatus(path, handles, satisfied=bool(approvers), approvers=approvers, needs=needs)


def _signoff_areas(paths: Iterable[str]) -> dict[str, str]:
    """Area id -> path of every changed `signoffs/<area>.yaml` (top level of `signoffs/` only)."""
    found: dict[str, str] = {}
    for path in paths:
        name = path.removeprefix(SIGNOFF_DIR)
        if name != path and name.endswith(SIGNOFF_SUFFIX) and "/" not in name:
            area = name.removesuffix(SIGNOFF_SUFFIX)
            if area:
                found[area] = path
    return found


def _unknown_signoffs(signed: Mapping[str, str], areas: Sequence[AreaSpec]) -> list[str]:
    known = {area.id for area in areas}
    return [
        f"{path}: {area!r} is not a sign-off area of the checklist"
        for area, path in signed.items()
        if area not in known
    ]


@dataclass(frozen=True)
class _Demands:
    """What the PR's changed paths ask of the areas."""

    signed: Mapping[str, str]
    decision: bool
    signoff_logins: Mapping[str, str | None]

    def requires(self, area: AreaSpec) -> bool:
        return self.decision or area.id in self.signed


def _area_statuses(areas: Sequence[AreaSpec], ctx: _Context, demands: _Demands) -> tuple[AreaStatus, ...]:
    approvers = {area.id: _area_approvers(area, ctx) for area in areas}
    matching = _max_matching(approvers) if demands.decision else {}
    return tuple(_area_status(area, ctx, demands, matching) for area in areas)


def _area_approvers(area: AreaSpec, ctx: _Context) -> tuple[str, ...]:
    return tuple(sorted(ctx.logins([area.team]) & ctx.verdicts.approved))


def _area_status(area: AreaSpec, ctx: _Context, demands: _Demands, matching: Mapping[str, str]) -> AreaStatus:
    owners = ctx.logins([area.team])
    approvers = _area_approvers(area, ctx)
    representative = matching.get(area.id)
    needs = []
    if area.id in demands.signed:
        needs += _signoff_needs(area, owners, ctx, demands.signoff_logins)
    if demands.decision and representative is None:
        needs.append(_quorum_need(area, owners, approvers, ctx, matching))
    return AreaStatus(
        area=area.id,
        team=area.team,
        required=demands.requires(area),
        satisfied=not needs,
        approvers=approvers,
        representative=representative,
        needs="; ".join(needs),
    )


def _signoff_needs(
    area: AreaSpec,
    owners: frozenset[str],
    ctx: _Context,
    signoff_logins: Mapping[str, str | None],
) -> list[str]:
    """What a PR changing `signoffs/<area>.yaml` still lacks."""
    if area.id not in signoff_logins:
        return [f"the approver recorded in {SIGNOFF_DIR}{area.id}{SIGNOFF_SUFFIX} (not provided)"]
    owner_approved = bool(owners & ctx.verdicts.approved)
    recorded = signoff_logins[area.id]
    if recorded is None:
        return [] if owner_approved else [ctx.approval_need([area.team], owners)]
    login = recorded.strip().removeprefix("@").lower()
    problems = _recorded_problems(login, area, owners, ctx)
    if problems:
        # The recorded login can never satisfy the sign-off; still say if no owner approved at all.
        return problems if owner_approved else [*problems, ctx.approval_need([area.team], owners)]
    if login not in ctx.verdicts.approved:
        need = f"an approval on {ctx.head} from the recorded approver {login_text(login)}"
        return [need + ctx.stale_hint(frozenset({login}))]
    return []


def _recorded_problems(login: str, area: AreaSpec, owners: frozenset[str], ctx: _Context) -> list[str]:
    problems = []
    if login not in owners:
        problems.append(f"a recorded approver who is {_describe_one(area.team)} ({login_text(login)} is not)")
    if login == ctx.pr.author.lower():
        problems.append(
            f"a recorded approver other than the PR's author {login_text(login)}, whose approval never counts"
        )
    elif login in ctx.verdicts.contributed:
        problems.append(f"a recorded approver who wrote no commit of the PR ({login_text(login)} did)")
    return problems


def _quorum_need(
    area: AreaSpec,
    owners: frozenset[str],
    approvers: Sequence[str],
    ctx: _Context,
    matching: Mapping[str, str],
) -> str:
    kind = "a decision-quorum approval"
    if not approvers:
        return ctx.approval_need([area.team], owners, kind)
    # In a maximum matching every approver of an unmatched area already stands for another one.
    stands_for = {person: other for other, person in matching.items()}
    taken = ", ".join(f"{login_text(p)} stands for {stands_for[p]}" for p in approvers)
    who = _describe_one(area.team)
    return f"{kind} from someone who is {who} and stands for no other area ({taken})"


def _max_matching(candidates: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """A maximum matching area -> distinct person (Kuhn's augmenting paths).

    Picking the first free approver per area is not enough: if alice may stand for security or ops
    and bob only for security, greedy gives security to alice and leaves ops empty.
    """
    holder: dict[str, str] = {}  # person -> area they stand for

    def assign(area: str, visited: set[str]) -> bool:
        for person in candidates[area]:
            if person in visited:
                continue
            visited.add(person)
            if person not in holder or assign(holder[person], visited):
                holder[person] = area
                return True
        return False

    for area in candidates:
        assign(area, set())
    return {area: person for person, area in holder.items()}


def _owned_subjects(
    files: Sequence[FileStatus], statuses: Sequence[AreaStatus], ctx: _Context
) -> dict[str, frozenset[str]]:
    """Everything the PR touches that has owners -> those owners' logins."""
    subjects = {f.path: ctx.logins(f.owners) for f in files if f.owners}
    for status in statuses:
        if status.required:
            subjects[f"area {status.area}"] = ctx.logins([status.team])
    return subjects


def _objections(ctx: _Context, subjects: Mapping[str, frozenset[str]]) -> list[tuple[str, str]]:
    """(login, what they own) for each owner of a touched thing who stands on CHANGES_REQUESTED."""
    found = []
    for login in sorted(ctx.verdicts.requested_changes):
        owned = [subject for subject, owners in subjects.items() if login in owners]
        if owned:
            found.append((login, _summarise(owned)))
    return found


def _summarise(subjects: Sequence[str]) -> str:
    shown = ", ".join(subjects[:_LISTED_SUBJECTS])
    rest = len(subjects) - _LISTED_SUBJECTS
    return f"{shown} and {rest} more" if rest > 0 else shown
