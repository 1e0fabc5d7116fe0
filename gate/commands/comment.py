"""`gate comment`: the one sticky scorecard comment on a pull request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gate.commands.check import CheckRequest, run_check
from gate.github.client import GitHubClient
from gate.model.scorecard import Verdict
from gate.report.scorecard import STICKY_MARKER, render


@dataclass(frozen=True)
class CommentPosted:
    """The pull request whose comment was written, and the verdict it shows."""

    pull_request: int
    decision: Verdict


def post_comment(
    client: GitHubClient, repo: Path, number: int, author: str, at: datetime | None = None
) -> CommentPosted:
    """Render the scorecard (as of `at`, default now) as Markdown into the PR's one sticky comment: the one
    `author` (the gate App's bot) wrote, never one someone else posted with the marker first."""
    card = run_check(CheckRequest(repo=repo, at=at))
    client.upsert_comment(number, STICKY_MARKER, render(card, "markdown"), author)
    return CommentPosted(number, card.decision)
