"""`gate github doctor` against the local api.github.com: a repository set up as docs/ says is clean, and
every protection taken away is reported (exit 1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gate.commands.doctor import doctor
from gate.github.doctor import Diagnosis, Expected
from tests.github import payloads
from tests.github.state import ACTIONS, GATE_APP, RELEASE_APP, State, app_private_key
from tests.helpers import ROOT

RULESET = json.loads((ROOT / "docs" / "ruleset.json").read_text())
TAGS = json.loads((ROOT / "docs" / "ruleset-tags.json").read_text())
APP = GATE_APP.app_id or 0
EXPECTED = Expected(labels=("security-hotfix", "critical-fix"), release_app_id=RELEASE_APP.app_id)


def set_up(state: State, api: str) -> None:
    """The repository as docs/github-setup.md and docs/security.md say to set it up."""
    state.rulesets = [
        payloads.ruleset(state, RULESET, 1, APP),
        payloads.ruleset(state, TAGS, 2, RELEASE_APP.app_id or 0),
    ]
    state.environments = [
        (payloads.environment(api, state, name, ["main"]), [payloads.branch_policy("main")])
        for name in ("gate", "release")
    ]
    state.labels = ["security-hotfix", "critical-fix"]
    state.installation = payloads.installation(api, state, GATE_APP)


@pytest.fixture
def github_client(make_client: Any) -> Any:
    """The doctor as documented: the token for the settings, the App's own key for its installation."""
    return make_client(app=(APP, app_private_key()))


@pytest.fixture
def repo(github_server: Any) -> State:
    state: State = github_server.state
    set_up(state, github_server.url)
    return state


def findings(client: Any, expected: Expected = EXPECTED) -> list[str]:
    result: Diagnosis = doctor(client, expected)
    return [str(f) for f in result.findings]


def test_a_repository_set_up_as_documented_is_clean(repo, github_client):
    assert doctor(github_client, EXPECTED).findings == ()


def test_an_empty_repository_lists_every_missing_protection(github_server, github_client):
    got = findings(github_client)
    for expected in (
        "main: the check 'gate check' is not required",
        "main: the check 'gate approvals' is not required",
        "main: pull requests are not required",
        "tags: no active tag ruleset covers refs/tags/mainnet-*",
        "environment gate: does not exist",
        "environment release: does not exist",
        "labels: the label 'security-hotfix' does not exist",
        "read: could not read the App installation",
    ):
        assert any(line.startswith(expected) for line in got), (expected, got)


def edit_rule(state: State, kind: str, **parameters: Any) -> None:
    rule = next(r for r in state.rulesets[0]["rules"] if r["type"] == kind)
    rule["parameters"].update(parameters)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda s: edit_rule(
                s,
                "required_status_checks",
                required_status_checks=[{"context": "gate check"}, {"context": "gate approvals"}],
            ),
            "main: the check 'gate check' is required from any source, not from the gate App (424242)",
        ),
        (
            lambda s: edit_rule(
                s,
                "required_status_checks",
                required_status_checks=[
                    {"context": "gate check", "integration_id": ACTIONS.app_id},
                    {"context": "gate approvals", "integration_id": APP},
                ],
            ),
            "main: the check 'gate check' is required from 15368, not from the gate App",
        ),
        (
            lambda s: edit_rule(s, "pull_request", require_code_owner_review=False),
            "main: code-owner review is not required",
        ),
        (
            lambda s: edit_rule(s, "pull_request", dismiss_stale_reviews_on_push=False),
            "main: stale approvals are not dismissed",
        ),
        (
            lambda s: s.rulesets[0]["bypass_actors"].append(
                {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}
            ),
            "main: ruleset 'gate: main' lets RepositoryRole 5 bypass it",
        ),
        (
            lambda s: s.rulesets[1]["bypass_actors"].append(
                {"actor_id": 15368, "actor_type": "Integration", "bypass_mode": "always"}
            ),
            "tags: ruleset 'gate: mainnet tags' lets Integration 15368 create refs/tags/mainnet-*, not only",
        ),
        (
            lambda s: s.environments[0][1].append(payloads.branch_policy("release/*")),
            "environment gate: is not restricted to the branch main alone",
        ),
        (
            lambda s: s.rulesets[0]["rules"].remove(
                next(r for r in s.rulesets[0]["rules"] if r["type"] == "merge_queue")
            ),
            "main: no merge queue: a verdict given earlier (before the freeze began",
        ),
        (
            lambda s: s.rulesets[1]["conditions"]["ref_name"].update(exclude=["refs/tags/mainnet-v1*"]),
            "tags: no active tag ruleset covers refs/tags/mainnet-*",
        ),
        (
            lambda s: s.rulesets[0].pop("bypass_actors"),
            "main: ruleset 'gate: main': who may bypass it cannot be read with this token",
        ),
        (
            lambda s: s.rulesets[1].pop("bypass_actors"),
            "tags: ruleset 'gate: mainnet tags': who may bypass it cannot be read with this token",
        ),
        (lambda s: s.labels.remove("critical-fix"), "labels: the label 'critical-fix' does not exist"),
        (
            lambda s: s.codeowners_errors.append(
                {
                    "line": 3,
                    "column": 1,
                    "kind": "Invalid owner",
                    "source": "* @ghost",
                    "suggestion": None,
                    "message": "Unknown owner on line 3",
                    "path": ".github/CODEOWNERS",
                }
            ),
            "CODEOWNERS: .github/CODEOWNERS:3:1: GitHub says Invalid owner: Unknown owner on line 3",
        ),
    ],
    ids=[
        "any-source",
        "actions-source",
        "code-owners",
        "stale",
        "bypass",
        "tag-bypass",
        "env-branches",
        "merge-queue",
        "tag-exclude",
        "bypass-unreadable",
        "tag-bypass-unreadable",
        "label",
        "codeowners",
    ],
)
def test_each_missing_protection_is_reported(repo, github_client, change, says):
    change(repo)
    got = findings(github_client)
    assert any(line.startswith(says) for line in got), got
    assert doctor(github_client, EXPECTED).findings


def test_an_app_with_more_than_it_needs_is_reported(github_server, repo, github_client):
    from dataclasses import replace

    greedy = replace(GATE_APP, permissions={**GATE_APP.permissions, "contents": "write", "workflows": "write"})
    repo.installation = payloads.installation(github_server.url, repo, greedy)
    got = findings(github_client)
    assert "App: gate-app has contents: write, which the judge never needs" in got
    assert "App: gate-app has workflows: write, which the judge never needs" in got


def test_a_setting_that_cannot_be_read_is_a_finding(repo, github_client, github_server):
    github_server.inject("/repos/acme/launch/rulesets", "error500", times=10)
    got = findings(github_client)
    assert any(line.startswith("read: could not read the rulesets") for line in got)


@pytest.mark.parametrize("set_up_first", [True, False])
def test_the_command_exits_1_while_a_protection_is_missing(
    run_gate, github_server, monkeypatch, set_up_first, tmp_path
):
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GATE_GITHUB_TOKEN", "ghs_testtoken")
    if set_up_first:
        set_up(github_server.state, github_server.url)
    key = tmp_path / "gate-app.pem"
    key.write_text(app_private_key())
    args = ["github", "doctor", "--github", "acme/launch", "--release-app-id", str(RELEASE_APP.app_id)]
    args += ["--app-id", str(APP), "--app-key", str(key)]

    code, out, _ = run_gate(*args)

    assert code == (0 if set_up_first else 1), out
    assert out.endswith("every protection is in place\n" if set_up_first else "missing protection(s)\n")
    code, out, _ = run_gate(*args, "--format", "json")
    assert json.loads(out)["findings"] == [] if set_up_first else json.loads(out)["findings"]


def test_the_installation_is_read_only_as_the_app_itself(repo, make_client):
    """GitHub shows an installation's permissions to the App's JWT alone: with only a token the doctor
    says it could not read them (and how to), never that they are fine."""
    got = findings(make_client())
    [unread] = [line for line in got if line.startswith("read: could not read the App installation")]
    assert "--app-id with --app-key" in unread
    assert "401" in unread
    assert "main: the check 'gate check' cannot be matched to the gate App: which App is the gate's" in " ".join(got)
    assert findings(make_client(app=(APP, app_private_key()))) == []


def test_another_apps_key_does_not_read_this_installation(repo, make_client):
    other = (RELEASE_APP.app_id or 0, app_private_key())  # signs well, but is not the App installed here
    got = findings(make_client(app=other))
    assert any(line.startswith("read: could not read the App installation") for line in got), got


def test_a_key_that_cannot_sign_is_a_usage_error(tmp_path, run_gate):
    bad = tmp_path / "key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    code, _, err = run_gate("github", "doctor", "--github", "acme/launch", "--app-id", "7", "--app-key", bad)
    assert code == 2
    assert "the App's private key cannot sign a token" in err
    code, _, err = run_gate("github", "doctor", "--github", "acme/launch", "--app-key", bad)
    assert code == 2
    assert "give its --app-id too" in err
    code, _, err = run_gate("github", "doctor", "--github", "acme/launch", "--app-id", "7", "--app-key", tmp_path)
    assert code == 2
