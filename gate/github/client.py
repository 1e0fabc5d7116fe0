"""The GitHub API behind a small Protocol of our own, and PyGithub as its real transport.

The review rules and the commands only ever see `GitHubClient`, the value types of
`gate.github.types` and `gate.github.settings`, and `GitHubError`; tests drive them with
`tests.github.fake.FakeGitHub` (in memory) or with this adapter against a local HTTP server.
`PyGithubClient` talks to api.github.com (or a GitHub Enterprise / test server through `base_url`)
and guarantees:

- **Complete or nothing.** Every list is read over all of its pages before anything is returned;
  a failure on any page raises `GitHubError` (an `ExternalError`: the gate fails closed). A PR whose
  file list GitHub truncates (it lists at most 3000), whose commits it cannot list (more than 250),
  or a tree it truncates, is refused, not judged on part of it.
- **Our own parsing.** PyGithub is used as the HTTP transport only (`requestJsonAndCheck`); every
  answer is read by the functions below, so a malformed answer is recognised here, by name, and never
  by guessing from where an exception was raised.
- **Bounded retries.** 5xx answers, timeouts, dropped connections, truncated JSON and rate limits
  (403/429 with `Retry-After`, or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`) are retried
  `retries` times with exponential backoff. No single pause exceeds `MAX_WAIT` and one client
  pauses at most `MAX_TOTAL_WAIT` in all: a rate limit that resets later fails at once.
- **Writes are not repeated blindly.** A POST that failed with a 5xx or a timeout may have been
  applied, so creating a tag, a release or a check run is retried only after a rate-limit refusal
  (GitHub did nothing). `upsert_comment` re-reads the comments on every attempt: safe to retry.
- **Each resource is asked once** per client: pull requests, their reviews, commits, files at a ref,
  team members and commit-to-PR lookups are cached. Refs, branches and comments are not.

PyGithub costs a noticeable fraction of a second to import, so it is imported only when a
`PyGithubClient` is constructed: `gate check` never pays for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, cast, get_args
from urllib.parse import quote

from gate import __version__
from gate.errors import ExternalError, UsageError
from gate.github import settings
from gate.github.types import (
    CheckRun,
    Comment,
    LabelEvent,
    Person,
    PullCommit,
    PullRequest,
    Review,
    ReviewState,
    Team,
    TreeEntry,
)

if TYPE_CHECKING:
    from github.MainClass import Github

T = TypeVar("T")
Json = Any  # an answer as json.loads made it, before the functions below read it

DEFAULT_BASE_URL = "https://api.github.com"
PER_PAGE = 100  # GitHub's maximum: a PR with 250 reviews is 3 requests, not 9
MAX_WAIT = 60.0  # seconds; the longest single pause, whatever GitHub asks for
MAX_TOTAL_WAIT = 180.0  # seconds one client may spend pausing in all
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait at least one minute" when it names no time
MAX_FILES_LISTED = 3000  # /pulls/N/files stops here; more changed files cannot be judged
MAX_COMMITS_LISTED = 250  # /pulls/N/commits stops here
MAX_BLOB = 100 * 1024 * 1024  # the blobs API serves files up to 100 MB
_MAX_TAG_DEPTH = 5  # a tag of a tag of ... a commit; deeper than this is not a release tag
_REVIEW_STATES: frozenset[str] = frozenset(get_args(ReviewState))
_NOREPLY = re.compile(r"^(?:\d+\+)?([A-Za-z0-9](?:-?[A-Za-z0-9])*)@users\.noreply\.github\.com$", re.IGNORECASE)
_COAUTHOR = re.compile(r"^co-authored-by:\s*(.*?)\s*<([^<>]*)>\s*$", re.IGNORECASE | re.MULTILINE)


class GitHubClient(Protocol):
    """What the gate asks of GitHub; `PyGithubClient` is the real one, tests use fakes."""

    def pull_request(self, number: int) -> PullRequest:
        """The pull request `number`, with every changed file (all pages)."""
        ...

    def reviews(self, number: int) -> list[Review]:
        """Every review of pull request `number` (all pages), oldest first, as GitHub lists them."""
        ...

    def pull_commits(self, number: int) -> list[PullCommit]:
        """Every commit of pull request `number`, with its author and co-authors."""
        ...

    def label_events(self, number: int) -> list[LabelEvent]:
        """Every `labeled`/`unlabeled` event of issue or pull request `number`, oldest first."""
        ...

    def open_pulls(self, base: str) -> list[tuple[int, str]]:
        """(number, head sha) of every open pull request into branch `base`."""
        ...

    def file_at(self, path: str, ref: str) -> str | None:
        """The text of `path` at commit/branch/tag `ref`; `None` when no such file exists there."""
        ...

    def branch_sha(self, branch: str) -> str:
        """The commit branch `branch` points to now."""
        ...

    def tree(self, sha: str) -> list[TreeEntry]:
        """Every blob of commit `sha`'s tree (refused when GitHub truncates it)."""
        ...

    def blob(self, sha: str) -> bytes:
        """The bytes of blob `sha`."""
        ...

    def team_members(self, team: Team) -> frozenset[str]:
        """The lower-cased logins of every member of `team` (all pages)."""
        ...

    def pulls_for_commit(self, sha: str) -> list[int]:
        """The numbers of the pull requests associated with commit `sha` (e.g. the merged one)."""
        ...

    def ref_sha(self, ref: str) -> str | None:
        """The commit `ref` (e.g. `tags/v1.0.0`) points to, through annotated tags; else `None`."""
        ...

    def create_tag(self, tag: str, sha: str, message: str) -> None:
        """Create the annotated tag `tag` on commit `sha` (the caller checks that it is new)."""
        ...

    def create_release(self, tag: str, name: str, body: str) -> int:
        """Create a release for the existing tag `tag`; return its id."""
        ...

    def create_check_run(self, run: CheckRun) -> int:
        """Post the completed check run `run` on its head commit; return its id."""
        ...

    def comments(self, number: int) -> list[Comment]:
        """Every comment on issue or pull request `number`, with its author."""
        ...

    def upsert_comment(self, number: int, marker: str, body: str, author: str) -> None:
        """Edit `author`'s comment on `number` containing `marker`, or post one ("sticky")."""
        ...


class SettingsClient(Protocol):
    """What `gate github doctor` reads of a repository's settings."""

    def repository(self) -> settings.Repository:
        """The repository's name and default branch."""
        ...

    def branch_rules(self, branch: str) -> list[settings.Rule]:
        """Every active rule that applies to `branch`, from any ruleset."""
        ...

    def rulesets(self) -> list[settings.Ruleset]:
        """Every ruleset of the repository, in full (rules, conditions, bypass actors)."""
        ...

    def branch_protection(self, branch: str) -> settings.BranchProtection | None:
        """Classic branch protection of `branch`; `None` when it has none."""
        ...

    def environments(self) -> list[settings.Environment]:
        """Every deployment environment, with its branch policy."""
        ...

    def labels(self) -> frozenset[str]:
        """The repository's labels (lower-cased)."""
        ...

    def installation(self) -> settings.Installation:
        """The GitHub App installation this client's token belongs to (its app and permissions)."""
        ...

    def codeowners_errors(self, ref: str) -> list[settings.CodeownersError]:
        """GitHub's own complaints about CODEOWNERS at `ref`."""
        ...


class GitHubError(ExternalError):
    """GitHub failed or answered something unusable (fail closed).

    `status` is the HTTP status, `code` the first machine-readable error code GitHub gave (e.g.
    `already_exists`), `message` GitHub's own message; all None when GitHub said nothing of the kind.
    """

    def __init__(
        self, text: str, status: int | None = None, code: str | None = None, message: str | None = None
    ) -> None:
        super().__init__(text)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Problem:
    """One failed attempt, described for the user and for the decision to try again."""

    text: str
    status: int | None = None
    transient: bool = False  # another attempt may succeed
    refused: bool = False  # GitHub surely did nothing (rate-limit refusal): a write may be repeated
    wait: float | None = None  # the pause GitHub asked for; None: our own backoff
    code: str | None = None
    message: str | None = None


class _Unusable(Exception):
    """An answer we cannot use (a missing field, a proxy's page, a truncated list): never guessed around."""


class PyGithubClient:
    """`GitHubClient` and `SettingsClient` over PyGithub's transport, with retries, caching, fail-closed errors.

    `repo` is `owner/name`; `token` may be `None` for public data (GitHub then allows 60 requests an
    hour). `timeout` is per request; PyGithub accepts whole seconds only, so it is rounded up.
    `retries` is the number of attempts after the first; `sleep` pauses (tests pass a recorder).
    """

    def __init__(
        self,
        repo: str,
        token: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        app: tuple[int, str] | None = None,
    ) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise UsageError(f"not a GitHub repository (owner/name): {repo!r}")
        self._gh = _connect(token, base_url, timeout)
        # The App itself (its id and private key, as PEM): GitHub answers who an installation is, and
        # with which permissions, only to the App's own signed JWT, never to a token.
        self._app_gh = _connect_app(app, base_url, timeout) if app else None
        self._root = f"/repos/{quote(owner)}/{quote(name)}"
        self._retries = max(0, retries)
        self._sleep = sleep
        self._waited = 0.0
        self._cache: dict[tuple[str, ...], Any] = {}

    def close(self) -> None:
        """Close the HTTP connections (the client is not used afterwards)."""
        self._gh.close()
        if self._app_gh is not None:
            self._app_gh.close()

    # -- reads ---------------------------------------------------------------------------------

    def pull_request(self, number: int) -> PullRequest:
        """The pull request `number`, with every changed file (all pages)."""

        def read() -> PullRequest:
            # The PR before its files: files listed after the head was read are at least as new,
            # so a push in between can add files to judge but never hide one.
            data = self._get(f"read pull request #{number}", f"{self._root}/pulls/{number}")
            files = self._pages(f"list the files of pull request #{number}", f"{self._root}/pulls/{number}/files")
            return self._parse(f"read pull request #{number}", lambda: _to_pull(data, files))

        return self._cached(("pull", str(number)), read)

    def reviews(self, number: int) -> list[Review]:
        """Every review of pull request `number` (all pages), as GitHub lists them."""
        what = f"list the reviews of pull request #{number}"

        def read() -> list[Review]:
            listed = self._pages(what, f"{self._root}/pulls/{number}/reviews")
            return self._parse(what, lambda: [_to_review(r) for r in listed])

        return list(self._cached(("reviews", str(number)), read))

    def pull_commits(self, number: int) -> list[PullCommit]:
        """Every commit of pull request `number`; refused beyond the 250 GitHub lists."""
        what = f"list the commits of pull request #{number}"
        pull = self.pull_request(number)

        def read() -> list[PullCommit]:
            if pull.commit_count > MAX_COMMITS_LISTED:
                raise GitHubError(
                    f"GitHub: could not {what}: it has {pull.commit_count} commits and GitHub lists only "
                    f"{MAX_COMMITS_LISTED}; who wrote the rest cannot be known"
                )
            listed = self._pages(what, f"{self._root}/pulls/{number}/commits")
            return self._parse(what, lambda: [_to_commit(c) for c in listed])

        return list(self._cached(("commits", str(number)), read))

    def label_events(self, number: int) -> list[LabelEvent]:
        """Every `labeled`/`unlabeled` event of `number`, oldest first."""
        what = f"list the events of #{number}"

        def read() -> list[LabelEvent]:
            listed = self._pages(what, f"{self._root}/issues/{number}/events")
            return self._parse(what, lambda: [e for e in map(_to_label_event, listed) if e is not None])

        return list(self._cached(("events", str(number)), read))

    def open_pulls(self, base: str) -> list[tuple[int, str]]:
        """(number, head sha) of every open pull request into `base`."""
        what = f"list the open pull requests into {base}"
        listed = self._pages(what, f"{self._root}/pulls", {"state": "open", "base": base})
        return self._parse(what, lambda: [_open_pull(p, base) for p in listed])

    def file_at(self, path: str, ref: str) -> str | None:
        """The text of `path` at `ref`; `None` when the file does not exist there (404 Not Found)."""
        return self._cached(("file", path, ref), lambda: self._read_file(path, ref))

    def branch_sha(self, branch: str) -> str:
        """The commit `branch` points to now (never cached: it moves)."""
        what = f"read the branch {branch}"
        data = self._get(what, f"{self._root}/branches/{quote(branch, safe='')}")
        return self._parse(what, lambda: _sha(_field(_field(data, "commit"), "sha")))

    def tree(self, sha: str) -> list[TreeEntry]:
        """Every blob of commit `sha`'s tree; a tree GitHub truncates is refused."""
        what = f"read the tree of {sha[:12]}"
        data = self._get(what, f"{self._root}/git/trees/{sha}", {"recursive": "1"})
        return self._parse(what, lambda: _to_tree(data))

    def blob(self, sha: str) -> bytes:
        """The bytes of blob `sha`."""
        what = f"read the blob {sha[:12]}"
        data = self._get(what, f"{self._root}/git/blobs/{sha}")
        return self._parse(what, lambda: _decode_blob(data))

    def team_members(self, team: Team) -> frozenset[str]:
        """The lower-cased logins of every member of `team` (all pages)."""
        what = f"list the members of {team}"

        def read() -> frozenset[str]:
            path = f"/orgs/{quote(team.org)}/teams/{quote(team.slug)}/members"
            try:
                listed = self._pages(what, path)
            except GitHubError as error:
                if error.status in (403, 404):
                    raise GitHubError(
                        _team_access_hint(error, team), error.status, error.code, error.message
                    ) from error
                raise
            return self._parse(what, lambda: frozenset(_login(u).lower() for u in listed))

        return self._cached(("team", team.org.lower(), team.slug.lower()), read)

    def pulls_for_commit(self, sha: str) -> list[int]:
        """The numbers of the pull requests associated with commit `sha` (not cached: GitHub lags)."""
        what = f"list the pull requests of commit {sha}"
        listed = self._pages(what, f"{self._root}/commits/{sha}/pulls")
        return self._parse(what, lambda: [_int(_field(p, "number"), "PR number") for p in listed])

    def ref_sha(self, ref: str) -> str | None:
        """The commit `ref` (`tags/<name>`) points to, through annotated tags; `None` if absent."""
        name = ref.removeprefix("refs/")
        target = self._get_or_none(f"read {name}", f"{self._root}/git/ref/{name}")
        if target is None:
            return None
        sha, kind = self._parse(f"read {name}", lambda: _target(target))
        for _ in range(_MAX_TAG_DEPTH):
            if kind != "tag":
                if kind != "commit":
                    raise GitHubError(f"GitHub: could not read {name}: it points to a {kind}, not a commit")
                return sha
            tag = self._get(f"read the tag object {sha}", f"{self._root}/git/tags/{sha}")
            sha, kind = self._parse(f"read the tag object {sha}", lambda: _target(tag))  # noqa: B023
        raise GitHubError(f"GitHub: could not read {name}: tags nested deeper than {_MAX_TAG_DEPTH}")

    def comments(self, number: int) -> list[Comment]:
        """Every comment on `number`, with its author (never cached: we change them)."""
        what = f"list the comments on #{number}"
        listed = self._pages(what, f"{self._root}/issues/{number}/comments")
        return self._parse(what, lambda: [_to_comment(c) for c in listed])

    # -- writes --------------------------------------------------------------------------------

    def create_tag(self, tag: str, sha: str, message: str) -> None:
        """Create the annotated tag `tag` on commit `sha`: a tag object, then `refs/tags/<tag>`."""
        body = {"tag": tag, "message": message, "object": sha, "type": "commit"}
        made = self._write(f"create the tag object {tag}", "POST", f"{self._root}/git/tags", body)
        tag_sha = self._parse(f"create the tag object {tag}", lambda: _sha(_field(made, "sha")))
        self._write(
            f"create refs/tags/{tag}", "POST", f"{self._root}/git/refs", {"ref": f"refs/tags/{tag}", "sha": tag_sha}
        )

    def create_release(self, tag: str, name: str, body: str) -> int:
        """Create a release for the existing tag `tag`; return its id."""
        made = self._write(
            f"create the release {tag}", "POST", f"{self._root}/releases", {"tag_name": tag, "name": name, "body": body}
        )
        return self._parse(f"create the release {tag}", lambda: _int(_field(made, "id"), "release id"))

    def create_check_run(self, run: CheckRun) -> int:
        """Post `run` as a completed check run on its head commit; return its id."""
        what = f"post the check run {run.name!r} on {run.head_sha[:12]}"
        body = {
            "name": run.name,
            "head_sha": run.head_sha,
            "status": "completed",
            "conclusion": run.conclusion,
            "output": {"title": run.title[:1000], "summary": run.summary[:65535]},
        }
        made = self._write(what, "POST", f"{self._root}/check-runs", body)
        return self._parse(what, lambda: _int(_field(made, "id"), "check run id"))

    def upsert_comment(self, number: int, marker: str, body: str, author: str) -> None:
        """Edit `author`'s first comment on `number` containing `marker`, or post one; unchanged: no write.

        Only a comment written by `author` (the identity posting, e.g. the gate App's bot) is ever
        taken for ours: anyone can post a comment carrying the marker first. The marker is put in
        front of `body` when `body` lacks it, so the next run finds it.
        """
        text = body if marker in body else f"{marker}\n{body}"

        def upsert() -> None:
            mine = [c for c in self.comments(number) if c.author.lower() == author.lower() and marker in c.body]
            if not mine:
                self._request("POST", f"{self._root}/issues/{number}/comments", {"body": text})
            elif mine[0].body != text:
                self._request("PATCH", f"{self._root}/issues/comments/{mine[0].id}", {"body": text})

        # Safe to repeat as a whole: every attempt re-reads the comments before writing.
        self._run(f"update the comment on #{number}", upsert)

    # -- settings (gate github doctor) ---------------------------------------------------------

    def repository(self) -> settings.Repository:
        """The repository's full name and default branch."""
        data = self._get("read the repository", self._root)
        return self._parse("read the repository", lambda: settings.repository(data))

    def branch_rules(self, branch: str) -> list[settings.Rule]:
        """Every active rule for `branch` from any ruleset."""
        what = f"list the rules of {branch}"
        listed = self._pages(what, f"{self._root}/rules/branches/{quote(branch, safe='')}")
        return self._parse(what, lambda: [settings.rule(r) for r in listed])

    def rulesets(self) -> list[settings.Ruleset]:
        """Every ruleset, each read by id (the list answers summaries only)."""
        listed = self._pages("list the rulesets", f"{self._root}/rulesets", {"includes_parents": "true"})
        ids = self._parse("list the rulesets", lambda: [_int(_field(r, "id"), "ruleset id") for r in listed])
        full = [self._get(f"read ruleset {i}", f"{self._root}/rulesets/{i}") for i in ids]
        return self._parse("read the rulesets", lambda: [settings.ruleset(r) for r in full])

    def branch_protection(self, branch: str) -> settings.BranchProtection | None:
        """Classic protection of `branch`, or `None` (GitHub: 404 "Branch not protected")."""
        what = f"read the protection of {branch}"
        data = self._get_or_none(what, f"{self._root}/branches/{quote(branch, safe='')}/protection", any_404=True)
        return None if data is None else self._parse(what, lambda: settings.protection(data))

    def environments(self) -> list[settings.Environment]:
        """Every environment, with its custom deployment branch policies."""
        listed = self._pages("list the environments", f"{self._root}/environments", key="environments")
        names = self._parse("list the environments", lambda: [_text(_field(e, "name")) for e in listed])
        policies = [
            self._pages(
                f"list the branch policies of environment {name}",
                f"{self._root}/environments/{quote(name, safe='')}/deployment-branch-policies",
                key="branch_policies",
            )
            for name in names
        ]
        pairs = list(zip(listed, policies, strict=True))
        return self._parse("read the environments", lambda: [settings.environment(e, p) for e, p in pairs])

    def labels(self) -> frozenset[str]:
        """The repository's label names, lower-cased."""
        listed = self._pages("list the labels", f"{self._root}/labels")
        return self._parse("list the labels", lambda: frozenset(_text(_field(x, "name")).lower() for x in listed))

    def installation(self) -> settings.Installation:
        """The App installation on this repository: its app id, slug and permissions."""
        what = "read the App installation"
        if self._app_gh is None:
            data = self._get(what, f"{self._root}/installation")
        else:
            app_gh = self._app_gh
            url = f"{self._root}/installation"
            data = self._run(what, lambda: app_gh.requester.requestJsonAndCheck("GET", url)[1])
        return self._parse(what, lambda: settings.installation(data))

    def codeowners_errors(self, ref: str) -> list[settings.CodeownersError]:
        """GitHub's own errors in CODEOWNERS at `ref`."""
        what = f"read GitHub's CODEOWNERS errors at {ref}"
        data = self._get(what, f"{self._root}/codeowners/errors", {"ref": ref})
        return self._parse(what, lambda: [settings.codeowners_error(e) for e in _list(_field(data, "errors"))])

    # -- transport -----------------------------------------------------------------------------

    def _cached(self, key: tuple[str, ...], read: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = read()
        return cast(T, self._cache[key])

    def _request(self, verb: str, url: str, body: Json = None, params: Mapping[str, str] | None = None) -> Json:
        headers, data = self._gh.requester.requestJsonAndCheck(
            verb, url, parameters=dict(params) if params else None, input=body
        )
        return {"headers": headers, "data": data}

    def _get(self, what: str, url: str, params: Mapping[str, str] | None = None) -> Json:
        return self._run(what, lambda: self._request("GET", url, None, params))["data"]

    def _get_or_none(
        self, what: str, url: str, params: Mapping[str, str] | None = None, *, any_404: bool = False
    ) -> Json | None:
        """The answer, or None on GitHub's 404 "Not Found" (another 404, e.g. an unknown ref, fails)."""
        try:
            return self._get(what, url, params)
        except GitHubError as error:
            if error.status == 404 and (any_404 or error.message == "Not Found"):
                return None
            raise

    def _write(self, what: str, verb: str, url: str, body: Json) -> Json:
        return self._run(what, lambda: self._request(verb, url, body), repeatable=False)["data"]

    def _pages(
        self, what: str, url: str, params: Mapping[str, str] | None = None, *, key: str | None = None
    ) -> list[Json]:
        """Every item over every page, following GitHub's `Link: rel="next"` (a retry resumes the failed page)."""
        items: list[Json] = []
        query: Mapping[str, str] | None = {**(params or {}), "per_page": str(PER_PAGE)}
        next_url: str | None = url
        while next_url is not None:
            asked, asked_query = next_url, query
            answer = self._run(what, lambda u=asked, q=asked_query: self._request("GET", u, None, q))  # type: ignore[misc]
            page = answer["data"]
            items += self._parse(what, lambda p=page: _list(_field(p, key) if key else p))  # type: ignore[misc]
            next_url, query = _next_link(answer["headers"]), None
        return items

    def _read_file(self, path: str, ref: str) -> str | None:
        what = f"read {path} at {ref}"
        data = self._get_or_none(what, f"{self._root}/contents/{quote(path)}", {"ref": ref})
        if data is None:
            return None
        return self._parse(what, lambda: _decode_content(data))

    def _parse(self, what: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except _Unusable as error:
            raise GitHubError(f"GitHub: could not {what}: {error}") from None
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # Our readers met an answer of another shape than GitHub documents: never guessed around.
            raise GitHubError(f"GitHub: could not {what}: an answer of unexpected shape ({error})") from None

    def _run(self, what: str, action: Callable[[], T], *, repeatable: bool = True) -> T:
        """Run `action`, retrying what may succeed next time; else fail with `GitHubError`."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return action()
            except Exception as exc:  # narrowed by _describe; anything else is a bug and propagates
                problem = _describe(exc)
                if problem is None:
                    raise
                self._pause_or_raise(what, problem, attempt, repeatable, exc)

    def _pause_or_raise(self, what: str, problem: _Problem, attempt: int, repeatable: bool, cause: Exception) -> None:
        def fail(text: str) -> GitHubError:
            return GitHubError(f"GitHub: could not {what}: {text}", problem.status, problem.code, problem.message)

        if not problem.transient or not (repeatable or problem.refused):
            raise fail(problem.text) from cause
        if attempt > self._retries:
            raise fail(f"{problem.text} (gave up after {attempt} attempts)") from cause
        delay = problem.wait if problem.wait is not None else min(MAX_WAIT, 2.0 ** (attempt - 1))
        if delay > MAX_WAIT or self._waited + delay > MAX_TOTAL_WAIT:
            raise fail(
                f"{problem.text}; waiting {delay:.0f} s more is beyond this tool's limit "
                f"({MAX_WAIT:.0f} s at once, {MAX_TOTAL_WAIT:.0f} s in all)"
            ) from cause
        self._waited += delay
        self._sleep(delay)


def _connect(token: str | None, base_url: str, timeout: float, auth: Any = None) -> Github:
    """A PyGithub instance that never retries or throttles on its own: `_run` decides, testably. It
    speaks with `token`, or with `auth` when given (the App's own JWT)."""
    import github

    return github.Github(
        auth=auth or (github.Auth.Token(token) if token else None),
        base_url=base_url.rstrip("/"),
        timeout=max(1, math.ceil(timeout)),
        user_agent=f"gate/{__version__}",
        per_page=PER_PAGE,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _connect_app(app: tuple[int, str], base_url: str, timeout: float) -> Github:
    """A PyGithub instance speaking as the App (a JWT signed with its key, renewed as it expires)."""
    import github
    import jwt

    app_id, private_key = app
    try:
        auth = github.Auth.AppAuth(app_id, private_key)
        auth.create_jwt()  # a key that cannot sign is the user's mistake, said now
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise UsageError(f"the App's private key cannot sign a token: {exc}") from None
    return _connect(None, base_url, timeout, auth=auth)


def _next_link(headers: Mapping[str, str]) -> str | None:
    link = next((v for k, v in headers.items() if k.lower() == "link"), "")
    for part in link.split(","):
        url, _, rel = part.partition(";")
        if rel.strip() == 'rel="next"':
            return url.strip().removeprefix("<").removesuffix(">")
    return None


# -- what went wrong ---------------------------------------------------------------------------


def _describe(exc: Exception) -> _Problem | None:
    """What went wrong, if it is GitHub's or the network's doing; `None` for anything else (a bug)."""
    from github.GithubException import GithubException

    if isinstance(exc, GithubException):
        return _describe_status(int(exc.status), exc.data, exc.headers or {})
    if isinstance(exc, json.JSONDecodeError):
        return _Problem(f"malformed JSON ({exc.msg})", transient=True)
    if isinstance(exc, OSError):
        # requests' exceptions (timeouts, refused or dropped connections) derive from OSError,
        # which spares importing requests here.
        return _Problem(f"{type(exc).__name__}: {exc}", transient=True)
    return None


def _describe_status(status: int, data: object, raw_headers: Mapping[str, object]) -> _Problem:
    headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
    body = data if isinstance(data, dict) else {}
    message = body.get("message") if isinstance(body.get("message"), str) else None
    listed = body.get("errors")
    errors: list[object] = listed if isinstance(listed, list) else []
    code = next((e["code"] for e in errors if isinstance(e, dict) and isinstance(e.get("code"), str)), None)
    text = f"HTTP {status}" + (f" {message}" if message else "")
    rate_limited = status == 429 or (
        status == 403
        and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0" or "rate limit" in (message or ""))
    )
    if rate_limited:
        return _Problem(text, status, True, True, _rate_limit_wait(headers), code, message)
    return _Problem(text, status, transient=status >= 500, code=code, message=message)


def _rate_limit_wait(headers: dict[str, str]) -> float:
    """How long GitHub asks us to wait, following its documented order of headers."""
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit():
        return float(retry_after)
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        # +1: the reset lies somewhere within that second
        return max(0.0, int(reset) - time.time()) + 1.0
    return SECONDARY_LIMIT_WAIT


def _team_access_hint(error: GitHubError, team: Team) -> str:
    return (
        f"{error}. Reading {team} needs a token that can read the organisation's teams "
        "(GitHub App: Members read; classic: read:org); without one, list the members in the "
        "checklist's roster"
    )


# -- reading answers ---------------------------------------------------------------------------


def _field(data: Json, key: str) -> Json:
    if not isinstance(data, dict) or key not in data:
        raise _Unusable(f"the answer lacks the {key}")
    return data[key]


def _text(value: Json, what: str = "text") -> str:
    if not isinstance(value, str) or not value:
        raise _Unusable(f"the answer lacks the {what}")
    return value


def _int(value: Json, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Unusable(f"the answer lacks the {what}")
    return value


def _list(value: Json) -> list[Json]:
    if not isinstance(value, list):
        raise _Unusable("the answer is not a list")
    return value


def _sha(value: Json) -> str:
    text = _text(value, "sha")
    if not re.fullmatch(r"[0-9a-f]{40}", text):
        raise _Unusable(f"{text[:50]!r} is not a commit id")
    return text


def _target(ref: Json) -> tuple[str, str]:
    """(sha, type) of the object a ref or tag points to."""
    obj = _field(ref, "object")
    return _sha(_field(obj, "sha")), _text(_field(obj, "type"), "object type")


def _login(user: Json) -> str:
    return _text(_field(user, "login"), "login")


def _is_bot(user: Json) -> bool:
    return isinstance(user, dict) and user.get("type") == "Bot"


def _to_pull(data: Json, files: list[Json]) -> PullRequest:
    paths: dict[str, None] = {}
    for entry in files:
        paths[_text(_field(entry, "filename"), "file name")] = None
        # A rename touches its old path too: moving signoffs/security.yaml away needs Security.
        previous = entry.get("previous_filename") if isinstance(entry, dict) else None
        if isinstance(previous, str) and previous:
            paths[previous] = None
    changed = _int(_field(data, "changed_files"), "changed_files")
    if len(files) < changed:
        raise _Unusable(
            f"it changes {changed} files but GitHub lists only {len(files)} (the API stops at "
            f"{MAX_FILES_LISTED}); it cannot be judged on part of them"
        )
    user, head, base = _field(data, "user"), _field(data, "head"), _field(data, "base")
    head_repo = head.get("repo") if isinstance(head, dict) else None
    return PullRequest(
        number=_int(_field(data, "number"), "PR number"),
        author=_login(user),
        head_sha=_sha(_field(head, "sha")),
        base_sha=_sha(_field(base, "sha")),
        files=tuple(paths),
        labels=tuple(_text(_field(label, "name"), "label") for label in _list(data.get("labels") or [])),
        merged=data.get("merged") is True,
        merge_commit_sha=data.get("merge_commit_sha") or None,
        base_ref=_text(_field(base, "ref"), "base ref"),
        author_is_bot=_is_bot(user),
        state=_text(_field(data, "state"), "state"),
        head_repo=head_repo.get("full_name") if isinstance(head_repo, dict) else None,
        commit_count=_int(data.get("commits", 0), "commit count"),
    )


def _open_pull(data: Json, base: str) -> tuple[int, str]:
    if _text(_field(_field(data, "base"), "ref"), "base ref") != base:
        raise _Unusable(f"GitHub listed a pull request into another branch than {base}")
    return _int(_field(data, "number"), "PR number"), _sha(_field(_field(data, "head"), "sha"))


def _to_review(data: Json) -> Review:
    review_id, state = _int(_field(data, "id"), "review id"), data.get("state")
    if state not in _REVIEW_STATES:
        # An unknown state could be a new way to block; refusing beats guessing.
        raise _Unusable(f"review {review_id} has an unknown state {state!r}")
    user = data.get("user")
    return Review(
        id=review_id,
        # A deleted account's review has no user; GitHub shows it as "ghost".
        user=_login(user) if user else "ghost",
        state=cast(ReviewState, state),
        commit_id=data.get("commit_id") or "",
        submitted_at=_time(data.get("submitted_at")),
        user_is_bot=_is_bot(user),
    )


def _to_commit(data: Json) -> PullCommit:
    commit = _field(data, "commit")
    raw = _field(commit, "author")
    user = data.get("author")
    login = _login(user) if isinstance(user, dict) and user.get("login") else None
    message = _field(commit, "message")
    text = message if isinstance(message, str) else ""
    return pull_commit(_sha(_field(data, "sha")), raw.get("name") or "", raw.get("email") or "", login, text)


def pull_commit(sha: str, name: str, email: str, login: str | None, message: str) -> PullCommit:
    """A commit of a pull request and who wrote it: its author (GitHub's login for them, if any) and
    every `Co-authored-by:` trailer of its message."""
    coauthors = tuple(_person(n, e) for n, e in _COAUTHOR.findall(message))
    return PullCommit(sha, _person(name, email, login), coauthors)


def _person(name: str, email: str, login: str | None = None) -> Person:
    """Who `name <email>` is: GitHub's resolved login, else the login in a GitHub no-reply address."""
    if login is None:
        found = _NOREPLY.match(email.strip())
        login = found.group(1) if found else None
    return Person(name, email, login)


def _to_label_event(data: Json) -> LabelEvent | None:
    kind = _field(data, "event")
    if kind not in ("labeled", "unlabeled"):
        return None
    actor = data.get("actor")
    return LabelEvent(
        id=_int(_field(data, "id"), "event id"),
        label=_text(_field(_field(data, "label"), "name"), "label name"),
        action=cast(Literal["labeled", "unlabeled"], kind),
        actor=_login(actor) if actor else None,
        created_at=_time(data.get("created_at")),
    )


def _to_comment(data: Json) -> Comment:
    body = data.get("body")
    return Comment(
        _int(_field(data, "id"), "comment id"), _login(_field(data, "user")), body if isinstance(body, str) else ""
    )


def _to_tree(data: Json) -> list[TreeEntry]:
    if data.get("truncated") is not False:
        raise _Unusable("GitHub truncated the tree (too many entries); it cannot be judged in part")
    out = []
    for entry in _list(_field(data, "tree")):
        kind = _field(entry, "type")
        path = _text(_field(entry, "path"), "path")
        if kind == "tree":
            continue
        if kind != "blob":
            raise _Unusable(f"{path} is a {kind} (a submodule?): only files and links are judged")
        out.append(
            TreeEntry(
                path, _text(_field(entry, "mode")), _sha(_field(entry, "sha")), _int(entry.get("size", 0), "size")
            )
        )
    return out


def _decode_blob(data: Json) -> bytes:
    if _field(data, "encoding") != "base64":
        raise _Unusable(f"the blob came in an unexpected encoding {data.get('encoding')!r}")
    try:
        return base64.b64decode(_text(_field(data, "content"), "content") if data.get("size") else "")
    except binascii.Error as error:
        raise _Unusable(f"the blob is not base64 ({error})") from error


def _decode_content(data: Json) -> str:
    if isinstance(data, list):
        raise _Unusable("it is a directory, not a file")
    encoding = _field(data, "encoding")
    if encoding == "none":  # what GitHub sends for files over 1 MB, without content
        raise _Unusable(f"it is too big for the contents API ({data.get('size')} bytes)")
    if encoding != "base64":
        raise _Unusable(f"it came in an unexpected encoding {encoding!r}")
    try:
        return base64.b64decode(_field(data, "content")).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, TypeError) as error:
        raise _Unusable(f"it is not UTF-8 text in base64 ({error})") from error


def _time(value: Json) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise _Unusable(f"{value!r} is not a time") from error


if TYPE_CHECKING:
    _ADAPTER: type[GitHubClient] = PyGithubClient  # mypy proves the adapter fits the Protocol
    _SETTINGS: type[SettingsClient] = PyGithubClient
