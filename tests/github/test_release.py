"""`gate release` end to end: real git repositories and a real bare remote, and the local api.github.com.

The launch is `examples/go` (or `examples/no-go`) committed into a fresh repository in `tmp_path`.
"""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gate.commands.packet import render_packet
from gate.github.client import PyGithubClient
from tests.github.state import RELEASE_APP, fake_sha
from tests.helpers import AT, EXAMPLE, EXAMPLES, GO_DECISION, ROOT, iso

TAG = "mainnet-v1.0.0"
DECISION = GO_DECISION


def _recorded(key: str) -> str:
    """A digest as the example's decision file records it (read, not copied, so a rebuild keeps it true)."""
    text = next((Path(__file__).resolve().parents[2] / "examples" / "go" / "decisions").glob("*.yaml")).read_text()
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith(f"{key}: "))


SCORECARD_SHA = _recorded("scorecard_sha256")
MANIFEST_SHA = _recorded("manifest_sha256")
LEADS = {
    "security": "sec-lead-ana",
    "compliance-privacy": "comp-lead-ben",
    "operations-sre": "ops-lead-chen",
    "finance-billing": "fin-lead-dora",
    "product-release": "prod-lead-eli",
}
PR = 12


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit_launch(tmp_path: Path, example: str = "go") -> tuple[Path, str]:
    """`examples/<example>` as the first commit of a new repository; returns (folder, commit)."""
    repo = tmp_path / "launch"
    shutil.copytree(EXAMPLES / example, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the launch")
    return repo, git(repo, "rev-parse", "HEAD")


@pytest.fixture
def launch(tmp_path: Path) -> tuple[Path, str]:
    return commit_launch(tmp_path)


@pytest.fixture
def remote(tmp_path: Path, launch: tuple[Path, str]) -> Path:
    """A bare repository on disk, added to the launch as `origin`."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(launch[0], "remote", "add", "origin", str(bare))
    return bare


def remote_tags(bare: Path) -> dict[str, str]:
    """ref -> object, as `git ls-remote` reads the remote."""
    listed = subprocess.run(["git", "ls-remote", str(bare)], capture_output=True, text=True, check=True).stdout
    return {ref: sha for sha, ref in (line.split("\t") for line in listed.splitlines())}


# -- publishing with the git binary -------------------------------------------------------------------


def test_go_tags_the_commit_on_the_remote_with_an_annotated_tag(run_gate, launch, remote):
    repo, sha = launch

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert (code, err) == (0, "")
    assert f"tag {TAG} at remote origin: created" in out
    refs = remote_tags(remote)
    assert refs[f"refs/tags/{TAG}^{{}}"] == sha  # peeled: the tag names our commit
    assert refs[f"refs/tags/{TAG}"] != sha  # ...through a tag object: annotated
    raw = subprocess.run(
        ["git", "--git-dir", str(remote), "cat-file", "-p", f"refs/tags/{TAG}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    header, _, message = raw.partition("\n\n")
    assert f"object {sha}\ntype commit\ntag {TAG}\n" in header
    for line in (
        f"commit: {sha}",
        f"decision: GO ({DECISION})",
        f"decided_at: {iso(EXAMPLE.decided_at)}",
        f"window: primary ({EXAMPLE.primary[0]:%Y-%m-%d %H:%M}–{EXAMPLE.primary[1]:%Y-%m-%d %H:%M} UTC)",
        f"scorecard_sha256: {SCORECARD_SHA}",
        f"manifest_sha256: {MANIFEST_SHA}",
        "  security: sec-lead-ana",
        "  finance-billing: fin-lead-dora",
        "  ops-lead: ops-lead-chen",
        "  release-manager: rm-rosa",
    ):
        assert line in message.splitlines(), line


def test_run_twice_is_an_idempotent_success(run_gate, launch, remote):
    repo, _ = launch
    assert run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")[0] == 0
    first = remote_tags(remote)

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert (code, err) == (0, "")
    assert f"tag {TAG} at remote origin: already there on" in out
    assert remote_tags(remote) == first  # the very same tag object, not a new one


def test_a_tag_already_on_another_commit_is_an_error(run_gate, launch, remote):
    repo, first = launch
    git(repo, "tag", "-a", "-m", "an earlier attempt", TAG, first)
    git(repo, "push", "-q", "origin", f"refs/tags/{TAG}")
    git(repo, "tag", "-d", TAG)
    git(repo, "commit", "-q", "--allow-empty", "-m", "later, still GO")
    before = remote_tags(remote)

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert (code, out) == (1, "")
    assert f"tag {TAG} already exists on origin on {first[:12]}" in err
    assert remote_tags(remote) == before
    assert git(repo, "tag", "--list") == ""  # nothing made locally either


def test_a_local_tag_left_by_a_failed_push_is_pushed(run_gate, launch, remote):
    repo, sha = launch
    git(repo, "tag", "-a", "-m", "made before the push failed", TAG, sha)

    code, out, _ = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert code == 0
    assert f"tag {TAG} at remote origin: created" in out
    assert remote_tags(remote)[f"refs/tags/{TAG}^{{}}"] == sha


def test_no_decision_is_a_clean_no_op_that_says_so(run_gate, tmp_path, remote_for_no_go):
    """M: a launch without a decision (or a revert that removed it) releases nothing, and is not a red run."""
    repo, bare = remote_for_no_go

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert (code, err) == (0, "")
    assert "nothing released" in out
    assert "no go/no-go decision is recorded at this commit (none yet, or reverted)" in out
    assert remote_tags(bare) == {}
    assert git(repo, "tag", "--list") == ""


def test_a_no_go_decision_is_a_clean_no_op(run_gate, launch, remote):
    repo, _ = launch
    text = (repo / DECISION).read_text()
    later = DECISION.replace("T160000-go", "T163000-no-go")
    decided = iso(EXAMPLE.decided_at)
    assert decided in text
    (repo / later).write_text(
        text.replace("decision: GO", "decision: NO-GO").replace(decided, decided.replace("T16:00", "T16:30"))
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "NO-GO")

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert (code, err) == (0, ""), err
    assert "is NO-GO: nothing to release" in out
    assert remote_tags(remote) == {}


def test_a_go_decision_the_gate_no_longer_holds_is_refused(run_gate, launch, remote):
    repo, _ = launch
    (repo / "evidence/security/vuln-scan.txt").write_text("tampered\n")
    git(repo, "commit", "-q", "-am", "tamper")

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert (code, out) == (1, "")
    assert "not releasing: the gate does not say GO" in err
    assert remote_tags(remote) == {}


@pytest.fixture
def remote_for_no_go(tmp_path: Path) -> tuple[Path, Path]:
    repo, _ = commit_launch(tmp_path, "no-go")
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    return repo, bare


def test_the_commit_is_judged_not_the_working_tree(run_gate, launch, remote):
    repo, sha = launch
    # Broken in the working tree only: the commit being tagged is still GO.
    (repo / "evidence/security/vuln-scan.txt").write_text("tampered\n")
    assert run_gate("check", "--repo", repo, "--require-go")[0] == 1

    code, out, _ = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert code == 0
    assert out.startswith(f"gate: GO at {sha[:12]}")
    assert remote_tags(remote)[f"refs/tags/{TAG}^{{}}"] == sha


def test_a_committed_break_is_refused(run_gate, launch, remote):
    repo, _ = launch
    (repo / "evidence/security/vuln-scan.txt").write_text("tampered\n")
    git(repo, "commit", "-q", "-am", "tamper")

    code, _, err = run_gate("release", "--at", AT, "--repo", repo, "--remote", "origin")

    assert code == 1
    assert "integrity: evidence/security/vuln-scan.txt" in err
    assert remote_tags(remote) == {}


def test_the_working_tree_must_be_at_the_sha(run_gate, launch):
    repo, first = launch
    git(repo, "commit", "-q", "--allow-empty", "-m", "next")

    code, _, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", first)

    assert code == 2
    assert f"not at {first[:12]}" in err
    assert git(repo, "tag", "--list") == ""


def test_without_a_remote_or_github_only_the_local_tag_is_made(run_gate, launch):
    repo, sha = launch

    code, out, _ = run_gate("release", "--at", AT, "--repo", repo)

    assert code == 0
    assert "nothing published" in out
    assert git(repo, "cat-file", "-t", TAG) == "tag"
    assert git(repo, "rev-parse", f"{TAG}^{{commit}}") == sha
    assert run_gate("verify", "--repo", repo, "--tag", TAG)[0] == 0  # what an auditor then runs


def test_a_launch_in_a_subfolder_of_the_repository(run_gate, tmp_path):
    outer = tmp_path / "mono"
    shutil.copytree(EXAMPLES / "go", outer / "launches" / "mainnet")
    git(outer, "init", "-q", "-b", "main")
    git(outer, "add", "-A")
    git(outer, "commit", "-q", "-m", "launch in a subfolder")

    code, _, err = run_gate("release", "--at", AT, "--repo", outer / "launches" / "mainnet")

    assert (code, err) == (0, "")
    assert git(outer, "cat-file", "-t", TAG) == "tag"


# -- publishing through the GitHub API ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_association_waits(monkeypatch):
    """GitHub's late commit-to-PR association is waited for (2+4+8+16 s); tests do not wait."""
    monkeypatch.setattr("gate.github.release.ASSOCIATION_WAITS", (0.0, 0.0, 0.0, 0.0))


@pytest.fixture
def github_env(monkeypatch, github_server):
    github_server.state.default_identity = RELEASE_APP  # the release workflow's token
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_testtoken")
    for name in ("GATE_GITHUB_TOKEN", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    return github_server


@pytest.fixture
def cli_sleeps(monkeypatch, sleeps):
    """The CLI builds its own client: record its pauses instead of waiting (1 + 2 + 4 s per failure)."""
    params = inspect.signature(PyGithubClient.__init__).parameters.values()
    defaults = tuple(sleeps.append if p.name == "sleep" else p.default for p in params if p.default is not p.empty)
    assert sleeps.append in defaults
    monkeypatch.setattr(PyGithubClient.__init__, "__defaults__", defaults)
    return sleeps


def decision_pr(state, sha: str, approvers=None, *, files=(DECISION,), number=PR):
    """The merged decision PR #12 whose merge commit is `sha`, with the launch's rules at its base."""
    main = state.default_head  # the rules: the protected branch as it is now
    state.add_file(main, "checklist.yaml", (EXAMPLES / "go" / "checklist.yaml").read_text())
    state.add_file(main, ".github/CODEOWNERS", (ROOT / ".github" / "CODEOWNERS").read_text())
    pull = state.add_pull(number, author="rm-rosa", files=list(files), merged=True, merge_commit_sha=sha)
    state.link_commit(sha, number)
    for login in LEADS.values() if approvers is None else approvers:
        state.add_review(number, login)
    return pull


def created_tag(state):
    target, kind = state.refs[f"tags/{TAG}"]
    assert kind == "tag"
    return state.tags[target]


def test_github_tag_and_release_carry_the_decision_and_the_packet(run_gate, github_env, launch):
    repo, sha = launch
    state = github_env.state
    decision_pr(state, sha)

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")

    assert (code, err) == (0, ""), err
    assert f"decision PR #{PR}: quorum re-verified as merged" in out
    assert "security by @sec-lead-ana" in out
    tag = created_tag(state)
    assert (tag.tag, tag.object_sha, tag.object_type) == (TAG, sha, "commit")
    assert f"decision_pull_request: #{PR}" in tag.message
    assert "quorum: finance-billing approved by fin-lead-dora" in tag.message
    assert f"manifest_sha256: {MANIFEST_SHA}" in tag.message
    [release] = state.releases
    assert (release.tag_name, release.name) == (TAG, f"VirtEngine Mainnet Launch (example) {TAG}")
    assert release.body == render_packet(repo)
    assert f"release {TAG}: created (id {release.id})" in out
    # Every request was one GitHub documents, with a body its schema accepts (checked at teardown).
    assert github_env.count(method="POST") == 3  # tag object, its ref, the release


def test_github_release_is_idempotent(run_gate, github_env, launch):
    repo, sha = launch
    decision_pr(github_env.state, sha)
    assert run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")[0] == 0
    posts = github_env.count(method="POST")

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")

    assert (code, err) == (0, "")
    assert f"tag {TAG} at GitHub acme/launch: already there on {sha[:12]}" in out
    assert f"release {TAG}: already exists on GitHub, left unchanged" in out
    assert github_env.count(method="POST") == posts + 1  # only the refused second release
    assert len(github_env.state.releases) == 1
    assert len(github_env.state.tags) == 1


def test_packet_file_and_archive_digest_go_into_the_release(run_gate, github_env, launch, tmp_path):
    repo, sha = launch
    decision_pr(github_env.state, sha)
    packet, archive = tmp_path / "launch-packet.md", tmp_path / "launch.tar.gz"
    assert run_gate("packet", "--repo", repo, "--out", packet)[0] == 0
    assert run_gate("archive", "--repo", repo, archive)[0] == 0
    digest = run_gate("archive", "--repo", repo, tmp_path / "again.tar.gz")[1].split()[0]

    code, _, err = run_gate(
        "release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch", "--packet", packet,
        "--archive", archive,
    )  # fmt: skip

    assert (code, err) == (0, "")
    [release] = github_env.state.releases
    assert release.body.startswith(packet.read_text())
    assert f"SHA-256 `{digest}`" in release.body


def test_a_packet_of_another_state_is_refused(run_gate, github_env, launch, tmp_path):
    repo, sha = launch
    decision_pr(github_env.state, sha)
    stale = tmp_path / "launch-packet.md"
    stale.write_text(render_packet(repo).replace("GO", "NO-GO", 1))

    code, _, err = run_gate(
        "release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch", "--packet", stale
    )

    assert code == 1
    assert "is not the launch packet of this commit" in err
    assert github_env.state.refs.get(f"tags/{TAG}") is None
    assert github_env.state.releases == []


@pytest.mark.parametrize(
    ("case", "needs"),
    [
        ("finance missing", "area finance-billing: needs a decision-quorum approval"),
        ("finance on an older commit", "@fin-lead-dora approved an older commit"),
        ("no pull request", "no merged pull request brought"),
        ("not the decision's PR", f"does not change {DECISION}"),
    ],
)
def test_quorum_not_met_at_merge_refuses_and_tags_nothing(run_gate, github_env, launch, case, needs):
    repo, sha = launch
    state = github_env.state
    if case == "no pull request":
        state.link_commit(sha)
    elif case == "not the decision's PR":
        decision_pr(state, sha, files=("README.md",))
    else:
        pull = decision_pr(state, sha, [login for area, login in LEADS.items() if area != "finance-billing"])
        if case == "finance on an older commit":
            state.add_review(PR, "fin-lead-dora", commit_id=fake_sha("before the last push"))
            assert pull.head_sha != fake_sha("before the last push")

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")

    assert (code, out) == (1, "")
    assert needs in err
    assert state.refs.get(f"tags/{TAG}") is None
    assert state.tags == {}
    assert state.releases == []


def test_a_tag_on_another_commit_on_github_is_an_error(run_gate, github_env, launch):
    repo, sha = launch
    decision_pr(github_env.state, sha)
    github_env.state.add_tag(TAG, fake_sha("an older release"))

    code, _, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")

    assert code == 1
    assert f"tag {TAG} already exists on GitHub on {fake_sha('an older release')[:12]}" in err
    assert github_env.state.releases == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/repos/acme/launch/commits/{sha}/pulls"), ("POST", "/repos/acme/launch/git/tags")],
)
def test_a_persistent_api_failure_fails_closed(run_gate, github_env, cli_sleeps, launch, method, path):
    repo, sha = launch
    decision_pr(github_env.state, sha)
    github_env.inject(path.format(sha=sha), "error500", times=100, method=method)

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")

    assert (code, out) == (1, "")
    assert "HTTP 500" in err
    assert github_env.state.refs.get(f"tags/{TAG}") is None
    assert github_env.state.releases == []
    if method == "GET":
        assert cli_sleeps == [1, 2, 4]  # bounded retries, then no
    else:
        assert github_env.count(path, "POST") == 1  # a create that may have happened is not repeated


def test_a_push_releases_main_as_it_is_when_main_has_moved_on(run_gate, github_env, launch, tmp_path, monkeypatch):
    """Release runs queue: by the time one starts, main may be past the commit its push named. It
    releases the checked-out branch as it stands (it used to insist on the pushed commit and go red:
    "the working tree is at X, not at Y")."""
    repo, sha = launch
    decision_pr(github_env.state, sha)
    push = json.loads((ROOT / "tests/data/webhooks/push.json").read_text())[0]
    push["after"] = sha
    event = tmp_path / "event.json"
    event.write_text(json.dumps(push))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    (repo / "NOTES.md").write_text("the war room's notes, committed after the decision\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-q", "-m", "notes")
    head = git(repo, "rev-parse", "HEAD").strip()
    assert head != sha
    github_env.state.add_commit(head)  # pushed to main on GitHub too

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--github", "acme/launch")

    assert (code, err) == (0, ""), err
    assert out.startswith(f"gate: GO at {head[:12]}")
    assert f"decision PR #{PR}: quorum re-verified as merged" in out
    assert created_tag(github_env.state).object_sha == head


def test_packet_without_github_is_a_usage_error(run_gate, launch, tmp_path):
    repo, _ = launch
    code, _, err = run_gate("release", "--at", AT, "--repo", repo, "--packet", tmp_path / "p.md")
    assert code == 2
    assert "give --github" in err


@pytest.mark.parametrize(("named", "code"), [(PR, 0), (99, 1)])
def test_a_decision_naming_its_pull_request_must_name_the_merged_one(run_gate, github_env, tmp_path, named, code):
    repo, _ = commit_launch(tmp_path)
    with (repo / DECISION).open("a") as decision:
        decision.write(f"pull_request: {named}\n")
    git(repo, "commit", "-q", "-am", "the decision names its pull request")
    sha = git(repo, "rev-parse", "HEAD")
    decision_pr(github_env.state, sha)

    got, _, err = run_gate("release", "--at", AT, "--repo", repo, "--github", "acme/launch")

    assert got == code, err
    assert (f"names pull request #99, but #{PR} merged it" in err) == (named == 99)
    assert (f"tags/{TAG}" in github_env.state.refs) == (named == PR)


# -- how the decision reached main, and who may tag ------------------------------------------------------


def test_a_decision_merged_in_a_batch_is_found_by_the_commit_that_brought_it(run_gate, github_env, launch):
    """M: squash or merge queue: the pushed commit is not the decision PR's merge commit (another PR was
    merged after it in the same push); the PR is the one that brought the decision file."""
    repo, decided = launch
    (repo / "README.md").write_text("a later, unrelated change merged in the same batch\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "another PR of the batch")
    pushed = git(repo, "rev-parse", "HEAD")
    decision_pr(github_env.state, decided)
    github_env.state.add_commit(pushed)

    code, out, err = run_gate("release", "--at", AT, "--repo", repo, "--github", "acme/launch")

    assert (code, err) == (0, ""), err
    assert f"decision PR #{PR}: quorum re-verified as merged" in out
    assert created_tag(github_env.state).object_sha == pushed


def test_the_association_lag_is_waited_for(github_server, launch, monkeypatch):
    """M: right after a merge GitHub lists no pull request for the commit; the release asks again."""
    from gate.github.release import ReleaseRequest, release
    from gate.model.base import parse_time
    from tests.github.fake import FakeGitHub

    repo, sha = launch
    decision_pr(github_server.state, sha)
    monkeypatch.setattr("gate.github.release.ASSOCIATION_WAITS", (2.0, 4.0, 8.0, 16.0))
    waits: list[float] = []
    fake = FakeGitHub(github_server.state, lag=2)

    with pytest.raises(Exception, match="the in-memory fake makes no releases"):
        release(ReleaseRequest(repo, sha=sha, client=fake, github="acme/launch", sleep=waits.append, at=parse_time(AT)))

    assert waits == [2.0, 4.0]  # asked three times, the third answered
    assert created_tag(github_server.state).object_sha == sha  # tagged before the (fake's) release refusal


@pytest.mark.parametrize(("token", "tagged"), [("ghs_workflow", False), ("ghs_testtoken", True)])
def test_a_tag_ruleset_lets_only_the_release_app_create_mainnet_tags(
    run_gate, github_env, launch, monkeypatch, token, tagged
):
    """M/H3: tag protection as documented rejected GITHUB_TOKEN (GH013); the release App on the bypass list tags."""
    from tests.github.state import ACTIONS

    repo, sha = launch
    state = github_env.state
    state.tokens["ghs_workflow"] = ACTIONS
    state.rulesets.append(
        {
            "id": 7,
            "name": "mainnet tags",
            "source": state.full_name,
            "source_type": "Repository",
            "target": "tag",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["refs/tags/mainnet-*"], "exclude": []}},
            "rules": [{"type": "creation"}, {"type": "update"}, {"type": "deletion"}],
            "bypass_actors": [{"actor_id": RELEASE_APP.app_id, "actor_type": "Integration", "bypass_mode": "always"}],
        }
    )
    decision_pr(state, sha)
    monkeypatch.setenv("GITHUB_TOKEN", token)

    code, _, err = run_gate("release", "--at", AT, "--repo", repo, "--sha", sha, "--github", "acme/launch")

    assert (code == 0) == tagged, err
    assert (f"tags/{TAG}" in state.refs) == tagged
    if not tagged:
        assert "Repository rule violations found" in err
