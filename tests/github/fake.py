"""An in-memory `GitHubClient` over the same `State` the HTTP fake serves, for tests of the core.

`server.py` proves the real adapter speaks GitHub's REST API; this one lets a test of a command
drive the same story without HTTP: it reads the `State` records and answers with the value types of
`gate.github.types`, and records what it was asked (`calls`). `lag` makes `pulls_for_commit` answer
nothing for its first `lag` calls, as GitHub does for a commit merged a moment ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from gate.github.client import GitHubError, pull_commit
from gate.github.types import (
    CheckRun,
    Comment,
    LabelEvent,
    PullCommit,
    PullRequest,
    Review,
    ReviewState,
    Team,
    TreeEntry,
)
from tests.github.payloads import blob_sha
from tests.github.state import GATE_APP, CheckRunRecord, CommentRecord, Identity, PullRecord, State


@dataclass
class FakeGitHub:
    """`GitHubClient` answering from `state` as `who` (default: the gate's App)."""

    state: State
    who: Identity = GATE_APP
    lag: int = 0
    calls: list[str] = field(default_factory=list)

    def _pull(self, number: int) -> PullRecord:
        self.calls.append(f"pull {number}")
        pull = self.state.pulls.get(number)
        if pull is None:
            raise GitHubError(f"GitHub: could not read pull request #{number}: HTTP 404 Not Found", 404)
        return pull

    def pull_request(self, number: int) -> PullRequest:
        p = self._pull(number)
        files: dict[str, None] = {}
        for change in p.files:
            files[change.filename] = None
            if change.previous_filename:
                files[change.previous_filename] = None
        return PullRequest(
            number=p.number,
            author=p.author,
            head_sha=p.head_sha,
            base_sha=p.base_sha,
            files=tuple(files),
            labels=tuple(p.labels),
            merged=p.merged,
            merge_commit_sha=p.merge_commit_sha,
            base_ref=p.base_ref,
            author_is_bot=p.author_type == "Bot",
            state="closed" if p.merged else p.state,
            head_repo=p.head_repo or self.state.full_name,
            commit_count=len(p.commits),
        )

    def reviews(self, number: int) -> list[Review]:
        return [
            Review(r.id, r.user, cast(ReviewState, r.state), r.commit_id or "", r.submitted_at, r.user_type == "Bot")
            for r in self._pull(number).reviews
        ]

    def pull_commits(self, number: int) -> list[PullCommit]:
        # Who wrote a commit is read as the real adapter reads it: the same function, not a copy.
        return [pull_commit(c.sha, c.name, c.email, c.login, c.message) for c in self._pull(number).commits]

    def label_events(self, number: int) -> list[LabelEvent]:
        return [
            LabelEvent(e.id, e.label, "labeled" if e.event == "labeled" else "unlabeled", e.actor, e.created_at)
            for e in self._pull(number).events
        ]

    def open_pulls(self, base: str) -> list[tuple[int, str]]:
        self.calls.append(f"open pulls {base}")
        return [
            (p.number, p.head_sha)
            for p in self.state.pulls.values()
            if p.state == "open" and not p.merged and p.base_ref == base
        ]

    def file_at(self, path: str, ref: str) -> str | None:
        tree = self.state.trees.get(ref)
        if tree is None:
            raise GitHubError(
                f"GitHub: could not read {path} at {ref}: HTTP 404 No commit found for the ref {ref}", 404
            )
        data = tree.get(path)
        return None if data is None else data.decode("utf-8")

    def branch_sha(self, branch: str) -> str:
        sha = self.state.branches.get(branch)
        if sha is None:
            raise GitHubError(f"GitHub: could not read the branch {branch}: HTTP 404 Branch not found", 404)
        return sha

    def tree(self, sha: str) -> list[TreeEntry]:
        files = self.state.trees.get(sha, {})
        return [TreeEntry(path, "100644", blob_sha(data), len(data)) for path, data in sorted(files.items())]

    def blob(self, sha: str) -> bytes:
        for files in self.state.trees.values():
            for data in files.values():
                if blob_sha(data) == sha:
                    return data
        raise GitHubError(f"GitHub: could not read the blob {sha[:12]}: HTTP 404 Not Found", 404)

    def team_members(self, team: Team) -> frozenset[str]:
        members = self.state.teams.get((team.org.lower(), team.slug.lower()))
        if members is None:
            raise GitHubError(f"GitHub: could not list the members of {team}: HTTP 404 Not Found", 404)
        return frozenset(m.lower() for m in members)

    def pulls_for_commit(self, sha: str) -> list[int]:
        self.calls.append(f"pulls for {sha[:12]}")
        if self.lag > 0:
            self.lag -= 1
            return []
        return list(self.state.commit_pulls.get(sha, []))

    def ref_sha(self, ref: str) -> str | None:
        found = self.state.refs.get(ref.removeprefix("refs/"))
        if found is None:
            return None
        sha, kind = found
        return self.state.tags[sha].object_sha if kind == "tag" else sha

    def create_tag(self, tag: str, sha: str, message: str) -> None:
        made = self.state.new_tag(tag, message, sha, "commit")
        self.state.refs[f"tags/{tag}"] = (made.sha, "tag")

    def create_release(self, tag: str, name: str, body: str) -> int:
        raise GitHubError("the in-memory fake makes no releases; use the HTTP fake", 501)

    def create_check_run(self, run: CheckRun) -> int:
        record = CheckRunRecord(
            self.state.next_id(),
            run.name,
            run.head_sha,
            run.conclusion,
            run.title,
            run.summary,
            self.who.app_id or 0,
            self.who.app_slug or "",
            self.state.tick(),
        )
        self.state.check_runs.append(record)
        return record.id

    def comments(self, number: int) -> list[Comment]:
        return [Comment(c.id, c.user, c.body) for c in self.state.comments.get(number, [])]

    def upsert_comment(self, number: int, marker: str, body: str, author: str) -> None:
        text = body if marker in body else f"{marker}\n{body}"
        mine = [c for c in self.state.comments.setdefault(number, []) if c.user == author and marker in c.body]
        if mine:
            mine[0].body = text
            return
        moment = self.state.tick()
        self.state.comments[number].append(CommentRecord(self.state.next_id(), text, author, "Bot", moment, moment))


if TYPE_CHECKING:
    from gate.github.client import GitHubClient

    _FITS: type[GitHubClient] = FakeGitHub  # mypy proves the fake fits the Protocol
