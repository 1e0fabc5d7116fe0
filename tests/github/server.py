"""A local HTTP server that answers as api.github.com does, for testing the real GitHub adapter.

Test support, not a test module. `GitHubServer` listens on 127.0.0.1 (a free port) and serves the
endpoints the gate uses from an in-memory `State` (`github_state.py`): pull requests, their files and
reviews, contents by ref, team members, commit-to-PR lookups, tags and refs, releases and issue
comments. It paginates as GitHub does (`per_page`, `page`, `Link` headers), answers 404/422 with
GitHub's error bodies, and logs every request so tests can count them.

It is also a contract check: every 2xx body it sends is validated against GitHub's own schema
(`tests/data/github-rest-subset.schema.json`, cut from GitHub's OpenAPI description) and every request
body the client sends against the endpoint's request schema. Violations land in `errors`; the
`github_server` fixture fails the test when any are left at teardown. A request for a route this
server does not know is an error too: the client must use only the endpoints we know GitHub has.

Faults (`inject`) turn the next answers of a path into a 500, a 502 HTML page, a hang, a primary rate
limit (403 with `x-ratelimit-remaining: 0`), a secondary one (429 with `Retry-After`), truncated JSON or
a 200 that is not JSON at all.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from jsonschema import Draft202012Validator, FormatChecker

from tests.github.payloads import (
    blob,
    blob_sha,
    branch,
    check_run,
    commit,
    content_directory,
    content_file,
    diff_entry,
    git_ref,
    git_tag,
    issue_comment,
    label,
    label_event,
    open_pull,
    pull_request,
    pull_request_simple,
    release,
    repository_full,
    review,
    team_member,
    tree,
)
from tests.github.state import GATE_APP, CheckRunRecord, CommentRecord, Identity, PullRecord, ReleaseRecord, State

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "github-rest-subset.schema.json"
DOCS = "https://docs.github.com/rest"

Json = Any
FaultKind = Literal["error500", "error502", "hang", "rate_limit", "retry_after", "truncated", "not_json"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "error500",  # 500 with GitHub's JSON error body
    "error502",  # 502 with an HTML page, as GitHub's edge sends
    "hang",  # no answer until the client gives up (server's hang_seconds)
    "rate_limit",  # 403, x-ratelimit-remaining: 0, x-ratelimit-reset in `seconds`
    "retry_after",  # 429 (secondary rate limit) with Retry-After: `seconds`
    "truncated",  # 200 with the first half of the real JSON body
    "not_json",  # 200 with an HTML page, as a proxy or captive portal sends
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
    who: Identity = GATE_APP
    token: str = ""  # the bearer credential as sent (a token, or an App's JWT)

    def need(self, permission: str, level: str = "read") -> None:
        """GitHub's 403 for a token whose App lacks `permission` at `level`."""
        have = self.who.permissions.get(permission)
        if have is None or (level == "write" and have != "write"):
            raise HttpError(403, "Resource not accessible by integration")

    def number(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise not_found()
        return int(value)

    def pull(self) -> PullRecord:
        pull = self.state.pulls.get(self.number("pull_number"))
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
    members = call.state.teams.get((call.params["org"].lower(), call.params["team_slug"].lower()))
    if members is None:
        raise not_found()
    return Reply(200, [team_member(call.api, login) for login in members], paginate=True)


def _list_commit_pulls(call: Call) -> Reply:
    state, sha = call.state, call.params["commit_sha"]
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
    tag = call.state.tags.get(call.params["tag_sha"])
    if tag is None:
        raise not_found()
    return Reply(200, git_tag(call.api, call.state, tag))


def _create_tag(call: Call) -> Reply:
    call.need("contents", "write")
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
    call.need("contents", "write")
    _check_tag_rules(call, full)
    state.refs[ref] = (sha, kind)
    return Reply(201, git_ref(call.api, state, ref, sha, kind))


def _create_release(call: Call) -> Reply:
    call.need("contents", "write")
    state, body = call.state, call.body
    tag = body["tag_name"]
    if any(r.tag_name == tag for r in state.releases):
        raise HttpError(
            422, "Validation Failed", [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]
        )
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
    number = call.number("issue_number")
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
    if "write" not in (call.who.permissions.get("issues"), call.who.permissions.get("pull_requests")):
        raise HttpError(403, "Resource not accessible by integration")
    comment = CommentRecord(state.next_id(), call.body["body"], call.who.login, call.who.user_type, moment, moment)
    comments.append(comment)
    return Reply(201, issue_comment(call.api, state, number, comment))


def _update_comment(call: Call) -> Reply:
    wanted = call.number("comment_id")
    for number, comments in call.state.comments.items():
        for comment in comments:
            if comment.id == wanted:
                if comment.user != call.who.login:  # GitHub: only the author (or a maintainer) edits
                    raise HttpError(403, "Resource not accessible by integration")
                comment.body = call.body["body"]
                comment.updated_at = call.state.tick()
                return Reply(200, issue_comment(call.api, call.state, number, comment))
    raise not_found()


def _check_tag_rules(call: Call, full: str) -> None:
    """An active tag ruleset restricting creation refuses everyone but its bypass actors (GH013)."""
    for ruleset in call.state.rulesets:
        if ruleset.get("target") != "tag" or ruleset.get("enforcement") != "active":
            continue
        include = ruleset.get("conditions", {}).get("ref_name", {}).get("include", [])
        if not any(fnmatch.fnmatchcase(full, pattern) for pattern in include):
            continue
        if not any(r["type"] == "creation" for r in ruleset.get("rules", [])):
            continue
        bypass = {b.get("actor_id") for b in ruleset.get("bypass_actors", []) if b.get("actor_type") == "Integration"}
        if call.who.app_id not in bypass:
            raise HttpError(
                422,
                "Repository rule violations found\n\nCannot create ref due to creations being restricted.\n\n",
                [{"resource": "Ref", "code": "custom", "field": "pre_receive"}],
            )


def _get_branch(call: Call) -> Reply:
    name = call.params["branch"]
    sha = call.state.branches.get(name)
    if sha is None:
        raise HttpError(404, "Branch not found")
    return Reply(200, branch(call.api, call.state, name, sha))


def _list_pull_commits(call: Call) -> Reply:
    pull = call.pull()
    return Reply(200, [commit(call.api, call.state, c.sha, c) for c in pull.commits], paginate=True)


def _list_issue_events(call: Call) -> Reply:
    pull = call.state.pulls.get(call.number("issue_number"))
    if pull is None:
        raise not_found()
    return Reply(200, [label_event(call.api, call.state, e) for e in pull.events], paginate=True)


def _list_pulls(call: Call) -> Reply:
    state, base = call.state, call.query.get("base")
    wanted = call.query.get("state", "open")
    pulls = [
        p
        for p in state.pulls.values()
        if (wanted == "all" or ("closed" if p.merged else p.state) == wanted) and (base is None or p.base_ref == base)
    ]
    return Reply(200, [open_pull(call.api, state, p) for p in pulls], paginate=True)


def _get_tree(call: Call) -> Reply:
    sha = call.params["tree_sha"]
    files = call.state.trees.get(sha)
    if files is None or sha not in call.state.commits:
        raise not_found()
    call.need("contents")
    return Reply(200, tree(call.api, call.state, sha, files))


def _get_blob(call: Call) -> Reply:
    wanted = call.params["file_sha"]
    for files in call.state.trees.values():
        for data in files.values():
            if blob_sha(data) == wanted:
                return Reply(200, blob(call.api, call.state, data))
    raise not_found()


def _create_check_run(call: Call) -> Reply:
    call.need("checks", "write")
    state, body = call.state, call.body
    if body["head_sha"] not in state.commits:
        raise HttpError(422, "No commit found for SHA: " + body["head_sha"])
    output = body.get("output") or {}
    record = CheckRunRecord(
        state.next_id(),
        body["name"],
        body["head_sha"],
        body.get("conclusion"),
        output.get("title", ""),
        output.get("summary", ""),
        call.who.app_id or 0,
        call.who.app_slug or "",
        state.tick(),
    )
    state.check_runs.append(record)
    return Reply(201, check_run(call.api, state, record, call.who))


def _list_labels(call: Call) -> Reply:
    return Reply(200, [label(call.api, call.state, n) for n in call.state.labels], paginate=True)


def _get_repository(call: Call) -> Reply:
    return Reply(200, repository_full(call.api, call.state))


def _get_codeowners_errors(call: Call) -> Reply:
    return Reply(200, {"errors": call.state.codeowners_errors})


def _list_rulesets(call: Call) -> Reply:
    summaries = [
        {k: v for k, v in r.items() if k not in ("rules", "conditions", "bypass_actors")} for r in call.state.rulesets
    ]
    return Reply(200, summaries, paginate=True)


def _get_ruleset(call: Call) -> Reply:
    found = next((r for r in call.state.rulesets if str(r["id"]) == call.params["ruleset_id"]), None)
    if found is None:
        raise not_found()
    return Reply(200, found)


def _get_branch_rules(call: Call) -> Reply:
    name = f"refs/heads/{call.params['branch']}"
    rules = []
    for ruleset in call.state.rulesets:
        include = ruleset.get("conditions", {}).get("ref_name", {}).get("include", [])
        targets = {"~DEFAULT_BRANCH": f"refs/heads/{call.state.default_branch}", "~ALL": name}
        matched = any(fnmatch.fnmatchcase(name, targets.get(p, p)) for p in include)
        if ruleset.get("target", "branch") == "branch" and ruleset.get("enforcement") == "active" and matched:
            rules += [
                {
                    **rule,
                    "ruleset_source_type": "Repository",
                    "ruleset_source": call.state.full_name,
                    "ruleset_id": ruleset["id"],
                }
                for rule in ruleset.get("rules", [])
            ]
    return Reply(200, rules, paginate=True)


def _get_protection(call: Call) -> Reply:
    found = call.state.protection.get(call.params["branch"])
    if found is None:
        raise HttpError(404, "Branch not protected")
    return Reply(200, found)


def _list_environments(call: Call) -> Reply:
    envs = [env for env, _ in call.state.environments]
    return Reply(200, {"total_count": len(envs), "environments": envs})


def _list_branch_policies(call: Call) -> Reply:
    name = call.params["environment_name"]
    found = next((p for env, p in call.state.environments if env["name"] == name), None)
    if found is None:
        raise not_found()
    return Reply(200, {"total_count": len(found), "branch_policies": found})


def _get_installation(call: Call) -> Reply:
    # GitHub answers this only to the App itself: a JWT signed with its private key, whose issuer is
    # the App installed here. A token (an installation's, a person's) gets 401.
    import jwt

    from tests.github.state import app_private_key

    public = serialization_public(app_private_key())
    try:
        claims = jwt.decode(call.token, public, algorithms=["RS256"], options={"verify_iss": False})
    except jwt.PyJWTError:
        raise HttpError(401, "A JSON web token could not be decoded") from None
    installed = call.state.installation
    if installed is None or str(claims.get("iss")) != str(installed["app_id"]):
        raise not_found()
    return Reply(200, installed)


@functools.cache
def serialization_public(private_pem: str) -> str:
    """The public half of a PEM private key, as PEM."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str  # the key of GitHub's schema bundle, which also spells the path
    handler: Handler


_WIDE = {"path": ".*", "ref": ".+", "tag": ".+"}  # parameters that may hold slashes


def _route(endpoint: str, handler: Handler) -> Route:
    """Route `endpoint` ("GET /repos/{owner}/...", as GitHub's description names it) to `handler`."""
    method, template = endpoint.split(" ", 1)
    pattern = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>{_WIDE.get(m[1], '[^/]+')})", template)
    return Route(method, re.compile(pattern), endpoint, handler)


ROUTES = (
    _route("GET /repos/{owner}/{repo}/pulls/{pull_number}", _get_pull),
    _route("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", _list_files),
    _route("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", _list_reviews),
    _route("GET /repos/{owner}/{repo}/contents/{path}", _get_contents),
    _route("GET /orgs/{org}/teams/{team_slug}/members", _list_members),
    _route("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", _list_commit_pulls),
    _route("GET /repos/{owner}/{repo}/git/ref/{ref}", _get_ref),
    _route("GET /repos/{owner}/{repo}/git/tags/{tag_sha}", _get_tag),
    _route("POST /repos/{owner}/{repo}/git/tags", _create_tag),
    _route("POST /repos/{owner}/{repo}/git/refs", _create_ref),
    _route("POST /repos/{owner}/{repo}/releases", _create_release),
    _route("GET /repos/{owner}/{repo}/releases/tags/{tag}", _get_release_by_tag),
    _route("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", _list_comments),
    _route("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", _create_comment),
    _route("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", _update_comment),
    _route("GET /repos/{owner}/{repo}", _get_repository),
    _route("GET /repos/{owner}/{repo}/branches/{branch}", _get_branch),
    _route("GET /repos/{owner}/{repo}/branches/{branch}/protection", _get_protection),
    _route("GET /repos/{owner}/{repo}/pulls", _list_pulls),
    _route("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", _list_pull_commits),
    _route("GET /repos/{owner}/{repo}/issues/{issue_number}/events", _list_issue_events),
    _route("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", _get_tree),
    _route("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", _get_blob),
    _route("POST /repos/{owner}/{repo}/check-runs", _create_check_run),
    _route("GET /repos/{owner}/{repo}/labels", _list_labels),
    _route("GET /repos/{owner}/{repo}/codeowners/errors", _get_codeowners_errors),
    _route("GET /repos/{owner}/{repo}/rulesets", _list_rulesets),
    _route("GET /repos/{owner}/{repo}/rulesets/{ruleset_id}", _get_ruleset),
    _route("GET /repos/{owner}/{repo}/rules/branches/{branch}", _get_branch_rules),
    _route("GET /repos/{owner}/{repo}/environments", _list_environments),
    _route(
        "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies", _list_branch_policies
    ),
    _route("GET /repos/{owner}/{repo}/installation", _get_installation),
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
    return Answer(
        status, json.dumps(payload).encode(), {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


def fault_answer(fault: Fault) -> Answer:
    """What GitHub (or the edge in front of it) sends for `fault` (all kinds but hang, truncated)."""
    reset = str(int(time.time()) + fault.seconds)
    if fault.kind == "error500":
        return _json_answer(500, {"message": "Server Error", "documentation_url": DOCS, "status": "500"})
    if fault.kind == "error502":
        page = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"
        return Answer(502, page, {"Content-Type": "text/html"})
    if fault.kind == "not_json":
        page = b"<html><body>Please sign in to the corporate proxy.</body></html>\n"
        return Answer(200, page, {"Content-Type": "text/html"})
    if fault.kind == "rate_limit":
        message = (
            "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support, include the request ID."
        )
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": reset,
        }
        return _json_answer(403, {"message": message, "documentation_url": DOCS, "status": "403"}, headers)
    if fault.kind == "retry_after":
        message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        return _json_answer(
            429, {"message": message, "documentation_url": DOCS, "status": "429"}, {"Retry-After": str(fault.seconds)}
        )
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
                1 for r in self.requests if (path is None or r.path == path) and (method is None or r.method == method)
            )

    def answer(self, method: str, target: str, raw: bytes, headers: Mapping[str, str], host: str) -> Answer | None:
        """The answer to one request; `None` means hang up without answering."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        body = _parse_body(raw)
        with self.lock:
            self.requests.append(Request(method, parts.path, query, body, headers.get("authorization")))
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
        self,
        method: str,
        path: str,
        query: dict[str, str],
        raw: bytes,
        body: Json,
        headers: Mapping[str, str],
        api: str,
    ) -> Answer:
        if not headers.get("user-agent"):
            return _error_answer(
                HttpError(
                    403,
                    "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
                )
            )
        found = _match(method, path)
        if found is None:
            self.errors.append(f"no route for {method} {path} (the client asked for an endpoint we do not serve)")
            return _error_answer(not_found())
        route, params = found
        try:
            self._check_request(route, raw, body)
            if (
                params.get("owner", self.state.owner) != self.state.owner
                or params.get("repo", self.state.repo) != self.state.repo
            ):
                raise not_found()
            bearer = (headers.get("authorization") or "").partition(" ")[2]
            reply = route.handler(Call(api, self.state, params, query, body, self._identity(headers), bearer))
        except HttpError as error:
            return _error_answer(error)
        payload, extra = reply.body, dict[str, str]()
        if reply.paginate:
            payload, extra = paginate(reply.body, query, api, path)
        self.errors.extend(schema_errors(route.endpoint, str(reply.status), payload))
        return _json_answer(reply.status, payload, {**_RATE_HEADERS, **extra})

    def _identity(self, headers: Mapping[str, str]) -> Identity:
        """Who the request's token speaks for (a token the state does not name: the gate's App)."""
        token = (headers.get("authorization") or "").partition(" ")[2]
        return self.state.tokens.get(token, self.state.default_identity)

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
        pass  # a client that timed out and hung up: part of the tests (server bugs land in `errors`)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub
    timeout = 10  # idle keep-alive connections end, so no thread outlives a test for long
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall
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
        headers = {name.lower(): value for name, value in self.headers.items()}
        app = self.server.app
        try:
            answer = app.answer(self.command, self.path, raw, headers, host)
        except Exception:  # a bug of this fake: fail the test, not just this request
            app.errors.append(f"fake GitHub crashed on {self.command} {self.path}:\n{traceback.format_exc()}")
            answer = _error_answer(HttpError(500, "Server Error"))
        if answer is None:
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
