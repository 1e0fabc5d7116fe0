"""Plain value types shared by the GitHub rules, the client Protocol and its adapters.

The rules in `codeowners.py` and `reviews.py` only ever see these; the PyGithub adapter converts to them,
so no PyGithub object crosses into the rules and tests can build them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "DISMISSED", "COMMENTED", "PENDING"]


@dataclass(frozen=True)
class Review:
    """One pull-request review as GitHub's REST API reports it (state upper-case)."""

    id: int
    user: str
    state: ReviewState
    commit_id: str
    submitted_at: datetime | None = None
    user_is_bot: bool = False


@dataclass(frozen=True)
class PullRequest:
    """The facts about a pull request that the review rules need."""

    number: int
    author: str
    head_sha: str
    base_sha: str
    files: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    merged: bool = False
    merge_commit_sha: str | None = None
    base_ref: str = "main"
    author_is_bot: bool = False
    state: str = "open"
    head_repo: str | None = None  # owner/name of the head's repository (a fork's differs)
    commit_count: int = 0


@dataclass(frozen=True)
class Team:
    """`@org/slug` split into its parts."""

    org: str
    slug: str

    @classmethod
    def parse(cls, handle: str) -> Team:
        name = handle.removeprefix("@")
        org, sep, slug = name.partition("/")
        if not sep or not org or not slug:
            raise ValueError(f"not a team handle (@org/team): {handle!r}")
        return cls(org, slug)

    def __str__(self) -> str:
        return f"@{self.org}/{self.slug}"


@dataclass(frozen=True)
class Membership:
    """Who is in which team, and where that knowledge came from (API or the checklist's roster)."""

    members: dict[str, frozenset[str]] = field(default_factory=dict)
    source: Literal["api", "roster"] = "roster"

    def of(self, team: str) -> frozenset[str]:
        return self.members.get(team.lower(), frozenset())


@dataclass(frozen=True)
class Person:
    """Who wrote a commit, as far as GitHub can tell: `login` is None when no account is linked."""

    name: str
    email: str
    login: str | None = None

    def __str__(self) -> str:
        return f"@{self.login}" if self.login else f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class PullCommit:
    """One commit of a pull request: its author and every `Co-authored-by` trailer."""

    sha: str
    author: Person
    coauthors: tuple[Person, ...] = ()


@dataclass(frozen=True)
class LabelEvent:
    """A `labeled` or `unlabeled` issue event: which label, who did it, when."""

    id: int
    label: str
    action: Literal["labeled", "unlabeled"]
    actor: str | None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Comment:
    """An issue comment and its author."""

    id: int
    author: str
    body: str


CheckConclusion = Literal["success", "failure", "neutral"]


@dataclass(frozen=True)
class CheckRun:
    """A check run to post (or as read back): the verdict of one gate command on one commit."""

    name: str
    head_sha: str
    conclusion: CheckConclusion
    title: str
    summary: str
    app_id: int | None = None


@dataclass(frozen=True)
class TreeEntry:
    """One blob of a commit's tree (`git/trees?recursive=1`)."""

    path: str
    mode: str
    sha: str
    size: int
