"""`gate decide`: the go/no-go decision record, taken on the launch's exact current state."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from gate.decision import evaluate
from gate.edit import dump_record, write_atomic
from gate.errors import GateFailed, UsageError
from gate.launch import load_valid
from gate.load import DECISIONS
from gate.model import Decision
from gate.model.base import format_time
from gate.names import check_login, check_roles


def decide(
    repo: Path,
    verdict: Literal["GO", "NO-GO"] | None,
    window: Literal["primary", "backup"] | None,
    attendees: list[tuple[str, str]],
    at: datetime,
) -> tuple[str, Decision]:
    """Write a decision record for the current state; refuse a GO the gate does not compute."""
    if verdict == "GO" and window is None:
        raise UsageError("a GO decision names the window it chose: add --window primary or --window backup")
    loaded, checks = load_valid(repo)
    check_roles(loaded, [r for r, _ in attendees], "--attendee")
    for _, login in attendees:
        check_login(login, "--attendee")
    evaluation = evaluate(loaded, checks, at)
    draft = {
        "decision": "NO-GO",
        "decided_at": format_time(at),
        "window": window,
        "release_tag": loaded.checklist.launch.release_tag,
        "meeting": {"date": format_time(at), "attendees": [{"role": r, "login": u} for r, u in attendees]},
        "scorecard_sha256": evaluation.readiness.digest(),
        "manifest_sha256": evaluation.manifest_sha256,
    }
    probe = Decision.model_validate({**draft, "window": window or "primary"})
    loaded.decisions.append(("(this decision)", probe))
    blocking = evaluate(loaded, checks, at).blocking
    chosen = verdict or ("GO" if not blocking else "NO-GO")
    if chosen == "GO" and window is None:
        raise UsageError("the gate computes GO: name the chosen window with --window primary or --window backup")
    if chosen == "GO" and blocking:
        raise GateFailed("refusing to record GO: the gate computes NO-GO:\n  " + "\n  ".join(blocking))
    record = {**draft, "decision": chosen, "reasons": blocking if chosen == "NO-GO" else []}
    if record["window"] is None:
        del record["window"]
    decision = Decision.model_validate(record)
    name = f"{DECISIONS}/{at:%Y-%m-%dT%H%M}-{chosen.lower()}.yaml"
    write_atomic(repo / name, dump_record(record, "decision"))
    return name, decision
