"""A local HTTP server that answers as api.github.com does, for testing the real GitHub adapter.

Test support, not a test module. `GitHubServer` listens on 127.0.0.1 (a free port) and serves the
endpoints the gate uses from an in-memory `State`: pull requests, their files and reviews, contents by
ref, team members, commit-to-PR lookups, tags and refs, releases and issue comments. It paginates as
GitHub does (`per_page`, `page`, `Link` headers), answers 404/422 with GitHub's error bodies, and logs
every request so tests can count them.

It is also a contract check: every 2xx body it sends is validated against GitHub's own schema
(`tests/data/github-rest-subset.schema.json`, cut from GitHub's OpenAPI description) and every request
body the client sends against the endpoint's request schema. Violations land in `errors`; the
`github_server` fixture fails the test when any are left at teardown. A request for a route this
server does not know is an error too: the client must use only the endpoints we know GitHub has.

Faults (`inject`) turn the next answers of a path into a 500, a 502 HTML page, a hang, a primary rate
limit (403 with `x-ratelimit-remaining: 0`), a secondary one (429 with `Retry-After`) or truncated JSON.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "github-rest-subset.schema.json"
WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"
EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

Json = Any
FaultKind = Literal["error500", "error502", "hang", "rate_limit", "retry_after", "truncated"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "error500",
    "error502",
    "hang",
    "rate_limit",
    "retry_after",
    "truncated",
)

# -- schema validation --------------------------------------------------------------------------

# jsonschema checks "date-time" and "uri" only with optional packages; these two suffice here.
FORMATS = FormatChecker()
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value)
    return bool(_RFC3339.fullmatch(value))


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and " " not in value


@functools.cache
def schema_bundle() -> dict[str, Json]:
    """GitHub's request/response schemas of the endpoints the gate uses (read once)."""
    bundle: dict[str, Json] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return bundle


@functools.cache
def validator(endpoint: str, part: str) -> Draft202012Validator | None:
    """The validator of `endpoint`'s `part` ("request" or a status like "200"), built once."""
    bundle = schema_bundle()
    spec = bundle["endpoints"][endpoint]
    schema = spec["request"] if part == "request" else spec["responses"].get(part)
    if schema is None:
        return None
    return Draft202012Validator({**schema, "$defs": bundle["$defs"]}, format_checker=FORMATS)


def schema_errors(endpoint: str, part: str, document: Json) -> list[str]:
    """Every way `document` breaks GitHub's schema for `endpoint`/`part`, as readable lines."""
    check = validator(endpoint, part)
    if check is None:
        return [f"{endpoint}: GitHub documents no {part} body"]
    return [
        f"{endpoint} {part}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:300]}"
        for e in check.iter_errors(document)
    ]


# -- state --------------------------------------------------------------------------------------


def fake_sha(*parts: object) -> str:
    """A stable 40-hex "commit" id derived from `parts`."""
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()  # noqa: S324 - not security


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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


# -- payloads: full objects with every field GitHub's schema requires ---------------------------


def _stable_id(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:7], 16)  # noqa: S324 - an id, not security


def _node(prefix: str, number: int) -> str:
    return f"{prefix}_" + base64.b64encode(f"{prefix}{number}".encode()).decode().rstrip("=")


def simple_user(api: str, login: str, user_type: str = "User") -> dict[str, Json]:
    uid = _stable_id(login)
    url = f"{api}/users/{quote(login)}"
    return {
        "login": login,
        "id": uid,
        "node_id": _node("U", uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{quote(login)}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": user_type,
        "site_admin": False,
        "user_view_type": "public",
    }


_REPO_TEMPLATES = {
    "archive_url": "{/archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "statuses_url": "/statuses/{sha}",
    "trees_url": "/git/trees{/sha}",
}
_REPO_LINKS = (
    "contributors deployments downloads events forks hooks languages merges stargazers "
    "subscribers subscription tags teams"
).split()


def repository(api: str, state: State) -> dict[str, Json]:
    url = f"{api}/repos/{state.full_name}"
    rid = _stable_id(state.full_name)
    repo: dict[str, Json] = {
        "id": rid,
        "node_id": _node("R", rid),
        "name": state.repo,
        "full_name": state.full_name,
        "owner": simple_user(api, state.owner, "Organization"),
        "private": False,
        "html_url": f"{WEB}/{state.full_name}",
        "description": "Mainnet launch gate",
        "fork": False,
        "url": url,
        "clone_url": f"{WEB}/{state.full_name}.git",
        "git_url": f"git://github.com/{state.full_name}.git",
        "ssh_url": f"git@github.com:{state.full_name}.git",
        "svn_url": f"{WEB}/{state.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "license": None,
        "default_branch": state.default_branch,
        "forks": 0,
        "forks_count": 0,
        "open_issues": len(state.pulls),
        "open_issues_count": len(state.pulls),
        "watchers": 1,
        "watchers_count": 1,
        "stargazers_count": 1,
        "size": 100,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "created_at": _stamp(EPOCH),
        "updated_at": _stamp(EPOCH),
        "pushed_at": _stamp(EPOCH),
    }
    repo.update({key: url + suffix for key, suffix in _REPO_TEMPLATES.items()})
    repo.update({f"{name}_url": f"{url}/{name}" for name in _REPO_LINKS})
    return repo


def _label(api: str, state: State, name: str) -> dict[str, Json]:
    lid = _stable_id(f"label:{name}")
    return {
        "id": lid,
        "node_id": _node("LA", lid),
        "url": f"{api}/repos/{state.full_name}/labels/{quote(name)}",
        "name": name,
        "description": "",
        "color": "ededed",
        "default": False,
    }


def _pull_links(api: str, state: State, pull: PullRecord) -> dict[str, Json]:
    repo_url = f"{api}/repos/{state.full_name}"
    number = pull.number
    return {
        "self": {"href": f"{repo_url}/pulls/{number}"},
        "html": {"href": f"{WEB}/{state.full_name}/pull/{number}"},
        "issue": {"href": f"{repo_url}/issues/{number}"},
        "comments": {"href": f"{repo_url}/issues/{number}/comments"},
        "review_comments": {"href": f"{repo_url}/pulls/{number}/comments"},
        "review_comment": {"href": f"{repo_url}/pulls/comments{{/number}}"},
        "commits": {"href": f"{repo_url}/pulls/{number}/commits"},
        "statuses": {"href": f"{repo_url}/statuses/{pull.head_sha}"},
    }


def _branch(api: str, state: State, ref: str, sha: str) -> dict[str, Json]:
    return {
        "label": f"{state.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": simple_user(api, state.owner, "Organization"),
        "repo": repository(api, state),
    }


def pull_request_simple(api: str, state: State, pull: PullRecord) -> dict[str, Json]:
    """A `pull-request-simple` (as in lists); `pull_request` adds the detail fields."""
    repo_url = f"{api}/repos/{state.full_name}"
    links = _pull_links(api, state, pull)
    closed = _stamp(pull.created_at + timedelta(hours=1)) if pull.merged else None
    return {
        "url": links["self"]["href"],
        "id": _stable_id(f"pr:{pull.number}"),
        "node_id": _node("PR", pull.number),
        "html_url": links["html"]["href"],
        "diff_url": f"{links['html']['href']}.diff",
        "patch_url": f"{links['html']['href']}.patch",
        "issue_url": links["issue"]["href"],
        "commits_url": links["commits"]["href"],
        "review_comments_url": links["review_comments"]["href"],
        "review_comment_url": links["review_comment"]["href"],
        "comments_url": links["comments"]["href"],
        "statuses_url": f"{repo_url}/statuses/{pull.head_sha}",
        "number": pull.number,
        "state": "closed" if pull.merged else "open",
        "locked": False,
        "title": f"Change #{pull.number}",
        "user": simple_user(api, pull.author, pull.author_type),
        "body": None,
        "labels": [_label(api, state, name) for name in pull.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": _stamp(pull.created_at),
        "updated_at": _stamp(pull.created_at),
        "closed_at": closed,
        "merged_at": closed,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(api, state, pull.head_ref, pull.head_sha),
        "base": _branch(api, state, pull.base_ref, pull.base_sha),
        "_links": links,
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": False,
    }


def pull_request(api: str, state: State, pull: PullRecord) -> dict[str, Json]:
    """A full `pull-request`, as GET /pulls/{number} answers."""
    files = pull.changed_files if pull.changed_files is not None else len(pull.files)
    return {
        **pull_request_simple(api, state, pull),
        "merged": pull.merged,
        "mergeable": None if pull.merged else True,
        "rebaseable": None if pull.merged else True,
        "mergeable_state": "unknown" if pull.merged else "clean",
        "merged_by": simple_user(api, state.viewer, state.viewer_type) if pull.merged else None,
        "comments": len(state.comments.get(pull.number, [])),
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": 1,
        "additions": files,
        "deletions": 0,
        "changed_files": files,
    }


def diff_entry(api: str, state: State, pull: PullRecord, change: FileChange) -> dict[str, Json]:
    path = quote(change.filename)
    entry: dict[str, Json] = {
        "sha": fake_sha("blob", pull.head_sha, change.filename),
        "filename": change.filename,
        "status": change.status,
        "additions": 1,
        "deletions": 0,
        "changes": 1,
        "blob_url": f"{WEB}/{state.full_name}/blob/{pull.head_sha}/{path}",
        "raw_url": f"{WEB}/{state.full_name}/raw/{pull.head_sha}/{path}",
        "contents_url": f"{api}/repos/{state.full_name}/contents/{path}?ref={pull.head_sha}",
        "patch": "@@ -1 +1 @@\n-old\n+new",
    }
    if change.previous_filename is not None:
        entry["previous_filename"] = change.previous_filename
    return entry


def review(api: str, state: State, pull: PullRecord, record: ReviewRecord) -> dict[str, Json]:
    html = f"{WEB}/{state.full_name}/pull/{pull.number}#pullrequestreview-{record.id}"
    pull_url = f"{api}/repos/{state.full_name}/pulls/{pull.number}"
    payload: dict[str, Json] = {
        "id": record.id,
        "node_id": _node("PRR", record.id),
        "user": simple_user(api, record.user, record.user_type),
        "body": "",
        "state": record.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": "MEMBER",
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "commit_id": record.commit_id,
    }
    if record.submitted_at is not None:  # GitHub omits it for PENDING reviews
        payload["submitted_at"] = _stamp(record.submitted_at)
    return payload


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's id


def _content_links(api: str, state: State, path: str, ref: str, sha: str, kind: str) -> dict[str, Json]:
    quoted = quote(path)
    self_url = f"{api}/repos/{state.full_name}/contents/{quoted}?ref={quote(ref)}"
    git_url = f"{api}/repos/{state.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html_url = f"{WEB}/{state.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{quoted}"
    return {
        "type": kind,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": None if kind == "dir" else f"https://raw.githubusercontent.com/{state.full_name}/{ref}/{quoted}",
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


MAX_CONTENT = 1024 * 1024  # GitHub sends no content for bigger files (encoding "none")


def content_file(api: str, state: State, path: str, ref: str, data: bytes) -> dict[str, Json]:
    payload = _content_links(api, state, path, ref, _git_blob_sha(data), "file")
    big = len(data) > MAX_CONTENT
    encoded = base64.b64encode(data).decode()
    # GitHub wraps the base64 text at 60 characters, each line ending in "\n".
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    payload.update(size=len(data), encoding="none" if big else "base64", content="" if big else wrapped)
    return payload


def content_directory(api: str, state: State, path: str, ref: str, tree: Mapping[str, bytes]) -> list[Json]:
    prefix = f"{path}/" if path else ""
    children: dict[str, bool] = {}  # name -> is a directory
    for name in sorted(tree):
        if name.startswith(prefix):
            head, _, rest = name[len(prefix) :].partition("/")
            children[head] = children.get(head, False) or bool(rest)
    entries = []
    for child, is_dir in children.items():
        full = prefix + child
        sha = fake_sha("tree", ref, full) if is_dir else _git_blob_sha(tree[full])
        entry = _content_links(api, state, full, ref, sha, "dir" if is_dir else "file")
        entry["size"] = 0 if is_dir else len(tree[full])
        entries.append(entry)
    return entries


def team_member(api: str, login: str) -> dict[str, Json]:
    return simple_user(api, login)


def git_ref(api: str, state: State, ref: str, sha: str, kind: str) -> dict[str, Json]:
    repo_url = f"{api}/repos/{state.full_name}"
    return {
        "ref": f"refs/{ref}",
        "node_id": _node("REF", _stable_id(ref)),
        "url": f"{repo_url}/git/refs/{ref}",
        "object": {"type": kind, "sha": sha, "url": f"{repo_url}/git/{kind}s/{sha}"},
    }


def git_tag(api: str, state: State, tag: TagRecord) -> dict[str, Json]:
    repo_url = f"{api}/repos/{state.full_name}"
    return {
        "node_id": _node("TAG", _stable_id(tag.sha)),
        "tag": tag.tag,
        "sha": tag.sha,
        "url": f"{repo_url}/git/tags/{tag.sha}",
        "message": tag.message,
        "tagger": {"name": "GitHub Actions", "email": "actions@github.com", "date": _stamp(EPOCH)},
        "object": {
            "type": tag.object_type,
            "sha": tag.object_sha,
            "url": f"{repo_url}/git/{tag.object_type}s/{tag.object_sha}",
        },
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def release(api: str, state: State, record: ReleaseRecord) -> dict[str, Json]:
    url = f"{api}/repos/{state.full_name}/releases/{record.id}"
    return {
        "url": url,
        "html_url": f"{WEB}/{state.full_name}/releases/tag/{quote(record.tag_name)}",
        "assets_url": f"{url}/assets",
        "upload_url": f"https://uploads.github.com/repos/{state.full_name}/releases/{record.id}/assets{{?name,label}}",
        "tarball_url": f"{api}/repos/{state.full_name}/tarball/{quote(record.tag_name)}",
        "zipball_url": f"{api}/repos/{state.full_name}/zipball/{quote(record.tag_name)}",
        "id": record.id,
        "node_id": _node("RE", record.id),
        "tag_name": record.tag_name,
        "target_commitish": record.target_commitish,
        "name": record.name,
        "body": record.body,
        "draft": False,
        "prerelease": False,
        "immutable": False,
        "created_at": _stamp(record.created_at),
        "published_at": _stamp(record.created_at),
        "updated_at": _stamp(record.created_at),
        "author": simple_user(api, state.viewer, state.viewer_type),
        "assets": [],
    }


def issue_comment(api: str, state: State, number: int, comment: CommentRecord) -> dict[str, Json]:
    repo_url = f"{api}/repos/{state.full_name}"
    return {
        "id": comment.id,
        "node_id": _node("IC", comment.id),
        "url": f"{repo_url}/issues/comments/{comment.id}",
        "html_url": f"{WEB}/{state.full_name}/pull/{number}#issuecomment-{comment.id}",
        "issue_url": f"{repo_url}/issues/{number}",
        "body": comment.body,
        "user": simple_user(api, comment.user, comment.user_type),
        "created_at": _stamp(comment.created_at),
        "updated_at": _stamp(comment.updated_at),
        "author_association": "NONE",
        "performed_via_github_app": None,
        "reactions": {
            "url": f"{repo_url}/issues/comments/{comment.id}/reactions",
            "total_count": 0,
            **dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0),
        },
    }


# -- routes -------------------------------------------------------------------------------------


class HttpError(Exception):
    """An error answer in GitHub's shape: {"message", "documentation_url", "status"}."""

    def __init__(self, status: int, message: str, errors: list[Json] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Json] = {"message": message, "documentation_url": DOCS, "status": str(status)}
        if errors:
            self.body["errors"] = errors


def not_found() -> HttpError:
    return HttpError(404, "Not Found")


@dataclass
class Call:
    """One routed request, as a handler sees it."""

    api: str  # this server's base URL, for the URLs inside payloads
    state: State
    params: dict[str, str]
    query: dict[str, str]
    body: Json

    def pull(self) -> PullRecord:
        pull = self.state.pulls.get(int(self.params["number"]))
        if pull is None:
            raise not_found()
        return pull


@dataclass
class Reply:
    status: int
    body: Json
    paginate: bool = False  # slice the list body by per_page/page and send Link headers


Handler = Callable[[Call], Reply]


def _get_pull(call: Call) -> Reply:
    return Reply(200, pull_request(call.api, call.state, call.pull()))


def _list_files(call: Call) -> Reply:
    pull = call.pull()
    return Reply(200, [diff_entry(call.api, call.state, pull, f) for f in pull.files], paginate=True)


def _list_reviews(call: Call) -> Reply:
    pull = call.pull()
    return Reply(200, [review(call.api, call.state, pull, r) for r in pull.reviews], paginate=True)


def _get_contents(call: Call) -> Reply:
    state = call.state
    ref = call.query.get("ref", state.default_branch)
    tree = state.trees.get(ref)
    if tree is None:
        raise HttpError(404, f"No commit found for the ref {ref}")
    path = call.params["path"].strip("/")
    if path in tree:
        return Reply(200, content_file(call.api, state, path, ref, tree[path]))
    if any(name.startswith(f"{path}/") for name in tree):
        return Reply(200, content_directory(call.api, state, path, ref, tree))
    raise not_found()


def _list_members(call: Call) -> Reply:
    members = call.state.teams.get((call.params["org"].lower(), call.params["slug"].lower()))
    if members is None:
        raise not_found()
    return Reply(200, [team_member(call.api, login) for login in members], paginate=True)


def _list_commit_pulls(call: Call) -> Reply:
    state, sha = call.state, call.params["sha"]
    if sha not in state.commits:
        raise HttpError(422, f"No commit found for SHA: {sha}")
    pulls = [state.pulls[n] for n in state.commit_pulls.get(sha, [])]
    return Reply(200, [pull_request_simple(call.api, state, p) for p in pulls], paginate=True)


def _get_ref(call: Call) -> Reply:
    ref = call.params["ref"]
    target = call.state.refs.get(ref)
    if target is None:
        raise not_found()
    return Reply(200, git_ref(call.api, call.state, ref, *target))


def _get_tag(call: Call) -> Reply:
    tag = call.state.tags.get(call.params["sha"])
    if tag is None:
        raise not_found()
    return Reply(200, git_tag(call.api, call.state, tag))


def _create_tag(call: Call) -> Reply:
    state, body = call.state, call.body
    if body["object"] not in state.commits and body["object"] not in state.tags:
        raise HttpError(422, "Object does not exist")
    tag = state.new_tag(body["tag"], body["message"], body["object"], body["type"])
    return Reply(201, git_tag(call.api, state, tag))


def _create_ref(call: Call) -> Reply:
    state, full, sha = call.state, call.body["ref"], call.body["sha"]
    if not full.startswith("refs/") or full.count("/") < 2:
        raise HttpError(422, f"{full} is not a valid ref name.")
    ref = full.removeprefix("refs/")
    if ref in state.refs:
        raise HttpError(422, "Reference already exists")
    kind = "tag" if sha in state.tags else "commit" if sha in state.commits else None
    if kind is None:
        raise HttpError(422, "Object does not exist")
    state.refs[ref] = (sha, kind)
    return Reply(201, git_ref(call.api, state, ref, sha, kind))


def _create_release(call: Call) -> Reply:
    state, body = call.state, call.body
    tag = body["tag_name"]
    if any(r.tag_name == tag for r in state.releases):
        raise HttpError(422, "Validation Failed", [{"resource": "Release", "code": "already_exists", "field": "tag_name"}])
    target = body.get("target_commitish", state.default_branch)
    if f"tags/{tag}" not in state.refs:  # GitHub tags the target itself when the tag is new
        sha = state.default_head if target == state.default_branch else target
        state.refs[f"tags/{tag}"] = (sha, "commit")
    record = ReleaseRecord(state.next_id(), tag, body.get("name"), body.get("body"), target, state.tick())
    state.releases.append(record)
    return Reply(201, release(call.api, state, record))


def _get_release_by_tag(call: Call) -> Reply:
    found = next((r for r in call.state.releases if r.tag_name == call.params["tag"]), None)
    if found is None:
        raise not_found()
    return Reply(200, release(call.api, call.state, found))


def _issue_comments(call: Call) -> tuple[int, list[CommentRecord]]:
    number = int(call.params["number"])
    if number not in call.state.pulls:
        raise not_found()
    return number, call.state.comments.setdefault(number, [])


def _list_comments(call: Call) -> Reply:
    number, comments = _issue_comments(call)
    return Reply(200, [issue_comment(call.api, call.state, number, c) for c in comments], paginate=True)


def _create_comment(call: Call) -> Reply:
    state = call.state
    number, comments = _issue_comments(call)
    moment = state.tick()
    comment = CommentRecord(state.next_id(), call.body["body"], state.viewer, state.viewer_type, moment, moment)
    comments.append(comment)
    return Reply(201, issue_comment(call.api, state, number, comment))


def _update_comment(call: Call) -> Reply:
    wanted = int(call.params["id"])
    for number, comments in call.state.comments.items():
        for comment in comments:
            if comment.id == wanted:
                comment.body = call.body["body"]
                comment.updated_at = call.state.tick()
                return Reply(200, issue_comment(call.api, call.state, number, comment))
    raise not_found()


_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str  # the key of GitHub's schema bundle
    handler: Handler


def _route(method: str, pattern: str, endpoint: str, handler: Handler) -> Route:
    return Route(method, re.compile(pattern), endpoint, handler)


ROUTES = (
    _route("GET", _REPO + r"/pulls/(?P<number>\d+)", "GET /repos/{owner}/{repo}/pulls/{pull_number}", _get_pull),
    _route("GET", _REPO + r"/pulls/(?P<number>\d+)/files", "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", _list_files),
    _route("GET", _REPO + r"/pulls/(?P<number>\d+)/reviews", "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", _list_reviews),
    _route("GET", _REPO + r"/contents/(?P<path>.*)", "GET /repos/{owner}/{repo}/contents/{path}", _get_contents),
    _route("GET", r"/orgs/(?P<org>[^/]+)/teams/(?P<slug>[^/]+)/members", "GET /orgs/{org}/teams/{team_slug}/members", _list_members),
    _route("GET", _REPO + r"/commits/(?P<sha>[^/]+)/pulls", "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", _list_commit_pulls),
    _route("GET", _REPO + r"/git/ref/(?P<ref>.+)", "GET /repos/{owner}/{repo}/git/ref/{ref}", _get_ref),
    _route("GET", _REPO + r"/git/tags/(?P<sha>[^/]+)", "GET /repos/{owner}/{repo}/git/tags/{tag_sha}", _get_tag),
    _route("POST", _REPO + r"/git/tags", "POST /repos/{owner}/{repo}/git/tags", _create_tag),
    _route("POST", _REPO + r"/git/refs", "POST /repos/{owner}/{repo}/git/refs", _create_ref),
    _route("POST", _REPO + r"/releases", "POST /repos/{owner}/{repo}/releases", _create_release),
    _route("GET", _REPO + r"/releases/tags/(?P<tag>.+)", "GET /repos/{owner}/{repo}/releases/tags/{tag}", _get_release_by_tag),
    _route("GET", _REPO + r"/issues/(?P<number>\d+)/comments", "GET /repos/{owner}/{repo}/issues/{issue_number}/comments", _list_comments),
    _route("POST", _REPO + r"/issues/(?P<number>\d+)/comments", "POST /repos/{owner}/{repo}/issues/{issue_number}/comments", _create_comment),
    _route("PATCH", _REPO + r"/issues/comments/(?P<id>\d+)", "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", _update_comment),
)


# -- pagination ---------------------------------------------------------------------------------


def _page_numbers(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        per_page = min(100, max(1, int(query.get("per_page", "30"))))
        page = max(1, int(query.get("page", "1")))
    except ValueError as error:
        raise HttpError(400, f"Invalid pagination: {error}") from error
    return per_page, page


def paginate(items: list[Json], query: Mapping[str, str], base: str, path: str) -> tuple[list[Json], dict[str, str]]:
    """One page of `items` and its `Link` header, as GitHub builds them."""
    per_page, page = _page_numbers(query)
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    if last == 1:
        return chunk, {}

    def link(number: int) -> str:
        params = {**query, "per_page": str(per_page), "page": str(number)}
        return f"<{base}{path}?{urlencode(params)}>"

    rels = []
    if page > 1:
        rels += [f'{link(page - 1)}; rel="prev"', f'{link(1)}; rel="first"']
    if page < last:
        rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
    return chunk, {"Link": ", ".join(rels)} if rels else {}


# -- faults -------------------------------------------------------------------------------------


@dataclass
class Fault:
    """The next `times` answers of `method path` (with `query` a subset of the request's) fail."""

    kind: FaultKind
    method: str
    path: str
    times: int
    query: dict[str, str]
    seconds: int  # rate limit reset / Retry-After

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        return (
            self.times > 0
            and method == self.method
            and path == self.path
            and all(query.get(k) == v for k, v in self.query.items())
        )


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _json_answer(status: int, payload: Json, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(payload).encode(), {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def fault_answer(fault: Fault) -> Answer:
    """What GitHub (or the edge in front of it) sends for `fault` (all kinds but hang, truncated)."""
    reset = str(int(time.time()) + fault.seconds)
    if fault.kind == "error500":
        return _json_answer(500, {"message": "Server Error", "documentation_url": DOCS, "status": "500"})
    if fault.kind == "error502":
        page = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"
        return Answer(502, page, {"Content-Type": "text/html"})
    if fault.kind == "rate_limit":
        message = "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support, include the request ID."
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000", "x-ratelimit-reset": reset}
        return _json_answer(403, {"message": message, "documentation_url": DOCS, "status": "403"}, headers)
    if fault.kind == "retry_after":
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        return _json_answer(429, {"message": message, "documentation_url": DOCS, "status": "429"}, {"Retry-After": str(fault.seconds)})
    raise AssertionError(f"not an immediate fault: {fault.kind}")


# -- the server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request as the server received it (faulted ones included)."""

    method: str
    path: str
    query: dict[str, str]
    body: Json
    authorization: str | None


class GitHubServer:
    """api.github.com on 127.0.0.1, answering from `state`; use as a context manager or start/stop."""

    def __init__(self, state: State | None = None, *, hang_seconds: float = 10.0) -> None:
        self.state = state or State()
        self.requests: list[Request] = []
        self.errors: list[str] = []  # schema violations and unknown routes: a test must fail
        self.faults: list[Fault] = []
        self.hang_seconds = hang_seconds
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="github-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GitHubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def repo_path(self, suffix: str = "") -> str:
        """`/repos/{owner}/{repo}` + `suffix`, the path prefix of most endpoints."""
        return f"/repos/{self.state.full_name}{suffix}"

    def inject(
        self,
        path: str,
        kind: FaultKind,
        times: int = 1,
        *,
        method: str = "GET",
        query: Mapping[str, str] | None = None,
        seconds: int = 2,
    ) -> None:
        """Make the next `times` answers to `method path` a `kind` fault.

        `query` narrows it to requests carrying those parameters (e.g. `{"page": "2"}`); `seconds` is
        the rate-limit reset or `Retry-After` the fault announces.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self.lock:
            self.faults.append(Fault(kind, method, path, times, dict(query or {}), seconds))

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """How many requests (of `method`, to exactly `path`) the server received."""
        with self.lock:
            return sum(
                1
                for r in self.requests
                if (path is None or r.path == path) and (method is None or r.method == method)
            )

    def answer(self, method: str, target: str, raw: bytes, headers: Mapping[str, str], host: str) -> Answer | None:
        """The answer to one request; `None` means hang up without answering."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        body = _parse_body(raw)
        with self.lock:
            self.requests.append(Request(method, parts.path, query, body, headers.get("Authorization")))
            fault = self._take_fault(method, parts.path, query)
        if fault is not None and fault.kind == "hang":
            self.stopping.wait(self.hang_seconds)
            return None
        if fault is not None and fault.kind != "truncated":
            return fault_answer(fault)
        with self.lock:
            answer = self._serve(method, parts.path, query, raw, body, headers, f"http://{host}")
        if fault is not None:  # truncated: the whole answer was made, only half of it arrives
            answer.body = answer.body[: len(answer.body) // 2]
        return answer

    def _take_fault(self, method: str, path: str, query: Mapping[str, str]) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path, query):
                fault.times -= 1
                return fault
        return None

    def _serve(
        self, method: str, path: str, query: dict[str, str], raw: bytes, body: Json, headers: Mapping[str, str], api: str
    ) -> Answer:
        if not headers.get("User-Agent"):
            return _error_answer(HttpError(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header"))
        found = _match(method, path)
        if found is None:
            self.errors.append(f"no route for {method} {path} (the client asked for an endpoint we do not serve)")
            return _error_answer(not_found())
        route, params = found
        try:
            self._check_request(route, raw, body)
            if params.get("owner", self.state.owner) != self.state.owner or params.get("repo", self.state.repo) != self.state.repo:
                raise not_found()
            reply = route.handler(Call(api, self.state, params, query, body))
        except HttpError as error:
            return _error_answer(error)
        payload, extra = reply.body, {}
        if reply.paginate:
            payload, extra = paginate(reply.body, query, api, path)
        self.errors.extend(schema_errors(route.endpoint, str(reply.status), payload))
        return _json_answer(reply.status, payload, {**_RATE_HEADERS, **extra})

    def _check_request(self, route: Route, raw: bytes, body: Json) -> None:
        if route.method not in ("POST", "PATCH"):
            return
        if body is _UNPARSABLE:
            self.errors.append(f"{route.endpoint}: request body is not JSON: {raw[:200]!r}")
            raise HttpError(400, "Problems parsing JSON")
        problems = schema_errors(route.endpoint, "request", body)
        if problems:
            self.errors.extend(problems)
            raise HttpError(422, "Invalid request.", [{"message": p} for p in problems])


_RATE_HEADERS = {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
    "X-GitHub-Media-Type": "github.v3; format=json",
}
_UNPARSABLE = object()


def _parse_body(raw: bytes) -> Json:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _UNPARSABLE


def _match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found is not None and route.method == method:
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def _error_answer(error: HttpError) -> Answer:
    return _json_answer(error.status, error.body, _RATE_HEADERS)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: GitHubServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the tests, not noise to print


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub
    timeout = 10  # idle keep-alive connections end, so no thread outlives a test for long
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        host = self.headers.get("Host") or "127.0.0.1"
        answer = self.server.app.answer(self.command, self.path, raw, self.headers, host)
        if answer is None:
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
