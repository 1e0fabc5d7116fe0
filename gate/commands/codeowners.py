"""`gate codeowners owners|lint`: CODEOWNERS exactly as GitHub reads it, offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gate.errors import UsageError
from gate.github.codeowners import LOCATIONS, Codeowners, Problem, find_codeowners
from gate.paths import from_here


@dataclass(frozen=True)
class PathOwners:
    """Who owns one path, and the line of the rule that decided it (None: no rule matches)."""

    path: str
    owners: list[str]
    line: int | None


@dataclass(frozen=True)
class OwnersReport:
    """`gate codeowners owners`: the CODEOWNERS file read, and each path's owners."""

    file: str
    paths: list[PathOwners]


@dataclass(frozen=True)
class LintReport:
    """`gate codeowners lint`: every problem in the file, and what the gate needs of it."""

    file: str
    problems: list[Problem]


def read_codeowners(repo: Path, path: Path | None = None) -> tuple[str, Codeowners]:
    """The CODEOWNERS file GitHub would use in `repo` (or exactly `path`), parsed."""
    if path is not None:
        try:
            return str(path), Codeowners.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path}: {exc}") from None

    def read(rel: str) -> str | None:
        candidate = repo / rel
        return candidate.read_text(encoding="utf-8") if candidate.is_file() else None

    found = find_codeowners(read)
    if found is None:
        raise UsageError(f"no CODEOWNERS in {', '.join(LOCATIONS)} of {repo}")
    return found[0], Codeowners.parse(found[1], found[0])


def owners(repo: Path, paths: list[str], codeowners_file: Path | None = None) -> OwnersReport:
    """Who owns each path (relative to the current folder, see `from_here`), as GitHub decides it
    (the last matching rule wins)."""
    name, co = read_codeowners(repo, codeowners_file)
    matches = []
    for path in paths:
        try:
            match = co.match(from_here(repo, path))
        except ValueError as exc:  # PathEscape is one
            raise UsageError(str(exc)) from None
        matches.append(PathOwners(match.path, list(match.owners), match.rule.line if match.rule else None))
    return OwnersReport(name, matches)


def lint(repo: Path, codeowners_file: Path | None = None) -> LintReport:
    """The file's own problems, and whether each area's sign-off and the decisions have the right owners."""
    from gate.github.codeowners import lint as lint_rules
    from gate.launch import load_valid

    name, co = read_codeowners(repo, codeowners_file)
    loaded, _ = load_valid(repo)
    return LintReport(name, lint_rules(co, {a.id: a.team for a in loaded.checklist.areas}))
