"""The in-memory GitHub that `server.py` serves: one repository, its pull requests and the rest.

Tests fill a `State` with its `add_*` helpers, ask through the client, then look at it again (what
was created, edited). Plain records, no HTTP: `github_payloads.py` turns them into GitHub's JSON.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def fake_sha(*parts: object) -> str:
    """A stable 40-hex "commit" id derived from `parts`."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


@dataclass
class FileChange:
    """One entry of /pulls/N/files."""

    filename: str
    status: str = "modified"
    previous_filename: str | None = None


@dataclass
class ReviewRecord:
    id: int
    user: str
    state: str
    commit_id: str | None
    submitted_at: datetime | None
    user_type: str = "User"


@dataclass
class CommitRecord:
    """One commit of a pull request: `login` is the GitHub account its author e-mail maps to (or None)."""

    sha: str
    login: str | None
    name: str = "A Person"
    email: str = "person@example.com"
    message: str = "a change"


@dataclass
class EventRecord:
    """An issue event (`labeled` / `unlabeled`) with the account that did it."""

    id: int
    event: str
    label: str
    actor: str
    created_at: datetime


@dataclass
class CheckRunRecord:
    id: int
    name: str
    head_sha: str
    conclusion: str | None
    title: str
    summary: str
    app_id: int
    app_slug: str
    created_at: datetime


@dataclass(frozen=True)
class Identity:
    """Who a token speaks for: the gate's App, the workflow's GITHUB_TOKEN, a fork's read-only token."""

    login: str
    app_id: int | None
    app_slug: str | None
    permissions: dict[str, str]
    user_type: str = "Bot"


GATE_APP = Identity(
    "gate-app[bot]",
    424242,
    "gate-app",
    {
        "checks": "write",
        "contents": "read",
        "pull_requests": "write",
        "issues": "read",
        "members": "read",
        "metadata": "read",
    },
)
RELEASE_APP = Identity(
    "gate-release[bot]",
    434343,
    "gate-release",
    {"contents": "write", "pull_requests": "read", "issues": "read", "members": "read", "metadata": "read"},
)
ACTIONS = Identity(
    "github-actions[bot]",
    15368,
    "github-actions",
    {"checks": "write", "contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read"},
)
FORK = Identity("github-actions[bot]", 15368, "github-actions", {"contents": "read", "metadata": "read"})


@dataclass
class PullRecord:
    number: int
    author: str
    head_sha: str
    base_sha: str
    files: list[FileChange]
    labels: list[str] = field(default_factory=list)
    base_ref: str = "main"
    head_ref: str = "feature"
    author_type: str = "User"
    merged: bool = False
    merge_commit_sha: str | None = None
    changed_files: int | None = None  # None: len(files); more simulates GitHub's 3000-file cap
    reviews: list[ReviewRecord] = field(default_factory=list)
    created_at: datetime = EPOCH
    commits: list[CommitRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    state: str = "open"
    head_repo: str | None = None  # None: the base repository itself


@dataclass
class TagRecord:
    sha: str
    tag: str
    message: str
    object_sha: str
    object_type: str


@dataclass
class ReleaseRecord:
    id: int
    tag_name: str
    name: str | None
    body: str | None
    target_commitish: str
    created_at: datetime


@dataclass
class CommentRecord:
    id: int
    body: str
    user: str
    user_type: str
    created_at: datetime
    updated_at: datetime


class State:
    """What the fake GitHub knows; tests fill it with the `add_*` helpers before asking."""

    def __init__(self, owner: str = "acme", repo: str = "launch") -> None:
        self.owner = owner
        self.repo = repo
        self.viewer = "github-actions[bot]"  # who the token belongs to: author of what we create
        self.viewer_type = "Bot"
        self.default_branch = "main"
        self.pulls: dict[int, PullRecord] = {}
        self.trees: dict[str, dict[str, bytes]] = {}  # ref (sha or branch) -> path -> bytes
        self.commits: set[str] = set()
        self.teams: dict[tuple[str, str], list[str]] = {}
        self.refs: dict[str, tuple[str, str]] = {}  # "tags/v1" -> (sha, "commit" | "tag")
        self.tags: dict[str, TagRecord] = {}  # tag object sha -> tag
        self.releases: list[ReleaseRecord] = []
        self.comments: dict[int, list[CommentRecord]] = {}
        self.commit_pulls: dict[str, list[int]] = {}
        self.branches: dict[str, str] = {}  # branch name -> commit
        self.check_runs: list[CheckRunRecord] = []
        self.tokens: dict[str, Identity] = {}  # token -> who it speaks for
        self.default_identity = GATE_APP  # who any other token speaks for
        self.rulesets: list[dict[str, Any]] = []  # as GET /rulesets/{id} answers
        self.protection: dict[str, dict[str, Any]] = {}  # branch -> GET .../protection answer
        self.environments: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []  # (environment, branch policies)
        self.labels: list[str] = []
        self.installation: dict[str, Any] | None = None
        self.codeowners_errors: list[dict[str, Any]] = []
        self._ids = 1000
        self._clock = EPOCH
        self.default_head = self.add_commit(fake_sha("main"), branch=self.default_branch)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def tick(self) -> datetime:
        self._clock += timedelta(minutes=1)
        return self._clock

    def add_commit(self, sha: str, *, branch: str | None = None) -> str:
        """Make `sha` a known commit (with an empty tree unless files are added at it)."""
        self.commits.add(sha)
        self.trees.setdefault(sha, {})
        if branch is not None:
            self.trees[branch] = self.trees[sha]
            self.branches[branch] = sha
        return sha

    def add_file(self, ref: str, path: str, content: str | bytes) -> None:
        """Put `path` with `content` into the tree at `ref` (a commit sha or a branch name)."""
        if ref not in self.trees:
            self.add_commit(ref)
        data = content.encode() if isinstance(content, str) else content
        self.trees[ref][path.lstrip("/")] = data

    def add_pull(
        self,
        number: int,
        *,
        author: str = "alice",
        files: Iterable[str | FileChange] = ("README.md",),
        labels: Iterable[str] = (),
        head_sha: str | None = None,
        base_sha: str | None = None,
        **extra: Any,
    ) -> PullRecord:
        """Open pull request `number`; its head and base become known commits."""
        pull = PullRecord(
            number=number,
            author=author,
            head_sha=self.add_commit(head_sha or fake_sha("head", number)),
            base_sha=self.add_commit(base_sha or fake_sha("base", number)),
            files=[f if isinstance(f, FileChange) else FileChange(f) for f in files],
            labels=list(labels),
            created_at=self.tick(),
            **extra,
        )
        if pull.merge_commit_sha:
            self.add_commit(pull.merge_commit_sha)
        if not pull.commits:
            pull.commits = [CommitRecord(pull.head_sha, author, author, f"{author}@example.com")]
        self.pulls[number] = pull
        self.comments.setdefault(number, [])
        return pull

    def add_review(
        self,
        number: int,
        user: str,
        state: str = "APPROVED",
        *,
        commit_id: str | None = None,
        user_type: str = "User",
        submitted: bool = True,
    ) -> ReviewRecord:
        """Add a review (on the PR's head unless `commit_id` says otherwise)."""
        pull = self.pulls[number]
        review = ReviewRecord(
            id=self.next_id(),
            user=user,
            state=state,
            commit_id=commit_id or pull.head_sha,
            submitted_at=self.tick() if submitted and state != "PENDING" else None,
            user_type=user_type,
        )
        pull.reviews.append(review)
        return review

    def set_branch(self, name: str, sha: str) -> str:
        """Point branch `name` at commit `sha` (its tree is the commit's)."""
        return self.add_commit(sha, branch=name)

    def add_label(self, number: int, label: str, actor: str) -> None:
        """`actor` puts `label` on PR `number` (the label and its `labeled` event)."""
        pull = self.pulls[number]
        if label not in pull.labels:
            pull.labels.append(label)
        pull.events.append(EventRecord(self.next_id(), "labeled", label, actor, self.tick()))

    def remove_label(self, number: int, label: str, actor: str) -> None:
        pull = self.pulls[number]
        pull.labels.remove(label)
        pull.events.append(EventRecord(self.next_id(), "unlabeled", label, actor, self.tick()))

    def add_team(self, org: str, slug: str, members: Iterable[str]) -> None:
        self.teams[(org.lower(), slug.lower())] = list(members)

    def add_tag(self, name: str, commit_sha: str, *, annotated: bool = True) -> str:
        """Tag `commit_sha` as `name`; returns what the ref points to (tag object or commit)."""
        self.add_commit(commit_sha)
        if not annotated:
            self.refs[f"tags/{name}"] = (commit_sha, "commit")
            return commit_sha
        tag = self.new_tag(name, f"{name}\n", commit_sha, "commit")
        self.refs[f"tags/{name}"] = (tag.sha, "tag")
        return tag.sha

    def add_comment(self, number: int, body: str, *, user: str = "bob", user_type: str = "User") -> int:
        moment = self.tick()
        comment = CommentRecord(self.next_id(), body, user, user_type, moment, moment)
        self.comments.setdefault(number, []).append(comment)
        return comment.id

    def link_commit(self, sha: str, *numbers: int) -> None:
        """Associate commit `sha` with pull requests (GET /commits/{sha}/pulls)."""
        self.add_commit(sha)
        self.commit_pulls[sha] = list(numbers)

    def new_tag(self, name: str, message: str, object_sha: str, object_type: str) -> TagRecord:
        tag = TagRecord(fake_sha("tag", name, object_sha, message), name, message, object_sha, object_type)
        self.tags[tag.sha] = tag
        return tag


@functools.cache
def app_private_key() -> str:
    """The private key (PEM) every test App signs its JWTs with: made once per run, never stored."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
