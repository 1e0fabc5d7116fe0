"""Items -> PASS/WARN/FAIL/N/A and sign-off freshness, with every reason the launch is not ready."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gate.evidence.digests import area_digest, area_pins, pin_changes
from gate.evidence.integrity import ArtifactCheck
from gate.load import CHECKLIST, Loaded
from gate.model import Artifact, Command, Item, Signoff
from gate.model.base import LOGIN, parse_time
from gate.model.checklist import MAX_P1_WARNINGS, Checklist
from gate.model.scorecard import ItemResult, Missing, SignoffResult, State, Totals, Where
from gate.model.signoff import Pinned
from gate.placeholders import find_placeholders, names_nobody
from gate.rules import CHANNEL_RULES, RULE_SOURCES, RULES


@dataclass
class Readiness:
    """The launch's readiness at one moment, before any decision file is considered."""

    items: list[ItemResult]
    signoffs: list[SignoffResult]
    blocking: list[str]
    totals: Totals


@dataclass
class ItemFacts:
    """What item evaluation looks things up in."""

    loaded: Loaded
    checks: dict[str, ArtifactCheck]
    at: datetime
    placeholders: dict[str, list[str]] = field(default_factory=dict)
    rule_problems: dict[str, list[str]] = field(default_factory=dict)
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    captured: set[str] = field(default_factory=set)  # every manifest id: built once, asked per item

    def __post_init__(self) -> None:
        self.artifacts = {a.id: a for a in self.loaded.manifest.artifacts}
        self.commands = {c.id: c for c in self.loaded.manifest.commands}
        self.captured = self.artifacts.keys() | self.commands.keys()

    @property
    def checklist(self) -> Checklist:
        return self.loaded.checklist


def all_items(checklist: Checklist) -> Iterator[tuple[str, Item, tuple[str, int]]]:
    """Prerequisites first, then sections A–J: each with its section label and its path in the file."""
    for n, item in enumerate(checklist.prerequisites):
        yield "prerequisites", item, ("prerequisites", n)
    for n, s_item in enumerate(checklist.items):
        yield s_item.section, s_item, ("items", n)


def assess(loaded: Loaded, checks: dict[str, ArtifactCheck], at: datetime) -> Readiness:
    """Score every item and sign-off as of `at` and list every reason the launch is not ready."""
    facts = ItemFacts(loaded, checks, at)
    facts.placeholders, launch_holes = loaded.derived(placeholders_by_item)
    facts.rule_problems = loaded.derived(rule_problems)
    items = [item_result(facts, section, item, path) for section, item, path in all_items(loaded.checklist)]
    signoffs = [signoff_result(facts, area.id) for area in loaded.checklist.areas]
    totals = _totals(items, MAX_P1_WARNINGS)
    blocking = launch_holes + _item_blocking(items, totals) + _signoff_blocking(signoffs)
    return Readiness(items, signoffs, blocking, totals)


def rule_problems(loaded: Loaded) -> dict[str, list[str]]:
    """What each built-in rule finds in the checklist (the same at every moment judged)."""
    return {name: rule(loaded.checklist) for name, rule in RULES.items()}


def _totals(items: list[ItemResult], limit: int) -> Totals:
    counts = {state: sum(1 for i in items if i.state == state) for state in ("PASS", "WARN", "FAIL", "N/A")}
    p1 = sum(1 for i in items if i.state == "WARN" and i.priority == "P1")
    return Totals.model_validate({**counts, "p1_warnings": p1, "p1_warning_limit": limit})


def _item_blocking(items: list[ItemResult], totals: Totals) -> list[str]:
    out = [f"{i.priority} {i.id} ({i.title}) is FAIL: {'; '.join(i.reasons)}" for i in items if i.state == "FAIL"]
    if totals.p1_warnings > totals.p1_warning_limit:
        warned = ", ".join(i.id for i in items if i.state == "WARN" and i.priority == "P1")
        out.append(f"{totals.p1_warnings} P1 warnings, at most {totals.p1_warning_limit} allowed: {warned}")
    return out


def _signoff_blocking(signoffs: list[SignoffResult]) -> list[str]:
    return [f"{s.name} sign-off: {'; '.join(s.reasons)}" for s in signoffs if not s.stands]


# ---- items -------------------------------------------------------------------------------------------


def item_result(facts: ItemFacts, section: str, item: Item, path: tuple[str, int]) -> ItemResult:
    """How one item ends, as of facts.at."""
    state, reasons = _judge(facts, item)
    where = facts.loaded.locate(CHECKLIST, path)
    missing = [
        Missing(id=r.id, kind=r.kind, description=r.description) for r in item.evidence if r.id not in facts.captured
    ]
    return ItemResult(
        id=item.id,
        section=section,
        title=item.title,
        priority=item.priority,
        owner=item.owner,
        area=item.area,
        state=state,
        reasons=reasons,
        missing=missing if state in ("FAIL", "WARN") else [],
        where=Where(file=where.file, line=where.line, column=where.column),
    )


def _judge(facts: ItemFacts, item: Item) -> tuple[State, list[str]]:
    if item.not_applicable is not None:
        na = item.not_applicable
        gaps = _na_gaps(facts.checklist, item)
        if not gaps:
            return "N/A", [f"not applicable: {na.justification} (accepted by {na.accepted_by})"]
        # A broken N/A is never mitigated into a WARN: nothing may be skipped silently.
        reason = f"marked N/A, but {'; '.join(gaps)}"
        return ("WARN", [reason, "P2: tracked, does not block"]) if item.priority == "P2" else ("FAIL", [reason])
    problems = _problems(facts, item)
    if not problems:
        return "PASS", [_pass_reason(item)]
    if item.priority == "P0":
        return "FAIL", problems
    if item.priority == "P2":
        return "WARN", [*problems, "P2: tracked, does not block"]
    return _p1(facts, item, problems)


def _na_gaps(checklist: Checklist, item: Item) -> list[str]:
    """Why an N/A does not stand: a justification and who accepted it (a person of the area's team)."""
    assert item.not_applicable is not None
    na = item.not_applicable
    gaps = []
    if not na.justification.strip() or find_placeholders(na.justification):
        gaps.append("it has no justification")
    who = na.accepted_by.strip().removeprefix("@")
    if not who or names_nobody(who) or not LOGIN.match(who):
        gaps.append(f"who accepted it is not a GitHub login ({na.accepted_by!r})")
    else:
        team = next(a.team for a in checklist.areas if a.id == item.area)
        members = roster_of(checklist, team)
        if members is not None and who.lower() not in members:
            gaps.append(f"{who} who accepted it is not on the roster of {team}")
    return gaps


def _pass_reason(item: Item) -> str:
    ids = ", ".join(r.id for r in item.evidence)
    parts = ([f"rule {item.rule} holds"] if item.rule else []) + ([f"evidence verified: {ids}"] if ids else [])
    return "; ".join(parts) or "nothing required"


def _p1(facts: ItemFacts, item: Item, problems: list[str]) -> tuple[State, list[str]]:
    m = item.mitigation
    if m is None:
        return "FAIL", [*problems, "P1 not passing and no mitigation recorded"]
    if not m.owner.strip() or find_placeholders(m.owner):
        return "FAIL", [*problems, "P1 mitigation has no owner"]
    if m.due is not None:
        if find_placeholders(m.due):
            return "FAIL", [*problems, f"P1 mitigation due date is a placeholder ({m.due})"]
        if parse_time(m.due) <= facts.at:
            return "FAIL", [*problems, f"P1 mitigation expired on {m.due}"]
    due = f", due {m.due}" if m.due else ""
    return "WARN", [*problems, f"mitigated: {m.description} (owner {m.owner}{due})"]


def _problems(facts: ItemFacts, item: Item) -> list[str]:
    problems = list(facts.placeholders.get(item.id, []))
    if item.rule:
        problems += facts.rule_problems[item.rule]
    for req in item.evidence:
        problems += evidence_problems(facts, req.id, req.description)
    return problems


def evidence_problems(facts: ItemFacts, entry_id: str, description: str) -> list[str]:
    """Why a required manifest entry does not (yet) stand as evidence; [] when it does."""
    entry: Artifact | Command | None = facts.artifacts.get(entry_id) or facts.commands.get(entry_id)
    if entry is None:
        return [f"required evidence '{entry_id}' ({description}) has not been captured"]
    if isinstance(entry, Artifact):
        return _artifact_problem(facts, entry)
    problems = (
        [] if entry.exit_code == 0 else [f"command '{entry_id}' ({' '.join(entry.argv)}) exited {entry.exit_code}"]
    )
    for output in (entry.stdout, entry.stderr):
        artifact = facts.artifacts.get(output)
        problems += _artifact_problem(facts, artifact) if artifact else []
    return problems


def _artifact_problem(facts: ItemFacts, artifact: Artifact) -> list[str]:
    check = facts.checks.get(artifact.id)
    if check is None or check.problem is None:
        return []
    return [f"evidence '{artifact.id}' ({artifact.path}) fails integrity: {check.problem}"]


def placeholders_by_item(loaded: Loaded) -> tuple[dict[str, list[str]], list[str]]:
    """Every unfilled placeholder in checklist.yaml, attributed to the items it fails.

    A placeholder in a part that feeds a rule fails the items with that rule; one inside an item fails
    that item; anywhere else (the release tag, say) it blocks the launch as a whole.
    """
    doc = loaded.documents.get(CHECKLIST)
    by_item: dict[str, list[str]] = {}
    launch: list[str] = []
    if doc is None:
        return by_item, launch
    rule_items: dict[str, list[str]] = {}
    for _, item, _path in all_items(loaded.checklist):
        if item.rule:
            rule_items.setdefault(item.rule, []).append(item.id)
    for path, text in strings(doc.data, ()):
        holes = find_placeholders(text, template_vars(loaded.checklist, path))
        if not holes:
            continue
        where = doc.locate(path)
        reason = f"{where}: unfilled placeholder {', '.join(dict.fromkeys(holes))}"
        for item_id in _owners_of(loaded.checklist, path, rule_items):
            by_item.setdefault(item_id, []).append(reason)
        if not _owners_of(loaded.checklist, path, rule_items):
            launch.append(reason)
    return by_item, launch


def _owners_of(checklist: Checklist, path: tuple[Any, ...], rule_items: dict[str, list[str]]) -> list[str]:
    if len(path) >= 2 and path[0] == "items":
        return [checklist.items[path[1]].id]
    if len(path) >= 2 and path[0] == "prerequisites":
        return [checklist.prerequisites[path[1]].id]
    if path[:2] == ("communications", "channels") and len(path) >= 3:
        audience = checklist.communications.channels[path[2]].audience
        return rule_items.get(CHANNEL_RULES[audience], [])
    for prefix, rule in RULE_SOURCES.items():
        if path[: len(prefix)] == prefix:
            return rule_items.get(rule, [])
    return []


def template_vars(checklist: Checklist, path: tuple[Any, ...]) -> frozenset[str]:
    """The `<NAME>` variables a status-page template text may hold at `path` (not placeholders)."""
    if path[:2] == ("communications", "status_page_templates") and len(path) >= 4 and path[3] == "text":
        return frozenset(f"<{v}>" for v in checklist.communications.status_page_templates[path[2]].variables)
    return frozenset()


def strings(data: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string in plain data, with its path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from strings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from strings(value, (*path, i))


# ---- sign-offs ---------------------------------------------------------------------------------------


def signoff_result(facts: ItemFacts, area_id: str) -> SignoffResult:
    """An area's sign-off: approved, fresh (its area digest unchanged since approval: evidence AND
    policy), by a member of its team, and with no open finding of a blocking severity."""
    checklist = facts.checklist
    area = next(a for a in checklist.areas if a.id == area_id)
    pins, current = facts.loaded.derived(area_pins_by_area)[area_id]
    file, signoff = facts.loaded.signoffs[area_id]
    where = facts.loaded.locate(file, ("status",))
    changes = _changes(signoff, pins, current)
    roster = _roster_problem(facts, signoff.approver, area.team)
    fresh = signoff.status == "approved" and not changes and roster is None
    blocking = [f for f in signoff.findings if f.status == "open" and f.severity in checklist.scoring.blocking_findings]
    reasons = _signoff_reasons(signoff, area_id, changes, roster) + [
        f"open finding {f.id} ({f.severity}{', blocks GO' if f in blocking else ''}): {f.summary},"
        f" owner {f.remediation_owner}"
        for f in signoff.findings
        if f.status == "open"
    ]
    members = roster_of(checklist, area.team)
    return SignoffResult(
        area=area_id,
        name=area.name,
        approver_role=area.approver_role,
        team=area.team,
        roster=sorted(members) if members is not None else None,
        status=signoff.status,
        fresh=fresh,
        stands=fresh and not blocking,
        approver=signoff.approver,
        recorded_digest=signoff.area_digest,
        current_digest=current,
        changes=changes,
        reasons=reasons,
        where=Where(file=where.file, line=where.line, column=where.column),
    )


def area_pins_by_area(loaded: Loaded) -> dict[str, tuple[Pinned, str]]:
    """Each area's pinned parts and area digest as the files stand (the same at every moment judged)."""
    out = {}
    for area in loaded.checklist.areas:
        pins = area_pins(loaded.checklist, loaded.manifest, area.id)
        out[area.id] = (pins, area_digest(pins))
    return out


def _changes(signoff: Signoff, pins: Pinned, current: str) -> list[str]:
    """What changed since the verdict ([] while its digest still matches)."""
    if signoff.status == "pending" or signoff.area_digest == current:
        return []
    if signoff.pinned is None or area_digest(signoff.pinned) != signoff.area_digest:
        return ["the recorded parts do not match the recorded area_digest (the file was edited by hand)"]
    return pin_changes(signoff.pinned, pins) or ["the area digest changed"]


def _signoff_reasons(signoff: Signoff, area_id: str, changes: list[str], roster: str | None) -> list[str]:
    if signoff.status == "pending":
        return ["pending: not yet approved"]
    if signoff.status == "rejected":
        return [f"rejected by {signoff.approver}"]
    reasons = []
    if changes:
        reasons.append(f"stale: changed since it was approved: {'; '.join(changes)}")
    if roster:
        reasons.append(roster)
    return reasons or [f"approved by {signoff.approver}, fresh"]


def _roster_problem(facts: ItemFacts, approver: str | None, team: str) -> str | None:
    members = roster_of(facts.checklist, team)
    if members is None or approver is None or approver.lower() in members:
        return None
    return f"approver {approver} is not a member of {team} (roster in checklist.yaml)"


def role_team(checklist: Checklist, role_id: str | None) -> str | None:
    """The team handle standing for `role_id`: its own team, else its area's team."""
    role = checklist.roles.get(role_id or "")
    if role is None:
        return None
    if role.team:
        return role.team
    area = next((a for a in checklist.areas if a.id == role.area), None)
    return area.team if area else None


def roster_of(checklist: Checklist, team: str) -> frozenset[str] | None:
    """The lower-cased logins the checklist lists for `team`; None when it has no roster for it."""
    lists = [ms for t, ms in checklist.roster.items() if t.lower() == team.lower()]
    return frozenset(m.lower() for ms in lists for m in ms) if lists else None
