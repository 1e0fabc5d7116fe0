"""`gate decide`: the go/no-go decision record, taken on the launch's exact current state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from gate.decision import evaluate, judge_recorded, record_problems
from gate.edit import dump_record, write_atomic
from gate.errors import GateFailed, UsageError
from gate.launch import Checks, load_valid
from gate.load import DECISIONS, Loaded
from gate.model import Decision
from gate.model.base import format_time
from gate.names import check_login, check_roles


@dataclass(frozen=True)
class DecisionRecorded:
    """The decision record: its file, the decision, every reason when it is NO-GO, and its text.

    With `--dry-run` nothing is written (`written` is false) and `text` is what would be.
    """

    file: str
    decision: Literal["GO", "NO-GO"]
    reasons: list[str]
    written: bool
    text: str


def decide(
    repo: Path,
    verdict: Literal["GO", "NO-GO"],
    window: Literal["primary", "backup"] | None,
    attendees: list[tuple[str, str]],
    at: datetime,
    note: str | None = None,
    dry_run: bool = False,
) -> DecisionRecorded:
    """Record what the meeting decided, on the launch's exact current state.

    Refused: any decision without the meeting's quorum (without it there was no decision), and a GO
    the gate does not compute at `at` — its window, the sign-offs and evidence it relies on included.
    """
    if verdict == "GO" and window is None:
        raise UsageError("a GO decision names the window it chose: add --window primary or --window backup")
    loaded, checks = load_valid(repo)
    later = [(f, d) for f, d in loaded.decisions if d.decided_at >= at]
    if later:
        file, d = later[-1]
        raise UsageError(f"{file} was decided at {format_time(d.decided_at)}: a new decision must come after it")
    check_roles(loaded, [r for r, _ in attendees], "--attendee")
    for _, login in attendees:
        check_login(login, "--attendee")
    evaluation = evaluate(loaded, checks, at)
    record: dict[str, Any] = {
        "decision": verdict,
        "decided_at": format_time(at),
        **({"window": window} if window else {}),
        "release_tag": loaded.checklist.launch.release_tag,
        "meeting": {
            "date": format_time(at),
            "attendees": [{"role": r, "login": u} for r, u in attendees],
            **({"notes": note} if note else {}),
        },
        "scorecard_sha256": evaluation.scorecard_sha256,
        "manifest_sha256": evaluation.manifest_sha256,
    }
    go_blocking = _blocking_a_go(loaded, checks, record, at)
    no_quorum = record_problems(loaded, Decision.model_validate({**record, "decision": "NO-GO"}))
    if no_quorum:
        raise GateFailed("not a decision: " + "; ".join(no_quorum) + " (the meeting's quorum decides)")
    if verdict == "GO" and go_blocking:
        raise GateFailed("refusing to record GO: the gate computes NO-GO:\n  " + "\n  ".join(go_blocking))
    if verdict == "NO-GO":
        record["reasons"] = go_blocking or ["the meeting decided NO-GO on a scorecard that computes GO"]
    Decision.model_validate(record)
    name = _free_name(repo, f"{DECISIONS}/{at:%Y-%m-%dT%H%M%S}-{verdict.lower()}", ".yaml")
    text = dump_record(record, "decision")
    if not dry_run:
        write_atomic(repo / name, text)
    return DecisionRecorded(name, verdict, list(record.get("reasons", [])), not dry_run, text)


def _blocking_a_go(loaded: Loaded, checks: Checks, record: dict[str, Any], at: datetime) -> list[str]:
    """Everything that would stop this record, as a GO, from holding: the scorecard at `at` with it in
    force, and the GO claim itself (dated no earlier than what it pins)."""
    probe = Decision.model_validate({**record, "decision": "GO", "window": record.get("window", "primary")})
    records = sorted([*loaded.decisions, ("(this decision)", probe)], key=lambda fd: (fd[1].decided_at, fd[0]))
    trial = replace(loaded, decisions=records)
    evaluation = evaluate(trial, checks, at)
    recorded = judge_recorded(evaluation)
    claims = recorded.reasons if recorded and not recorded.holds else []
    said = [r.removeprefix("says GO but the gate computes NO-GO: ") for r in claims]
    return list(dict.fromkeys([*evaluation.blocking, *said]))


def _free_name(repo: Path, stem: str, suffix: str) -> str:
    """`stem + suffix`, or with `-2`, `-3`… when taken: two decisions in one second never overwrite."""
    name, n = stem + suffix, 1
    while (repo / name).exists():
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name
