"""Render `gate comms draft`: each draft's text, and where the drafts were recorded."""

from __future__ import annotations

from gate.commands.comms import DraftResult


def draft_text(result: DraftResult) -> str:
    """Each template's text under its id; the recording and any sign-off it made stale."""
    lines = []
    for d in result.drafts:
        lines += [f"{d.id}: {d.text}"]
    rec = result.recorded
    if rec is not None:
        what = "recorded" if rec.changed else "already recorded, unchanged"
        lines.append(f"{what}: {rec.path} as evidence {rec.id} for {rec.item}")
        if rec.stale:
            lines.append(f"now stale (approved for different evidence): {', '.join(rec.stale)} — re-approval needed")
    return "\n".join(lines) + "\n"
