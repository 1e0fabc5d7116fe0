"""Colour for a person at a terminal: the verdict, what blocks and what fixes it stand out.

Applied by the command line only when standard output is a terminal, `NO_COLOR` is unset and the format
is text — never in a pipe, a file or a CI log — and after the text was made safe (gate.report.safe), so
these are the only escape sequences that ever reach the terminal.
"""

from __future__ import annotations

import os
import re

RED, GREEN, YELLOW, DIM, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[2m", "\x1b[1m", "\x1b[0m"
_VERDICT = re.compile(r"^(Decision: )?(NO-GO|GO)\b", re.M)
_STATE = re.compile(r"\b(FAIL|STALE|WARN)\b")


def wanted(stream_is_tty: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream_is_tty and not os.environ.get("NO_COLOR")


def colour(text: str) -> str:
    """The same text with the verdict, blockers, fixes and failing states coloured."""

    def verdict(match: re.Match[str]) -> str:
        tint = GREEN if match.group(2) == "GO" else RED
        return f"{match.group(1) or ''}{BOLD}{tint}{match.group(2)}{RESET}"

    text = _VERDICT.sub(verdict, text)
    text = text.replace("✗", f"{RED}✗{RESET}").replace("→", f"{DIM}→{RESET}")
    return _STATE.sub(lambda m: f"{RED if m.group(1) != 'WARN' else YELLOW}{m.group(1)}{RESET}", text)
