"""CODEOWNERS: GitHub's documented matching, the syntax GitHub rejects, lookup order, and lint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gate.github.codeowners import (
    LOCATIONS,
    Codeowners,
    Match,
    Problem,
    Rule,
    find_codeowners,
    lint,
)

# GitHub's example file from "About code owners", comments trimmed; line numbers matter below.
GITHUB_EXAMPLE = """\
# This is a comment.
*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
"""

# (pattern, path, whether the pattern covers the path). Patterns and paths come from the examples
# and their explanatory comments on GitHub's "About code owners" page, plus the gitignore rules that
# page defers to (anchoring, `**`, `?`).
PATTERN_CASES = [
    # `*`: everything, at any depth
    ("*", "README.md", True),
    ("*", "src/deeply/nested/file.py", True),
    # `*.js`: any depth
    ("*.js", "app.js", True),
    ("*.js", "src/web/app.js", True),
    ("*.js", "app.jsx", False),
    ("*.js", "app.json", False),
    ("*.js", "js", False),
    # `*.go`, `*.txt`
    ("*.go", "main.go", True),
    ("*.go", "cmd/gate/main.go", True),
    ("*.go", "main.gox", False),
    ("*.txt", "notes/todo.txt", True),
    ("*.txt", "txt", False),
    # `/build/logs/`: anchored folder, any depth below it
    ("/build/logs/", "build/logs/app.log", True),
    ("/build/logs/", "build/logs/2024/01/app.log", True),
    ("/build/logs/", "build/logs", False),
    ("/build/logs/", "src/build/logs/app.log", False),
    ("/build/logs/", "build/logsx/app.log", False),
    # `docs/*`: files directly in docs/, not further nested
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("docs/*", "docs", False),
    ("docs/*", "src/docs/getting-started.md", False),
    # `apps/`: a folder named apps anywhere
    ("apps/", "apps/web/index.js", True),
    ("apps/", "src/apps/index.js", True),
    ("apps/", "a/b/apps/c/d.js", True),
    ("apps/", "apps", False),
    ("apps/", "myapps/index.js", False),
    # `/docs/`: the root docs folder and everything below
    ("/docs/", "docs/index.md", True),
    ("/docs/", "docs/build-app/troubleshooting.md", True),
    ("/docs/", "src/docs/index.md", False),
    # `/scripts/`
    ("/scripts/", "scripts/deploy.sh", True),
    ("/scripts/", "scripts/ci/run.sh", True),
    ("/scripts/", "tools/scripts/deploy.sh", False),
    # `**/logs`: /build/logs, /scripts/logs, /deeply/nested/logs
    ("**/logs", "build/logs/app.log", True),
    ("**/logs", "scripts/logs/run.log", True),
    ("**/logs", "deeply/nested/logs/x.log", True),
    ("**/logs", "logs/x.log", True),
    ("**/logs", "catalogs/x.log", False),
    ("**/logs", "build/logsx/x.log", False),
    # `docs/**/logs`: `**` in the middle spans zero or more folders, anchored at docs/
    ("docs/**/logs", "docs/logs/a.log", True),
    ("docs/**/logs", "docs/a/b/logs/c.log", True),
    ("docs/**/logs", "src/docs/logs/a.log", False),
    # `/apps/github`: the path itself and, being a folder, what is inside it
    ("/apps/github", "apps/github", True),
    ("/apps/github", "apps/github/app.rb", True),
    ("/apps/github", "apps/githubber/app.rb", False),
    ("/apps/github", "lib/apps/github/app.rb", False),
    # a slash in the middle anchors; a bare name matches at any depth
    ("src/main.py", "src/main.py", True),
    ("src/main.py", "lib/src/main.py", False),
    ("README.md", "docs/README.md", True),
    ("README.md", "README.mdx", False),
    # trailing `**`, `/*`, `?`
    ("/src/**", "src/a/b.py", True),
    ("/src/**", "lib/src/a.py", False),
    ("/*", "setup.cfg", True),
    ("/*", "src/setup.cfg", False),
    ("v?.txt", "v1.txt", True),
    ("v?.txt", "v10.txt", False),
    # paths are case-sensitive on GitHub
    ("/Docs/", "docs/index.md", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), PATTERN_CASES)
def test_pattern_matches_like_github(pattern: str, path: str, expected: bool) -> None:
    co = Codeowners.parse(f"{pattern} @owner")
    assert co.problems == ()
    assert (co.match(path).rule is not None) is expected


@pytest.mark.parametrize(
    ("path", "owners", "line"),
    [
        ("README.md", ("@global-owner1", "@global-owner2"), 2),
        ("src/app.js", ("@js-owner",), 3),
        ("main.go", ("docs@example.com",), 4),
        ("notes.txt", ("@octo-org/octocats",), 5),
        # `**/logs` (line 11) beats the earlier `*.js` and `/build/logs/`
        ("build/logs/app.js", ("@octocat",), 11),
        # `/docs/` (line 9) comes after `docs/*` (line 7) and wins
        ("docs/getting-started.md", ("@doctocat",), 9),
        ("lib/apps/x.go", ("@octocat",), 8),
        ("scripts/logs/run.log", ("@octocat",), 11),
        ("apps/web/index.js", ("@octocat",), 12),
    ],
)
def test_last_matching_line_wins(path: str, owners: tuple[str, ...], line: int) -> None:
    found = Codeowners.parse(GITHUB_EXAMPLE).match(path)
    assert found.owners == owners
    assert found.rule is not None
    assert found.rule.line == line


def test_line_without_owners_unowns_and_is_named() -> None:
    found = Codeowners.parse(GITHUB_EXAMPLE).match("apps/github/app.rb")
    assert found == Match("apps/github/app.rb", (), Rule(13, "/apps/github", ()))


def test_unmatched_path_has_no_rule() -> None:
    co = Codeowners.parse("/docs/ @doctocat\n")
    assert co.match("src/a.py") == Match("src/a.py", (), None)
    assert co.owners_of("src/a.py") == ()


def test_owners_of_returns_the_deciding_owners() -> None:
    assert Codeowners.parse(GITHUB_EXAMPLE).owners_of("src/app.js") == ("@js-owner",)


def test_example_file_parses_cleanly() -> None:
    co = Codeowners.parse(GITHUB_EXAMPLE, source="CODEOWNERS")
    assert co.problems == ()
    assert co.source == "CODEOWNERS"
    assert [rule.line for rule in co.rules] == list(range(2, 14))


def test_inline_comment_names_are_not_owners() -> None:
    co = Codeowners.parse("*.js @js-owner #This is an inline comment, ask @someone-else\n")
    assert co.rules == (Rule(1, "*.js", ("@js-owner",)),)


def test_comment_right_after_pattern_unowns() -> None:
    co = Codeowners.parse("* @a\n/vendor/ # owned by @vendor-team upstream\n")
    assert co.problems == ()
    assert co.match("vendor/lib.c") == Match("vendor/lib.c", (), Rule(2, "/vendor/", ()))


def test_comments_and_blank_lines_give_no_rules_but_keep_line_numbers() -> None:
    co = Codeowners.parse("# top\n\n   \n   # indented comment\r\n*.py @py\r\n")
    assert co.rules == (Rule(5, "*.py", ("@py",)),)


def test_tabs_separate_pattern_and_owners() -> None:
    co = Codeowners.parse("*.py\t@py\t@org/team\n")
    assert co.rules == (Rule(1, "*.py", ("@py", "@org/team")),)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("!*.log @ops", 1, "'!' negation"),
        ("   !build/ @ops", 4, "'!' negation"),
        ("src/[ab].py @dev", 5, "'[ ]' character ranges"),
        ("  *.[ch] @dev", 5, "'[ ]' character ranges"),
        ("docs/a]b @dev", 7, "'[ ]' character ranges"),
        ("\\#notes.md @dev", 1, "escaping '#'"),
        ("docs/\\#x @dev", 6, "escaping '#'"),
        ("my\\*file @dev", 3, "'\\' escapes"),
        ("docs/a#b @dev", 7, "'#' inside a pattern"),
    ],
)
def test_unsupported_syntax_is_reported_at_its_column_and_gives_no_rule(text: str, column: int, fragment: str) -> None:
    co = Codeowners.parse(f"* @everyone\n{text}\n")
    assert len(co.problems) == 1
    problem = co.problems[0]
    assert (problem.line, problem.column) == (2, column)
    assert fragment in problem.message
    assert co.rules == (Rule(1, "*", ("@everyone",)),)


def test_every_problem_on_a_line_is_reported() -> None:
    co = Codeowners.parse("!src/[ab].py @ok bad-owner\n")
    assert [(p.line, p.column) for p in co.problems] == [(1, 1), (1, 6), (1, 18)]
    assert co.rules == ()


def test_problems_are_collected_across_lines() -> None:
    co = Codeowners.parse("!a @x\n*.py @py\n[b] @y\n")
    assert [p.line for p in co.problems] == [1, 3]
    assert co.rules == (Rule(2, "*.py", ("@py",)),)


@pytest.mark.parametrize(
    "owner",
    [
        "@octocat",
        "@Octo-Cat",
        "@user_ent",
        "@octo-org/octocats",
        "@Octo-Org/Team_Name",
        "@org/team.name",
        "docs@example.com",
        "first.last+ci@mail.example.co.uk",
    ],
)
def test_valid_owner_forms(owner: str) -> None:
    co = Codeowners.parse(f"*.py {owner}\n")
    assert co.problems == ()
    assert co.rules == (Rule(1, "*.py", (owner,)),)


@pytest.mark.parametrize(
    "owner",
    [
        "octocat",
        "@",
        "@-octocat",
        "@org/",
        "@org/team/sub",
        "@org//team",
        "user@",
        "user@localhost",
        "@user@example.com",
        "@octo#cat",
    ],
)
def test_invalid_owner_is_reported_at_its_column(owner: str) -> None:
    co = Codeowners.parse(f"*.py @ok {owner}\n")
    assert co.problems == (Problem(1, 10, co.problems[0].message),)
    assert repr(owner) in co.problems[0].message
    assert co.rules == ()


def test_match_rejects_paths_with_a_leading_slash() -> None:
    with pytest.raises(ValueError, match="repo-relative"):
        Codeowners.parse("* @a").match("/README.md")


def test_byte_order_mark_is_not_part_of_the_first_pattern() -> None:
    co = Codeowners.parse("\ufeff*.py @py\n")
    assert co.rules == (Rule(1, "*.py", ("@py",)),)


def test_codeowners_built_directly_matches_its_rules() -> None:
    co = Codeowners(rules=(Rule(1, "*", ("@a",)), Rule(2, "/docs/", ("@b",))))
    assert co.owners_of("docs/x.md") == ("@b",)
    assert co.owners_of("x.md") == ("@a",)


def test_match_is_owned_by_ignores_case() -> None:
    found = Match("a", ("@VirtEngine/Security",), None)
    assert found.is_owned_by("@virtengine/security")
    assert Match("a", ("@virtengine/security",), None).is_owned_by("@VirtEngine/SECURITY")
    assert not found.is_owned_by("@virtengine/securit")


# --- find_codeowners --------------------------------------------------------------------------


def _reader(files: dict[str, str], asked: list[str] | None = None) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        if asked is not None:
            asked.append(path)
        return files.get(path)

    return read


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}, ".github/CODEOWNERS"),
        ({"CODEOWNERS", "docs/CODEOWNERS"}, "CODEOWNERS"),
        ({".github/CODEOWNERS", "docs/CODEOWNERS"}, ".github/CODEOWNERS"),
        ({"docs/CODEOWNERS"}, "docs/CODEOWNERS"),
    ],
)
def test_find_codeowners_takes_the_first_in_githubs_order(present: set[str], expected: str) -> None:
    files = {path: f"* @from-{path}\n" for path in present}
    assert find_codeowners(_reader(files)) == (expected, files[expected])


def test_find_codeowners_looks_in_githubs_order_and_reports_none() -> None:
    asked: list[str] = []
    assert find_codeowners(_reader({}, asked)) is None
    assert asked == [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
    assert tuple(asked) == LOCATIONS


def test_find_codeowners_stops_at_an_empty_file() -> None:
    files = {".github/CODEOWNERS": "", "CODEOWNERS": "* @a\n"}
    assert find_codeowners(_reader(files)) == (".github/CODEOWNERS", "")


# --- lint ---------------------------------------------------------------------------------------

TEAMS = {"security": "@virtengine/security", "sre": "@virtengine/sre"}

GOOD = """\
* @virtengine/release
/signoffs/security.yaml @virtengine/security
/signoffs/sre.yaml @virtengine/sre
/decisions/ @virtengine/security @virtengine/sre
"""


def test_lint_accepts_a_file_that_gives_each_area_its_files() -> None:
    assert lint(Codeowners.parse(GOOD), TEAMS) == []


def test_lint_compares_team_handles_ignoring_case() -> None:
    co = Codeowners.parse(GOOD.replace("@virtengine/security", "@VirtEngine/Security"))
    assert lint(co, TEAMS) == []
    assert lint(Codeowners.parse(GOOD), {"security": "@VIRTENGINE/security"}) == []


def test_lint_reports_a_signoff_owned_by_another_team_at_the_deciding_line() -> None:
    co = Codeowners.parse(GOOD + "/signoffs/ @virtengine/release\n")
    problems = lint(co, TEAMS)
    assert [(p.line, p.column) for p in problems] == [(5, 1), (5, 1)]
    assert "signoffs/security.yaml is owned by @virtengine/release" in problems[0].message
    assert "@virtengine/security" in problems[0].message
    assert "signoffs/sre.yaml" in problems[1].message


def test_lint_reports_a_signoff_unowned_by_an_empty_line() -> None:
    co = Codeowners.parse(GOOD + "/signoffs/sre.yaml\n")
    [problem] = lint(co, TEAMS)
    assert (problem.line, problem.column) == (5, 1)
    assert "signoffs/sre.yaml has no code owner" in problem.message


def test_lint_reports_a_signoff_no_rule_matches_at_line_one() -> None:
    co = Codeowners.parse("/decisions/ @virtengine/security @virtengine/sre\n")
    problems = lint(co, {"security": "@virtengine/security"})
    assert problems == [Problem(1, 1, problems[0].message)]
    assert problems[0].message.endswith("(no rule matches it: add one)")
    assert "signoffs/security.yaml has no code owner" in problems[0].message


def test_lint_names_the_teams_missing_from_the_decision_file() -> None:
    co = Codeowners.parse(GOOD + "/decisions/ @virtengine/security\n")
    [problem] = lint(co, {**TEAMS, "qa": "@virtengine/qa", "qa2": "@VirtEngine/QA"})[-1:]
    assert problem.line == 5
    assert problem.message.endswith("missing @virtengine/sre @virtengine/qa")


def test_lint_reports_an_unowned_decision_file() -> None:
    text = GOOD.replace("/decisions/ ", "/elsewhere/ ").replace("* @virtengine/release\n", "")
    [problem] = lint(Codeowners.parse(text), TEAMS)
    assert (problem.line, problem.column) == (1, 1)
    assert "decisions/decision.yaml" in problem.message


def test_lint_uses_the_given_decision_probe() -> None:
    co = Codeowners.parse(GOOD)
    [problem] = lint(co, TEAMS, decision_probe="launch/decision.yaml")
    assert problem.message.startswith("launch/decision.yaml must be owned by every area's team")


def test_lint_puts_the_files_own_problems_first() -> None:
    co = Codeowners.parse("!nope @x\n" + GOOD)
    problems = lint(co, TEAMS)
    assert problems == [co.problems[0]]
    assert "'!' negation" in problems[0].message
