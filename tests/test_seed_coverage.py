"""Nothing of the seed checklist is dropped: every line of it has a home in checklist.yaml.

The seed (`tests/data/seed/mainnet-launch-readiness-checklist.md`, a verbatim copy) is read line by line;
every non-blank line is classified, and an unknown kind of line fails the test rather than being skipped.
Each line is then looked up where checklist.yaml keeps it:

- by the seed's exact words where the checklist keeps them: launch metadata, purpose, section titles,
  prerequisite and checkbox titles (D, E, J), `seed:` of rollback criteria, `evidence_links`, section D
  `references`, channel values, status-page template text, packet location, meeting and decision records;
- by a documented mapping where the structure differs:
  - table A: area `name`; "Security Lead" -> `roles[area.approver_role].title`; "Pending" ->
    `signoffs/<area>.yaml` `status: pending` (the status lives in the sign-off file, by design; an
    approval or rejection recorded there with its approver supersedes the seed's starting state);
    each `; `-separated link -> `areas[].evidence_links`;
  - table B: each `, `-separated artifact -> an evidence `description` of that area's section B item
    (same words, sentence case); owner -> that item's owner role title; validation -> the area's and
    the item's `validation`;
  - windows "D HH:MM–HH:MM UTC" -> `start: "D HH:MM UTC"`, `end: "D HH:MM UTC"`; a blackout's
    "(conflict)" -> `reason: <conflict>`; "a + b" allowed changes -> `freeze.allowed_changes[].description`;
  - rollback "Title: text" -> criterion `title`/`seed`, and every number in the text is a measurable
    condition: `>N`/`<N` -> `comparison`/`threshold` with `unit` ("%" -> percent, "x target" ->
    ratio_to_target and a stated `target_block_time`, "blocks" -> blocks), "N min" -> `window` or `for` of
    `Nm`, one condition per " or " clause (a clause without a number names its `signal`);
  - "P0 (must-pass): Any failure = NO-GO" -> `scoring.P0.description: "must-pass: any failure = NO-GO"`,
    "does not block" -> `blocks: false`, "up to N warnings" -> `max_warnings: N`;
  - decision steps "N. text" -> `steps[n=N]` with text = action, or actor + action; quorum names
    ("Ops") -> the area of the role titled "Ops Lead" in `decision_process.quorum`;
  - "Hashing: SHA-256 for X; include Y and Z" -> `packet.hashing: sha256`, `packet.include: [X, Y, Z]`;
  - required attendees (role titles) -> role ids in `meeting.required_attendees`;
  - `###` sub-headings and the "Checklist:"/"Reference runbooks:" labels -> the key that holds what
    follows them; table header and rule rows are structure (the header must be the one the mapping reads).

`test_deleting_a_home_line_is_noticed` proves the matcher has teeth: for every seed line, deleting any
one line of checklist.yaml (or of a sign-off file) that holds it makes that seed line reported missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT

SEED = Path(__file__).resolve().parent / "data" / "seed" / "mainnet-launch-readiness-checklist.md"
CHECKLIST = "checklist.yaml"

Path_ = tuple[str | int, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ---- the seed, line by line ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedLine:
    number: int
    text: str
    kind: str  # title meta heading section subheading paragraph table-header table-rule table-row
    # checkbox bullet step label
    section: str  # "", "Purpose", "Prerequisites", or "A".."J"
    sub: str  # the ### heading (or label) this line sits under, "" if none
    body: str  # the content without its markdown markup

    def __str__(self) -> str:
        return f"seed line {self.number}: {self.text}"


_SECTION = re.compile(r"^## ([A-J])\. (.+)$")
_STEP = re.compile(r"^(\d+)\. (.+)$")


def parse_seed(text: str) -> list[SeedLine]:
    """Every non-blank line of the seed, classified; an unknown kind of line is an error."""
    out: list[SeedLine] = []
    section = sub = ""
    table_rows = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            table_rows = 0
            continue
        kind, body = _classify(line, section, table_rows)
        if kind == "heading":
            section, sub = ("Prerequisites" if body.startswith("Prerequisites") else body), ""
        elif kind == "section":
            section, sub = body[0], ""
        elif kind in ("subheading", "label"):
            sub = body
        table_rows = table_rows + 1 if kind.startswith("table") else 0
        out.append(SeedLine(number, line, kind, section, sub, body))
    return out


def _classify(line: str, section: str, table_rows: int) -> tuple[str, str]:
    if line.startswith("# "):
        return "title", line[2:]
    if match := _SECTION.match(line):
        return "section", f"{match[1]}. {match[2]}"
    if line.startswith("## "):
        return "heading", line[3:]
    if line.startswith("### "):
        return "subheading", line[4:]
    if line.startswith("|"):
        cells = [c.strip() for c in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
            return "table-rule", line
        return ("table-header" if table_rows == 0 else "table-row"), "\t".join(cells)
    if line.startswith("- [ ] "):
        return "checkbox", line[6:]
    if line.startswith("- "):
        return "bullet", line[2:]
    if match := _STEP.match(line):
        return "step", line
    if line in ("Checklist:", "Reference runbooks:"):
        return "label", line[:-1]
    if re.match(r"^(Last updated|Owner): ", line) and not section:
        return "meta", line
    if section == "Purpose":
        return "paragraph", line
    raise ValueError(f"seed line not understood by the coverage test: {line!r}")


# ---- the launch files, with the lines every value sits on ---------------------------------------------


Spans = dict[Path_, tuple[int, int]]


def load_yaml(text: str) -> tuple[Any, Spans, dict[Path_, int]]:
    """Data; per path, the lines (first, last; 1-based) holding its value; and the line of its key."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    spans: Spans = {}
    keys: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), None, spans, keys, text.splitlines())
    return data, spans, keys


def _walk(node: Any, path: Path_, key_line: int | None, spans: Spans, keys: dict[Path_, int], text: list[str]) -> None:
    first = node.start_mark.line + 1
    keys[path] = key_line or first
    if isinstance(node, yaml.ScalarNode):
        end = node.end_mark
        last = end.line + 1 if end.column > 0 else end.line
        while last > first and not text[last - 1].strip():  # a block scalar's end mark is past its blank tail
            last -= 1
        spans[path] = (first, last)
    else:
        spans[path] = (keys[path], keys[path])  # deleting a container's key (or first) line removes it
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _walk(value, (*path, key.value), key.start_mark.line + 1, spans, keys, text)
    elif isinstance(node, yaml.SequenceNode):
        for n, value in enumerate(node.value):
            _walk(value, (*path, n), None, spans, keys, text)


class Missing(AssertionError):
    """A seed line has no home (or a broken one)."""


@dataclass(frozen=True)
class Home:
    file: str
    path: Path_
    key: bool = False  # the home is the key's existence, not its value


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class Launch:
    """The launch files as plain data, and the lookups the mapping uses (each returns where it looked)."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.data: dict[str, Any] = {}
        self.spans: dict[str, Spans] = {}
        self.keys: dict[str, dict[Path_, int]] = {}
        for file, text in texts.items():
            self.data[file], self.spans[file], self.keys[file] = load_yaml(text)

    def lines_of(self, home: Home) -> range:
        """The lines that hold `home`: deleting any one of them must remove it."""
        if home.key:
            return range(self.keys[home.file][home.path], self.keys[home.file][home.path] + 1)
        first, last = self.spans[home.file][home.path]
        return range(first, last + 1)

    def get(self, path: Path_, file: str = CHECKLIST) -> Any:
        value: Any = self.data.get(file)
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                raise Missing(f"{file}: nothing at {_dotted(path)}") from None
        return value

    def expect(self, path: Path_, expected: Any, *, file: str = CHECKLIST) -> Home:
        actual = self.get(path, file)
        if actual != expected or isinstance(actual, bool) != isinstance(expected, bool):
            raise Missing(f"{file}: {_dotted(path)} is {actual!r}, the seed says {expected!r}")
        return Home(file, path)

    def has(self, path: Path_) -> Home:
        self.get(path)
        return Home(CHECKLIST, path, key=True)

    def index(self, path: Path_, *, loose: dict[str, str] | None = None, **fields: Any) -> int:
        """The first element of the list at `path` whose `fields` are equal and `loose` fields equal in
        sentence case ("threat model update" == "Threat model update")."""
        entries = self.get(path)
        for n, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            exact = all(entry.get(k) == v for k, v in fields.items())
            if exact and all(_cap(str(entry.get(k))) == _cap(v) for k, v in (loose or {}).items()):
                return n
        raise Missing(f"{CHECKLIST}: no entry of {_dotted(path)} with {fields | (loose or {})}")

    def member(self, path: Path_, value: Any) -> Home:
        entries = self.get(path)
        if not isinstance(entries, list) or value not in entries:
            raise Missing(f"{CHECKLIST}: {value!r} is not in {_dotted(path)}")
        return Home(CHECKLIST, (*path, entries.index(value)))

    def role_titled(self, title: str) -> tuple[str, Home]:
        roles = self.get(("roles",))
        for role_id, role in (roles or {}).items():
            if isinstance(role, dict) and role.get("title") == title:
                return role_id, Home(CHECKLIST, ("roles", role_id, "title"))
        raise Missing(f"{CHECKLIST}: no role titled {title!r}")


def _dotted(path: Path_) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top)"


# ---- the mapping: where each kind of seed line lives ----------------------------------------------------

SUBHEADINGS: dict[tuple[str, str], Path_] = {
    ("C", "Launch windows (UTC)"): ("windows",),
    ("C", "Code/config freeze"): ("freeze",),
    ("C", "Rollback criteria (trigger any = NO-GO or ROLLBACK)"): ("rollback", "criteria"),
    ("F", "Internal comms"): ("communications", "channels"),
    ("F", "External comms"): ("communications", "channels"),
    ("F", "Status page templates"): ("communications", "status_page_templates"),
    ("G", "Scoring"): ("scoring",),
    ("G", "Decision process"): ("decision_process", "steps"),
}
TABLE_HEADERS = {
    "A": ["Sign-off area", "Required approver role", "Status", "Evidence link(s)"],
    "B": ["Sign-off area", "Required artifacts/tests", "Owner role", "Validation method"],
}
WINDOW_KEYS: dict[str, Path_] = {
    "Primary window": ("windows", "primary"),
    "Backup window": ("windows", "backup"),
    "Blackout windows": ("windows", "blackouts", 0),
}
FIELD_KEYS: dict[tuple[str, str], Path_] = {
    ("C", "Freeze starts"): ("freeze", "start"),
    ("C", "Freeze ends"): ("freeze", "end"),
    ("H", "Evidence bundle location"): ("packet", "location"),
    ("I", "Meeting record"): ("meeting", "record"),
}


def homes(line: SeedLine, launch: Launch) -> list[Home]:
    """Where checklist.yaml (or a sign-off file) keeps this seed line; raises Missing if it does not."""
    handler = _HANDLERS.get(line.kind)
    if handler is None:
        raise Missing(f"no mapping for a {line.kind} line")
    return handler(line, launch)


def _title(line: SeedLine, launch: Launch) -> list[Home]:
    return [launch.expect(("launch", "source"), line.body)]


def _meta(line: SeedLine, launch: Launch) -> list[Home]:
    label, value = line.body.split(": ", 1)
    key = {"Last updated": "last_updated", "Owner": "owner"}.get(label)
    if key is None:
        raise Missing(f"no mapping for {label!r}")
    return [launch.expect(("launch", key), value)]


def _heading(line: SeedLine, launch: Launch) -> list[Home]:
    key = {"Purpose": "purpose", "Prerequisites": "prerequisites"}.get(line.section)
    if key is None:
        raise Missing(f"no mapping for heading {line.body!r}")
    if not launch.get((key,)):
        raise Missing(f"{CHECKLIST}: {key} is empty")
    return [launch.has((key,))]


def _paragraph(line: SeedLine, launch: Launch) -> list[Home]:
    purpose = " ".join(str(launch.get(("purpose",))).split())
    if " ".join(line.body.split()) not in purpose:
        raise Missing(f"{CHECKLIST}: purpose does not say {line.body!r}")
    return [Home(CHECKLIST, ("purpose",))]


def _section(line: SeedLine, launch: Launch) -> list[Home]:
    sid, title = line.body.split(". ", 1)
    n = launch.index(("sections",), id=sid)
    return [launch.expect(("sections", n, "title"), title)]


def _subheading(line: SeedLine, launch: Launch) -> list[Home]:
    path = SUBHEADINGS.get((line.section, line.body))
    if path is None:
        raise Missing(f"no mapping for sub-heading {line.body!r} of section {line.section}")
    if not launch.get(path):
        raise Missing(f"{CHECKLIST}: {_dotted(path)} is empty")
    return [launch.has(path)]


def _label(line: SeedLine, launch: Launch) -> list[Home]:
    if line.body == "Reference runbooks":
        n = launch.index(("sections",), id=line.section)
        return [launch.has(("sections", n, "references"))]
    launch.index(("items",), section=line.section)  # "Checklist:" — the section has items
    return [launch.has(("items",))]


def _table_header(line: SeedLine, launch: Launch) -> list[Home]:
    if line.body.split("\t") != TABLE_HEADERS.get(line.section):
        raise Missing(f"table columns {line.body.split(chr(9))} are not the ones the mapping reads")
    return []


def _table_rule(line: SeedLine, launch: Launch) -> list[Home]:
    return []


def _table_row(line: SeedLine, launch: Launch) -> list[Home]:
    cells = line.body.split("\t")
    a = launch.index(("areas",), name=cells[0])
    area_id = launch.get(("areas", a, "id"))
    out = [Home(CHECKLIST, ("areas", a, "name"))]
    if line.section == "A":
        _, status, links = cells[1:]
        role = launch.get(("areas", a, "approver_role"))
        out += [launch.expect(("roles", role, "title"), cells[1]), Home(CHECKLIST, ("areas", a, "approver_role"))]
        out.append(_status(launch, f"signoffs/{area_id}.yaml", status.lower()))
        out += [launch.member(("areas", a, "evidence_links"), link) for link in links.split("; ")]
        return out
    artifacts, owner, validation = cells[1:]
    k = launch.index(("items",), section="B", area=area_id)
    out.append(launch.expect(("areas", a, "validation"), validation))
    out.append(launch.expect(("items", k, "validation"), validation))
    out += [launch.expect(("roles", launch.get(("items", k, "owner")), "title"), owner)]
    out.append(Home(CHECKLIST, ("items", k, "owner")))
    for artifact in artifacts.split(", "):
        e = launch.index(("items", k, "evidence"), loose={"description": artifact})
        out.append(Home(CHECKLIST, ("items", k, "evidence", e, "description")))
    return out


def _status(launch: Launch, file: str, seed_status: str) -> Home:
    # The seed's "Pending" is where every area starts; a recorded decision legitimately supersedes it.
    actual = launch.get(("status",), file)
    if actual != seed_status and not (actual in ("approved", "rejected") and launch.get(("approver",), file)):
        raise Missing(f"{file}: status is {actual!r}, the seed says {seed_status!r}")
    return Home(file, ("status",))


def _checkbox(line: SeedLine, launch: Launch) -> list[Home]:
    n = launch.index(("items",), section=line.section, title=line.body)
    return [Home(CHECKLIST, ("items", n, "title"))]


def _step(line: SeedLine, launch: Launch) -> list[Home]:
    match = _STEP.match(line.body)
    assert match
    number, text = int(match[1]), match[2]
    k = launch.index(("decision_process", "steps"), n=number)
    actor, action = (
        launch.get(("decision_process", "steps", k, "actor")),
        launch.get(("decision_process", "steps", k, "action")),
    )
    if text not in (action, f"{actor} {_lower_first(str(action))}"):
        raise Missing(f"{CHECKLIST}: step {number} is {actor!r} / {action!r}, the seed says {text!r}")
    out = [Home(CHECKLIST, ("decision_process", "steps", k, "action"))]
    if quorum := re.search(r"with quorum \((.+)\)", text):
        names = quorum[1].split(", ")
        for name in names:
            role_id, home = _role_with_area(launch, f"{name} Lead")
            out += [home, launch.member(("decision_process", "quorum"), launch.get(("roles", role_id, "area")))]
        if len(launch.get(("decision_process", "quorum"))) != len(names):
            raise Missing(f"{CHECKLIST}: decision_process.quorum is not exactly {names}")
    if record := re.search(r"recorded in (\S+)$", text):
        out.append(launch.expect(("decision_process", "record"), record[1]))
    return out


def _role_with_area(launch: Launch, title: str) -> tuple[str, Home]:
    role_id, home = launch.role_titled(title)
    launch.get(("roles", role_id, "area"))
    return role_id, home


def _bullet(line: SeedLine, launch: Launch) -> list[Home]:
    if line.section == "Prerequisites":
        code = line.body.split()[0]
        n = launch.index(("prerequisites",), title=line.body)
        return [
            Home(CHECKLIST, ("prerequisites", n, "title")),
            launch.expect(("prerequisites", n, "id"), f"prereq-{code}"),
            launch.expect(("prerequisites", n, "priority"), "P0"),  # "must be complete before go/no-go"
        ]
    if line.sub == "Reference runbooks":
        n = launch.index(("sections",), id=line.section)
        return [launch.member(("sections", n, "references"), line.body)]
    handler = _SUB_BULLETS.get(line.sub)
    if handler is not None:
        return handler(line, launch)
    label, _, value = line.body.partition(": ")
    if (line.section, label) in FIELD_KEYS:
        return [launch.expect(FIELD_KEYS[(line.section, label)], value)]
    if line.section == "H" and label == "Hashing":
        return _hashing(value, launch)
    if line.section == "I" and label == "Required attendees":
        return _attendees(value, launch)
    raise Missing(f"no mapping for a bullet of section {line.section} ({line.sub or 'no sub-heading'})")


def _window(line: SeedLine, launch: Launch) -> list[Home]:
    label, value = line.body.split(": ", 1)
    match = re.fullmatch(r"(\S+) (\S+)–(\S+) UTC(?: \((.+)\))?", value)
    if label not in WINDOW_KEYS or not match:
        raise Missing(f"no mapping for window line {line.body!r}")
    path = WINDOW_KEYS[label]
    out = [
        launch.expect((*path, "start"), f"{match[1]} {match[2]} UTC"),
        launch.expect((*path, "end"), f"{match[1]} {match[3]} UTC"),
    ]
    if match[4]:
        out.append(launch.expect((*path, "reason"), f"<{match[4]}>"))
    return out


def _freeze(line: SeedLine, launch: Launch) -> list[Home]:
    label, value = line.body.split(": ", 1)
    if label != "Allowed changes during freeze":
        return [launch.expect(FIELD_KEYS[("C", label)], value)]
    out = []
    for change in value.split(" + "):
        n = launch.index(("freeze", "allowed_changes"), loose={"description": change})
        out.append(Home(CHECKLIST, ("freeze", "allowed_changes", n, "description")))
    return out


_THRESHOLD = re.compile(r"([<>])(\d+(?:\.\d+)?)(?![\d.]| min)")
_DURATION = re.compile(r"(\d+) min")


def _rollback(line: SeedLine, launch: Launch) -> list[Home]:
    title, text = line.body.split(": ", 1)
    n = launch.index(("rollback", "criteria"), title=title)
    base: Path_ = ("rollback", "criteria", n)
    out = [Home(CHECKLIST, (*base, "title")), launch.expect((*base, "seed"), text)]
    clauses = text.split(" or ")
    if len(launch.get((*base, "any_of"))) != len(clauses):
        raise Missing(f"{CHECKLIST}: {_dotted(base)}.any_of does not have one condition per clause {clauses}")
    for k, clause in enumerate(clauses):
        cond: Path_ = (*base, "any_of", k)
        thresholds, durations = _THRESHOLD.findall(clause), _DURATION.findall(clause)
        if not thresholds and not durations:
            out.append(launch.expect((*cond, "signal"), clause.replace(" ", "_")))
        for sign, number in thresholds:
            out += [launch.expect((*cond, "comparison"), sign), launch.expect((*cond, "threshold"), float(number))]
            out.append(launch.expect((*cond, "unit"), _unit(clause, number)))
            if _unit(clause, number) == "ratio_to_target":  # "2x target": the target itself must be stated
                out.append(launch.has(("rollback", "target_block_time")))
        for minutes in durations:
            key = next((b for b in ("window", "for") if _maybe(launch, (*cond, b)) == f"{minutes}m"), None)
            if key is None:
                raise Missing(f"{CHECKLIST}: {_dotted(cond)} has no window/for of {minutes}m")
            out.append(Home(CHECKLIST, (*cond, key)))
    return out


def _unit(clause: str, number: str) -> str:
    after = clause.split(number, 1)[1]
    if after.startswith("%"):
        return "percent"
    if after.startswith("x target"):
        return "ratio_to_target"
    return "blocks" if "blocks" in after else "(no unit the mapping knows)"


def _maybe(launch: Launch, path: Path_) -> Any:
    try:
        return launch.get(path)
    except Missing:
        return None


def _channel(line: SeedLine, launch: Launch) -> list[Home]:
    title, sep, value = line.body.partition(": ")
    fields: dict[str, Any] = {"title": title, "value": value} if sep else {"value": line.body}
    n = launch.index(("communications", "channels"), **fields)
    base: Path_ = ("communications", "channels", n)
    audience = line.sub.split()[0].lower()  # "Internal comms" -> internal
    return [Home(CHECKLIST, (*base, key)) for key in fields] + [launch.expect((*base, "audience"), audience)]


def _template(line: SeedLine, launch: Launch) -> list[Home]:
    match = re.fullmatch(r'(.+?): "(.+)"', line.body)
    if not match:
        raise Missing(f"no mapping for template line {line.body!r}")
    n = launch.index(("communications", "status_page_templates"), name=match[1])
    base: Path_ = ("communications", "status_page_templates", n)
    out = [Home(CHECKLIST, (*base, "name")), launch.expect((*base, "text"), match[2])]
    variables = sorted(set(re.findall(r"<([A-Z][A-Z0-9_]*)>", match[2])))
    if sorted(_maybe(launch, (*base, "variables")) or []) != variables:
        raise Missing(f"{CHECKLIST}: {_dotted(base)}.variables is not {variables}")
    return out + ([Home(CHECKLIST, (*base, "variables"))] if variables else [])


def _scoring(line: SeedLine, launch: Launch) -> list[Home]:
    match = re.fullmatch(r"(P\d) \((.+?)\): (.+)", line.body)
    if not match:
        raise Missing(f"no mapping for scoring line {line.body!r}")
    priority, label, rule = match[1], match[2], match[3]
    base: Path_ = ("scoring", priority)
    out = [
        launch.expect((*base, "description"), f"{label}: {_lower_first(rule)}"),
        launch.expect((*base, "blocks"), "does not block" not in rule),
    ]
    if limit := re.search(r"[Uu]p to (\d+) warnings", rule):
        out.append(launch.expect((*base, "max_warnings"), int(limit[1])))
    return out


def _hashing(value: str, launch: Launch) -> list[Home]:
    match = re.fullmatch(r"(SHA-256) for (.+); include (.+) and (.+)", value)
    if not match:
        raise Missing(f"no mapping for hashing line {value!r}")
    out = [launch.expect(("packet", "hashing"), match[1].lower().replace("-", ""))]
    return out + [launch.member(("packet", "include"), part) for part in match.groups()[1:]]


def _attendees(value: str, launch: Launch) -> list[Home]:
    titles = value.split(", ")
    out = []
    for title in titles:
        role_id, home = launch.role_titled(title)
        out += [home, launch.member(("meeting", "required_attendees"), role_id)]
    if len(launch.get(("meeting", "required_attendees"))) != len(titles):
        raise Missing(f"{CHECKLIST}: meeting.required_attendees is not exactly {titles}")
    return out


_SUB_BULLETS = {
    "Launch windows (UTC)": _window,
    "Code/config freeze": _freeze,
    "Rollback criteria (trigger any = NO-GO or ROLLBACK)": _rollback,
    "Internal comms": _channel,
    "External comms": _channel,
    "Status page templates": _template,
    "Scoring": _scoring,
}
_HANDLERS = {
    "title": _title,
    "meta": _meta,
    "heading": _heading,
    "paragraph": _paragraph,
    "section": _section,
    "subheading": _subheading,
    "label": _label,
    "table-header": _table_header,
    "table-rule": _table_rule,
    "table-row": _table_row,
    "checkbox": _checkbox,
    "bullet": _bullet,
    "step": _step,
}


# ---- the tests -------------------------------------------------------------------------------------------


def _launch_texts(root: Path) -> dict[str, str]:
    texts = {CHECKLIST: (root / CHECKLIST).read_text(encoding="utf-8")}
    for path in sorted((root / "signoffs").glob("*.yaml")):
        texts[f"signoffs/{path.name}"] = path.read_text(encoding="utf-8")
    return texts


SEED_LINES = parse_seed(SEED.read_text(encoding="utf-8"))
TEXTS = _launch_texts(ROOT)
LAUNCH = Launch(TEXTS)


def _id(line: SeedLine) -> str:
    return f"L{line.number:02d}-{line.kind}"


def test_the_seed_copy_is_the_whole_seed() -> None:
    text = SEED.read_text(encoding="utf-8")
    raw = [line for line in text.splitlines() if line.strip()]
    assert [line.text for line in SEED_LINES] == [line.rstrip() for line in raw]
    kinds = [line.kind for line in SEED_LINES]
    assert kinds.count("checkbox") == sum(line.startswith("- [ ] ") for line in raw) == 14
    assert kinds.count("bullet") == sum(line.startswith("- ") for line in raw) - 14
    assert sum(k.startswith("table") for k in kinds) == sum(line.startswith("|") for line in raw) == 14
    assert kinds.count("table-row") == 10
    assert kinds.count("step") == 4
    assert kinds.count("section") == 10
    prerequisites = [line for line in SEED_LINES if line.section == "Prerequisites" and line.kind == "bullet"]
    assert [line.body.split()[0] for line in prerequisites] == ["6B", "6C", "6D", "6E", "22B"]
    rollback = [line for line in SEED_LINES if line.sub.startswith("Rollback criteria") and line.kind == "bullet"]
    assert len(rollback) == 5


def test_the_seed_parser_refuses_a_line_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="not understood"):
        parse_seed("# T\n\n## A. Section\n\nSome free text the mapping does not cover\n")


@pytest.mark.parametrize("line", SEED_LINES, ids=_id)
def test_every_seed_line_has_a_home(line: SeedLine) -> None:
    try:
        found = homes(line, LAUNCH)
    except Missing as exc:
        pytest.fail(f"{line}\n  has no home: {exc}")
    structural = line.kind in ("table-header", "table-rule")
    assert structural or found, f"{line}: the mapping found no place for it"


def _delete_line(text: str, number: int) -> str:
    lines = text.splitlines(keepends=True)
    del lines[number - 1]
    return "".join(lines)


def _noticed(line: SeedLine, texts: dict[str, str]) -> bool:
    try:
        homes(line, Launch(texts))
    except (Missing, yaml.YAMLError):
        return True
    return False


@pytest.mark.parametrize("line", [ln for ln in SEED_LINES if ln.kind not in ("table-header", "table-rule")], ids=_id)
def test_deleting_a_home_line_is_noticed(line: SeedLine) -> None:
    targets = sorted({(home.file, number) for home in homes(line, LAUNCH) for number in LAUNCH.lines_of(home)})
    assert targets
    unnoticed = [
        f"{file}:{number}: {TEXTS[file].splitlines()[number - 1].strip()}"
        for file, number in targets
        if not _noticed(line, {**TEXTS, file: _delete_line(TEXTS[file], number)})
    ]
    assert not unnoticed, f"{line}\n  still found after deleting:\n    " + "\n    ".join(unnoticed)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("title: Rollback rehearsal completed", "title: Rollback rehearsal done"),
        ("      - _docs/threat-model.md\n", ""),
        ('seed: "<67% voting power for >10 min"', 'seed: "<66% voting power for >10 min"'),
        ("          threshold: 67\n", "          threshold: 66\n"),
        ("          window: 15m\n", "          window: 5m\n"),
        ("max_warnings: 2}", "max_warnings: 3}"),
        ("value: <insert video conference link>", "value: <insert link>"),
        ("      variables: [DATE, IMPACT]\n", "      variables: [DATE]\n"),
        (
            "  quorum: [security, compliance-privacy, operations-sre, finance-billing, product-release]",
            "  quorum: [security, compliance-privacy, operations-sre, finance-billing]",
        ),
        ("Compliance Lead, area: compliance-privacy}", "Compliance Officer, area: compliance-privacy}"),
    ],
    ids=[
        "checkbox",
        "evidence-link",
        "rollback-seed",
        "threshold",
        "window",
        "max-warnings",
        "channel",
        "variables",
        "quorum",
        "role-title",
    ],
)
def test_changing_a_seed_value_is_noticed(old: str, new: str) -> None:
    """Not only deletions: a reworded or renumbered value no longer matches the seed."""
    assert TEXTS[CHECKLIST].count(old) == 1, old
    changed = Launch({**TEXTS, CHECKLIST: TEXTS[CHECKLIST].replace(old, new)})
    missing = []
    for line in SEED_LINES:
        try:
            homes(line, changed)
        except Missing:
            missing.append(line)
    assert missing, f"changing {old!r} to {new!r} went unnoticed"
