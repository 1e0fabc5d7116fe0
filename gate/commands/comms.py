"""`gate comms draft TEMPLATE… [--var NAME=VALUE …] [--record]`: status-page drafts from checklist.yaml.

`--record` writes the drafts into one file and registers it as the status-page evidence (the item's
`status-page-drafts` requirement by default) through `gate evidence add`. A registered draft is never
replaced silently: different text needs `--replace`, and the sign-offs that approved the old one go
stale (and are named).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gate.commands.evidence import add, choose_id
from gate.comms import DRAFTS_ID, STATUS_ITEM, Draft, find_template, launch_values, parse_vars, render, window_in_force
from gate.edit import write_atomic
from gate.errors import UsageError
from gate.launch import load_valid
from gate.load import Loaded
from gate.model import Item
from gate.outputs import refuse_launch_file
from gate.paths import resolve_inside
from gate.report.output import Output
from gate.score import all_items

DRAFTS_DIR = "evidence/comms"


class DraftValue(Output):
    """A variable's value and where it came from (`given` on the command line, or the `launch`'s own)."""

    value: str
    source: str


class DraftedTemplate(Output):
    """One template, rendered."""

    id: str
    name: str
    text: str
    values: dict[str, DraftValue]


class RecordedDrafts(Output):
    """The drafts file registered as evidence, and the sign-offs its change made stale."""

    path: str
    id: str
    item: str
    changed: bool
    stale: list[str]


class DraftResult(Output):
    """Every draft rendered, and where they were recorded (with `--record`)."""

    window: str
    drafts: list[DraftedTemplate]
    recorded: RecordedDrafts | None = None


@dataclass(frozen=True)
class DraftRequest:
    """What `gate comms draft` was asked."""

    repo: Path
    templates: Sequence[str]
    variables: Sequence[str] = field(default_factory=tuple)
    record: bool = False
    replace: bool = False
    item: str = STATUS_ITEM
    id: str | None = None
    at: datetime | None = None


def draft(request: DraftRequest) -> DraftResult:
    """Render each named template with the given values and the launch's; record them if asked."""
    loaded = load_valid(request.repo)[0]
    window = window_in_force(loaded, request.at or datetime.now(UTC))
    given = parse_vars(request.variables)
    drafts = _render_all(loaded, request.templates, given, window)
    recorded = _record(request, loaded, drafts) if request.record else None
    return DraftResult(window=window, drafts=[_drafted(d) for d in drafts], recorded=recorded)


def _render_all(loaded: Loaded, templates: Sequence[str], given: dict[str, str], window: str) -> list[Draft]:
    """Every draft, or one refusal naming every problem of every template."""
    launch = launch_values(loaded.checklist, window)
    drafts, problems = [], []
    for template_id in dict.fromkeys(templates):
        try:
            template = find_template(loaded.checklist, template_id)
            drafts.append(render(template, {k: v for k, v in given.items() if k in template.variables}, launch))
        except UsageError as exc:
            problems.append(str(exc))
    wanted = {v for t in templates for v in _declared(loaded, t)}
    problems += [f"no template asked for takes --var {name}" for name in given if name not in wanted]
    if problems:
        raise UsageError("; ".join(problems))
    return drafts


def _declared(loaded: Loaded, template_id: str) -> list[str]:
    found = [t for t in loaded.checklist.communications.status_page_templates if t.id == template_id]
    return list(found[0].variables) if found else []


def _drafted(d: Draft) -> DraftedTemplate:
    values = {name: DraftValue(value=value, source=source) for name, (value, source) in d.values.items()}
    return DraftedTemplate(id=d.template.id, name=d.template.name, text=d.text, values=values)


def drafts_markdown(drafts: Sequence[Draft]) -> str:
    """The drafts file: each template's name and its text, ready to paste into the status page."""
    lines = ["# Status page drafts", "", "Rendered by `gate comms draft` from checklist.yaml."]
    for d in drafts:
        lines += ["", f"## {d.template.name} ({d.template.id})", "", d.text]
    return "\n".join(lines) + "\n"


def _find_item(loaded: Loaded, item_id: str) -> Item:
    found = next((item for _, item, _ in all_items(loaded.checklist) if item.id == item_id), None)
    if found is None:
        raise UsageError(f"unknown item {item_id!r}")
    return found


def _record(request: DraftRequest, loaded: Loaded, drafts: Sequence[Draft]) -> RecordedDrafts:
    item = _find_item(loaded, request.item)
    entry_id = choose_id(loaded, item, DRAFTS_ID, request.id)
    known = next((a for a in loaded.manifest.artifacts if a.id == entry_id), None)
    rel = known.path if known else f"{DRAFTS_DIR}/{entry_id}.md"
    try:
        path = resolve_inside(request.repo, rel)
    except ValueError as exc:
        raise UsageError(f"{rel}: {exc}") from None
    # `choose_id` has made sure the id is this item's own (a requirement it names, shared or not, or
    # evidence registered for it): that entry may be replaced (with --replace); any other file the
    # path would land on is refused by the guard.
    own = entry_id if known else None
    refuse_launch_file(request.repo, loaded, path, writing="the drafts", elsewhere="with another --id", replacing=own)
    text = drafts_markdown(drafts)
    old = path.read_bytes() if path.is_file() else None
    changed = old != text.encode("utf-8")
    if old is not None and changed and not request.replace:
        raise UsageError(
            f"{rel} already holds other drafts{' (registered as ' + entry_id + ')' if known else ''}: "
            "pass --replace to replace them"
        )
    write_atomic(path, text)
    try:
        recorded = add(request.repo, [path], item.id, entry_id, [])
    except BaseException:
        _restore(path, old)
        raise
    return RecordedDrafts(path=rel, id=entry_id, item=item.id, changed=changed, stale=recorded.stale)


def _restore(path: Path, old: bytes | None) -> None:
    """Put back what was there before a registration failed: never leave an unregistered draft behind."""
    if old is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(old)
