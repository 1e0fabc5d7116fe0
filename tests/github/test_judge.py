"""`gate github judge` against the local api.github.com: the verdicts GitHub's rulesets require.

The protected branch `main` carries the GO example's checklist (with its roster) and this repository's
CODEOWNERS; a pull request's head carries a launch tree, read by the judge through the API as data.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gate.errors import UsageError
from gate.github.client import PyGithubClient
from gate.github.judge import APPROVALS, CHECK, JudgeRequest, JudgeResult, judge
from gate.model.base import parse_time
from tests.github.state import ACTIONS, FORK, GATE_APP, PullRecord, State, fake_sha
from tests.helpers import AT, DATA, EXAMPLE, EXAMPLES, GO_DECISION, ROOT, iso

LEADS = ["sec-lead-ana", "comp-lead-ben", "ops-lead-chen", "fin-lead-dora", "prod-lead-eli"]
CHECKLIST = (EXAMPLES / "go" / "checklist.yaml").read_text()
ROSTERED = '  "@virtengine/release-managers":\n    - rm-rosa\n'
MANAGER = '  release-manager: {title: Release Manager, team: "@virtengine/release-managers"}\n'
# A team only CODEOWNERS names gets its roster through a role that names it.
RULES = CHECKLIST.replace(ROSTERED, ROSTERED + '  "@virtengine/tools":\n    - tool-dev-tim\n').replace(
    MANAGER, MANAGER + '  tools-developer: {title: Tools Developer, team: "@virtengine/tools"}\n'
)
assert RULES != CHECKLIST
CODEOWNERS = (ROOT / ".github" / "CODEOWNERS").read_text() + "/chain/ @virtengine/tools\n"
START, END = EXAMPLE.freeze
FREEZE = f"{START:%Y-%m-%d %H:%M}–{END:%Y-%m-%d %H:%M} UTC"
BEFORE_FREEZE = iso(START - timedelta(hours=12))


def put_tree(state: State, sha: str, folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            state.add_file(sha, path.relative_to(folder).as_posix(), path.read_bytes())


@pytest.fixture
def state(github_server: Any) -> State:
    state: State = github_server.state
    state.add_file(state.default_head, "checklist.yaml", RULES)
    state.add_file(state.default_head, ".github/CODEOWNERS", CODEOWNERS)
    return state


def decision_pr(state: State, number: int = 30, approvers: list[str] = LEADS, **extra: Any) -> PullRecord:
    """The GO decision's pull request: its head is the GO example, approved by each lead."""
    pull = state.add_pull(number, author="rm-rosa", files=[GO_DECISION], **extra)
    put_tree(state, pull.head_sha, EXAMPLES / "go")
    for login in approvers:
        state.add_review(number, login)
    return pull


def run(client: PyGithubClient, at: str = AT, **request: Any) -> JudgeResult:
    return judge(client, JudgeRequest(branch="main", at=parse_time(at), membership="roster", **request))


def posted(state: State, sha: str) -> dict[str, tuple[str | None, int]]:
    """name -> (conclusion, app id) of the latest check run of each name on `sha`."""
    return {r.name: (r.conclusion, r.app_id) for r in state.check_runs if r.head_sha == sha}


def test_both_verdicts_are_posted_by_the_app_on_the_head_it_judged(state, github_client):
    pull = decision_pr(state)

    result = run(github_client, numbers=(30,))

    app = GATE_APP.app_id
    assert posted(state, pull.head_sha) == {CHECK: ("success", app), APPROVALS: ("success", app)}
    [verdict] = result.verdicts
    assert (verdict.sha, verdict.posted) == (pull.head_sha, True)


def test_a_missing_approval_is_a_failing_verdict_that_says_why(state, github_client):
    pull = decision_pr(state, approvers=LEADS[:-1])

    [verdict] = run(github_client, numbers=(30,)).verdicts

    assert posted(state, pull.head_sha)[APPROVALS] == ("failure", GATE_APP.app_id)
    assert "area product-release: needs a decision-quorum approval" in verdict.approvals.summary


def test_a_pull_request_into_another_branch_is_refused_on_both_checks(state, github_client):
    """H1: green against branch `x` (its own looser rules), then retargeted: never green from the App."""
    pull = decision_pr(state, base_ref="x")

    [verdict] = run(github_client, numbers=(30,)).verdicts

    assert posted(state, pull.head_sha) == {CHECK: ("failure", 424242), APPROVALS: ("failure", 424242)}
    assert "not the protected branch 'main'" in verdict.check.summary
    assert "not the protected branch 'main'" in verdict.approvals.summary


EXECUTED = "gate-pr-code-ran"


def test_nothing_from_the_pull_request_is_run(state, github_client, tmp_path, monkeypatch):
    """H2: a PR shipping `pip/`, `sitecustomize.py`, a `gate/` of its own and tampered evidence.

    Its files are read as data through the API; had any of them been imported, the marker would exist,
    and the tampered evidence would have been reported GO."""
    marker = tmp_path / EXECUTED
    monkeypatch.chdir(tmp_path)
    pull = decision_pr(state)
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    for path in (
        "pip/__init__.py",
        "pip.py",
        "sitecustomize.py",
        "gate/__init__.py",
        "gate/__main__.py",
        "conftest.py",
    ):
        state.add_file(pull.head_sha, path, payload + "print('gate: GO')\n")
    state.add_file(pull.head_sha, "evidence/security/vuln-scan.txt", "tampered\n")

    [verdict] = run(github_client, numbers=(30,)).verdicts

    assert not marker.exists()
    assert verdict.check.conclusion == "failure"
    assert "evidence/security/vuln-scan.txt" in verdict.check.summary


@pytest.mark.parametrize(
    ("at", "due"),
    [
        (iso(START - timedelta(hours=1)), False),
        (iso(START - timedelta(minutes=10)), True),
        (iso(START), True),
        (iso(START + timedelta(days=1, hours=12)), True),
    ],
    ids=["an-hour-before", "ten-minutes-before", "at-the-start", "during"],
)
def test_the_clock_re_judges_open_pull_requests_at_the_freeze(state, github_client, at, due):
    """H4: approved before the freeze, the PR turns red when the freeze starts, by the schedule alone."""
    pull = state.add_pull(50, author="dev-dan", files=["chain/app.go"])
    put_tree(state, pull.head_sha, EXAMPLES / "go")
    state.add_review(50, "tool-dev-tim")
    assert posted(state, pull.head_sha) == {}
    [green] = run(github_client, at=BEFORE_FREEZE, numbers=(50,)).verdicts
    assert green.approvals.conclusion == "success"

    result = run(github_client, at=at, scheduled=True)

    if not due:
        assert result.verdicts == ()
        assert result.skipped == ("nothing is due: no freeze in force and no freeze or window boundary near",)
    else:
        [red] = result.verdicts
        assert red.approvals.conclusion == "failure"
        assert f"the freeze ({FREEZE}) is in force" in red.approvals.summary
        assert [r.conclusion for r in state.check_runs if r.name == APPROVALS] == ["success", "failure"]


def test_a_relayed_review_is_judged_by_head_commit_never_by_a_number(state, github_client):
    """The relay carries nothing trusted: every open PR with that head is re-read and judged, and a PR
    from a fork (which could never pass before: no secrets there) passes like any other."""
    fork = decision_pr(state, 31, head_repo="contributor/launch")
    other = decision_pr(state, 32, head_sha=fake_sha("another head"))

    result = run(github_client, head_sha=fork.head_sha)

    assert [v.number for v in result.verdicts] == [31]
    assert posted(state, fork.head_sha) == {CHECK: ("success", 424242), APPROVALS: ("success", 424242)}
    assert posted(state, other.head_sha) == {}


@pytest.mark.parametrize("bad", ["30", "A" * 40, "../../etc", "a" * 39])
def test_a_relayed_head_must_be_a_commit_id(state, github_client, bad):
    with pytest.raises(UsageError, match="is not a commit id"):
        run(github_client, head_sha=bad)


def test_a_merge_group_gets_both_verdicts_on_its_own_commit(state, github_client):
    """M: the queue's commit (PR plus main) is judged with gate check; the PR's approvals as of now."""
    decision_pr(state)
    group = state.add_commit(fake_sha("merge group"))
    put_tree(state, group, EXAMPLES / "go")

    [verdict] = run(
        github_client, head_sha=group, head_branch=f"refs/heads/gh-readonly-queue/main/pr-30-{'b' * 40}"
    ).verdicts

    assert (verdict.number, verdict.sha) == (30, group)
    assert posted(state, group) == {CHECK: ("success", 424242), APPROVALS: ("success", 424242)}


def test_a_branch_that_is_no_merge_group_is_refused(state, github_client):
    with pytest.raises(UsageError, match="is not a merge group of main"):
        run(github_client, head_sha="a" * 40, head_branch="gh-readonly-queue/x/pr-30-" + "b" * 40)


def test_the_sticky_comment_is_the_apps_own(state, github_client):
    """M: a comment carrying the marker, posted first by someone else, is left alone."""
    decision_pr(state)
    state.add_comment(30, "<!-- gate:scorecard -->\n✅ GO (trust me)", user="mallory")

    run(github_client, numbers=(30,), comment_as=GATE_APP.login)

    authors = [(c.user, c.body.splitlines()[0]) for c in state.comments[30]]
    assert authors == [("mallory", "<!-- gate:scorecard -->"), ("gate-app[bot]", "<!-- gate:scorecard -->")]
    assert "✅ GO (trust me)" in state.comments[30][0].body
    ours = state.comments[30][1].body
    # Written for review: what the decision PR changes, and every area it needs, with its digest now.
    assert "### What this pull request changes" in ours
    assert f"| `{GO_DECISION}` | decision |" in ours
    assert ours.count("| approved, fresh | `") == 5


@pytest.mark.parametrize(("who", "refused"), [(ACTIONS, False), (FORK, True)])
def test_who_a_token_speaks_for_decides_the_check_runs_source(state, make_client, who, refused):
    """H1/H3: a job with GITHUB_TOKEN can post a check run named `gate approvals`, but it comes from the
    GitHub Actions app (15368), not the gate App the ruleset requires; a fork's token cannot post at all."""
    state.tokens["ghs_workflow"] = who
    pull = decision_pr(state, approvers=[])

    if refused:
        with pytest.raises(Exception, match="Resource not accessible by integration"):
            run(make_client(token="ghs_workflow"), numbers=(30,))
    else:
        run(make_client(token="ghs_workflow"), numbers=(30,))
        assert posted(state, pull.head_sha)[APPROVALS] == ("failure", 15368)


def test_a_closed_pull_request_is_not_judged(state, github_client):
    decision_pr(state).state = "closed"
    result = run(github_client, numbers=(30,))
    assert (result.verdicts, result.skipped) == ((), ("#30 is closed: nothing to judge",))


def test_a_head_that_moved_while_judging_gets_no_verdict(state, github_client, github_server, monkeypatch):
    """The verdict goes on the commit judged or nowhere: a push during the run leaves it to the next run."""
    pull = decision_pr(state)
    original = github_server.state.pulls[30].head_sha
    real = github_client.open_pulls

    def moved(base: str) -> list[tuple[int, str]]:
        pull.head_sha = fake_sha("pushed meanwhile")
        listed: list[tuple[int, str]] = real(base)
        return listed

    monkeypatch.setattr(github_client, "open_pulls", moved)
    [verdict] = run(github_client, numbers=(30,)).verdicts

    assert (verdict.posted, verdict.sha) == (False, original)
    assert state.check_runs == []


def test_time_is_utc():
    assert parse_time(AT).utcoffset() is not None
    assert isinstance(parse_time(AT), datetime)


# -- the command, as the workflow runs it ------------------------------------------------------------------


@pytest.fixture
def workflow_env(monkeypatch, github_server, tmp_path):
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GATE_GITHUB_TOKEN", "ghs_testtoken")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/launch")
    monkeypatch.setenv("GATE_APP_SLUG", "gate-app")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    def event(name: str, payload: dict[str, Any]) -> None:
        path = tmp_path / "event.json"
        path.write_text(json.dumps(payload))
        monkeypatch.setenv("GITHUB_EVENT_NAME", name)
        monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))

    return event


def webhook(name: str) -> dict[str, Any]:
    examples: list[dict[str, Any]] = json.loads((DATA / "webhooks" / f"{name}.json").read_text())
    return examples[0]


def test_pull_request_target_judges_the_pull_request_of_the_event(run_gate, state, workflow_env):
    pull = decision_pr(state)
    payload = webhook("pull_request")
    payload["pull_request"]["number"] = 30
    workflow_env("pull_request_target", payload)

    code, out, err = run_gate("github", "judge", "--membership", "roster", "--comment", "--at", AT)

    assert (code, err) == (0, "")
    assert f"#30 at {pull.head_sha[:12]}: gate approvals: success - approved" in out
    assert [c.user for c in state.comments[30]] == ["gate-app[bot]"]


def test_a_relayed_merge_group_is_judged_on_its_commit(run_gate, state, workflow_env):
    """The real merge_group webhook's fields, as the relay's workflow_run carries them."""
    decision_pr(state)
    group = webhook("merge_group")["merge_group"]
    sha = state.add_commit(group["head_sha"])
    put_tree(state, sha, EXAMPLES / "go")
    run_payload = webhook("workflow_run")
    run_payload["workflow_run"].update(
        event="merge_group",
        head_sha=sha,
        head_branch=group["head_ref"].removeprefix("refs/heads/").replace("pr-104", "pr-30"),
    )
    workflow_env("workflow_run", run_payload)

    code, _, err = run_gate("github", "judge", "--at", AT)

    assert (code, err) == (0, ""), err
    assert posted(state, sha) == {CHECK: ("success", 424242), APPROVALS: ("success", 424242)}


def test_the_judge_never_runs_on_an_event_a_pull_request_controls(run_gate, workflow_env):
    workflow_env("pull_request", webhook("pull_request"))
    code, _, err = run_gate("github", "judge")
    assert code == 2
    assert "does not run on 'pull_request' events" in err
