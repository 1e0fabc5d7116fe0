"""Fixtures for the GitHub adapter: a local api.github.com and a `PyGithubClient` pointed at it.

- `github_server`: a started `GitHubServer` (see `server.py`) with an empty `State` (repo
  `acme/launch`); fill `github_server.state` with its `add_*` helpers. At teardown the test fails if
  the server saw a response or request body that breaks GitHub's schema, or an unknown endpoint.
- `make_client(**overrides)`: a `PyGithubClient` on that server (token, 0.5 s timeout, 3 retries,
  and a `sleep` that records instead of waiting: see `sleeps`).
- `github_client`: `make_client()` with the defaults.

This directory has no `__init__.py`: it is put on `sys.path`, so tests import the helpers
`github_state` (`State`, `FileChange`, ...) and `github_payloads` by name, and `server.py` is loaded
as `gate_tests_github_server`, since a bare `server` module could be another test directory's.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gate.github.client import PyGithubClient

SERVER_MODULE = "gate_tests_github_server"
TOKEN = "ghs_testtoken"


def _load_server_module() -> ModuleType:
    here = str(Path(__file__).parent)
    if here not in sys.path:  # pytest's default import mode adds it too; its importlib mode does not
        sys.path.insert(0, here)
    if SERVER_MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(SERVER_MODULE, Path(__file__).with_name("server.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[SERVER_MODULE] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules[SERVER_MODULE]


github_api = _load_server_module()


@pytest.fixture
def github_server() -> Iterator[Any]:
    with github_api.GitHubServer() as server:
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
