"""Unfilled placeholders: the seed's `YYYY-MM-DD`, `HH:MM`, `<insert …>`, `<DATE>`, and TBD/TODO."""

from __future__ import annotations

import re

# `<` must be followed by a letter so thresholds like "<67% … >10 min" are not mistaken for one.
_PATTERN = re.compile(r"YYYY|HH:MM|<[A-Za-z][^<>\n]{0,79}>|\bTBD\b|\bTODO\b|\bFIXME\b")


def find_placeholders(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """Every placeholder token in `text`, except template variables named in `allowed` (as `<NAME>`)."""
    return [m.group(0) for m in _PATTERN.finditer(text) if m.group(0) not in allowed]
