"""The PyGithub adapter over real HTTP, against the local api.github.com of `server.py`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from datetime import UTC

import pytest

from gate.errors import ExternalError, UsageError
from gate.github.client import MAX_TOTAL_WAIT, MAX_WAIT, GitHubError, PyGithubClient
from gate.github.types import Team
from tests.github.server import FAULT_KINDS, schema_errors
from tests.github.state import RELEASE_APP, FileChange

REVIEWS = "/repos/acme/launch/pulls/7/reviews"
PULL = "/repos/acme/launch/pulls/7"
FILES = "/repos/acme/launch/pulls/7/files"


@pytest.fixture
def pull(github_server):
    """PR #7 with 250 reviews (3 pages of 100), each reviewer once, alternating states."""
    state = github_server.state
    record = state.add_pull(7, files=["signoffs/security.yaml", "README.md"])
    for i in range(250):
        state.add_review(7, f"Reviewer{i}", "APPROVED" if i % 2 else "CHANGES_REQUESTED")
    return record


# -- reading -------------------------------------------------------------------------------------


def test_250_reviews_are_read_in_exactly_three_pages(github_server, github_client, pull):
    reviews = github_client.reviews(7)

    assert [r.user for r in reviews] == [f"Reviewer{i}" for i in range(250)]
    asked = [r.query for r in github_server.requests if r.path == REVIEWS]
    assert asked == [
        {"per_page": "100"},
        {"per_page": "100", "page": "2"},
        {"per_page": "100", "page": "3"},
    ]


def test_reviews_keep_what_the_rules_need(github_server, github_client, pull):
    state = github_server.state
    state.add_review(7, "renovate[bot]", "APPROVED", user_type="Bot")
    state.add_review(7, "carol", "COMMENTED", commit_id="0" * 40)

    *_, bot, carol = github_client.reviews(7)

    assert (bot.user, bot.state, bot.user_is_bot, bot.commit_id) == (
        "renovate[bot]",
        "APPROVED",
        True,
        pull.head_sha,
    )
    assert (carol.state, carol.commit_id, carol.user_is_bot) == ("COMMENTED", "0" * 40, False)
    assert carol.submitted_at is not None
    assert carol.submitted_at.tzinfo == UTC


def test_pull_request_has_every_file_of_every_page(github_server, github_client):
    files = [f"evidence/{i:03}.txt" for i in range(149)]
    github_server.state.add_pull(
        7,
        author="dependabot[bot]",
        author_type="Bot",
        files=[*files, FileChange("signoffs/sec.yaml", "renamed", "signoffs/security.yaml")],
        labels=["launch", "decision"],
        merged=True,
        merge_commit_sha="f" * 40,
    )

    pr = github_client.pull_request(7)

    # A rename touches its old path too: moving a sign-off away needs its owners.
    assert pr.files == (*files, "signoffs/sec.yaml", "signoffs/security.yaml")
    assert (pr.author, pr.author_is_bot, pr.labels) == ("dependabot[bot]", True, ("launch", "decision"))
    assert (pr.merged, pr.merge_commit_sha, pr.base_ref) == (True, "f" * 40, "main")
    assert github_server.count(FILES) == 2
    assert github_server.count(PULL) == 1


def test_a_file_list_github_cut_short_is_refused(github_server, github_client):
    github_server.state.add_pull(7, files=["a", "b"], changed_files=3001)

    with pytest.raises(GitHubError, match="changes 3001 files but GitHub lists only 2"):
        github_client.pull_request(7)


def test_each_resource_is_asked_once(github_server, github_client, pull):
    state = github_server.state
    state.add_team("acme", "security", ["Alice"])
    state.add_file(pull.base_sha, ".github/CODEOWNERS", "* @acme/security\n")

    for _ in range(3):
        github_client.pull_request(7)
        github_client.reviews(7)
        github_client.file_at(".github/CODEOWNERS", pull.base_sha)
        github_client.file_at("CODEOWNERS", pull.base_sha)  # a 404 is remembered too
        github_client.team_members(Team.parse("@acme/security"))
        github_client.team_members(Team.parse("@ACME/Security"))  # GitHub's names ignore case

    assert github_server.count() == 1 + 1 + 3 + 1 + 1 + 1


def test_team_members_are_lower_cased_from_every_page(github_server, github_client):
    logins = [f"Lead{i}" for i in range(130)]
    github_server.state.add_team("acme", "security", logins)

    members = github_client.team_members(Team("acme", "security"))

    assert members == {login.lower() for login in logins}
    assert github_server.count("/orgs/acme/teams/security/members") == 2


def test_an_unreadable_team_says_which_token_is_needed(github_client):
    with pytest.raises(GitHubError, match=r"HTTP 404.*read:org.*roster") as raised:
        github_client.team_members(Team("acme", "secret-team"))
    assert raised.value.status == 404
    assert isinstance(raised.value, ExternalError)


def test_file_at_decodes_the_file_and_returns_none_when_absent(github_server, github_client, pull):
    text = "# owners\n/signoffs/security.yaml @acme/security\n" + "é" * 100
    github_server.state.add_file(pull.base_sha, ".github/CODEOWNERS", text)

    assert github_client.file_at(".github/CODEOWNERS", pull.base_sha) == text
    assert github_client.file_at("docs/CODEOWNERS", pull.base_sha) is None


@pytest.mark.parametrize(
    ("path", "ref", "message"),
    [
        ("signoffs", "main", "is a directory"),
        ("big.bin", "main", "too big"),
        ("CODEOWNERS", "no-such-branch", "No commit found for the ref no-such-branch"),
    ],
)
def test_file_at_refuses_what_is_not_a_readable_file(github_server, github_client, path, ref, message):
    github_server.state.add_file("main", "signoffs/security.yaml", "status: pending\n")
    github_server.state.add_file("main", "big.bin", b"x" * (1024 * 1024 + 1))

    with pytest.raises(GitHubError, match=message):
        github_client.file_at(path, ref)


def test_pulls_for_commit(github_server, github_client):
    state = github_server.state
    state.add_pull(7)
    state.add_pull(8)
    state.add_pull(9)
    state.link_commit("c" * 40, 7, 8)

    assert github_client.pulls_for_commit("c" * 40) == [7, 8]
    state.link_commit("c" * 40, 7, 8, 9)  # GitHub associates commits with pull requests late
    assert github_client.pulls_for_commit("c" * 40) == [7, 8, 9]  # so this is asked again, never cached
    assert github_server.count() == 2


def test_unknown_review_state_fails_closed(github_server, github_client, pull):
    github_server.state.add_review(7, "mallory", "APPROVED_WITH_NITS")

    with pytest.raises(GitHubError, match="unknown state 'APPROVED_WITH_NITS'"):
        github_client.reviews(7)


def test_token_is_sent_and_none_means_anonymous(github_server, make_client, pull):
    make_client().pull_request(7)
    make_client(token=None).pull_request(7)

    assert [r.authorization for r in github_server.requests if r.path == PULL] == [
        "token ghs_testtoken",
        None,
    ]


def test_a_repository_must_be_owner_slash_name(github_server):
    with pytest.raises(UsageError, match="owner/name"):
        PyGithubClient("acme", None)


# -- tags, releases, comments --------------------------------------------------------------------


def test_ref_sha_follows_annotated_and_lightweight_tags(github_server, github_client):
    state = github_server.state
    tag_object = state.add_tag("v1.0.0", "a" * 40)
    state.add_tag("v0.9.0", "b" * 40, annotated=False)

    assert tag_object != "a" * 40
    assert github_client.ref_sha("tags/v1.0.0") == "a" * 40
    assert github_client.ref_sha("refs/tags/v0.9.0") == "b" * 40
    assert github_client.ref_sha("tags/v2.0.0") is None


def test_create_tag_makes_an_annotated_tag_on_the_commit(github_server, github_client):
    github_server.state.default_identity = RELEASE_APP  # tags and releases are the release App's
    commit = github_server.state.add_commit("d" * 40)

    github_client.create_tag("v1.0.0", commit, "Mainnet launch: GO")

    assert github_client.ref_sha("tags/v1.0.0") == commit
    (tag,) = github_server.state.tags.values()
    assert (tag.tag, tag.message, tag.object_type) == ("v1.0.0", "Mainnet launch: GO", "commit")


def test_create_tag_on_an_existing_ref_is_an_error(github_server, github_client):
    github_server.state.default_identity = RELEASE_APP  # tags and releases are the release App's
    github_server.state.add_tag("v1.0.0", "a" * 40)

    with pytest.raises(GitHubError, match="Reference already exists") as raised:
        github_client.create_tag("v1.0.0", "a" * 40, "again")
    assert raised.value.status == 422


def test_create_release_returns_its_id(github_server, github_client):
    github_server.state.default_identity = RELEASE_APP  # tags and releases are the release App's
    github_server.state.add_tag("v1.0.0", "a" * 40)

    release_id = github_client.create_release("v1.0.0", "Mainnet v1.0.0", "GO, see the packet.")

    (release,) = github_server.state.releases
    assert (release.id, release.tag_name, release.name, release.body) == (
        release_id,
        "v1.0.0",
        "Mainnet v1.0.0",
        "GO, see the packet.",
    )


def test_upsert_comment_posts_once_then_edits_only_on_change(github_server, github_client):
    state = github_server.state
    state.add_pull(7)
    for i in range(120):  # the sticky comment lands on the second page
        state.add_comment(7, f"human comment {i}")
    comments = "/repos/acme/launch/issues/7/comments"

    github_client.upsert_comment(7, "<!-- gate -->", "NO-GO: 3 blockers", "gate-app[bot]")
    github_client.upsert_comment(7, "<!-- gate -->", "NO-GO: 3 blockers", "gate-app[bot]")
    github_client.upsert_comment(7, "<!-- gate -->", "GO", "gate-app[bot]")

    ours = [c for c in state.comments[7] if "<!-- gate -->" in c.body]
    assert [c.body for c in ours] == ["<!-- gate -->\nGO"]
    assert github_server.count(comments, "POST") == 1
    assert github_server.count(f"/repos/acme/launch/issues/comments/{ours[0].id}", "PATCH") == 1
    assert [c.body for c in state.comments[7][:120]] == [f"human comment {i}" for i in range(120)]


# -- faults --------------------------------------------------------------------------------------


RETRIED = [kind for kind in FAULT_KINDS if kind != "not_json"]


@pytest.mark.parametrize("kind", RETRIED)
def test_each_fault_is_retried_then_succeeds(github_server, github_client, sleeps, pull, kind):
    github_server.inject(REVIEWS, kind, query={"page": "2"}, seconds=3)

    reviews = github_client.reviews(7)

    assert len(reviews) == 250
    # The retry resumes at the page that failed: pages 1, 2 (fault), 2, 3.
    assert [r.query.get("page", "1") for r in github_server.requests] == ["1", "2", "2", "3"]
    (pause,) = sleeps
    # A reset 3 s away, announced in whole seconds of the server's clock, plus GitHub's 1 s margin.
    expected = {"rate_limit": (2, 4), "retry_after": (3, 3)}.get(kind, (1, 1))
    assert expected[0] <= pause <= expected[1]


@pytest.mark.parametrize("kind", RETRIED)
def test_a_fault_that_persists_fails_closed(github_server, make_client, sleeps, pull, kind):
    retries = 1 if kind == "hang" else 3  # each hang costs a whole (1 s) timeout
    client = make_client(retries=retries)
    github_server.inject(REVIEWS, kind, times=99, query={"page": "3"}, seconds=1)

    with pytest.raises(GitHubError, match=f"gave up after {retries + 1} attempts") as raised:
        client.reviews(7)

    assert "list the reviews of pull request #7" in str(raised.value)
    assert github_server.count(REVIEWS) == 2 + retries + 1
    assert len(sleeps) == retries
    # Nothing partial was kept: once GitHub recovers, all 250 come, over all pages again.
    github_server.faults.clear()
    assert len(client.reviews(7)) == 250


ASKS = {
    "pull_request": (PULL, lambda client: client.pull_request(7)),
    "reviews": (REVIEWS, lambda client: client.reviews(7)),
    "file_at": ("/repos/acme/launch/contents/CODEOWNERS", lambda client: client.file_at("CODEOWNERS", "main")),
    "team_members": ("/orgs/acme/teams/sre/members", lambda client: client.team_members(Team("acme", "sre"))),
    "pulls_for_commit": (f"/repos/acme/launch/commits/{'c' * 40}/pulls", lambda c: c.pulls_for_commit("c" * 40)),
    "ref_sha": ("/repos/acme/launch/git/ref/tags/v1", lambda client: client.ref_sha("tags/v1")),
}


@pytest.mark.parametrize("asked", ASKS)
def test_an_answer_that_is_not_json_fails_closed(github_server, github_client, sleeps, pull, asked):
    state = github_server.state
    state.add_file("main", "CODEOWNERS", "* @acme/sre\n")
    state.add_team("acme", "sre", ["alice"])
    state.link_commit("c" * 40, 7)
    state.add_tag("v1", "a" * 40)
    path, ask = ASKS[asked]
    github_server.inject(path, "not_json")

    with pytest.raises(GitHubError, match=r"GitHub: could not .*: "):
        ask(github_client)
    assert github_server.count(path) == 1
    assert sleeps == []


def test_a_rate_limit_resetting_too_late_fails_at_once(github_server, github_client, sleeps, pull):
    github_server.inject(PULL, "rate_limit", seconds=3600)

    with pytest.raises(GitHubError, match=r"API rate limit exceeded.*beyond this tool's limit"):
        github_client.pull_request(7)
    assert sleeps == []
    assert github_server.count(PULL) == 1


def test_pauses_are_bounded_in_all(github_server, make_client, sleeps, pull):
    client = make_client(retries=50)
    github_server.inject(PULL, "error500", times=99)

    with pytest.raises(GitHubError, match="beyond this tool's limit"):
        client.pull_request(7)
    assert max(sleeps) <= MAX_WAIT
    assert sum(sleeps) <= MAX_TOTAL_WAIT


def test_a_create_that_may_have_happened_is_not_repeated(github_server, github_client):
    github_server.state.default_identity = RELEASE_APP  # tags and releases are the release App's
    github_server.state.add_tag("v1.0.0", "a" * 40)
    github_server.inject("/repos/acme/launch/releases", "error502", method="POST")

    with pytest.raises(GitHubError, match="HTTP 502"):
        github_client.create_release("v1.0.0", "v1.0.0", "notes")
    assert github_server.count("/repos/acme/launch/releases", "POST") == 1


def test_a_create_refused_by_the_rate_limit_is_repeated(github_server, github_client, sleeps):
    github_server.state.default_identity = RELEASE_APP  # tags and releases are the release App's
    github_server.state.add_tag("v1.0.0", "a" * 40)
    github_server.inject("/repos/acme/launch/releases", "retry_after", method="POST", seconds=5)

    github_client.create_release("v1.0.0", "v1.0.0", "notes")

    assert len(github_server.state.releases) == 1
    assert sleeps == [5]


def test_a_failed_comment_upsert_is_retried_without_a_duplicate(github_server, github_client):
    github_server.state.add_pull(7)
    comments = "/repos/acme/launch/issues/7/comments"
    github_server.inject(comments, "truncated", method="POST")  # posted, but the answer is cut

    github_client.upsert_comment(7, "<!-- gate -->", "NO-GO", "gate-app[bot]")

    assert [c.body for c in github_server.state.comments[7]] == ["<!-- gate -->\nNO-GO"]
    assert github_server.count(comments, "POST") == 1


# -- the fake itself -----------------------------------------------------------------------------


def test_the_fake_reports_bodies_that_break_githubs_schema(github_server):
    bad_answer = [{"id": 1, "state": "APPROVED"}]  # a review without user, node_id, _links, ...
    assert schema_errors("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", "200", bad_answer)

    bad_request = urllib.request.Request(
        f"{github_server.url}/repos/acme/launch/git/refs",
        data=json.dumps({"ref": "refs/tags/v1"}).encode(),  # no sha
        headers={"User-Agent": "test"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(bad_request, timeout=5)

    raised.value.close()
    assert raised.value.code == 422
    assert github_server.errors == ["POST /repos/{owner}/{repo}/git/refs request: <root>: 'sha' is a required property"]
    github_server.errors.clear()  # expected here; left in place, it would fail the test at teardown


# -- cost and import -----------------------------------------------------------------------------


def test_an_approvals_run_costs_at_most_eight_requests_plus_one_per_team(github_server, github_client, pull):
    """The figure to quote: PR, files, reviews x3, CODEOWNERS at base, one per distinct team."""
    state = github_server.state
    teams = ["security", "compliance", "sre", "finance", "product"]
    for slug in teams:
        state.add_team("acme", slug, [f"{slug}-lead"])
    owners = "".join(f"/signoffs/{slug}.yaml @acme/{slug}\n" for slug in teams)
    state.add_file(pull.base_sha, ".github/CODEOWNERS", owners + "/decisions/ @acme/security @acme/sre\n")

    pr = github_client.pull_request(7)
    github_client.reviews(7)
    github_client.file_at(".github/CODEOWNERS", pr.base_sha)
    for handle in [*(f"@acme/{slug}" for slug in teams), "@acme/security", "@acme/sre"]:
        github_client.team_members(Team.parse(handle))

    assert github_server.count() == 6 + len(teams)
    assert github_server.count() <= 8 + len(teams)


def test_importing_the_client_does_not_import_pygithub():
    script = textwrap.dedent(
        """
        import sys
        import gate.github.client as client
        assert "github" not in sys.modules, "imported at module load"
        assert "requests" not in sys.modules, "imported at module load"
        client.PyGithubClient("acme/launch", None)  # lazy: makes no request
        assert "github" in sys.modules, "not imported by the constructor"
        """
    )
    subprocess.run([sys.executable, "-W", "error", "-c", script], check=True)


def test_the_sticky_comment_is_the_one_its_author_wrote(github_server, github_client):
    """Anyone can post a comment carrying the marker first: it is never taken for ours (M)."""
    state = github_server.state
    state.add_pull(7)
    decoy = state.add_comment(7, "<!-- gate -->\n✅ GO, all approved", user="mallory")

    github_client.upsert_comment(7, "<!-- gate -->", "NO-GO", "gate-app[bot]")

    bodies = {c.user: c.body for c in state.comments[7]}
    assert bodies == {"mallory": "<!-- gate -->\n✅ GO, all approved", "gate-app[bot]": "<!-- gate -->\nNO-GO"}
    assert github_server.count(f"/repos/acme/launch/issues/comments/{decoy}", "PATCH") == 0
