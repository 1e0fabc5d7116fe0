"""Fixtures for the GitHub adapter: a local api.github.com and a `PyGithubClient` pointed at it.

- `github_server`: a started `GitHubServer` (see `server.py`) with an empty `State` (repo
  `acme/launch`); fill `github_server.state` with its `add_*` helpers. At teardown the test fails if
  the server saw a response or request body that breaks GitHub's schema, or an unknown endpoint.
- `make_client(**overrides)`: a `PyGithubClient` on that server (token, 0.5 s timeout, 3 retries,
  and a `sleep` that records instead of waiting: see `sleeps`).
- `github_client`: `make_client()` with the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gate.github.client import PyGithubClient
from tests.github.server import GitHubServer

TOKEN = "ghs_testtoken"


@pytest.fixture
def github_server() -> Iterator[Any]:
    with GitHubServer() as server:
        yield server
    assert not server.errors, "the fake GitHub recorded errors (schema, route, crash):\n" + "\n".join(server.errors)


@pytest.fixture
def sleeps() -> list[float]:
    """The pauses the client asked for, in order (nothing really waits)."""
    return []


@pytest.fixture
def make_client(github_server: Any, sleeps: list[float]) -> Iterator[Callable[..., PyGithubClient]]:
    clients: list[PyGithubClient] = []

    def make(**overrides: Any) -> PyGithubClient:
        options: dict[str, Any] = {
            "repo": github_server.state.full_name,
            "token": TOKEN,
            "base_url": github_server.url,
            "timeout": 0.5,
            "retries": 3,
            "sleep": sleeps.append,
            **overrides,
        }
        clients.append(PyGithubClient(**options))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def github_client(make_client: Callable[..., PyGithubClient]) -> PyGithubClient:
    return make_client()
