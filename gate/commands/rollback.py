"""`gate rollback rules`: the rollback criteria as a Prometheus rule file, printed or written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.edit import write_atomic
from gate.launch import load_valid
from gate.rollback.compile import render_rules


@dataclass(frozen=True)
class RulesFile:
    """The rule file's text, and where it was written (None: it is printed)."""

    text: str
    path: str | None


def rules(repo: Path, out: Path | None, selector: Mapping[str, str] | None) -> RulesFile:
    """Compile the launch's rollback criteria; write them to `out` when given."""
    text = render_rules(load_valid(repo)[0].checklist.rollback, selector=selector or None)
    if out is not None:
        write_atomic(out, text)
    return RulesFile(text, str(out) if out is not None else None)
