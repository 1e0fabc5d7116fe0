"""Render one Scorecard as text, JSON, Markdown or GitHub workflow annotations."""

from __future__ import annotations

import re
from collections.abc import Callable

from gate.model.scorecard import Scorecard, SignoffResult, Where
from gate.report.safe import code, terminal
from gate.report.safe import markdown as _md

STICKY_MARKER = "<!-- gate:scorecard -->"
FORMATS = ("text", "json", "markdown", "github")


def render(card: Scorecard, fmt: str) -> str:
    """The scorecard in the named format."""
    renderers: dict[str, Callable[[Scorecard], str]] = {
        "text": text,
        "json": as_json,
        "markdown": markdown,
        "github": github,
    }
    return renderers[fmt](card)


def as_json(card: Scorecard) -> str:
    """The machine format; its schema is schemas/output/check.schema.json."""
    return card.model_dump_json(by_alias=True, indent=2) + "\n"


def _when(card: Scorecard) -> str:
    return card.evaluated_at.strftime("%Y-%m-%d %H:%M UTC")


def _totals_line(card: Scorecard) -> str:
    t = card.totals
    return (
        f"{t.PASS} PASS · {t.WARN} WARN · {t.FAIL} FAIL · {t.NA} N/A"
        f"  (P1 warnings {t.p1_warnings}/{t.p1_warning_limit})"
    )


def text(card: Scorecard) -> str:
    """For a person at a terminal: the status view (verdict and countdown first, blockers by who must
    act, each with its fix), then the sign-offs and the recorded decision; the verdict again last, for
    whoever reads only the last line."""
    import sys

    from gate.report.status import status, status_report, terminal_width

    width = terminal_width() if sys.stdout.isatty() else None
    out = [status(status_report(card), width).rstrip("\n")]
    if card.errors:
        return out[0] + "\n"
    out += ["", *_text_signoffs(card.signoffs)]
    if card.recorded_decision:
        rd = card.recorded_decision
        out += ["", f"Recorded decision {rd.file}: {rd.decision} — {'holds' if rd.holds else 'DOES NOT HOLD'}"]
        out += [] if rd.holds else [f"  - {r}" for r in rd.reasons]
    out += ["", f"Decision: {card.decision} (as of {_when(card)})"]
    return "\n".join(out) + "\n"


def _text_signoffs(signoffs: list[SignoffResult]) -> list[str]:
    """One line per area; what blocks one is above, with its fix, so it is not repeated here."""
    out = ["Sign-offs:"]
    for s in signoffs:
        standing = s.status + ("" if s.status != "approved" else (", fresh" if s.fresh else ", STALE"))
        note = f"by {s.approver}" if s.stands else "blocks: see above"
        out.append(f"  {s.name:<20} {standing:<18} {note}")
    return out


def markdown(card: Scorecard) -> str:
    """For a pull-request comment or a job summary; starts with the sticky-comment marker."""
    out = [STICKY_MARKER]
    if card.errors:
        out += ["## ⛔ NO-GO — input errors", ""]
        out += [f"- {code(f'{e.file}:{e.line}:{e.column}')} {_md(e.message)}" for e in card.errors]
        return "\n".join(out) + "\n"
    icon = "✅" if card.decision == "GO" else "⛔"
    out += [
        f"## {icon} {card.decision} — {_md(card.launch)} ({_md(card.network)}, {_md(card.release_tag)})",
        "",
    ]
    out += [f"Evaluated {_when(card)} · {_totals_line(card)}", ""]
    if card.blocking:
        out += [f"<details open><summary><b>Blocking ({len(card.blocking)})</b></summary>", ""]
        out += [f"- {_md(b)}" for b in card.blocking] + ["", "</details>", ""]
    out += ["| Area | Sign-off | Fresh | Notes |", "| --- | --- | --- | --- |"]
    out += [
        f"| {_md(s.name)} | {s.status} | {'yes' if s.fresh else 'no'} | {_md('; '.join(s.reasons))} |"
        for s in card.signoffs
    ]
    out += ["", "| State | P | Item | Title | Reasons |", "| --- | --- | --- | --- | --- |"]
    out += [
        f"| {i.state} | {i.priority} | {code(i.id)} | {_md(i.title)} | {_md('; '.join(i.reasons))} |"
        for i in card.items
    ]
    if card.integrity:
        out += ["", "**Integrity failures**", ""] + [f"- {code(f.path)}: {_md(f.message)}" for f in card.integrity]
    return "\n".join(out) + "\n"


def _escape_data(value: str) -> str:
    return terminal(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, where: Where | None, title: str, message: str) -> str:
    """One workflow command, e.g. `::error file=checklist.yaml,line=3,col=5,title=…::message`."""
    props = [f"file={_escape_prop(where.file)},line={where.line},col={where.column}"] if where else []
    props.append(f"title={_escape_prop(title)}")
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def github(card: Scorecard) -> str:
    """Annotations on the exact YAML lines (a whole file's problem on its first line), one for every
    blocking reason, then a one-line verdict."""
    from gate.report.status import launch_reasons

    if card.errors:
        out = [
            annotation("error", Where(file=e.file, line=e.line, column=e.column), "input error", e.message)
            for e in card.errors
        ]
        return "\n".join([*out, f"gate: {card.decision} ({len(card.errors)} input error(s))"]) + "\n"
    out = [annotation("error", f.where or _top(f.path), "integrity", f"{f.path}: {f.message}") for f in card.integrity]
    for i in card.items:
        if i.state in ("FAIL", "WARN"):
            level = "error" if i.state == "FAIL" else "warning"
            out.append(annotation(level, i.where, f"{i.state} {i.priority} {i.id}", "; ".join(i.reasons)))
    for s in card.signoffs:
        if not s.stands:  # a sign-off that does not stand blocks GO
            out.append(annotation("error", s.where, f"sign-off {s.area}", "; ".join(s.reasons)))
    decision = card.recorded_decision
    if decision and not decision.holds:
        out.append(annotation("error", _top(decision.file), "decision", "; ".join(decision.reasons)))
    for reason in launch_reasons(card):
        if decision and not decision.holds and reason.startswith(decision.file):
            continue  # said just above, at its file
        where, message = _located(reason)
        out.append(annotation("error", where, "launch", message))
    out.append(f"gate: {card.decision} ({len(card.blocking)} blocking reason(s))")
    return "\n".join(out) + "\n"


def _top(path: str) -> Where:
    """A problem of a whole file, shown on its first line."""
    return Where(file=path, line=1, column=1)


_LOCATED = re.compile(r"^([^\s:]+\.(?:yaml|json)):(\d+):(\d+): (.*)$", re.S)


def _located(reason: str) -> tuple[Where | None, str]:
    """A reason that starts `FILE:LINE:COL: ` as that place and the rest; any other as no place."""
    found = _LOCATED.match(reason)
    if found is None:
        return None, reason
    return Where(file=found[1], line=int(found[2]), column=int(found[3])), found[4]
