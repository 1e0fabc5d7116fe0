"""`gate github doctor`: read a repository's live settings and list every protection the gate needs that is missing.

Each setting is read on its own; one that cannot be read (no permission, an outage) is itself a
finding: a protection nobody could see is never taken to be in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from gate.github.client import GitHubError, SettingsClient
from gate.github.doctor import Diagnosis, Expected, Facts, diagnose

T = TypeVar("T")


def doctor(client: SettingsClient, expected: Expected) -> Diagnosis:
    """Read every setting through `client` and diagnose it against `expected`."""
    unreadable: list[str] = []

    def read(what: str, action: Callable[[], T], default: T) -> T:
        try:
            return action()
        except GitHubError as error:
            unreadable.append(f"{what} ({error})")
            return default

    branch = expected.branch
    facts = Facts(
        rules=tuple(read(f"the rules of {branch}", lambda: client.branch_rules(branch), [])),
        rulesets=tuple(read("the rulesets", client.rulesets, [])),
        protection=read(f"the protection of {branch}", lambda: client.branch_protection(branch), None),
        environments=tuple(read("the environments", client.environments, [])),
        labels=read("the labels", client.labels, frozenset()),
        installation=read(
            "the App installation (GitHub shows it only to the App itself: --app-id with --app-key)",
            client.installation,
            None,
        ),
        codeowners_errors=tuple(read("GitHub's CODEOWNERS errors", lambda: client.codeowners_errors(branch), [])),
        unreadable=(),
    )
    return diagnose(replace(facts, unreadable=tuple(unreadable)), expected)
