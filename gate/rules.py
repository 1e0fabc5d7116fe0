"""Built-in checks that items name with `rule:` — windows, freeze, rollback criteria, comms, process.

Placeholders are located by `placeholders_by_item` in score.py, which finds every one with its line
and column; a rule judges the values that are filled in (the rollback rule also says what an unfilled
value keeps from working, as `gate rollback rules` does when it refuses).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gate.model.checklist import Checklist, Span
from gate.placeholders import find_placeholders
from gate.rollback.criteria import unready
from gate.windows import Interval, blackout_clashes, interval
from gate.yamlread import lookup

_VARIABLE = re.compile(r"<([A-Z][A-Z0-9_]*)>")


def _filled(span: Span | None) -> bool:
    return span is not None and not find_placeholders(span.start + span.end)


def _span(span: Span | None, name: str) -> tuple[Interval | None, list[str]]:
    if span is None:
        return None, [f"the {name} is not defined"]
    if not _filled(span):
        return None, []  # reported, with its position, as a placeholder
    return interval(span, name)


def launch_window(c: Checklist) -> list[str]:
    """The primary window is set, well-formed and touches no blackout."""
    window, problems = _span(c.windows.primary, "primary window")
    return problems + (blackout_clashes(c, window) if window else [])


def backup_window(c: Checklist) -> list[str]:
    """The backup window is set, after the primary, and touches no blackout."""
    backup, problems = _span(c.windows.backup, "backup window")
    if backup is None:
        return problems
    primary, _ = _span(c.windows.primary, "primary window")
    if primary and backup.start < primary.end:
        problems.append(f"the backup window ({backup}) is not after the primary ({primary})")
    return problems + blackout_clashes(c, backup)


def blackouts(c: Checklist) -> list[str]:
    """Every blackout is a well-formed interval (each documents its conflict by schema)."""
    problems: list[str] = []
    for n, blackout in enumerate(c.windows.blackouts, 1):
        problems += _span(blackout, f"blackout {n}")[1]
    return problems


def freeze(c: Checklist) -> list[str]:
    """The freeze is set and covers every launch window that is set."""
    span, problems = _span(c.freeze, "freeze")
    if span is None:
        return problems
    for name, window_span in (("primary", c.windows.primary), ("backup", c.windows.backup)):
        window, _ = _span(window_span, f"{name} window")
        if window and not span.covers(window):
            problems.append(f"the freeze ({span}) does not cover the {name} window ({window})")
    return problems


def rollback_criteria(c: Checklist) -> list[str]:
    """The criteria can be compiled into alerting rules: what `gate rollback rules` would refuse.

    Their structure (units, comparisons, metrics, matchers, durations) is valid by the time a
    checklist loads: `gate.rollback.criteria` checks it once, for every command.
    """
    return unready(c.rollback)


def _channels(c: Checklist, audience: str) -> list[str]:
    """At least one channel for the audience (their values are checked for placeholders)."""
    present = any(ch.audience == audience for ch in c.communications.channels)
    return [] if present else [f"no {audience} communications channel"]


def internal_comms(c: Checklist) -> list[str]:
    """Seed F, internal: incident channel, war-room bridge, pager rotation."""
    return _channels(c, "internal")


def external_comms(c: Checklist) -> list[str]:
    """Seed F, external: status page, customer and partner notices."""
    return _channels(c, "external")


def status_templates(c: Checklist) -> list[str]:
    """Each template uses exactly the variables it declares."""
    problems = []
    for template in c.communications.status_page_templates:
        used = set(_VARIABLE.findall(template.text))
        declared = set(template.variables)
        if used - declared:
            problems.append(f"template {template.id} uses undeclared {sorted(used - declared)}")
        if declared - used:
            problems.append(f"template {template.id} declares unused {sorted(declared - used)}")
    return problems


def decision_process(c: Checklist) -> list[str]:
    """The quorum covers every sign-off area and every area's approver must attend."""
    areas = {a.id for a in c.areas}
    problems = [f"area {a} is not in the decision quorum" for a in sorted(areas - set(c.decision_process.quorum))]
    roles = set(c.meeting.required_attendees)
    problems += [
        f"{a.approver_role} ({a.name} approver) is not a required attendee"
        for a in c.areas
        if a.approver_role not in roles
    ]
    return problems


RULES: dict[str, Callable[[Checklist], list[str]]] = {
    "launch-window": launch_window,
    "backup-window": backup_window,
    "blackouts": blackouts,
    "freeze": freeze,
    "rollback-criteria": rollback_criteria,
    "internal-comms": internal_comms,
    "external-comms": external_comms,
    "status-templates": status_templates,
    "decision-process": decision_process,
}

# Which part of checklist.yaml feeds which rule: placeholders found there fail that rule's items.
# Channels are attributed by their audience (see CHANNEL_RULES), the rest by these prefixes.
CHANNEL_RULES = {"internal": "internal-comms", "external": "external-comms"}
RULE_SOURCES: dict[tuple[str, ...], str] = {
    ("windows", "primary"): "launch-window",
    ("windows", "backup"): "backup-window",
    ("windows", "blackouts"): "blackouts",
    ("freeze",): "freeze",
    ("rollback",): "rollback-criteria",
    ("communications", "status_page_templates"): "status-templates",
    ("decision_process",): "decision-process",
    ("meeting",): "decision-process",
    ("packet",): "decision-process",
}


def rule_inputs(data: dict[str, Any], rule: str) -> list[Any]:
    """The parts of the checklist (as plain data) that `rule` judges, in a stable order."""
    parts: list[Any] = []
    for prefix, name in RULE_SOURCES.items():
        if name == rule:
            parts.append([list(prefix), lookup(data, prefix)])
    for audience, name in CHANNEL_RULES.items():
        if name == rule:
            channels = lookup(data, ("communications", "channels")) or []
            parts.append([audience, [c for c in channels if c.get("audience") == audience]])
    return parts
