"""`gate approvals` and `gate comment` end to end against the local api.github.com.

The rules at each pull request's base are the repository's own `checklist.yaml` (with a roster added in
roster mode, and a real freeze where a test needs one) and its own `.github/CODEOWNERS`. Membership
comes from the API (`--membership api`: the teams exist on the server, the roster is empty) or from
the roster (`--membership roster`: the server knows no team at all), so each mode can only pass
through its own source.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gate.github.event import pull_request_number, repository
from gate.report.scorecard import STICKY_MARKER
from tests.github.state import CommitRecord, State, fake_sha
from tests.helpers import AT, DATA, FROZEN_LAUNCH, ROOT

WEBHOOKS = DATA / "webhooks"
CHECKLIST = (FROZEN_LAUNCH / "checklist.yaml").read_text()
CODEOWNERS = (ROOT / ".github" / "CODEOWNERS").read_text()
SIGNOFF = (ROOT / "examples" / "go" / "signoffs" / "security.yaml").read_text()  # approver: sec-lead-ana
TEAMS = {
    "security": ["sec-lead-ana", "omar-two-hats"],
    "compliance": ["comp-lead-ben"],
    "sre": ["ops-lead-chen", "omar-two-hats"],
    "finance": ["fin-lead-dora"],
    "product": ["prod-lead-eli"],
    "release-managers": ["rm-rosa"],
}
LEADS = ["sec-lead-ana", "comp-lead-ben", "ops-lead-chen", "fin-lead-dora", "prod-lead-eli"]
IN_FREEZE, BEFORE_FREEZE = "2026-12-05T12:00:00Z", "2026-11-01T12:00:00Z"
TOOL_OWNER = "/chain/ @tool-dev-tim\n"  # a person, not a team: the freeze tests isolate the freeze
MODES = ["api", "roster"]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r}"
    return text.replace(old, new)


def checklist(*, roster: dict[str, list[str]] | None = None, freeze: bool = False) -> str:
    """The repository's checklist.yaml with a roster and/or the freeze of the GO example."""
    text = replace_once(
        CHECKLIST, "      label: security-hotfix\n", "      label: security-hotfix\n      granted_by: security-lead\n"
    )
    text = replace_once(
        text,
        "      approver_role: release-manager\n",
        "      approver_role: release-manager\n      granted_by: release-manager\n",
    )
    if roster is not None:
        lines = "".join(f'  "@virtengine/{team}": [{", ".join(members)}]\n' for team, members in roster.items())
        text = replace_once(text, "roster: {}\n", "roster:\n" + lines)
    if freeze:
        text = replace_once(
            text,
            'freeze:\n  start: "YYYY-MM-DD HH:MM UTC"\n  end: "YYYY-MM-DD HH:MM UTC"\n',
            'freeze:\n  start: "2026-12-01 00:00 UTC"\n  end: "2026-12-12 00:00 UTC"\n',
        )
    return text


@dataclass
class GitHub:
    """The server, the membership mode, and how to put rules at a PR's base and run the command."""

    server: Any
    mode: str

    @property
    def state(self) -> State:
        state: State = self.server.state
        return state

    def rules(self, ref: str, *, freeze: bool = False, codeowners: str = CODEOWNERS, teams=TEAMS) -> None:
        roster = teams if self.mode == "roster" else None
        self.state.add_file(ref, "checklist.yaml", checklist(roster=roster, freeze=freeze))
        self.state.add_file(ref, ".github/CODEOWNERS", codeowners)
        if self.mode == "api":
            for slug, members in teams.items():
                self.state.add_team("virtengine", slug, members)

    def pull(self, number: int, files: list[str], *, author: str = "rm-rosa", **rules: Any) -> Any:
        pull = self.state.add_pull(number, author=author, files=files, **rules.pop("pull", {}))
        self.rules(self.state.default_head, **rules)  # the protected branch as it is now
        return pull

    def args(self, *extra: str) -> list[str]:
        return ["approvals", "--github", self.state.full_name, "--membership", self.mode, *extra]


@pytest.fixture
def gh(request, monkeypatch, github_server) -> GitHub:
    mode = getattr(request, "param", "roster")
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_testtoken")
    for name in ("GATE_GITHUB_TOKEN", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    return GitHub(github_server, mode)


both_modes = pytest.mark.parametrize("gh", MODES, indirect=True)


def signoff_pr(gh: GitHub, number: int = 21, **rules: Any) -> Any:
    pull = gh.pull(number, ["signoffs/security.yaml"], **rules)
    gh.state.add_file(pull.head_sha, "signoffs/security.yaml", SIGNOFF)
    return pull


# -- sign-off and decision pull requests ---------------------------------------------------------------


@both_modes
def test_a_signoff_approved_by_its_lead_at_head_passes(run_gate, gh):
    signoff_pr(gh)
    gh.state.add_review(21, "sec-lead-ana")

    code, out, err = run_gate(*gh.args("--pr", "21"))

    assert (code, err) == (0, "")
    assert "security             ok     approved by sec-lead-ana" in out
    assert out.endswith("approvals: satisfied\n")
    assert ("team membership: from the roster in checklist.yaml" in out) == (gh.mode == "roster")


@both_modes
@pytest.mark.parametrize(
    ("review", "needs"),
    [
        ({"user": "sec-lead-ana", "commit_id": fake_sha("before the last push")}, "approved an older commit"),
        ({"user": "comp-lead-ben"}, "from the recorded approver @sec-lead-ana"),
        ({"user": "rm-rosa"}, "needs an approval"),  # the author's own approval never counts
    ],
)
def test_a_signoff_without_its_leads_approval_at_head_fails(run_gate, gh, review, needs):
    signoff_pr(gh)
    gh.state.add_review(21, **review)

    code, out, _ = run_gate(*gh.args("--pr", "21"))

    assert code == 1
    assert needs in out
    assert out.endswith("approvals: NOT satisfied\n")


@both_modes
def test_the_decision_quorum_by_distinct_people_passes(run_gate, gh):
    gh.pull(30, ["decisions/2026-11-27T1600-go.yaml"])
    for login in LEADS:
        gh.state.add_review(30, login)

    code, out, _ = run_gate(*gh.args("--pr", "30"))

    assert code == 0
    for area, login in zip(
        ["security", "compliance-privacy", "operations-sre", "finance-billing", "product-release"], LEADS, strict=True
    ):
        assert f"{area:<20} ok     approved by {login}" in out


@both_modes
def test_one_person_cannot_stand_for_two_areas(run_gate, gh):
    gh.pull(30, ["decisions/2026-11-27T1600-go.yaml"])
    for login in ["omar-two-hats", "comp-lead-ben", "fin-lead-dora", "prod-lead-eli"]:  # omar: security and sre
        gh.state.add_review(30, login)

    code, out, _ = run_gate(*gh.args("--pr", "30"))

    assert code == 1
    assert "from someone who is a member of @virtengine/" in out
    assert "and stands for no other area (@omar-two-hats stands for" in out


@pytest.mark.parametrize("loosened", ["on the protected branch", "only at the PR's base commit"])
def test_rules_come_from_the_protected_branch_as_it_is_now(run_gate, gh, loosened):
    """H1: a PR opened against a commit (or a branch `x`) carrying a loosened roster and CODEOWNERS gains
    nothing: the rules are read on `main` now, never at the PR's recorded base. The control (the same
    loosening really merged on main) passes, so the failure is the rules' doing."""
    takeover = {**TEAMS, "security": [*TEAMS["security"], "mallory"]}
    owners = CODEOWNERS + "/signoffs/security.yaml @mallory\n"
    pull = gh.pull(40, ["signoffs/security.yaml"], author="eve")
    if loosened == "on the protected branch":
        gh.rules(gh.state.default_head, codeowners=owners, teams=takeover)
    else:
        gh.rules(pull.base_sha, codeowners=owners, teams=takeover)
    gh.state.add_file(pull.head_sha, "signoffs/security.yaml", SIGNOFF.replace("sec-lead-ana", "mallory"))
    gh.state.add_review(40, "mallory")

    code, out, _ = run_gate(*gh.args("--pr", "40"))

    if loosened == "on the protected branch":
        assert code == 0, out
    else:
        assert code == 1
        assert "signoffs/security.yaml: needs an approval" in out
        assert "a recorded approver who is a member of @virtengine/security (@mallory is not)" in out


def test_a_pr_cannot_grant_itself_approval_by_changing_its_rules(run_gate, gh):
    """The PR makes mallory a code owner and a Security member at its head: only main counts, and
    changing the rules together with a sign-off is refused outright (separation of duties)."""
    takeover = {**TEAMS, "security": [*TEAMS["security"], "mallory"]}
    owners = CODEOWNERS + "/signoffs/security.yaml @mallory\n"
    pull = gh.pull(40, [".github/CODEOWNERS", "checklist.yaml", "signoffs/security.yaml"], author="eve")
    gh.state.add_file(pull.head_sha, ".github/CODEOWNERS", owners)
    gh.state.add_file(pull.head_sha, "checklist.yaml", checklist(roster=takeover))
    gh.state.add_file(pull.head_sha, "signoffs/security.yaml", SIGNOFF.replace("sec-lead-ana", "mallory"))
    gh.state.add_review(40, "mallory")
    gh.state.add_review(40, "rm-rosa")  # the release managers own CODEOWNERS and checklist.yaml

    code, out, _ = run_gate(*gh.args("--pr", "40"))

    assert code == 1
    assert "separation of duties: this changes the judging machinery (.github/CODEOWNERS, checklist.yaml)" in out
    assert "a recorded approver who is a member of @virtengine/security (@mallory is not)" in out


@pytest.mark.parametrize(
    "machinery",
    [
        ".github/workflows/gate.yml",
        "gate/cli.py",
        "gate_tools/__init__.py",
        "requirements.lock",
        "requirements-dev.lock",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "MANIFEST.in",
        "action.yml",
        "CODEOWNERS",
    ],
)
def test_nothing_the_privileged_jobs_install_or_run_may_change_beside_a_verdict(run_gate, gh, machinery):
    """Each kind of machinery, alone beside a sign-off: a root setup.py, say, runs as code when the
    release job installs the judge, before that job's token is minted."""
    pull = gh.pull(40, [machinery, "signoffs/security.yaml"], author="eve")
    gh.state.add_file(pull.head_sha, machinery, "# changed\n")
    gh.state.add_file(pull.head_sha, "signoffs/security.yaml", SIGNOFF)
    gh.state.add_review(40, "sec-lead-ana")
    gh.state.add_review(40, "rm-rosa")

    code, out, _ = run_gate(*gh.args("--pr", "40"))

    assert code == 1
    assert f"separation of duties: this changes the judging machinery ({machinery})" in out


def test_a_pr_whose_base_is_not_the_protected_branch_is_refused(run_gate, gh):
    """H1: green against branch `x`, then retargeted to main (`edited` re-ran nothing): refused on x."""
    signoff_pr(gh, pull={"base_ref": "x"})
    gh.state.add_review(21, "sec-lead-ana")

    code, out, _ = run_gate(*gh.args("--pr", "21"))

    assert code == 1
    assert "the pull request's base is 'x', not the protected branch 'main'" in out


@pytest.mark.parametrize("how", ["commit author", "co-author"])
def test_authors_and_co_authors_of_its_commits_cannot_approve_their_area(run_gate, gh, how):
    """M: the PR is opened by rm-rosa, but the Security lead wrote (or co-wrote) the sign-off commit."""
    pull = signoff_pr(gh)
    if how == "commit author":
        pull.commits = [CommitRecord(pull.head_sha, "sec-lead-ana", "Ana", "ana@example.com")]
    else:
        trailer = "sign off\n\nCo-authored-by: Ana <12345+sec-lead-ana@users.noreply.github.com>\n"
        pull.commits = [CommitRecord(pull.head_sha, "rm-rosa", "Rosa", "rosa@example.com", trailer)]
    gh.state.add_review(21, "sec-lead-ana")

    code, out, _ = run_gate(*gh.args("--pr", "21"))

    assert code == 1
    assert "@sec-lead-ana wrote a commit of it, so cannot approve it" in out


def test_a_commit_by_an_address_github_cannot_name_blocks(run_gate, gh):
    pull = signoff_pr(gh)
    pull.commits = [CommitRecord(pull.head_sha, None, "Anonymous", "anon@example.com")]
    gh.state.add_review(21, "sec-lead-ana")

    code, out, _ = run_gate(*gh.args("--pr", "21"))

    assert code == 1
    assert "names Anonymous <anon@example.com>, whom GitHub links to no account" in out


# -- the freeze ----------------------------------------------------------------------------------------


APP_CODE = "chain/app.go"  # not judging machinery: only the freeze decides


@both_modes
@pytest.mark.parametrize(
    ("files", "label", "at", "code", "says"),
    [
        (
            [APP_CODE],
            None,
            IN_FREEZE,
            1,
            "the freeze (2026-12-01 00:00–2026-12-12 00:00 UTC) is in force and this changes chain/app.go;"
            " not allowed: Security hotfixes (label `security-hotfix` is not on the pull request)",
        ),
        ([APP_CODE], ("security-hotfix", "sec-lead-ana"), IN_FREEZE, 0, "allowed during the freeze: Security hotfixes"),
        ([APP_CODE], None, BEFORE_FREEZE, 0, "outside the freeze (2026-12-01 00:00–2026-12-12 00:00 UTC)"),
        (["evidence/ops/drill.txt"], None, IN_FREEZE, 0, "in the freeze, but only evidence, sign-offs and decisions"),
    ],
    ids=["code-in-freeze", "hotfix-label", "before-freeze", "evidence-only"],
)
def test_freeze(run_gate, gh, files, label, at, code, says):
    gh.pull(50, files, author="dev-dan", freeze=True, codeowners=CODEOWNERS + TOOL_OWNER)
    if label:
        gh.state.add_label(50, *label)
    # Owners approve (tim owns chain/, the release managers own evidence/): only the freeze can block.
    gh.state.add_review(50, "tool-dev-tim" if files == [APP_CODE] else "rm-rosa")

    got, out, _ = run_gate(*gh.args("--pr", "50", "--at", at))

    assert got == code, out
    assert f"  freeze: {says}" in out


@both_modes
def test_a_freeze_label_applied_by_someone_not_allowed_counts_for_nothing(run_gate, gh):
    """H4: anyone with triage rights can label; the label counts only from the role the checklist names."""
    gh.pull(52, [APP_CODE], author="dev-dan", freeze=True, codeowners=CODEOWNERS + TOOL_OWNER)
    gh.state.add_label(52, "security-hotfix", "dev-dan")
    gh.state.add_review(52, "tool-dev-tim")

    code, out, _ = run_gate(*gh.args("--pr", "52", "--at", IN_FREEZE))

    assert code == 1
    assert "label `security-hotfix` was applied by @dev-dan, who is not security-lead" in out


@both_modes
def test_a_label_removed_and_re_added_counts_from_its_last_applier(run_gate, gh):
    gh.pull(52, [APP_CODE], author="dev-dan", freeze=True, codeowners=CODEOWNERS + TOOL_OWNER)
    gh.state.add_label(52, "security-hotfix", "sec-lead-ana")
    gh.state.remove_label(52, "security-hotfix", "dev-dan")
    gh.state.add_label(52, "security-hotfix", "dev-dan")
    gh.state.add_review(52, "tool-dev-tim")

    code, out, _ = run_gate(*gh.args("--pr", "52", "--at", IN_FREEZE))

    assert code == 1
    assert "was applied by @dev-dan" in out


@both_modes
@pytest.mark.parametrize("release_manager_approves", [False, True])
def test_a_security_hotfix_changing_the_judge_needs_the_release_manager_too(run_gate, gh, release_manager_approves):
    """H4: the security-hotfix label admitted workflow, CODEOWNERS, checklist and gate/ changes."""
    gh.pull(53, ["gate/cli.py"], author="dev-dan", freeze=True, codeowners=CODEOWNERS + "/gate/ @tool-dev-tim\n")
    gh.state.add_label(53, "security-hotfix", "sec-lead-ana")
    gh.state.add_review(53, "tool-dev-tim")
    if release_manager_approves:
        gh.state.add_review(53, "rm-rosa")

    code, out, _ = run_gate(*gh.args("--pr", "53", "--at", IN_FREEZE))

    if release_manager_approves:
        assert code == 0, out
    else:
        assert code == 1
        assert "an approval by release-manager too, as it changes gate/cli.py" in out


@both_modes
def test_a_release_managers_approval_alone_is_not_the_critical_fix_exception(run_gate, gh):
    # Release managers approve every tool change as code owners: without the label, that approval
    # would let any reviewed change through the freeze.
    gh.pull(51, [APP_CODE], author="dev-dan", freeze=True, codeowners=CODEOWNERS + TOOL_OWNER)
    gh.state.add_review(51, "tool-dev-tim")
    gh.state.add_review(51, "rm-rosa")

    code, out, _ = run_gate(*gh.args("--pr", "51", "--at", IN_FREEZE))

    assert code == 1
    assert "Release manager approved critical fixes only (label `critical-fix` is not on the pull request)" in out


@both_modes
@pytest.mark.parametrize("approved", [True, False])
def test_the_critical_fix_label_needs_a_release_managers_approval(run_gate, gh, approved):
    gh.pull(51, [APP_CODE], author="dev-dan", freeze=True, codeowners=CODEOWNERS + TOOL_OWNER)
    gh.state.add_label(51, "critical-fix", "rm-rosa")
    gh.state.add_review(51, "tool-dev-tim")
    if approved:
        gh.state.add_review(51, "rm-rosa")

    code, out, _ = run_gate(*gh.args("--pr", "51", "--at", IN_FREEZE))

    assert code == (0 if approved else 1), out
    if approved:
        assert "allowed during the freeze: Release manager approved critical fixes only" in out
        assert "(label critical-fix applied by rm-rosa, approved by rm-rosa)" in out


@both_modes
def test_a_release_manager_who_wrote_a_commit_cannot_grant_the_critical_fix(run_gate, gh):
    """The freeze exception's approval is held to the same rule as an area's: who wrote (or co-wrote) a
    commit of the pull request cannot approve it, also as the release manager granting `critical-fix`."""
    pull = gh.pull(51, [APP_CODE], author="dev-dan", freeze=True, codeowners=CODEOWNERS + TOOL_OWNER)
    pull.commits = [CommitRecord(pull.head_sha, "rm-rosa", "Rosa", "rosa@example.com")]
    gh.state.add_label(51, "critical-fix", "rm-rosa")
    gh.state.add_review(51, "tool-dev-tim")
    gh.state.add_review(51, "rm-rosa")

    code, out, _ = run_gate(*gh.args("--pr", "51", "--at", IN_FREEZE))

    assert code == 1, out
    assert "allowed during the freeze" not in out


# -- cost ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gh", ["api"], indirect=True)
def test_request_count_for_five_areas_and_250_reviews(run_gate, gh):
    gh.pull(60, ["decisions/2026-11-27T1600-go.yaml"])
    for i in range(245):
        gh.state.add_review(60, f"watcher{i}", "COMMENTED")
    for login in LEADS:
        gh.state.add_review(60, login)
    assert len(gh.state.pulls[60].reviews) == 250

    code, _, _ = run_gate(*gh.args("--pr", "60"))

    teams = len(TEAMS)  # the five areas' teams and the release managers'
    figure = gh.server.count()
    # PR, files, the branch, CODEOWNERS and checklist on it, reviews x3, commits, a request per team
    print(f"gate approvals, decision PR, 5 areas, 250 reviews: {figure} requests (bound {9 + teams})")
    assert code == 0
    assert gh.server.count("/repos/acme/launch/pulls/60/reviews") == 3
    assert figure <= 9 + teams


# -- webhook payloads ($GITHUB_EVENT_PATH) -------------------------------------------------------------


def payloads(name: str) -> list[dict[str, Any]]:
    """The examples of one event, as @octokit/webhooks-examples ships them: a list of payloads."""
    examples = json.loads((WEBHOOKS / name).read_text())
    assert isinstance(examples, list)
    assert examples
    return examples


def event_file(tmp_path: Path, payload: dict[str, Any]) -> Path:
    """One payload as a runner writes it to $GITHUB_EVENT_PATH (the examples file holds several)."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


@pytest.mark.parametrize("name", ["pull_request.json", "pull_request_review.json"])
def test_every_pull_request_payload_names_its_pull_request_and_repository(tmp_path, monkeypatch, name):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    for payload in payloads(name):
        path = str(event_file(tmp_path, payload))
        assert pull_request_number(path) == payload["pull_request"]["number"]
        assert repository(path) == payload["repository"]["full_name"]


@pytest.mark.parametrize("name", ["pull_request.json", "pull_request_review.json"])
def test_approvals_run_from_the_event_payload_alone(run_gate, gh, tmp_path, monkeypatch, name):
    payload = payloads(name)[0]
    pr = payload["pull_request"]
    owner, repo = payload["repository"]["full_name"].split("/")
    gh.server.state = State(owner, repo)
    pull = gh.state.add_pull(
        pr["number"],
        author=pr["user"]["login"],
        files=["signoffs/security.yaml"],
        head_sha=pr["head"]["sha"],
        base_sha=pr["base"]["sha"],
    )
    gh.rules(gh.state.default_head)
    gh.state.add_file(pull.head_sha, "signoffs/security.yaml", SIGNOFF)
    gh.state.add_review(pr["number"], "sec-lead-ana")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_file(tmp_path, payload)))

    code, out, err = run_gate("approvals", "--membership", "roster")  # no --pr, no --github

    assert (code, err) == (0, "")
    assert out.startswith(f"PR #{pr['number']} by @{pr['user']['login']} at {pr['head']['sha'][:12]}")


# -- the sticky comment --------------------------------------------------------------------------------


def test_comment_is_posted_once_then_updated_in_place(run_gate, gh, tmp_path, monkeypatch):
    monkeypatch.setenv("GATE_APP_SLUG", "gate-app")
    repo = tmp_path / "launch"
    shutil.copytree(ROOT / "examples" / "go", repo)
    gh.state.add_pull(70)
    comments = gh.state.comments[70]
    gh.state.add_comment(70, "an unrelated comment by a person")
    args = ["comment", "--repo", repo, "--pr", "70", "--github", "acme/launch", "--at", AT]

    assert run_gate(*args)[:2] == (0, "scorecard comment on #70 updated (GO)\n")
    [_, sticky] = comments
    assert sticky.body.startswith(STICKY_MARKER)
    assert "✅ GO" in sticky.body

    (repo / "evidence/security/vuln-scan.txt").write_text("tampered\n")
    assert run_gate(*args)[:2] == (0, "scorecard comment on #70 updated (NO-GO)\n")

    assert [c.id for c in comments][1] == sticky.id
    assert len(comments) == 2  # the person's and ours: edited, not posted again
    assert "NO-GO" in comments[1].body
    assert gh.server.count("/repos/acme/launch/issues/70/comments", "POST") == 1
    assert gh.server.count(method="PATCH") == 1
