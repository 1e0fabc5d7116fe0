"""One error root for the whole tool; `gate.cli` maps these kinds to exit codes, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in an input file something was found (1-based line and column)."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class InputError:
    """One finding that makes an input file unusable (exit 2)."""

    location: Location
    message: str
    source: str | None = None  # the offending line, for a syntax error: shown with a caret under it

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" + caret(self.source, self.location.column)


def caret(source: str | None, column: int) -> str:
    """The source line and a caret under `column`, as compilers show a syntax error (or nothing)."""
    if source is None:
        return ""
    return f"\n    {source}\n    {' ' * (column - 1)}^"


class GateError(Exception):
    """Root of every error the tool raises on purpose; carries its own user-facing text."""


class InputErrors(GateError):
    """The input cannot be used: every finding at once (exit 2)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class UsageError(GateError):
    """A command was asked something it cannot do with this input (exit 2)."""


class GateFailed(GateError):
    """The gate says no: integrity failure, false GO claim, refused action (exit 1)."""


class ExternalError(GateError):
    """A service the gate depends on failed or could not be trusted (exit 1: fail closed)."""


class CannotTell(GateError):
    """What the gate was asked to observe cannot be observed, so it cannot say (exit 2, never a pass)."""
