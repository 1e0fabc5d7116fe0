"""The GitHub API behind a small Protocol of our own, and PyGithub as its real adapter.

The review rules and the commands only ever see `GitHubClient` and the value types of
`gate.github.types`; tests drive them with a fake. `PyGithubClient` talks to api.github.com (or a
GitHub Enterprise / test server through `base_url`) and guarantees:

- **Complete or nothing.** Every list is read over all of its pages before anything is returned;
  a failure on any page raises `GitHubError` (an `ExternalError`: the gate fails closed). A PR whose
  file list GitHub truncates (it lists at most 3000) is refused, not judged on part of its files.
- **Bounded retries.** 5xx answers, timeouts, dropped connections, truncated JSON and rate limits
  (403/429 with `Retry-After`, or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`) are retried
  `retries` times with exponential backoff. No single pause exceeds `MAX_WAIT` and one client
  pauses at most `MAX_TOTAL_WAIT` in all: a rate limit that resets later fails at once.
- **Writes are not repeated blindly.** A POST that failed with a 5xx or a timeout may have been
  applied, so creating a tag or a release is retried only after a rate-limit refusal (GitHub did
  nothing). `upsert_comment` re-reads the comments on every attempt: safe to retry as a whole.
- **Each resource is asked once** per client: pull requests, their reviews, files at a ref, team
  members and commit-to-PR lookups are cached. Refs and comments are not, as we change them.

PyGithub costs a noticeable fraction of a second to import, so it is imported only when a
`PyGithubClient` is constructed: `gate check` never pays for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar, cast, get_args

from gate import __version__
from gate.errors import ExternalError, UsageError
from gate.github.types import PullRequest, Review, ReviewState, Team

if TYPE_CHECKING:
    from github.ContentFile import ContentFile
    from github.File import File
    from github.GithubException import GithubException
    from github.MainClass import Github
    from github.PullRequest import PullRequest as GhPullRequest
    from github.PullRequestReview import PullRequestReview

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.github.com"
PER_PAGE = 100  # GitHub's maximum: a PR with 250 reviews is 3 requests, not 9
MAX_WAIT = 60.0  # seconds; the longest single pause, whatever GitHub asks for
MAX_TOTAL_WAIT = 180.0  # seconds one client may spend pausing in all
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait at least one minute" when it names no time
MAX_FILES_LISTED = 3000  # /pulls/N/files stops here; more changed files cannot be judged
_MAX_TAG_DEPTH = 5  # a tag of a tag of ... a commit; deeper than this is not a release tag
_REVIEW_STATES: frozenset[str] = frozenset(get_args(ReviewState))


class GitHubClient(Protocol):
    """What the gate asks of GitHub; `PyGithubClient` is the real one, tests use fakes."""

    def pull_request(self, number: int) -> PullRequest:
        """The pull request `number`, with every changed file (all pages)."""
        ...

    def reviews(self, number: int) -> list[Review]:
        """Every review of pull request `number` (all pages), oldest first, as GitHub lists them."""
        ...

    def file_at(self, path: str, ref: str) -> str | None:
        """The text of `path` at commit/branch/tag `ref`; `None` when no such file exists there."""
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

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        """Edit the comment on PR/issue `number` containing `marker`, or post one ("sticky")."""
        ...


class GitHubError(ExternalError):
    """GitHub failed or answered something unusable; `status` is the HTTP status, if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _Problem:
    """One failed attempt, described for the user and for the decision to try again."""

    text: str
    status: int | None = None
    transient: bool = False  # another attempt may succeed
    refused: bool = False  # GitHub surely did nothing (rate-limit refusal): a write may be repeated
    wait: float | None = None  # the pause GitHub asked for; None: our own backoff


class _Unusable(Exception):
    """An answer we cannot use (a missing field, a proxy's page, a truncated list): never guessed around."""


class PyGithubClient:
    """`GitHubClient` over PyGithub, with bounded retries, caching and fail-closed errors.

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
    ) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise UsageError(f"not a GitHub repository (owner/name): {repo!r}")
        self._gh = _connect(token, base_url, timeout)
        self._repo = self._gh.get_repo(repo)  # lazy: no request until something is asked
        self._retries = max(0, retries)
        self._sleep = sleep
        self._waited = 0.0
        self._pulls: dict[int, PullRequest] = {}
        self._reviews: dict[int, list[Review]] = {}
        self._files: dict[tuple[str, str], str | None] = {}
        self._teams: dict[tuple[str, str], frozenset[str]] = {}
        self._commit_pulls: dict[str, list[int]] = {}

    def close(self) -> None:
        """Close the HTTP connections (the client is not used afterwards)."""
        self._gh.close()

    # -- reads ---------------------------------------------------------------------------------

    def pull_request(self, number: int) -> PullRequest:
        """The pull request `number`, with every changed file (all pages)."""
        if number not in self._pulls:
            pull = self._repo.get_pull(number)  # lazy: no request yet
            files = pull.get_files()

            def fetch() -> PullRequest:
                # The PR before its files: files listed after the head was read are at least as new,
                # so a push in between can add files to judge but never hide one.
                pull.complete()
                return _to_pull(pull, _changed_paths(files))

            self._pulls[number] = self._run(f"read pull request #{number}", fetch)
        return self._pulls[number]

    def reviews(self, number: int) -> list[Review]:
        """Every review of pull request `number` (all pages), as GitHub lists them."""
        if number not in self._reviews:
            listing = self._repo.get_pull(number).get_reviews()
            # The same PaginatedList across attempts: a retry resumes at the page that failed.
            self._reviews[number] = self._run(
                f"list the reviews of pull request #{number}",
                lambda: [_to_review(r) for r in listing],
            )
        return list(self._reviews[number])

    def file_at(self, path: str, ref: str) -> str | None:
        """The text of `path` at `ref`; `None` when the file does not exist there (404)."""
        key = (path, ref)
        if key not in self._files:
            self._files[key] = self._run(f"read {path} at {ref}", lambda: self._read_file(path, ref))
        return self._files[key]

    def team_members(self, team: Team) -> frozenset[str]:
        """The lower-cased logins of every member of `team` (all pages)."""
        key = (team.org.lower(), team.slug.lower())
        if key not in self._teams:
            # Lazy objects: the only request is /orgs/{org}/teams/{slug}/members.
            org = self._gh.get_organization(team.org)
            listing = org.get_team_by_slug(team.slug).get_members()
            try:
                self._teams[key] = self._run(
                    f"list the members of {team}",
                    lambda: frozenset(_text(u.login, "member login").lower() for u in listing),
                )
            except GitHubError as error:
                if error.status in (403, 404):
                    raise GitHubError(_team_access_hint(error, team), error.status) from error
                raise
        return self._teams[key]

    def pulls_for_commit(self, sha: str) -> list[int]:
        """The numbers of the pull requests associated with commit `sha`."""
        if sha not in self._commit_pulls:
            listing = self._repo.get_commit(sha).get_pulls()
            self._commit_pulls[sha] = self._run(
                f"list the pull requests of commit {sha}", lambda: [_count(p.number, "PR number") for p in listing]
            )
        return list(self._commit_pulls[sha])

    def ref_sha(self, ref: str) -> str | None:
        """The commit `ref` (`tags/<name>`) points to, through annotated tags; `None` if absent."""
        name = ref.removeprefix("refs/")
        return self._run(f"read {name}", lambda: self._resolve_ref(name))

    # -- writes --------------------------------------------------------------------------------

    def create_tag(self, tag: str, sha: str, message: str) -> None:
        """Create the annotated tag `tag` on commit `sha`: a tag object, then `refs/tags/<tag>`."""
        tag_object = self._run(
            f"create the tag object {tag}",
            lambda: self._repo.create_git_tag(tag, message, sha, "commit"),
            repeatable=False,
        )
        self._run(
            f"create refs/tags/{tag}",
            lambda: self._repo.create_git_ref(f"refs/tags/{tag}", tag_object.sha),
            repeatable=False,
        )

    def create_release(self, tag: str, name: str, body: str) -> int:
        """Create a release for the existing tag `tag`; return its id."""
        release = self._run(
            f"create the release {tag}",
            lambda: self._repo.create_git_release(tag, name=name, message=body),
            repeatable=False,
        )
        return release.id

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        """Edit the first comment on `number` containing `marker`, or post one; unchanged: no write.

        The marker is put in front of `body` when `body` lacks it, so the next run finds it.
        """
        text = body if marker in body else f"{marker}\n{body}"
        issue = self._repo.get_issue(number)  # lazy: PR comments are issue comments

        def upsert() -> None:
            found = next((c for c in issue.get_comments() if marker in (c.body or "")), None)
            if found is None:
                issue.create_comment(text)
            elif found.body != text:
                found.edit(text)

        # Safe to repeat as a whole: every attempt re-reads the comments before writing.
        self._run(f"update the comment on #{number}", upsert)

    # -- helpers -------------------------------------------------------------------------------

    def _read_file(self, path: str, ref: str) -> str | None:
        from github.GithubException import UnknownObjectException

        try:
            content = self._repo.get_contents(path, ref=ref)
        except UnknownObjectException:
            return None  # "Not Found"; an unknown ref is another 404 message and fails
        if isinstance(content, list):
            raise _Unusable("it is a directory, not a file")
        return _decode(content)

    def _resolve_ref(self, name: str) -> str | None:
        from github.GithubException import UnknownObjectException

        try:
            target = _present(self._repo.get_git_ref(name).object, f"object of {name}")  # asks /git/ref/
        except UnknownObjectException:
            return None
        sha, kind = _text(target.sha, "ref sha"), target.type
        for _ in range(_MAX_TAG_DEPTH):
            if kind != "tag":
                break
            target = _present(self._repo.get_git_tag(sha).object, f"object of tag {sha}")
            sha, kind = _text(target.sha, "tag object sha"), target.type
        if kind != "commit":
            raise _Unusable(f"it points to a {kind}, not a commit")
        return sha

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
        if not problem.transient or not (repeatable or problem.refused):
            message = f"GitHub: could not {what}: {problem.text}"
            raise GitHubError(message, problem.status) from cause
        if attempt > self._retries:
            raise GitHubError(
                f"GitHub: could not {what}: {problem.text} (gave up after {attempt} attempts)",
                problem.status,
            ) from cause
        delay = problem.wait if problem.wait is not None else min(MAX_WAIT, 2.0 ** (attempt - 1))
        if delay > MAX_WAIT or self._waited + delay > MAX_TOTAL_WAIT:
            raise GitHubError(
                f"GitHub: could not {what}: {problem.text}; waiting {delay:.0f} s more is beyond "
                f"this tool's limit ({MAX_WAIT:.0f} s at once, {MAX_TOTAL_WAIT:.0f} s in all)",
                problem.status,
            ) from cause
        self._waited += delay
        self._sleep(delay)


def _connect(token: str | None, base_url: str, timeout: float) -> Github:
    """A PyGithub instance that never retries or throttles on its own: `_run` decides, testably."""
    import github

    return github.Github(
        auth=github.Auth.Token(token) if token else None,
        base_url=base_url.rstrip("/"),
        timeout=max(1, math.ceil(timeout)),
        user_agent=f"gate/{__version__}",
        per_page=PER_PAGE,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,  # objects are fetched when read: no request for a path we only pass through
    )


def _describe(exc: Exception) -> _Problem | None:
    """What went wrong, if it is GitHub's or the network's doing; `None` for anything else."""
    from github.GithubException import BadAttributeException, GithubException

    if isinstance(exc, GithubException):
        return _describe_status(exc)
    if isinstance(exc, json.JSONDecodeError):
        return _Problem(f"malformed JSON ({exc.msg})", transient=True)
    if isinstance(exc, _Unusable):
        return _Problem(str(exc))
    if isinstance(exc, BadAttributeException) or _raised_in_pygithub(exc):
        # PyGithub choking on an answer's shape: malformed input to us, not a bug of ours.
        return _Problem(f"an answer of unexpected shape ({type(exc).__name__}: {exc})")
    if isinstance(exc, OSError):
        # requests' exceptions (timeouts, refused or dropped connections) derive from OSError,
        # which spares importing requests here.
        return _Problem(f"{type(exc).__name__}: {exc}", transient=True)
    return None


def _raised_in_pygithub(exc: Exception) -> bool:
    if not isinstance(exc, (TypeError, AttributeError, KeyError, IndexError, ValueError)):
        return False
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    module = str(frame.tb_frame.f_globals.get("__name__", "")) if frame is not None else ""
    return module == "github" or module.startswith("github.")


def _describe_status(exc: GithubException) -> _Problem:
    from github.GithubException import RateLimitExceededException

    status = int(exc.status)
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    text = f"HTTP {status}" + (f" {message}" if message else "")
    rate_limited = status == 429 or (
        status == 403
        and (
            "retry-after" in headers
            or headers.get("x-ratelimit-remaining") == "0"
            or isinstance(exc, RateLimitExceededException)
        )
    )
    if rate_limited:
        return _Problem(text, status, transient=True, refused=True, wait=_rate_limit_wait(headers))
    return _Problem(text, status, transient=status >= 500)


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
        "(fine-grained: Members read; classic: read:org); without one, list the members in the "
        "checklist's roster"
    )


def _changed_paths(files: Iterable[File]) -> tuple[tuple[str, ...], int]:
    """Every path the PR touches, with how many entries GitHub listed.

    A rename touches its old path too: moving `signoffs/security.yaml` away must need Security's
    owners as much as editing it does.
    """
    paths: dict[str, None] = {}
    entries = 0
    for entry in files:
        entries += 1
        paths[_text(entry.filename, "file name")] = None
        if entry.previous_filename:
            paths[entry.previous_filename] = None
    return tuple(paths), entries


def _to_pull(pull: GhPullRequest, listed: tuple[tuple[str, ...], int]) -> PullRequest:
    paths, entries = listed
    number, changed = _count(pull.number, "PR number"), _count(pull.changed_files, "changed_files")
    if entries < changed:
        raise _Unusable(
            f"it changes {changed} files but GitHub lists only {entries} (the API stops at "
            f"{MAX_FILES_LISTED}); it cannot be judged on part of them"
        )
    author, head, base = _present(pull.user, "author"), _present(pull.head, "head"), _present(pull.base, "base")
    return PullRequest(
        number=number,
        author=_text(author.login, "author"),
        head_sha=_text(head.sha, "head sha"),
        base_sha=_text(base.sha, "base sha"),
        files=paths,
        labels=tuple(_text(label.name, "label") for label in pull.labels or ()),
        merged=pull.merged is True,
        merge_commit_sha=pull.merge_commit_sha or None,
        base_ref=_text(base.ref, "base ref"),
        author_is_bot=author.type == "Bot",
    )


def _to_review(review: PullRequestReview) -> Review:
    review_id, state = _count(review.id, "review id"), review.state
    if state not in _REVIEW_STATES:
        # An unknown state could be a new way to block; refusing beats guessing.
        raise _Unusable(f"review {review_id} has an unknown state {state!r}")
    user = review.user
    return Review(
        id=review_id,
        # A deleted account's review has no user; GitHub shows it as "ghost".
        user=_text(user.login, "reviewer login") if user is not None else "ghost",
        state=cast(ReviewState, state),
        commit_id=review.commit_id or "",
        submitted_at=_utc(review.submitted_at),
        user_is_bot=user is not None and user.type == "Bot",
    )


def _decode(content: ContentFile) -> str:
    if content.encoding == "none":  # what GitHub sends for files over 1 MB, without content
        raise _Unusable(f"it is too big for the contents API ({content.size} bytes)")
    if content.encoding != "base64":
        raise _Unusable(f"it came in an unexpected encoding {content.encoding!r}")
    try:
        return base64.b64decode(_text(content.content, "content")).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise _Unusable(f"it is not UTF-8 text in base64 ({error})") from error


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _Unusable(f"the answer lacks the {what}")
    return value


def _count(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Unusable(f"the answer lacks the {what}")
    return value


def _present(value: T | None, what: str) -> T:
    if value is None:
        raise _Unusable(f"the answer lacks the {what}")
    return value


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)  # GitHub's timestamps are UTC ("Z")


if TYPE_CHECKING:
    _ADAPTER: type[GitHubClient] = PyGithubClient  # mypy proves the adapter fits the Protocol
