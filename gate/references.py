"""Cross-file consistency of ids and paths: every reference resolves, every id is unique.

These are input errors (exit 2) located at the exact reference, because a dangling id means the files
say something that cannot be evaluated. Evidence the checklist requires but nobody captured yet is *not*
checked here: that fails its item instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from gate.errors import InputError
from gate.load import CHECKLIST, MANIFEST, Loaded
from gate.model import Artifact, Command
from gate.paths import check_relative

Path_ = tuple[str | int, ...]


class _Refs:
    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.errors: list[InputError] = []

    def bad(self, file: str, path: Path_, message: str) -> None:
        self.errors.append(InputError(self.loaded.locate(file, path), message))

    def known(self, file: str, path: Path_, value: str | None, pool: Iterable[str], what: str) -> None:
        if value is not None and value not in pool:
            self.bad(file, path, f"unknown {what} {value!r}")

    def unique(self, file: str, entries: Iterable[tuple[Path_, str]], what: str) -> None:
        seen: set[str] = set()
        for path, ident in entries:
            if ident in seen:
                self.bad(file, path, f"duplicate {what} {ident!r}")
            seen.add(ident)


def check_references(loaded: Loaded) -> list[InputError]:
    """Every dangling id, duplicate id and unsafe path across all files of the launch."""
    refs = _Refs(loaded)
    _checklist(refs)
    _manifest(refs)
    _signoffs(refs)
    _decisions(refs)
    return refs.errors


def _checklist(refs: _Refs) -> None:
    c = refs.loaded.checklist
    roles, areas = set(c.roles), {a.id for a in c.areas}
    items = [(("prerequisites", n), i) for n, i in enumerate(c.prerequisites)]
    items += [(("items", n), i) for n, i in enumerate(c.items)]
    refs.unique(CHECKLIST, [((*p, "id"), i.id) for p, i in items], "item id")
    refs.unique(CHECKLIST, [(("areas", n, "id"), a.id) for n, a in enumerate(c.areas)], "area id")
    for path, item in items:
        refs.known(CHECKLIST, (*path, "owner"), item.owner, roles, "role")
        refs.known(CHECKLIST, (*path, "area"), item.area, areas, "area")
        if item.priority != "P0" and path[0] == "prerequisites":
            refs.bad(
                CHECKLIST,
                (*path, "priority"),
                "prerequisites must be complete before go/no-go: use P0",
            )
    for n, area in enumerate(c.areas):
        refs.known(CHECKLIST, ("areas", n, "approver_role"), area.approver_role, roles, "role")
    for name, role in c.roles.items():
        refs.known(CHECKLIST, ("roles", name, "area"), role.area, areas, "area")
    for n, area_id in enumerate(c.decision_process.quorum):
        refs.known(CHECKLIST, ("decision_process", "quorum", n), area_id, areas, "area")
    for n, role_id in enumerate(c.meeting.required_attendees):
        refs.known(CHECKLIST, ("meeting", "required_attendees", n), role_id, roles, "role")
    for n, change in enumerate(c.freeze.allowed_changes):
        refs.known(
            CHECKLIST,
            ("freeze", "allowed_changes", n, "approver_role"),
            change.approver_role,
            roles,
            "role",
        )
    for place, location in (
        (("packet", "location"), c.packet.location),
        (("meeting", "record"), c.meeting.record),
    ):
        problem = check_relative(location)
        if problem:
            refs.bad(CHECKLIST, place, problem)


def _manifest(refs: _Refs) -> None:
    c, m = refs.loaded.checklist, refs.loaded.manifest
    items = {i.id for i in [*c.prerequisites, *c.items]}
    areas = {a.id for a in c.areas}
    entries: list[tuple[Path_, str]] = [(("artifacts", n, "id"), a.id) for n, a in enumerate(m.artifacts)]
    entries += [(("commands", n, "id"), x.id) for n, x in enumerate(m.commands)]
    refs.unique(MANIFEST, entries, "manifest id")
    refs.unique(
        MANIFEST,
        [(("artifacts", n, "path"), a.path) for n, a in enumerate(m.artifacts)],
        "artifact path",
    )
    artifact_ids = {a.id for a in m.artifacts}
    listed: list[tuple[str, int, Artifact | Command]] = [("artifacts", n, a) for n, a in enumerate(m.artifacts)]
    listed += [("commands", n, x) for n, x in enumerate(m.commands)]
    for kind, n, entry in listed:
        for k, item in enumerate(entry.items):
            refs.known(MANIFEST, (kind, n, "items", k), item, items, "item")
        for k, area in enumerate(entry.areas):
            refs.known(MANIFEST, (kind, n, "areas", k), area, areas, "area")
    for n, command in enumerate(m.commands):
        refs.known(MANIFEST, ("commands", n, "stdout"), command.stdout, artifact_ids, "artifact")
        refs.known(MANIFEST, ("commands", n, "stderr"), command.stderr, artifact_ids, "artifact")


def _signoffs(refs: _Refs) -> None:
    loaded = refs.loaded
    c = loaded.checklist
    areas = {a.id for a in c.areas}
    entries = {a.id for a in loaded.manifest.artifacts} | {x.id for x in loaded.manifest.commands}
    for area_id, (file, signoff) in loaded.signoffs.items():
        refs.known(file, ("area",), area_id, areas, "area")
        for n, finding in enumerate(signoff.findings):
            refs.known(
                file,
                ("findings", n, "remediation_owner"),
                finding.remediation_owner,
                set(c.roles),
                "role",
            )
            for k, ref in enumerate(finding.evidence):
                refs.known(file, ("findings", n, "evidence", k), ref, entries, "manifest id")
    for n, area in enumerate(c.areas):
        if area.id not in loaded.signoffs and f"signoffs/{area.id}.yaml" not in loaded.unreadable:
            refs.bad(
                CHECKLIST,
                ("areas", n, "id"),
                f"area {area.id!r} has no sign-off file signoffs/{area.id}.yaml",
            )


def _decisions(refs: _Refs) -> None:
    roles = set(refs.loaded.checklist.roles)
    criteria = {c.id for c in refs.loaded.checklist.rollback.criteria}
    for file, decision in refs.loaded.decisions:
        for n, attendee in enumerate(decision.meeting.attendees if decision.meeting else []):
            refs.known(file, ("meeting", "attendees", n, "role"), attendee.role, roles, "role")
        for n, fired in enumerate(decision.rollback.fired if decision.rollback else []):
            refs.known(file, ("rollback", "fired", n, "criterion"), fired.criterion, criteria, "rollback criterion")
