"""The pull-request comment, written for review: what this pull request changes (files -> items -> areas),
each changed artifact's SHA-256 and the digest its area now has, who owns each area and who may approve,
what blocks and how to fix it; the items that pass folded away.

An area lead approving a sign-off compares the `area_digest` in the file with the digest shown here,
and each artifact's SHA-256 with the file they reviewed: the comment is where those are.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.evidence.digests import area_entries
from gate.load import CHECKLIST, DECISIONS, MANIFEST, SIGNOFFS, Loaded
from gate.model.scorecard import Scorecard
from gate.report.safe import code
from gate.report.safe import markdown as md
from gate.report.scorecard import STICKY_MARKER
from gate.report.status import blockers


@dataclass(frozen=True)
class ChangedFile:
    """One file the pull request changes, and what of the launch it is."""

    path: str
    what: str  # "evidence <id>", "sign-off <area>", "decision", "checklist", "manifest", "other"
    sha256: str | None
    items: tuple[str, ...]
    areas: tuple[str, ...]


def changed_files(loaded: Loaded, paths: tuple[str, ...]) -> list[ChangedFile]:
    """Each changed path as the launch knows it: an artifact (with the items and areas it serves), a
    sign-off, a decision, the checklist or the manifest."""
    artifacts = {a.path: a for a in loaded.manifest.artifacts}
    serves = {
        a.id: {e.id for e in area_entries(loaded.checklist, loaded.manifest, a.id)} for a in loaded.checklist.areas
    }
    out = []
    for path in paths:
        artifact = artifacts.get(path)
        if artifact is not None:
            areas = tuple(sorted(area for area, ids in serves.items() if artifact.id in ids))
            out.append(ChangedFile(path, f"evidence {artifact.id}", artifact.sha256, tuple(artifact.items), areas))
        else:
            out.append(_launch_file(path))
    return out


def _launch_file(path: str) -> ChangedFile:
    if path.startswith(f"{SIGNOFFS}/") and path.endswith(".yaml"):
        area = path.removeprefix(f"{SIGNOFFS}/").removesuffix(".yaml")
        return ChangedFile(path, f"sign-off {area}", None, (), (area,))
    if path.startswith(f"{DECISIONS}/"):
        return ChangedFile(path, "decision", None, (), ())
    if path in (CHECKLIST, MANIFEST):
        return ChangedFile(path, path.split(".")[0].replace("evidence-", ""), None, (), ())
    return ChangedFile(path, "other", None, (), ())


def review(card: Scorecard, changes: list[ChangedFile], approvers: dict[str, str] | None = None) -> str:
    """The comment: the verdict, what changes, the areas touched, what blocks (with fixes), the items.

    `approvers` maps an area to who approved it (or what it still needs) in this pull request.
    """
    out = [STICKY_MARKER]
    icon = "✅" if card.decision == "GO" else "⛔"
    out += [f"## {icon} {card.decision} — {md(card.launch)} ({md(card.network)}, {md(card.release_tag)})", ""]
    if card.errors:
        out += [f"- {code(f'{e.file}:{e.line}:{e.column}')} {md(e.message)}" for e in card.errors]
        return "\n".join(out) + "\n"
    t = card.totals
    out += [f"Evaluated {card.evaluated_at:%Y-%m-%d %H:%M} UTC · {t.PASS} PASS · {t.WARN} WARN · {t.FAIL} FAIL", ""]
    out += _changes(changes) + _areas(card, changes, approvers or {}) + _blocking(card) + _items(card)
    return "\n".join(out) + "\n"


def _changes(changes: list[ChangedFile]) -> list[str]:
    if not changes:
        return []
    out = [
        "### What this pull request changes",
        "",
        "| file | is | SHA-256 | items | areas |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in changes:
        sha = code(c.sha256) if c.sha256 else "–"
        items, areas = md(", ".join(c.items)) or "–", md(", ".join(c.areas)) or "–"
        out.append(f"| {code(c.path)} | {md(c.what)} | {sha} | {items} | {areas} |")
    return [*out, ""]


def _areas(card: Scorecard, changes: list[ChangedFile], approvers: dict[str, str]) -> list[str]:
    touched = {a for c in changes for a in c.areas}
    if any(c.what in ("decision", "checklist") for c in changes):
        touched |= {s.area for s in card.signoffs}  # a decision needs every area; the checklist may move any
    rows = [s for s in card.signoffs if s.area in touched]
    if not rows:
        return []
    out = ["### Areas it touches", "", "| area | sign-off | area digest now | owners | in this PR |"]
    out.append("| --- | --- | --- | --- | --- |")
    for s in rows:
        standing = s.status + ("" if s.status != "approved" else (", fresh" if s.fresh else ", **stale**"))
        owners = f"{s.team}: {', '.join(s.roster)}" if s.roster else s.team
        here = md(approvers.get(s.area, "–"))
        out.append(f"| {md(s.name)} | {standing} | {code(s.current_digest)} | {md(owners)} | {here} |")
    return [*out, ""]


def _blocking(card: Scorecard) -> list[str]:
    groups = blockers(card)
    if not groups:
        return []
    count = sum(len(g.blockers) for g in groups)
    out = [f"<details open><summary><b>Blocking ({count}), by who must act</b></summary>", ""]
    for group in groups:
        out.append(f"**{md(group.title)}**")
        out.append("")
        for b in group.blockers:
            out.append(f"- {md(b.text)}")
            out += [f"  - fix: {code(fix)}" for fix in b.fixes]
        out.append("")
    return [*out, "</details>", ""]


def _items(card: Scorecard) -> list[str]:
    rows = ["| state | P | item | title | reasons |", "| --- | --- | --- | --- | --- |"]
    shown = [i for i in card.items if i.state != "PASS"]
    passed = [i for i in card.items if i.state == "PASS"]
    out = rows + [
        f"| {i.state} | {i.priority} | {code(i.id)} | {md(i.title)} | {md('; '.join(i.reasons))} |" for i in shown
    ]
    out += ["", f"<details><summary>{len(passed)} items pass</summary>", "", *rows]
    out += [f"| PASS | {i.priority} | {code(i.id)} | {md(i.title)} | |" for i in passed]
    return [*out, "", "</details>"]
