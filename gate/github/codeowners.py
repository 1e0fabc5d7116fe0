"""CODEOWNERS as GitHub reads it: find the file, parse it, match paths, and lint it for the gate.

Pure: no I/O and no PyGithub. The caller hands in the text (or a reader for the protected branch),
so the same rules serve the offline pre-commit check and the PR check.

Matching follows GitHub's documented behaviour, which is gitignore's with exceptions: the last
matching line wins, a line without owners un-owns, `docs/*` is one level deep, `/x/` is anchored
to the root, `x/` matches a directory at any depth, `**` spans folders. GitHub does not support
`!` negation, `[ ]` ranges or escaping with a backslash; those are reported as problems and the
line gives no rule, rather than being guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

LOCATIONS: tuple[str, ...] = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""Where GitHub looks for CODEOWNERS, in order; the first one found is the only one used."""

# Only spaces and tabs separate words: a no-break space or other Unicode blank stays inside the
# word, where it makes an invalid owner or an odd pattern that is reported, not silently split on.
_WORD = re.compile(r"[^ \t\r]+")
_OWNER = re.compile(
    r"@[A-Za-z0-9][A-Za-z0-9_-]*"  # @user (underscores: Enterprise Managed Users)
    r"|@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_][A-Za-z0-9_.-]*"  # @org/team-slug
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"  # an email address on a GitHub account
)
_WILDCARDS = re.compile(r"(\*+|\?)")
_NOTHING = re.compile(r"(?!)")


@dataclass(frozen=True)
class Rule:
    """A CODEOWNERS line that took effect: 1-based line, pattern, owners (empty: it un-owns)."""

    line: int
    pattern: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong in a CODEOWNERS file, at a 1-based line and column.

    A problem that no rule causes (a path nothing matches) points at line 1: the fix is a new line.
    """

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Match:
    """Who owns `path`, and the rule that decided it (`None` when no rule matches)."""

    path: str
    owners: tuple[str, ...]
    rule: Rule | None

    def is_owned_by(self, handle: str) -> bool:
        """Whether `handle` is among the owners; GitHub logins and team slugs ignore case."""
        wanted = handle.lower()
        return any(owner.lower() == wanted for owner in self.owners)


@dataclass(frozen=True)
class Codeowners:
    """A parsed CODEOWNERS file: the rules that took effect and the problems found on the way."""

    rules: tuple[Rule, ...]
    problems: tuple[Problem, ...] = ()
    source: str = LOCATIONS[0]
    # Compiled once here, newest rule first, so a match is one regex test per rule until one hits.
    _compiled: tuple[tuple[re.Pattern[str], Rule], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple((_compile(rule.pattern), rule) for rule in reversed(self.rules))
        object.__setattr__(self, "_compiled", compiled)

    @classmethod
    def parse(cls, text: str, source: str = LOCATIONS[0]) -> Codeowners:
        """Parse CODEOWNERS text, collecting every problem; a line with a problem gives no rule."""
        rules: list[Rule] = []
        problems: list[Problem] = []
        # Split on "\n" only: str.splitlines also breaks on form feeds and Unicode separators, which
        # would put our line numbers out of step with GitHub's. A BOM is an editor's, not a pattern.
        for number, line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
            rule, found = _parse_line(number, line)
            problems.extend(found)
            if rule is not None and not found:
                rules.append(rule)
        return cls(tuple(rules), tuple(problems), source)

    def match(self, path: str) -> Match:
        """Who owns a repo-relative path (forward slashes, no leading '/'); the last rule wins."""
        if not path or path.startswith("/"):
            raise ValueError(f"CODEOWNERS paths are repo-relative without a leading '/': {path!r}")
        for regex, rule in self._compiled:
            if regex.fullmatch(path):
                return Match(path, rule.owners, rule)
        return Match(path, (), None)

    def owners_of(self, path: str) -> tuple[str, ...]:
        """The owners of `path`; empty when no rule matches or the deciding rule un-owns it."""
        return self.match(path).owners


def find_codeowners(read: Callable[[str], str | None]) -> tuple[str, str] | None:
    """The CODEOWNERS file GitHub would use, as (path, text); `read` gives None for no file.

    An empty file counts as found (it exists, so the search stops there) and owns nothing.
    """
    for path in LOCATIONS:
        text = read(path)
        if text is not None:
            return path, text
    return None


def lint(
    co: Codeowners,
    area_teams: Mapping[str, str],
    decision_probe: str = "decisions/decision.yaml",
) -> list[Problem]:
    """The file's own problems, then what the gate needs of it.

    `area_teams` maps an area id to its team handle (`{"security": "@org/security"}`). Each
    `signoffs/<area>.yaml` must be owned by that area's team, and `decision_probe` by every area's
    team. These problems point at the deciding rule's line (column 1); at line 1 when no rule matches,
    since the fix is then a new line rather than an edit.
    """
    problems = list(co.problems)
    for area, team in area_teams.items():
        problems.extend(_check_signoff(co, area, team))
    problems.extend(_check_decision(co, decision_probe, area_teams.values()))
    return problems


def _check_signoff(co: Codeowners, area: str, team: str) -> Iterator[Problem]:
    found = co.match(f"signoffs/{area}.yaml")
    if found.is_owned_by(team):
        return
    owned = f"is owned by {' '.join(found.owners)}" if found.owners else "has no code owner"
    yield _at(found, f"{found.path} {owned}; area {area!r} needs it owned by {team}")


def _check_decision(co: Codeowners, probe: str, teams: Iterable[str]) -> Iterator[Problem]:
    found = co.match(probe)
    missing = [team for team in _unique(teams) if not found.is_owned_by(team)]
    if missing:
        message = f"{probe} must be owned by every area's team; missing {' '.join(missing)}"
        yield _at(found, message)


def _unique(handles: Iterable[str]) -> list[str]:
    """Handles without case-insensitive repeats, in first-seen order and spelling."""
    seen: dict[str, str] = {}
    for handle in handles:
        seen.setdefault(handle.lower(), handle)
    return list(seen.values())


def _at(found: Match, message: str) -> Problem:
    if found.rule is None:
        return Problem(1, 1, f"{message} (no rule matches it: add one)")
    return Problem(found.rule.line, 1, message)


# --- parsing one line ----------------------------------------------------------------------


def _parse_line(number: int, line: str) -> tuple[Rule | None, list[Problem]]:
    words = _words(line)
    if not words:
        return None, []
    (column, pattern), *owners = words
    problems = list(_pattern_problems(number, column, pattern))
    problems.extend(_owner_problems(number, owners))
    return Rule(number, pattern, tuple(owner for _, owner in owners)), problems


def _words(line: str) -> list[tuple[int, str]]:
    """(1-based column, word) for each word before the comment, which a word starting `#` opens."""
    words: list[tuple[int, str]] = []
    for found in _WORD.finditer(line):
        if found.group().startswith("#"):
            break
        words.append((found.start() + 1, found.group()))
    return words


def _pattern_problems(number: int, column: int, pattern: str) -> Iterator[Problem]:
    if pattern.startswith("!"):
        yield Problem(number, column, "'!' negation is not supported in CODEOWNERS")
    bracket = _first_of(pattern, "[]")
    if bracket >= 0:
        yield Problem(number, column + bracket, "'[ ]' character ranges are not supported")
    backslash = pattern.find("\\")
    if backslash >= 0:
        yield Problem(number, column + backslash, _backslash_message(pattern, backslash))
    hash_mark = pattern.find("#")
    if hash_mark > 0 and pattern[hash_mark - 1] != "\\":
        # gitignore reads it literally, GitHub may read it as an inline comment: do not guess which.
        message = "'#' inside a pattern is ambiguous (literal or comment?); use '?' for it"
        yield Problem(number, column + hash_mark, message)


def _backslash_message(pattern: str, at: int) -> str:
    if pattern[at + 1 : at + 2] == "#":
        return "escaping '#' with '\\' is not supported in CODEOWNERS"
    return "'\\' escapes are not supported in CODEOWNERS; use '?' for the character"


def _first_of(text: str, characters: str) -> int:
    """Index of the first of `characters` in `text`, or -1."""
    return next((i for i, char in enumerate(text) if char in characters), -1)


def _owner_problems(number: int, owners: list[tuple[int, str]]) -> Iterator[Problem]:
    for column, owner in owners:
        if not _OWNER.fullmatch(owner):
            message = f"invalid owner {owner!r}: expected @user, @org/team or an email address"
            yield Problem(number, column, message)


# --- patterns -> regexes -------------------------------------------------------------------


def _compile(pattern: str) -> re.Pattern[str]:
    """A regex that fullmatches the repo-relative file paths `pattern` covers."""
    body = pattern.strip("/")
    if not body:
        return _NOTHING  # "/" names the root itself, which is no file
    # gitignore: a slash at the start or in the middle anchors to the root; otherwise any depth.
    anchored = pattern.startswith("/") or "/" in body
    segments = body.split("/")
    last = len(segments) - 1
    regex = "".join(_segment(segment, i == last) for i, segment in enumerate(segments))
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + regex + _tail(segments[-1], pattern.endswith("/")))


def _segment(segment: str, last: bool) -> str:
    if segment == "**":
        return ".+" if last else "(?:[^/]+/)*"
    return _glob(segment) + ("" if last else "/")


def _glob(segment: str) -> str:
    if segment == "*":
        return "[^/]+"  # a whole name, which cannot be empty
    # As in gitignore, a run of stars inside a name is one star: no folder spanning there.
    parts = _WILDCARDS.split(segment)
    return "".join(_glob_part(part) for part in parts)


def _glob_part(part: str) -> str:
    if part.startswith("*"):
        return "[^/]*"
    if part == "?":
        return "[^/]"
    return re.escape(part)


def _tail(last_segment: str, directory: bool) -> str:
    """What may follow the last segment: the files inside it, when it can name a folder."""
    if last_segment == "**":
        return ""  # already spans everything below
    if directory:
        return "/.+"  # `x/` names a folder, so only the files inside it
    if last_segment == "*":
        return ""  # GitHub: `docs/*` is the files directly in docs/, not deeper
    return "(?:/.+)?"  # `x` is the file x or, if x is a folder, everything inside it
