"""When the verdicts must be recomputed because time passed, not because anything changed.

A pull request approved before the freeze must turn red when the freeze starts, and a GO must stop
holding when its window ends; nothing on the pull request changes at those moments, so the scheduled
run re-judges every open pull request when `rejudge_due` says so: throughout the freeze (every run,
at least every 15 minutes as the workflow's schedule runs), and around every boundary — freeze,
windows, blackouts — from `LEAD` before it until `LAG` after it. The freeze itself is judged with
the same lead (`freeze_check(..., lead=LEAD)`), so no scheduled-run delay leaves a gap at its start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gate.model import Checklist
from gate.windows import Interval, interval

LEAD = timedelta(minutes=15)  # the freeze counts from this long before its start
LAG = timedelta(minutes=30)  # GitHub may run a schedule late; re-judge this long after a boundary


def boundaries(checklist: Checklist) -> list[tuple[datetime, str]]:
    """Every moment a verdict can change by the clock alone, with what it is."""
    spans: list[tuple[Interval | None, str]] = [(interval(checklist.freeze, "freeze")[0], "freeze")]
    spans.append((interval(checklist.windows.primary, "primary window")[0], "primary window"))
    if checklist.windows.backup is not None:
        spans.append((interval(checklist.windows.backup, "backup window")[0], "backup window"))
    spans += [(interval(b, "blackout")[0], "blackout") for b in checklist.windows.blackouts]
    out = []
    for span, name in spans:
        if span is not None:
            out += [(span.start, f"{name} starts"), (span.end, f"{name} ends")]
    return out


def rejudge_due(checklist: Checklist, at: datetime) -> tuple[bool, str]:
    """Whether a scheduled run at `at` must re-judge every open pull request, and why (or why not)."""
    freeze, _ = interval(checklist.freeze, "freeze")
    if freeze is not None and freeze.start - LEAD <= at < freeze.end + LAG:
        return True, f"re-judged: the freeze ({freeze}) is in force or about to be"
    near = [
        f"{what} at {when:%Y-%m-%d %H:%M} UTC" for when, what in boundaries(checklist) if when - LEAD <= at < when + LAG
    ]
    if near:
        return True, "re-judged: " + "; ".join(near)
    return False, "nothing is due: no freeze in force and no freeze or window boundary near"
