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


def event_name() -> str:
    """`$GITHUB_EVENT_NAME`, the trigger of the workflow run."""
    name = os.environ.get("GITHUB_EVENT_NAME")
    if not name:
        raise UsageError("no event to judge: give --pr, --head-sha or --scheduled, or run in a workflow")
    return name


def judge_target(name: str, path: str | None = None) -> dict[str, Any]:
    """What `gate github judge` judges for workflow event `name` (the payload at $GITHUB_EVENT_PATH).

    Only GitHub's own fields are read, and each is re-read through the API by the judge: the PR number
    of `pull_request_target`, the head commit and branch of the run a `workflow_run` relays (never a
    number: a relayed run's pull requests list is empty for forks and names nothing we trust), and the
    number a person gave `workflow_dispatch` (none: every open PR, as the schedule does).
    """
    if name == "pull_request_target":
        return {"numbers": (pull_request_number(path),)}
    if name == "schedule":
        return {"scheduled": True}
    payload = _payload(path)
    if name == "workflow_dispatch":
        given = (payload.get("inputs") or {}).get("pr") if isinstance(payload.get("inputs"), dict) else None
        text = str(given or "").strip()
        if not text:
            return {"scheduled": True, "force": True}
        if not text.isdigit():
            raise UsageError(f"the pull request to judge must be a number, not {text[:40]!r}")
        return {"numbers": (int(text),)}
    if name == "workflow_run":
        run = payload.get("workflow_run")
        if not isinstance(run, dict) or not isinstance(run.get("head_sha"), str):
            raise UsageError("the workflow_run payload names no head commit")
        if run.get("event") == "merge_group":
            return {"head_sha": run["head_sha"], "head_branch": str(run.get("head_branch") or "")}
        return {"head_sha": run["head_sha"]}
    raise UsageError(f"gate github judge does not run on {name!r} events (only privileged, protected-branch ones)")
