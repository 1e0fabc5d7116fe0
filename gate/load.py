"""Load a launch repository's files into models, collecting every input error with FILE:LINE:COL."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from gate.errors import InputError, Location
from gate.model import Checklist, Decision, Manifest, Signoff
from gate.model.base import Model
from gate.paths import NotAFile, PathEscape, TooBig, read_inside
from gate.yamlread import MAX_NUMBER_CHARS, Document, YamlProblem, has, parse

CHECKLIST = "checklist.yaml"
MANIFEST = "evidence-manifest.json"
SIGNOFFS = "signoffs"
DECISIONS = "decisions"

MAX_YAML_BYTES = 32 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024

M = TypeVar("M", bound=Model)
T = TypeVar("T")


@dataclass
class Loaded:
    """Every file of a launch repository as models, with the documents that locate their parts."""

    root: Path
    checklist: Checklist
    manifest: Manifest
    signoffs: dict[str, tuple[str, Signoff]]
    decisions: list[tuple[str, Decision]]
    documents: dict[str, Document] = field(default_factory=dict)
    manifest_text: str = ""
    # Files that could not be loaded: cross-file checks skip what they would have said.
    unreadable: set[str] = field(default_factory=set)
    # What `derived` computed; not an init field, so `dataclasses.replace` (a launch with other
    # contents) starts empty instead of inheriting facts about files it does not hold.
    _derived: dict[Callable[[Loaded], object], object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def derived(self, compute: Callable[[Loaded], T]) -> T:
        """`compute(self)`, computed once per loaded launch: facts drawn from the files alone, which every
        evaluation of it shares (`gate check` judges the launch now, and a GO claim again at its time)."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return cast(T, self._derived[compute])

    def source(self, file: str) -> str:
        """The text `file` was loaded from (each launch file is read once, and validated as read)."""
        return self.manifest_text if file == MANIFEST else self.documents[file].text

    def locate(self, file: str, path: tuple[str | int, ...], *, key: bool = False) -> Location:
        """Where `path` is in `file`; the manifest's positions are computed only when first asked."""
        doc = self.documents.get(file)
        if doc is None and file == MANIFEST and self.manifest_text:
            doc = _json_positions(self.manifest_text, file)
            self.documents[file] = doc
        return doc.locate(path, key=key) if doc else Location(file)


def read_text(root: Path, rel: str, limit: int) -> str:
    """A launch file's text: confined to the repository, a regular file, at most `limit` bytes, UTF-8
    (naming the first byte that is not)."""
    try:
        raw = read_inside(root, rel, limit)
    except (PathEscape, NotAFile, TooBig) as exc:
        raise YamlProblem([InputError(Location(rel), str(exc.strerror if isinstance(exc, OSError) else exc))]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # Columns count characters, as the YAML parser's do, not bytes.
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        message = f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        raise YamlProblem([InputError(Location(rel, line, column), message)]) from None


def validate(model: type[M], doc: Document) -> tuple[M | None, list[InputError]]:
    """Validate a document against a model; map each pydantic error to its line and column."""
    obj, failure = model.validate_data(doc.data)
    if failure is not None:
        return None, [_map_error(doc, err) for err in failure.errors(include_url=False)]
    return obj, []


def _map_error(doc: Document, err: Any) -> InputError:
    loc = _data_path(doc.data, err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return InputError(doc.locate(loc, key=True), f"unknown field {loc[-1]!r} at {_dotted(loc[:-1])}")
    if kind == "missing":
        return InputError(doc.locate(loc), f"{_dotted(loc)}: required field is missing")
    message = err["msg"].removeprefix("Value error, ")
    # pydantic ends the location of a mapping key's error with "[key]": point at the key itself.
    on_key = bool(err["loc"]) and err["loc"][-1] == "[key]"
    return InputError(doc.locate(loc, key=on_key), f"{_dotted(loc)}: {message}")


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """pydantic's error location as a path into the document.

    pydantic puts the union members it tried into `loc` ("str", "function-after[…]"), and a user's
    own key may be spelled the same way; so each part is told apart by the data, not by its name.
    """
    out: list[str | int] = []
    for part in loc:
        if has(data, part):
            data = data[part]
        elif isinstance(data, dict) and isinstance(part, str) and not _looks_like_union_tag(part):
            data = None  # a field the data lacks: the error belongs where it would be
        else:
            continue  # a union member pydantic tried, not a place in the file
        out.append(part)
    return tuple(out)


def _looks_like_union_tag(part: str) -> bool:
    return part in {"str", "int", "float", "bool"} or "[" in part


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def load_yaml(root: Path, rel: str, model: type[M]) -> tuple[Document | None, M | None, list[InputError]]:
    """Read, parse and validate one YAML file."""
    try:
        doc = parse(read_text(root, rel, MAX_YAML_BYTES), rel)
    except YamlProblem as problem:
        return None, None, problem.errors
    except OSError as exc:
        return None, None, [InputError(Location(rel), f"cannot read: {exc.strerror}")]
    obj, errors = validate(model, doc)
    return doc, obj, errors


def load_manifest(root: Path) -> tuple[str, Manifest | None, list[InputError]]:
    """The manifest via the fast JSON parser; positions are found only if an error needs them."""
    try:
        text = read_text(root, MANIFEST, MAX_JSON_BYTES)
    except YamlProblem as problem:
        return "", None, problem.errors
    except OSError as exc:
        return "", None, [InputError(Location(MANIFEST), f"cannot read: {exc.strerror}")]
    duplicates: list[str] = []
    try:
        data = json.loads(text, object_pairs_hook=lambda pairs: _no_duplicates(pairs, duplicates))
    except json.JSONDecodeError as exc:
        return text, None, [InputError(Location(MANIFEST, exc.lineno, exc.colno), f"JSON: {exc.msg}")]
    except RecursionError:
        return text, None, [InputError(Location(MANIFEST), "JSON: nesting is too deep")]
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        return text, None, [_long_number(text)]
    if duplicates or not isinstance(data, dict):
        try:
            parse(text, MANIFEST)  # reports duplicates (and a non-object top) with their positions
        except YamlProblem as problem:
            return text, None, problem.errors
    manifest, failure = Manifest.validate_data(data)
    if failure is not None:
        doc = _json_positions(text, MANIFEST)
        return text, None, [_map_error(doc, err) for err in failure.errors(include_url=False)]
    return text, manifest, []


def _long_number(text: str) -> InputError:
    found = re.search("[0-9]{" + str(MAX_NUMBER_CHARS + 1) + ",}", text)
    start = found.start() if found else 0
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return InputError(
        Location(MANIFEST, line, column), f"JSON: a number is too long (at most {MAX_NUMBER_CHARS} digits)"
    )


def _no_duplicates(pairs: list[tuple[str, Any]], seen: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            seen.append(key)
        out[key] = value
    return out


def _json_positions(text: str, file: str) -> Document:
    try:
        return parse(text, file)
    except YamlProblem:
        # Valid JSON that libyaml rejects (tabs as indentation): positions fall back to line 1.
        return Document(file, json.loads(text))


def _misnamed(folder: str, name: str, names: list[str]) -> str:
    stem = name.rsplit(".", 1)[0]
    twin = next((n for n in names if n != name and n.lower() == f"{stem.lower()}.yaml"), None)
    shadow = f": it would stand beside {folder}/{twin}" if twin else ""
    hidden = ": a hidden file would go unread (only an empty .gitkeep may be there)" if name.startswith(".") else ""
    return f"{folder}/ holds only <name>.yaml files (lower-case .yaml, one spelling per file){shadow}{hidden}"


def _keeps_folder(path: Path) -> bool:
    """An empty `.gitkeep` (as `gate init` writes in decisions/): it keeps the folder in git, and says nothing."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return path.name == ".gitkeep" and stat.S_ISREG(info.st_mode) and info.st_size == 0


# Records taken at the same moment: the stricter one is in force (last), whatever the files are named,
# so a NO-GO copied from a GO and given the GO's time never hides behind a name that sorts first.
_STRICTNESS = {"GO": 0, "NO-GO": 1, "ROLLBACK": 2}


def _taken_order(record: tuple[str, Decision]) -> tuple[datetime, int, str]:
    file, decision = record
    return decision.decided_at, _STRICTNESS.get(decision.decision, len(_STRICTNESS)), file


def load_repo(root: Path) -> tuple[Loaded | None, list[InputError]]:
    """Load checklist, sign-offs, manifest and decisions; every error of every file, at once.

    With errors, the launch is still returned when the checklist and the manifest loaded, so that
    cross-file checks can report their findings in the same run; its `unreadable` names what failed.
    """
    errors: list[InputError] = []
    documents: dict[str, Document] = {}
    doc, checklist, errs = load_yaml(root, CHECKLIST, Checklist)
    errors += errs
    if doc:
        documents[CHECKLIST] = doc
    manifest_text, manifest, errs = load_manifest(root)
    errors += errs
    signoffs = _load_dir(root, SIGNOFFS, Signoff, documents, errors)
    decisions = _load_dir(root, DECISIONS, Decision, documents, errors)
    by_area = _one_file_per_area(signoffs, documents, errors)
    if checklist is None or manifest is None:
        return None, errors
    loaded = Loaded(
        root=root,
        checklist=checklist,
        manifest=manifest,
        signoffs=by_area,
        decisions=sorted(decisions, key=_taken_order),
        documents=documents,
        manifest_text=manifest_text,
        unreadable={e.location.file for e in errors},
    )
    return loaded, errors


def _one_file_per_area(
    signoffs: list[tuple[str, Signoff]], documents: dict[str, Document], errors: list[InputError]
) -> dict[str, tuple[str, Signoff]]:
    """Each area's sign-off from `signoffs/<area>.yaml` and nowhere else: a file whose `area` is not
    its own name would shadow (or be shadowed by) the real one, so it is an error naming both."""
    out: dict[str, tuple[str, Signoff]] = {}
    for file, signoff in signoffs:
        home = f"{SIGNOFFS}/{signoff.area}.yaml"
        if file == home:
            out[signoff.area] = (file, signoff)
            continue
        where = documents[file].locate(("area",)) if file in documents else Location(file)
        errors.append(InputError(where, f"sign-off for area {signoff.area!r} must be in {home}, not {file}"))
    return out


def _load_dir(
    root: Path,
    folder: str,
    model: type[M],
    documents: dict[str, Document],
    errors: list[InputError],
) -> list[tuple[str, M]]:
    """Every `FOLDER/<name>.yaml`; any other entry (`.yml`, `.YAML`, a folder, a link out, a hidden file
    such as `.nogo.yaml`) is an error, so no file can sit beside the canonical ones unread — or shadow
    them. Only an empty `.gitkeep` may be there too."""
    out: list[tuple[str, M]] = []
    base = root / folder
    if not base.is_dir():
        return out
    names = sorted(p.name for p in base.iterdir())
    for name in names:
        if _keeps_folder(base / name):
            continue
        rel = f"{folder}/{name}"
        if name.startswith(".") or not name.endswith(".yaml"):
            errors.append(InputError(Location(rel), _misnamed(folder, name, names)))
            continue
        doc, obj, errs = load_yaml(root, rel, model)
        errors.extend(errs)
        if doc:
            documents[rel] = doc
        if obj is not None:
            out.append((rel, obj))
    return out
