"""Renderers: every command's result as text for a person, JSON for machines, Markdown for GitHub.

`render(result, fmt)` is the one entry point. JSON is the result itself (its schema is in
schemas/output/); text, Markdown and annotations come from one renderer per result type.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from gate.evidence.quick import HashReport


def as_json(result: object) -> str:
    """The machine format: the typed result as JSON (schemas/output/<command>.schema.json)."""
    from gate.model.base import Model

    if isinstance(result, Model):  # the scorecard in every CI run: written without pydantic
        return result.model_dump_json(by_alias=True, indent=2) + "\n"
    from pydantic import BaseModel, TypeAdapter

    if isinstance(result, BaseModel):
        return result.model_dump_json(by_alias=True, indent=2) + "\n"
    if dataclasses.is_dataclass(result):
        return TypeAdapter(type(result)).dump_json(result, indent=2, by_alias=True).decode() + "\n"
    raise TypeError(f"no JSON form for {type(result).__name__}")


def render(result: object, fmt: str) -> str:
    """`result` in the named format (the caller has checked the command offers it)."""
    if isinstance(result, HashReport):  # the pre-commit path: rendered without importing pydantic
        return json.dumps(dataclasses.asdict(result), indent=2) + "\n" if fmt == "json" else hash_text(result)
    if fmt == "json":
        return as_json(result)
    from gate.model.scorecard import Scorecard

    if isinstance(result, Scorecard):
        from gate.report.scorecard import render as render_scorecard

        return render_scorecard(result, fmt)
    from gate.report.status import StatusReport, status, terminal_width

    if isinstance(result, StatusReport):  # the daily view: not the renderers of every other command
        return status(result, terminal_width() if sys.stdout.isatty() else None)
    from gate.report.text import text

    return text(result)


def hash_text(result: HashReport) -> str:
    """`gate evidence verify` as text: each failure, then the count."""
    lines = list(result.failures)
    lines.append(f"{result.count} artifact(s), {result.bytes} bytes: {'OK' if not result.failures else 'FAILED'}")
    return "\n".join(lines) + "\n"
