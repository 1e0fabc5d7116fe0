"""Unfilled placeholders: the seed's `YYYY-MM-DD`, `HH:MM`, `<insert …>`, `<DATE>`, and TBD/TODO."""

from __future__ import annotations

import re

# `<` must be followed by a letter so thresholds like "<67% … >10 min" are not mistaken for one.
_PATTERN = re.compile(r"YYYY|HH:MM|<[A-Za-z][^<>\n]{0,79}>|\bTBD\b|\bTODO\b|\bFIXME\b")


def find_placeholders(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Every placeholder token in `text`, except template variables named in `allowed` (as `<NAME>`)."""
    return [m.group(0) for m in _PATTERN.finditer(text) if m.group(0) not in allowed]


# Words that hold a person's place and name nobody: the placeholders above in any case (GitHub logins
# ignore case, so `tbd` is the same blank as `TBD`), and the obvious non-people.
NOT_PEOPLE = frozenset(
    {"tbd", "tba", "tbc", "todo", "fixme", "yyyy", "none", "nobody", "unknown", "someone", "n-a", "xxx"}
)


def names_nobody(login: str) -> bool:
    """Whether `login` (a leading @ and its case aside) is a placeholder or an obvious non-person."""
    who = login.strip().removeprefix("@")
    return who.lower() in NOT_PEOPLE or bool(find_placeholders(who))
