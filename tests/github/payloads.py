"""GitHub's JSON objects, built from `github_state` records with every field GitHub's schema requires.

`api` is the base URL of the server answering (API URLs inside payloads must lead back to it:
PyGithub follows them, e.g. to edit a comment); web URLs point at github.com as GitHub's do.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.github.state import (
    EPOCH,
    CheckRunRecord,
    CommentRecord,
    CommitRecord,
    EventRecord,
    FileChange,
    Identity,
    PullRecord,
    ReleaseRecord,
    ReviewRecord,
    State,
    TagRecord,
    fake_sha,
)

Json = Any
WEB = "https://github.com"


def stamp(moment: datetime) -> str:
    """GitHub's timestamp format: UTC, seconds, "Z"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stable_id(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:7], 16)


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
_REPO_LINKS = [
    "contributors",
    "deployments",
    "downloads",
    "events",
    "forks",
    "hooks",
    "languages",
    "merges",
    "stargazers",
    "subscribers",
    "subscription",
    "tags",
    "teams",
]


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
        "created_at": stamp(EPOCH),
        "updated_at": stamp(EPOCH),
        "pushed_at": stamp(EPOCH),
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


def _head(api: str, state: State, pull: PullRecord) -> dict[str, Json]:
    head = _branch(api, state, pull.head_ref, pull.head_sha)
    if pull.head_repo:  # a fork: the same shape, another repository
        owner, name = pull.head_repo.split("/")
        head["repo"] = {**head["repo"], "full_name": pull.head_repo, "name": name, "fork": True}
        head["repo"]["owner"] = simple_user(api, owner)
        head["label"] = f"{owner}:{pull.head_ref}"
    return head


def pull_request_simple(api: str, state: State, pull: PullRecord) -> dict[str, Json]:
    """A `pull-request-simple` (as in lists); `pull_request` adds the detail fields."""
    repo_url = f"{api}/repos/{state.full_name}"
    links = _pull_links(api, state, pull)
    closed = stamp(pull.created_at + timedelta(hours=1)) if pull.merged else None
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
        "state": "closed" if pull.merged else pull.state,
        "locked": False,
        "title": f"Change #{pull.number}",
        "user": simple_user(api, pull.author, pull.author_type),
        "body": None,
        "labels": [_label(api, state, name) for name in pull.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": stamp(pull.created_at),
        "updated_at": stamp(pull.created_at),
        "closed_at": closed,
        "merged_at": closed,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _head(api, state, pull),
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
        "commits": len(pull.commits),
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
        payload["submitted_at"] = stamp(record.submitted_at)
    return payload


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


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
        "download_url": None
        if kind == "dir"
        else f"https://raw.githubusercontent.com/{state.full_name}/{ref}/{quoted}",
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
        "tagger": {"name": "GitHub Actions", "email": "actions@github.com", "date": stamp(EPOCH)},
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
        "created_at": stamp(record.created_at),
        "published_at": stamp(record.created_at),
        "updated_at": stamp(record.created_at),
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
        "created_at": stamp(comment.created_at),
        "updated_at": stamp(comment.updated_at),
        "author_association": "NONE",
        "performed_via_github_app": None,
        "reactions": {
            "url": f"{repo_url}/issues/comments/{comment.id}/reactions",
            "total_count": 0,
            **dict.fromkeys(("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0),
        },
    }


def _git_user(name: str, email: str) -> dict[str, Json]:
    return {"name": name, "email": email, "date": stamp(EPOCH)}


def commit(api: str, state: State, sha: str, record: CommitRecord | None = None) -> dict[str, Json]:
    """A `commit` (as /pulls/N/commits and /branches/{b} carry it); `author` null when no account is linked."""
    url = f"{api}/repos/{state.full_name}/commits/{sha}"
    record = record or CommitRecord(sha, "rm-rosa")
    user = simple_user(api, record.login) if record.login else None
    return {
        "url": url,
        "sha": sha,
        "node_id": _node("C", _stable_id(sha)),
        "html_url": f"{WEB}/{state.full_name}/commit/{sha}",
        "comments_url": f"{url}/comments",
        "commit": {
            "url": f"{api}/repos/{state.full_name}/git/commits/{sha}",
            "author": _git_user(record.name, record.email),
            "committer": _git_user(record.name, record.email),
            "message": record.message,
            "comment_count": 0,
            "tree": {
                "sha": fake_sha("tree", sha),
                "url": f"{api}/repos/{state.full_name}/git/trees/{fake_sha('tree', sha)}",
            },
        },
        "author": user,
        "committer": user,
        "parents": [],
    }


def branch(api: str, state: State, name: str, sha: str) -> dict[str, Json]:
    url = f"{api}/repos/{state.full_name}/branches/{quote(name, safe='')}"
    return {
        "name": name,
        "commit": commit(api, state, sha),
        "_links": {"html": f"{WEB}/{state.full_name}/tree/{name}", "self": url},
        "protected": name in state.protection,
        "protection": {"enabled": name in state.protection},
        "protection_url": f"{url}/protection",
    }


def label_event(api: str, state: State, record: EventRecord) -> dict[str, Json]:
    return {
        "id": record.id,
        "node_id": _node("LE", record.id),
        "url": f"{api}/repos/{state.full_name}/issues/events/{record.id}",
        "actor": simple_user(api, record.actor),
        "event": record.event,
        "commit_id": None,
        "commit_url": None,
        "created_at": stamp(record.created_at),
        "performed_via_github_app": None,
        "label": {"name": record.label, "color": "ededed"},
    }


def label(api: str, state: State, name: str) -> dict[str, Json]:
    return _label(api, state, name)


def tree(api: str, state: State, sha: str, files: Mapping[str, bytes]) -> dict[str, Json]:
    entries = [
        {
            "path": path,
            "mode": "100644",
            "type": "blob",
            "sha": _git_blob_sha(data),
            "size": len(data),
            "url": f"{api}/repos/{state.full_name}/git/blobs/{_git_blob_sha(data)}",
        }
        for path, data in sorted(files.items())
    ]
    return {"sha": sha, "url": f"{api}/repos/{state.full_name}/git/trees/{sha}", "tree": entries, "truncated": False}


def blob(api: str, state: State, data: bytes) -> dict[str, Json]:
    sha = _git_blob_sha(data)
    return {
        "sha": sha,
        "node_id": _node("B", _stable_id(sha)),
        "url": f"{api}/repos/{state.full_name}/git/blobs/{sha}",
        "size": len(data),
        "content": base64.b64encode(data).decode(),
        "encoding": "base64",
    }


def blob_sha(data: bytes) -> str:
    return _git_blob_sha(data)


def integration(api: str, state: State, who: Identity) -> dict[str, Json]:
    app_id = who.app_id or 0
    return {
        "id": app_id,
        "slug": who.app_slug,
        "node_id": _node("A", app_id),
        "owner": simple_user(api, state.owner, "Organization"),
        "name": who.app_slug or "app",
        "description": None,
        "external_url": f"{WEB}/apps/{who.app_slug}",
        "html_url": f"{WEB}/apps/{who.app_slug}",
        "created_at": stamp(EPOCH),
        "updated_at": stamp(EPOCH),
        "permissions": dict(who.permissions),
        "events": [],
    }


def check_run(api: str, state: State, record: CheckRunRecord, who: Identity) -> dict[str, Json]:
    url = f"{api}/repos/{state.full_name}/check-runs/{record.id}"
    return {
        "id": record.id,
        "node_id": _node("CR", record.id),
        "head_sha": record.head_sha,
        "name": record.name,
        "url": url,
        "html_url": f"{WEB}/{state.full_name}/runs/{record.id}",
        "details_url": None,
        "external_id": None,
        "status": "completed",
        "conclusion": record.conclusion,
        "started_at": stamp(record.created_at),
        "completed_at": stamp(record.created_at),
        "check_suite": {"id": _stable_id(f"suite:{record.head_sha}:{record.app_id}")},
        "output": {
            "title": record.title,
            "summary": record.summary,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{url}/annotations",
        },
        "app": integration(api, state, who),
        "pull_requests": [],
    }


def open_pull(api: str, state: State, pull: PullRecord) -> dict[str, Json]:
    return pull_request_simple(api, state, pull)


def repository_full(api: str, state: State) -> dict[str, Json]:
    """A `full-repository`, as GET /repos/{owner}/{repo} answers."""
    return {
        **repository(api, state),
        "network_count": 0,
        "subscribers_count": 1,
        "topics": [],
        "is_template": False,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "has_discussions": False,
    }


def environment(api: str, state: State, name: str, branches: list[str] | None) -> dict[str, Json]:
    """An environment; `branches` None: deployable from any branch, else a custom policy of these names."""
    eid = _stable_id(f"env:{name}")
    url = f"{api}/repos/{state.full_name}/environments/{quote(name)}"
    env: dict[str, Json] = {
        "id": eid,
        "node_id": _node("EN", eid),
        "name": name,
        "url": url,
        "html_url": f"{WEB}/{state.full_name}/deployments/activity_log?environments_filter={quote(name)}",
        "created_at": stamp(EPOCH),
        "updated_at": stamp(EPOCH),
        "protection_rules": [],
        "deployment_branch_policy": None
        if branches is None
        else {"protected_branches": False, "custom_branch_policies": True},
    }
    if branches is not None:
        env["protection_rules"] = [{"id": eid + 1, "node_id": _node("GA", eid + 1), "type": "branch_policy"}]
    return env


def branch_policy(name: str) -> dict[str, Json]:
    pid = _stable_id(f"policy:{name}")
    return {"id": pid, "node_id": _node("DBP", pid), "name": name, "type": "branch"}


def installation(api: str, state: State, who: Identity) -> dict[str, Json]:
    iid = _stable_id(f"installation:{who.app_slug}")
    return {
        "id": iid,
        "app_id": who.app_id,
        "app_slug": who.app_slug,
        "client_id": f"Iv1.{iid}",
        "target_id": _stable_id(state.owner),
        "target_type": "Organization",
        "single_file_name": None,
        "repository_selection": "selected",
        "access_tokens_url": f"{api}/app/installations/{iid}/access_tokens",
        "html_url": f"{WEB}/organizations/{state.owner}/settings/installations/{iid}",
        "repositories_url": f"{api}/installation/repositories",
        "events": ["pull_request", "pull_request_review"],
        "account": simple_user(api, state.owner, "Organization"),
        "permissions": dict(who.permissions),
        "created_at": stamp(EPOCH),
        "updated_at": stamp(EPOCH),
        "suspended_by": None,
        "suspended_at": None,
    }


def ruleset(state: State, document: Mapping[str, Json], ruleset_id: int, app_id: int) -> dict[str, Json]:
    """A ruleset as GitHub answers it, from an importable document (`docs/ruleset*.json`)."""
    # The docs' placeholder App ids: 1000000 the gate App, 2000000 the release App.
    text = json.dumps(document).replace("1000000", str(app_id)).replace("2000000", str(app_id))
    return {**json.loads(text), "id": ruleset_id, "source_type": "Repository", "source": state.full_name}
