"""Names a person types on the command line: GitHub logins and the checklist's roles."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from gate.errors import UsageError
from gate.load import Loaded
from gate.model.base import LOGIN
from gate.placeholders import names_nobody


def check_login(login: str, flag: str) -> None:
    """Refuse what is not a person's GitHub login (a placeholder neither), naming the option it came from."""
    if not LOGIN.match(login):
        raise UsageError(f"{flag} {login!r} is not a GitHub login")
    if names_nobody(login):
        raise UsageError(f"{flag} {login!r} is a placeholder, not a person: give the GitHub login of who it is")


def check_roles(loaded: Loaded, roles: Iterable[str], flag: str) -> None:
    """Refuse roles the checklist does not define, listing the ones it does."""
    unknown = [r for r in roles if r not in loaded.checklist.roles]
    if unknown:
        known = ", ".join(sorted(loaded.checklist.roles))
        raise UsageError(f"unknown {flag} role {', '.join(unknown)} (one of: {known})")


def did_you_mean(wrong: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one of `known` is close to `wrong`, else nothing."""
    close = difflib.get_close_matches(wrong, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
