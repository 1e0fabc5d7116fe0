"""Commands that edit checklist.yaml in place, so no one hand-edits a 600-line file at 2 a.m.:
`gate schedule`, `gate set`, `gate mitigate`, `gate na`.

Each splices its values by node position (comments and layout kept), validates the result before it
replaces the file, says what changed, and names the sign-offs the change makes stale (a mitigation, an
N/A or a roster is part of an area's policy, which its lead approved).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gate.edit import Edit, edit_yaml, write_atomic
from gate.errors import UsageError
from gate.evidence.digests import area_digest, area_pins
from gate.launch import load_unhashed, load_valid
from gate.load import CHECKLIST, Loaded, load_yaml
from gate.model import Checklist
from gate.model.base import LOGIN
from gate.names import check_login, check_roles, did_you_mean
from gate.placeholders import find_placeholders
from gate.score import all_items

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class ChecklistEdited:
    """What an edit of checklist.yaml changed (`path: old -> new`) and the sign-offs it made stale."""

    file: str
    changes: list[str]
    stale: list[str]


@dataclass(frozen=True)
class Unfilled:
    """One value of checklist.yaml still holding placeholders: where it is, what they are (`YYYY, HH:MM`),
    the KEY `gate set` takes for it, and the command that fills it in."""

    file: str
    line: int
    column: int
    text: str
    key: str
    command: str


@dataclass(frozen=True)
class UnfilledReport:
    """`gate set --unfilled`: every placeholder left, each with FILE:LINE:COL."""

    placeholders: list[Unfilled]


def seed_time(when: datetime) -> str:
    """A time as the checklist writes it (the seed's `YYYY-MM-DD HH:MM UTC`)."""
    return f"{when.year:04d}-{when:%m-%d %H:%M} UTC"


def schedule(
    repo: Path,
    primary: Span | None,
    backup: Span | None,
    blackouts: Sequence[tuple[datetime, datetime, str]] | None,
    freeze: Span | None,
) -> ChecklistEdited:
    """Set the launch windows, the blackouts (the list becomes exactly those given) and the freeze."""
    edits: list[Edit] = []
    for name, span in (("primary", primary), ("backup", backup)):
        if span is not None:
            edits += _span_edits(("windows", name), span)
    if freeze is not None:
        edits += _span_edits(("freeze",), freeze)
    if blackouts is not None:
        for start, end, reason in blackouts:
            _check_span(f"blackout {reason!r}", (start, end))
        edits.append(
            Edit(
                ("windows", "blackouts"),
                [{"start": seed_time(s), "end": seed_time(e), "reason": reason} for s, e, reason in blackouts],
            )
        )
    if not edits:
        raise UsageError("give at least one of --primary, --backup, --blackout, --freeze")
    return _edit(repo, edits)


def _span_edits(path: tuple[str, ...], span: Span) -> list[Edit]:
    _check_span(".".join(path), span)
    return [Edit((*path, "start"), seed_time(span[0])), Edit((*path, "end"), seed_time(span[1]))]


def _check_span(name: str, span: Span) -> None:
    if span[1] <= span[0]:
        raise UsageError(f"{name}: the end ({seed_time(span[1])}) is not after the start ({seed_time(span[0])})")


def mitigate(repo: Path, item_id: str, owner: str, due: datetime | None, description: str) -> ChecklistEdited:
    """Record the mitigation that lets a P1 that does not pass count as a WARN."""
    loaded, _ = load_valid(repo)
    path, item = _item_path(loaded, item_id)
    if item.priority != "P1":
        raise UsageError(f"{item_id} is {item.priority}: only a P1 may be mitigated into a WARN")
    check_roles(loaded, [owner], "--owner")
    value: dict[str, Any] = {"description": _one_line(description, "--description"), "owner": owner}
    if due is not None:
        value["due"] = seed_time(due)
    return _edit(repo, [Edit((*path, "mitigation"), value)], loaded)


def not_applicable(repo: Path, item_id: str, justification: str, accepted_by: str) -> ChecklistEdited:
    """Mark an item N/A with why, and who accepted it (a GitHub login on the area team's roster)."""
    loaded, _ = load_valid(repo)
    path, item = _item_path(loaded, item_id)
    who = accepted_by.removeprefix("@")
    check_login(who, "--accepted-by")
    team = next(a.team for a in loaded.checklist.areas if a.id == item.area)
    members = [m.lower() for t, ms in loaded.checklist.roster.items() if t.lower() == team.lower() for m in ms]
    if members and who.lower() not in members:
        raise UsageError(f"--accepted-by {who} is not on the roster of {team} ({', '.join(members)})")
    value = {"justification": _one_line(justification, "--justification"), "accepted_by": who}
    return _edit(repo, [Edit((*path, "not_applicable"), value)], loaded)


# Names people use for the values a launch fills in; anything else is a dotted path to a scalar.
ALIASES = {
    "release-tag": ("launch", "release_tag"),
    "target-block-time": ("rollback", "target_block_time"),
    "launch-name": ("launch", "name"),
    "owner": ("launch", "owner"),
}


def set_value(repo: Path, key: str, value: str) -> ChecklistEdited:
    """Set one value: an alias (`release-tag`), `channel.<id>`, `roster.<@org/team>` (comma-separated
    logins), or the dotted path of a scalar already in the file (`launch.owner`)."""
    loaded, _ = load_valid(repo)
    if key.startswith("roster."):
        team = key.removeprefix("roster.")
        logins = [m.strip().removeprefix("@") for m in value.split(",") if m.strip()]
        bad = [m for m in logins if not LOGIN.match(m)]
        if bad:
            raise UsageError(f"not GitHub logins: {', '.join(bad)}")
        return _edit(repo, [Edit(("roster", team), logins)], loaded)
    path = _key_path(loaded, key)
    return _edit(repo, [Edit(path, _one_line(value, key))], loaded)


def unfilled(repo: Path) -> UnfilledReport:
    """Every placeholder left in checklist.yaml, where it is (templates' own variables excepted)."""
    doc, _, errors = load_yaml(repo, CHECKLIST, Checklist)
    if doc is None:
        from gate.errors import InputErrors

        raise InputErrors(errors)
    from gate.score import strings, template_vars

    checklist = Checklist.model_validate(doc.data) if not errors else None
    out = []
    for path, text in strings(doc.data, ()):
        allowed = template_vars(checklist, path) if checklist else frozenset()
        holes = list(dict.fromkeys(find_placeholders(text, allowed)))
        if holes:
            where = doc.locate(path)
            key = set_key(doc.data, path)
            out.append(Unfilled(where.file, where.line, where.column, ", ".join(holes), key, _filler(path, key)))
    return UnfilledReport(out)


# Values `gate schedule` sets (as whole intervals, checked against each other), by where they are.
SCHEDULED = {
    ("windows", "primary"): "gate schedule --primary START END",
    ("windows", "backup"): "gate schedule --backup START END",
    ("windows", "blackouts"): "gate schedule --blackout START END REASON   (repeat for each)",
    ("freeze",): "gate schedule --freeze START END",
}


def set_key(data: Any, path: tuple[str | int, ...]) -> str:
    """The KEY `gate set` takes for the value at `path`: its alias, `channel.<id>`, or its dotted path."""
    for alias, aliased in ALIASES.items():
        if path == aliased:
            return alias
    if len(path) == 4 and path[:2] == ("communications", "channels") and path[3] == "value":
        from gate.yamlread import lookup

        ident = lookup(data, (*path[:3], "id"))
        if isinstance(ident, str):
            return f"channel.{ident}"
    return _dotted(path)


def _filler(path: tuple[str | int, ...], key: str) -> str:
    for prefix, command in SCHEDULED.items():
        if path[: len(prefix)] == prefix and not (prefix == ("freeze",) and path[1:2] == ("allowed_changes",)):
            return command
    return f"gate set {key} VALUE"


def _key_path(loaded: Loaded, key: str) -> tuple[str | int, ...]:
    if key in ALIASES:
        return ALIASES[key]
    if key.startswith("channel."):
        ident = key.removeprefix("channel.")
        ids = [c.id for c in loaded.checklist.communications.channels]
        if ident not in ids:
            raise UsageError(f"no channel {ident!r}{did_you_mean(ident, ids)} (channels: {', '.join(ids)})")
        return ("communications", "channels", ids.index(ident), "value")
    path: tuple[str | int, ...] = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    doc = loaded.documents[CHECKLIST]
    from gate.yamlread import lookup

    found = lookup(doc.data, path)
    if found is None or isinstance(found, dict | list):
        known = [*ALIASES, "channel.<id>", "roster.<@org/team>"]
        hint = did_you_mean(key, list(ALIASES))
        raise UsageError(f"{key!r} names no value in {CHECKLIST}{hint} (or: {', '.join(known)})")
    return path


def _item_path(loaded: Loaded, item_id: str) -> tuple[tuple[str | int, ...], Any]:
    for _, item, path in all_items(loaded.checklist):
        if item.id == item_id:
            return path, item
    ids = [i.id for _, i, _ in all_items(loaded.checklist)]
    raise UsageError(f"unknown item {item_id!r}{did_you_mean(item_id, ids)}")


def _one_line(text: str, what: str) -> str:
    if not text.strip() or any(ch in text for ch in "\n\r\x00"):
        raise UsageError(f"{what} must be one line of text")
    return text


def _edit(repo: Path, edits: list[Edit], loaded: Loaded | None = None) -> ChecklistEdited:
    before = loaded or load_valid(repo)[0]
    old = before.documents[CHECKLIST].data
    from gate.yamlread import lookup

    original = (repo / CHECKLIST).read_bytes().decode("utf-8")
    edit_yaml(repo / CHECKLIST, edits, Checklist, file=CHECKLIST)
    try:
        after = load_unhashed(repo)  # a checklist edit changes no evidence: nothing to hash again
    except BaseException:
        # The file validates alone but not with the rest of the launch (a role no team has, an owner
        # the checklist does not define), or Ctrl-C came while the launch was read back: put it back
        # as it was, so an edit that did not finish changes nothing.
        write_atomic(repo / CHECKLIST, original)
        raise
    new = after.documents[CHECKLIST].data
    changes = [f"{_dotted(e.path)}: {_shown(lookup(old, e.path))} -> {_shown(lookup(new, e.path))}" for e in edits]
    return ChecklistEdited(CHECKLIST, changes, _newly_stale(before, after))


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "(absent)" if value is None else str(value)


def _newly_stale(before: Loaded, after: Loaded) -> list[str]:
    """Areas whose approval was fresh before the edit and is not after it."""
    out = []
    for area, (_, signoff) in before.signoffs.items():
        was = area_digest(area_pins(before.checklist, before.manifest, area))
        fresh = signoff.status == "approved" and signoff.area_digest == was
        if fresh and area_digest(area_pins(after.checklist, after.manifest, area)) != was:
            out.append(area)
    return out
