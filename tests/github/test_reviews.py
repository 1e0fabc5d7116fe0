"""Review rules: latest review, code-owner approvals, sign-offs and the decision quorum."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from gate.github.codeowners import Codeowners
from gate.github.reviews import (
    ApprovalResult,
    AreaSpec,
    AreaStatus,
    evaluate,
    latest_reviews,
    verdicts,
)
from gate.github.types import Membership, PullRequest, Review, ReviewState

HEAD = "a" * 40
OLD = "b" * 40
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

CODEOWNERS = """\
# tool and schemas belong to the release managers
/gate/                     @virtengine/release
/signoffs/security.yaml    @virtengine/security
/signoffs/ops.yaml         @virtengine/ops
/signoffs/compliance.yaml  @virtengine/compliance
/decisions/                @virtengine/security @virtengine/ops @virtengine/compliance
/README.md                 @Erin
/shared/                   @virtengine/ops @virtengine/compliance
/legal.md                  legal@example.com
/ghost.md                  @virtengine/ghosts
"""

TEAMS = {
    "@virtengine/release": {"rm", "rm2"},
    "@virtengine/security": {"alice", "bob"},
    "@virtengine/ops": {"dave"},
    "@virtengine/compliance": {"carol"},
    "@virtengine/finance": {"frank"},
}

AREAS = (
    AreaSpec("security", "@virtengine/security"),
    AreaSpec("ops", "@virtengine/ops"),
    AreaSpec("compliance", "@virtengine/compliance"),
)


def membership(teams: Mapping[str, Iterable[str]] = TEAMS) -> Membership:
    return Membership({team: frozenset(logins) for team, logins in teams.items()})


def pull(*files: str, author: str = "releaser") -> PullRequest:
    return PullRequest(number=7, author=author, head_sha=HEAD, base_sha="c" * 40, files=files)


def review(
    user: str,
    state: ReviewState = "APPROVED",
    *,
    at: int | None = 0,
    commit: str = HEAD,
    review_id: int | None = None,
    bot: bool = False,
) -> Review:
    """A review submitted `at` minutes after T0 (None: undated); ids follow time unless given."""
    when = None if at is None else T0 + timedelta(minutes=at)
    return Review(
        id=review_id if review_id is not None else 1000 + (at or 0),
        user=user,
        state=state,
        commit_id=commit,
        submitted_at=when,
        user_is_bot=bot,
    )


def check(
    pr: PullRequest,
    reviews: Sequence[Review],
    *,
    codeowners: str = CODEOWNERS,
    areas: Sequence[AreaSpec] = AREAS,
    teams: Mapping[str, Iterable[str]] = TEAMS,
    signoffs: Mapping[str, str | None] | None = None,
) -> ApprovalResult:
    return evaluate(
        pr,
        reviews,
        Codeowners.parse(codeowners, ".github/CODEOWNERS"),
        areas,
        membership(teams),
        signoffs if signoffs is not None else {},
    )


def area(result: ApprovalResult, area_id: str) -> AreaStatus:
    (found,) = (a for a in result.areas if a.area == area_id)
    return found


def assert_blocked_with(result: ApprovalResult, *fragments: str) -> None:
    assert not result.satisfied
    text = "\n".join(result.blocking)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


# --- Rule 1: only the latest APPROVED / CHANGES_REQUESTED / DISMISSED counts -------------------

LATEST_CASES = {
    "approved": ([review("rm")], True, False),
    "commented after approved": ([review("rm"), review("rm", "COMMENTED", at=5)], True, False),
    "pending after approved": (
        [review("rm"), review("rm", "PENDING", at=None, review_id=9999)],
        True,
        False,
    ),
    "dismissed after approved": ([review("rm"), review("rm", "DISMISSED", at=5)], False, False),
    "approved after changes": (
        [review("rm", "CHANGES_REQUESTED"), review("rm", at=5)],
        True,
        False,
    ),
    "changes after approved": (
        [review("rm"), review("rm", "CHANGES_REQUESTED", at=5)],
        False,
        True,
    ),
    "commented after changes": (
        [review("rm", "CHANGES_REQUESTED"), review("rm", "COMMENTED", at=5)],
        False,
        True,
    ),
    "dismissed after changes": (
        [review("rm", "CHANGES_REQUESTED"), review("rm", "DISMISSED", at=5)],
        False,
        False,
    ),
    "only commented": ([review("rm", "COMMENTED")], False, False),
    "ordered by time, not by list": (
        [review("rm", at=9), review("rm", "CHANGES_REQUESTED", at=1)],
        True,
        False,
    ),
    "ordered by time before id": (
        [review("rm", at=9, review_id=1), review("rm", "CHANGES_REQUESTED", at=1, review_id=2)],
        True,
        False,
    ),
    "same time, higher id wins (approve)": (
        [review("rm", at=1, review_id=2), review("rm", "DISMISSED", at=1, review_id=1)],
        True,
        False,
    ),
    "same time, higher id wins (dismiss)": (
        [review("rm", at=1, review_id=1), review("rm", "DISMISSED", at=1, review_id=2)],
        False,
        False,
    ),
    "undated review never overrides a dated one": (
        [review("rm", at=1, review_id=1), review("rm", "CHANGES_REQUESTED", at=None, review_id=50)],
        True,
        False,
    ),
    "login case does not split a reviewer": (
        [review("rm"), review("RM", "DISMISSED", at=5)],
        False,
        False,
    ),
}


@pytest.mark.parametrize(("reviews", "approved", "blocked"), LATEST_CASES.values(), ids=LATEST_CASES.keys())
def test_only_the_latest_decisive_review_counts(reviews: list[Review], approved: bool, blocked: bool) -> None:
    result = check(pull("gate/cli.py"), reviews)

    (status,) = result.files
    assert status.satisfied is approved
    assert status.approvers == (("rm",) if approved else ())
    assert result.changes_requested == (("rm",) if blocked else ())
    assert result.satisfied is (approved and not blocked)


def test_latest_reviews_keys_are_lower_cased_and_skip_comments() -> None:
    reviews = [review("Alice", at=1), review("alice", "COMMENTED", at=2), review("BOB", at=3)]

    latest = latest_reviews(reviews)

    assert latest == {"alice": reviews[0], "bob": reviews[2]}


def test_naive_submission_time_is_rejected() -> None:
    naive = Review(1, "rm", "APPROVED", HEAD, submitted_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="no time zone"):
        latest_reviews([naive, review("rm")])


# --- Rule 2: an approval counts only on the head commit ----------------------------------------


def test_approval_on_an_old_commit_does_not_count_and_is_explained() -> None:
    result = check(pull("gate/cli.py"), [review("rm", commit=OLD)])

    assert result.files[0].approvers == ()
    assert_blocked_with(
        result,
        "gate/cli.py: needs an approval on aaaaaaa from a member of @virtengine/release",
        "@rm approved an older commit",
    )


def test_reapproval_on_head_replaces_an_old_approval() -> None:
    result = check(pull("gate/cli.py"), [review("rm", commit=OLD), review("rm", at=5)])

    assert result.satisfied
    assert result.files[0].approvers == ("rm",)


def test_head_sha_compares_case_insensitively() -> None:
    result = check(pull("gate/cli.py"), [review("rm", commit=HEAD.upper())])

    assert result.satisfied


def test_verdicts_split_current_stale_and_changes() -> None:
    reviews = [
        review("rm", at=1),
        review("rm2", commit=OLD, at=2),
        review("dave", "CHANGES_REQUESTED", commit=OLD, at=3),
        review("carol", "DISMISSED", at=4),
    ]

    result = verdicts(pull("gate/cli.py"), reviews)

    assert result.approved == {"rm"}
    assert result.stale == {"rm2"}
    assert result.requested_changes == {"dave"}


# --- Rule 3: the author and bots never count ----------------------------------------------------

NOT_COUNTED = {
    "author approving own PR": ("rm", [review("rm")]),
    "author, other case": ("RM", [review("rm")]),
    "bot flagged by GitHub": ("releaser", [review("rm", bot=True)]),
    "bot by [bot] login": ("releaser", [review("rm2[bot]")]),
    "bot by [BOT] login": ("releaser", [review("RM2[BOT]")]),
}


@pytest.mark.parametrize(("author", "reviews"), NOT_COUNTED.values(), ids=NOT_COUNTED.keys())
def test_author_and_bots_never_approve(author: str, reviews: list[Review]) -> None:
    teams = {**TEAMS, "@virtengine/release": {"rm", "rm2[bot]"}}

    result = check(pull("gate/cli.py", author=author), reviews, teams=teams)

    assert result.files[0].approvers == ()
    assert_blocked_with(result, "gate/cli.py: needs an approval")


@pytest.mark.parametrize(
    "reviews",
    [
        pytest.param([review("rm", "CHANGES_REQUESTED", bot=True)], id="flagged bot"),
        pytest.param([review("rm[bot]", "CHANGES_REQUESTED")], id="[bot] login"),
    ],
)
def test_bots_never_block(reviews: list[Review]) -> None:
    teams = {**TEAMS, "@virtengine/release": {"rm", "rm2", "rm[bot]"}}

    result = check(pull("gate/cli.py"), [*reviews, review("rm2", at=5)], teams=teams)

    assert result.satisfied
    assert result.changes_requested == ()


def test_an_author_never_blocks_their_own_pr() -> None:
    result = check(
        pull("gate/cli.py", author="rm"),
        [review("rm", "CHANGES_REQUESTED"), review("rm2", at=5)],
    )

    assert result.satisfied


# --- Rule 4: one CHANGES_REQUESTED from an owner blocks -----------------------------------------


def test_changes_requested_by_an_owner_blocks_despite_other_approvals() -> None:
    result = check(pull("gate/cli.py"), [review("rm2", "CHANGES_REQUESTED", commit=OLD), review("rm", at=5)])

    assert result.files[0].satisfied
    assert result.changes_requested == ("rm2",)
    assert result.blocking == ("@rm2 requested changes as an owner of gate/cli.py",)


@pytest.mark.parametrize(
    "objector",
    [
        pytest.param("dave", id="owner of nothing touched"),
        pytest.param("alice", id="owner of an untouched sign-off"),
        pytest.param("stranger", id="not in any team"),
    ],
)
def test_changes_requested_by_a_non_owner_does_not_block(objector: str) -> None:
    result = check(pull("gate/cli.py"), [review(objector, "CHANGES_REQUESTED"), review("rm")])

    assert result.satisfied
    assert result.changes_requested == ()


def test_changes_requested_by_an_area_owner_blocks_even_without_a_codeowners_line() -> None:
    # /signoffs/finance.yaml has no CODEOWNERS line; the sign-off rule still makes finance an owner.
    areas = (*AREAS, AreaSpec("finance", "@virtengine/finance"))

    result = check(
        pull("signoffs/finance.yaml"),
        [review("frank", "CHANGES_REQUESTED")],
        areas=areas,
        signoffs={"finance": "frank"},
    )

    assert result.changes_requested == ("frank",)
    assert_blocked_with(
        result,
        "@frank requested changes as an owner of area finance",
        "area finance: needs an approval on aaaaaaa from the recorded approver @frank",
    )


def test_objection_lists_what_the_owner_owns_shortened() -> None:
    files = [f"gate/m{i}.py" for i in range(5)]

    result = check(pull(*files), [review("rm", "CHANGES_REQUESTED")])

    assert result.blocking[0] == ("@rm requested changes as an owner of gate/m0.py, gate/m1.py, gate/m2.py and 2 more")


def test_every_blocking_reason_is_listed() -> None:
    result = check(
        pull("gate/cli.py", "README.md", "signoffs/security.yaml"),
        [review("rm", "CHANGES_REQUESTED")],
        signoffs={"security": "alice"},
    )

    assert result.blocking == (
        "@rm requested changes as an owner of gate/cli.py",
        "gate/cli.py: needs an approval on aaaaaaa from a member of @virtengine/release",
        "README.md: needs an approval on aaaaaaa from @Erin",
        "signoffs/security.yaml: needs an approval on aaaaaaa from a member of @virtengine/security",
        "area security: needs an approval on aaaaaaa from the recorded approver @alice",
    )


# --- Rule 5: every owned file needs one of its owners -------------------------------------------

PER_FILE = {
    "team member approves": (["gate/cli.py"], ["rm"], True),
    "direct @user owner, other case": (["README.md"], ["ERIN"], True),
    "any one of several owning teams": (["shared/runbook.md"], ["carol"], True),
    "non-owner approval is not enough": (["gate/cli.py"], ["alice"], False),
    "one of two files unapproved": (["gate/cli.py", "README.md"], ["rm"], False),
    "both files approved": (["gate/cli.py", "README.md"], ["rm", "erin"], True),
    "e-mail owner cannot be matched": (["legal.md"], ["rm", "erin", "alice"], False),
    "team with no known members": (["ghost.md"], ["rm", "alice"], False),
}


@pytest.mark.parametrize(("files", "approvers", "satisfied"), PER_FILE.values(), ids=PER_FILE.keys())
def test_each_owned_file_needs_an_owner_approval(files: list[str], approvers: list[str], satisfied: bool) -> None:
    reviews = [review(login, at=i) for i, login in enumerate(approvers)]

    result = check(pull(*files), reviews, areas=())

    assert all(f.satisfied for f in result.files) is satisfied
    assert result.satisfied is satisfied


def test_unresolvable_owners_are_named_in_the_reason() -> None:
    result = check(pull("legal.md", "ghost.md"), [review("rm")])

    assert result.blocking == (
        "legal.md: needs an approval from legal@example.com, who resolve to no known login",
        "ghost.md: needs an approval from a member of @virtengine/ghosts, who resolve to no known login",
    )


def test_a_pr_touching_nothing_owned_needs_nobody() -> None:
    result = check(pull("notes.txt", "docs/guide.md"), [review("alice"), review("dave", at=1)])

    assert result.satisfied
    assert result.blocking == ()
    assert all(a.representative is None for a in result.areas)
    assert [(f.path, f.owners, f.satisfied) for f in result.files] == [
        ("notes.txt", (), True),
        ("docs/guide.md", (), True),
    ]
    assert not any(a.required for a in result.areas)


def test_file_status_reports_owners_and_approvers() -> None:
    result = check(pull("decisions/d.yaml"), [review("carol"), review("alice", at=1)])

    (status,) = result.files
    assert status.owners == (
        "@virtengine/security",
        "@virtengine/ops",
        "@virtengine/compliance",
    )
    assert status.approvers == ("alice", "carol")


# --- Rule 6: a sign-off needs its area's owners, and the recorded approver is one of them ---------

SIGNOFF = {
    "recorded owner approved": ("alice", ["alice"], "releaser", ""),
    "recorded with @ and other case": ("@Alice", ["ALICE"], "releaser", ""),
    "nothing recorded, an owner approved": (None, ["bob"], "releaser", ""),
    "nothing recorded, nobody approved": (
        None,
        [],
        "releaser",
        "an approval on aaaaaaa from a member of @virtengine/security",
    ),
    "recorded login is not an owner": (
        "dave",
        ["alice", "dave"],
        "releaser",
        "a recorded approver who is a member of @virtengine/security (@dave is not)",
    ),
    "recorded non-owner and no owner approved": (
        "dave",
        ["dave"],
        "releaser",
        "a recorded approver who is a member of @virtengine/security (@dave is not); "
        "an approval on aaaaaaa from a member of @virtengine/security",
    ),
    "recorded owner did not approve, another owner did": (
        "bob",
        ["alice"],
        "releaser",
        "an approval on aaaaaaa from the recorded approver @bob",
    ),
    "recorded approver is the author": (
        "alice",
        ["alice", "bob"],
        "alice",
        "a recorded approver other than the PR's author @alice, whose approval never counts",
    ),
}


@pytest.mark.parametrize(("recorded", "approvers", "author", "needs"), SIGNOFF.values(), ids=SIGNOFF.keys())
def test_signoff_rules(recorded: str | None, approvers: list[str], author: str, needs: str) -> None:
    reviews = [review(login, at=i) for i, login in enumerate(approvers)]

    result = check(pull("signoffs/security.yaml", author=author), reviews, signoffs={"security": recorded})

    security = area(result, "security")
    assert security.required
    assert security.needs == needs
    assert security.satisfied is (needs == "")
    assert (f"area security: needs {needs}" in result.blocking) is (needs != "")
    assert not area(result, "ops").required


def test_signoff_recorded_approver_on_an_old_commit_does_not_count() -> None:
    result = check(
        pull("signoffs/security.yaml"),
        [review("alice", commit=OLD), review("bob", at=1)],
        signoffs={"security": "alice"},
    )

    assert area(result, "security").needs == (
        "an approval on aaaaaaa from the recorded approver @alice (@alice approved an older commit)"
    )


def test_signoff_without_a_recorded_login_given_fails_closed() -> None:
    result = check(pull("signoffs/security.yaml"), [review("alice")], signoffs={})

    assert_blocked_with(
        result,
        "area security: needs the approver recorded in signoffs/security.yaml (not provided)",
    )


def test_signoff_of_an_unknown_area_blocks() -> None:
    result = check(pull("signoffs/marketing.yaml"), [])

    assert result.blocking == ("signoffs/marketing.yaml: 'marketing' is not a sign-off area of the checklist",)


@pytest.mark.parametrize(
    "path",
    [
        "signoffs/README.md",
        "signoffs/old/security.yaml",
        "docs/signoffs/security.yaml",
        "security.yaml",
        "signoffs/.yaml",
    ],
)
def test_only_top_level_signoff_yaml_files_are_signoffs(path: str) -> None:
    result = check(pull(path), [])

    assert result.satisfied
    assert not any(a.required for a in result.areas)


def test_two_signoffs_in_one_pr_each_need_their_own_owner() -> None:
    result = check(
        pull("signoffs/security.yaml", "signoffs/ops.yaml"),
        [review("alice")],
        signoffs={"security": "alice", "ops": "dave"},
    )

    assert area(result, "security").satisfied
    assert not area(result, "ops").satisfied
    assert_blocked_with(result, "area ops: needs an approval on aaaaaaa from the recorded approver")


# --- Rule 7: the decision quorum, one distinct person per area -----------------------------------


def test_decision_quorum_satisfied_by_one_approver_per_area() -> None:
    result = check(pull("decisions/go.yaml"), [review("alice"), review("dave", at=1), review("carol", at=2)])

    assert result.satisfied
    assert {a.area: a.representative for a in result.areas} == {
        "security": "alice",
        "ops": "dave",
        "compliance": "carol",
    }
    assert all(a.required for a in result.areas)


def test_decision_quorum_lacking_an_area_says_which() -> None:
    result = check(pull("decisions/go.yaml"), [review("alice"), review("bob", at=1)])

    assert [a.area for a in result.areas if not a.satisfied] == ["ops", "compliance"]
    assert_blocked_with(
        result,
        "area ops: needs a decision-quorum approval on aaaaaaa from a member of @virtengine/ops",
    )


def test_one_person_in_two_teams_cannot_stand_for_two_areas() -> None:
    teams = {**TEAMS, "@virtengine/ops": {"dave", "alice"}}

    result = check(pull("decisions/go.yaml"), [review("alice"), review("carol", at=1)], teams=teams)

    unmet = [a for a in result.areas if not a.satisfied]
    assert len(unmet) == 1
    assert unmet[0].area in {"security", "ops"}
    assert unmet[0].representative is None
    assert_blocked_with(result, "stands for no other area (@alice stands for " + taken_by_alice(result) + ")")
    # alice is an eligible approver for both, but stands for exactly one.
    assert [a.representative for a in result.areas].count("alice") == 1


def test_quorum_is_a_matching_not_a_greedy_pick() -> None:
    # Greedy, in area order and sorted logins, gives security to alice and leaves ops with nobody;
    # the matching gives security to bob so that alice can stand for ops.
    teams = {**TEAMS, "@virtengine/ops": {"alice"}}

    result = check(
        pull("decisions/go.yaml"),
        [review("alice"), review("bob", at=1), review("carol", at=2)],
        teams=teams,
    )

    assert result.satisfied, result.blocking
    assert {a.area: a.representative for a in result.areas} == {
        "security": "bob",
        "ops": "alice",
        "compliance": "carol",
    }
    assert area(result, "security").approvers == ("alice", "bob")


def taken_by_alice(result: ApprovalResult) -> str:
    (held,) = (a.area for a in result.areas if a.representative == "alice")
    return held


def test_quorum_ignores_stale_and_author_approvals() -> None:
    result = check(
        pull("decisions/go.yaml", author="carol"),
        [review("alice"), review("dave", commit=OLD, at=1), review("carol", at=2)],
    )

    assert [a.area for a in result.areas if not a.satisfied] == ["ops", "compliance"]


def test_decision_without_configured_areas_fails_closed() -> None:
    result = check(pull("decisions/go.yaml"), [review("alice")], areas=())

    assert result.blocking == ("decision quorum: no sign-off areas are configured, so none can be verified",)


@pytest.mark.parametrize("path", ["docs/decisions/go.yaml", "decisions.md", "decisionsx/a.yaml"])
def test_only_files_under_decisions_trigger_the_quorum(path: str) -> None:
    result = check(pull(path), [])

    assert result.satisfied
    assert all(a.representative is None and not a.required for a in result.areas)


def test_decision_and_signoff_in_one_pr_need_both() -> None:
    result = check(
        pull("decisions/go.yaml", "signoffs/security.yaml"),
        [review("bob"), review("dave", at=1), review("carol", at=2)],
        signoffs={"security": "alice"},
    )

    assert area(result, "security").representative == "bob"
    assert area(result, "security").needs == ("an approval on aaaaaaa from the recorded approver @alice")


# --- Rule 9: logins and team handles compare case-insensitively ----------------------------------


def test_roster_logins_in_any_case_match() -> None:
    teams = {**TEAMS, "@virtengine/release": {"RM"}}

    result = check(pull("gate/cli.py"), [review("rm")], teams=teams)

    assert result.files[0].approvers == ("rm",)


def test_logins_and_team_handles_are_case_insensitive() -> None:
    codeowners = "/signoffs/security.yaml @VirtEngine/Security\n/decisions/ @VIRTENGINE/OPS\n"
    areas = (AreaSpec("security", "@VirtEngine/SECURITY"), AreaSpec("ops", "@virtengine/Ops"))

    result = check(
        pull("signoffs/security.yaml", "decisions/go.yaml", author="Releaser"),
        [review("ALICE"), review("Dave", at=1), review("releaser", at=2)],
        codeowners=codeowners,
        areas=areas,
        signoffs={"security": "Alice"},
    )

    assert result.satisfied, result.blocking
    assert area(result, "security").approvers == ("alice",)
    assert area(result, "ops").representative == "dave"


def test_duplicate_area_ids_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="duplicate sign-off area ids: ops"):
        check(pull("gate/cli.py"), [], areas=(*AREAS, AreaSpec("ops", "@virtengine/ops")))


# --- Properties: exhaustive or seeded, so they need no extra dependency ----------------------

PEOPLE = ("p0", "p1", "p2", "p3")
SUBSETS = [set(chosen) for n in range(len(PEOPLE) + 1) for chosen in itertools.combinations(PEOPLE, n)]


def has_perfect_matching(eligible: Mapping[str, set[str]]) -> bool:
    """Brute force: some assignment of distinct people covers every area."""
    areas = list(eligible)
    return any(
        all(person in eligible[a] for a, person in zip(areas, chosen, strict=True))
        for chosen in itertools.permutations(PEOPLE, len(areas))
    )


def test_quorum_holds_exactly_when_distinct_approvers_can_cover_every_area() -> None:
    # Every way three areas can draw their approvers from four people (16**3 graphs).
    areas = tuple(AreaSpec(f"a{i}", f"@org/t{i}") for i in range(3))
    reviews = [review(login, at=i) for i, login in enumerate(PEOPLE)]
    for teams in itertools.product(SUBSETS, repeat=len(areas)):
        roster = {f"@org/t{i}": members for i, members in enumerate(teams)}

        result = check(pull("decisions/go.yaml"), reviews, codeowners="", areas=areas, teams=roster)

        eligible = {f"a{i}": members for i, members in enumerate(teams)}
        assert result.satisfied is has_perfect_matching(eligible), roster
        chosen = [a.representative for a in result.areas if a.representative is not None]
        assert len(chosen) == len(set(chosen)), roster
        for status in result.areas:
            assert (status.representative is not None) is status.satisfied
            if status.representative is not None:
                assert status.representative in eligible[status.area]


STATES: tuple[ReviewState, ...] = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED", "COMMENTED")
REVIEWERS = ("alice", "bob", "dave", "carol", "rm")


@pytest.mark.parametrize("seed", range(200))
def test_result_does_not_depend_on_review_order_or_login_case(seed: int) -> None:
    rng = random.Random(seed)
    reviews = [
        review(rng.choice(REVIEWERS), rng.choice(STATES), at=i, commit=rng.choice((HEAD, OLD)))
        for i in range(rng.randrange(13))
    ]
    shuffled = [review(r.user.upper(), r.state, at=i, commit=r.commit_id) for i, r in enumerate(reviews)]
    rng.shuffle(shuffled)
    pr = pull("decisions/go.yaml", "signoffs/security.yaml", "gate/cli.py")
    signoffs = {"security": "alice"}

    assert check(pr, shuffled, signoffs=signoffs) == check(pr, reviews, signoffs=signoffs)
