"""What a workflow run is about, read from the webhook payload at `$GITHUB_EVENT_PATH`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gate.errors import UsageError


def _payload(path: str | None = None) -> dict[str, Any]:
    where = path or os.environ.get("GITHUB_EVENT_PATH")
    if not where:
        raise UsageError("no pull request given (--pr) and no $GITHUB_EVENT_PATH to read it from")
    try:
        data = json.loads(Path(where).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the event payload {where}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"the event payload {where} is not a JSON object")
    return data


def pull_request_number(path: str | None = None) -> int:
    """The PR of a `pull_request` or `pull_request_review` event (reviews re-run the approvals check)."""
    pr = _payload(path).get("pull_request")
    number = pr.get("number") if isinstance(pr, dict) else None
    if not isinstance(number, int):
        raise UsageError("the event payload names no pull request (expected a pull_request event)")
    return number


def pushed_commit(path: str | None = None) -> str:
    """The commit a `push` event moved the branch to (`after`)."""
    sha = _payload(path).get("after")
    if not isinstance(sha, str) or len(sha) != 40:
        raise UsageError("the event payload has no pushed commit (expected a push event)")
    if set(sha) == {"0"}:
        raise UsageError("the push deleted the branch: there is no commit to release")
    return sha


def repository(path: str | None = None) -> str:
    """`owner/name`: $GITHUB_REPOSITORY, else the payload's repository.full_name."""
    named = os.environ.get("GITHUB_REPOSITORY")
    if named:
        return named
    repo = _payload(path).get("repository")
    full = repo.get("full_name") if isinstance(repo, dict) else None
    if not isinstance(full, str):
        raise UsageError("no repository given (--github OWNER/NAME) and none in the environment")
    return full
