"""Load a launch repository's files into models, collecting every input error with FILE:LINE:COL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gate.errors import InputError, Location
from gate.model import Checklist, Decision, Manifest, Signoff
from gate.yamlread import Document, YamlProblem, parse

CHECKLIST = "checklist.yaml"
MANIFEST = "evidence-manifest.json"
SIGNOFFS = "signoffs"
DECISIONS = "decisions"

MAX_YAML_BYTES = 32 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024

M = TypeVar("M", bound=BaseModel)


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

    def locate(self, file: str, path: tuple[str | int, ...], *, key: bool = False) -> Location:
        """Where `path` is in `file`; the manifest's positions are computed only when first asked."""
        doc = self.documents.get(file)
        if doc is None and file == MANIFEST and self.manifest_text:
            doc = _json_positions(self.manifest_text, file)
            self.documents[file] = doc
        return doc.locate(path, key=key) if doc else Location(file)


def read_text(root: Path, rel: str, limit: int) -> str:
    """A file's text, refusing huge files and naming the first byte that is not UTF-8."""
    path = root / rel
    size = path.stat().st_size
    if size > limit:
        raise YamlProblem([InputError(Location(rel), f"file is {size} bytes; the limit is {limit}")])
    raw = path.read_bytes()
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
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [_map_error(doc, err) for err in exc.errors(include_url=False)]


def _map_error(doc: Document, err: Any) -> InputError:
    loc = tuple(part for part in err["loc"] if not _is_union_tag(part))
    kind = err["type"]
    if kind == "extra_forbidden":
        return InputError(doc.locate(loc, key=True), f"unknown field {loc[-1]!r} at {_dotted(loc[:-1])}")
    if kind == "missing":
        return InputError(doc.locate(loc), f"{_dotted(loc)}: required field is missing")
    message = err["msg"].removeprefix("Value error, ")
    # pydantic ends the location of a mapping key's error with "[key]": point at the key itself.
    on_key = bool(err["loc"]) and err["loc"][-1] == "[key]"
    return InputError(doc.locate(loc, key=on_key), f"{_dotted(loc)}: {message}")


def _is_union_tag(part: object) -> bool:
    # pydantic inserts the union member's type name into `loc` ("str", "function-after[...]").
    return isinstance(part, str) and (part in {"str", "int", "float"} or "[" in part)


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
        return (
            text,
            None,
            [InputError(Location(MANIFEST, exc.lineno, exc.colno), f"JSON: {exc.msg}")],
        )
    if duplicates or not isinstance(data, dict):
        try:
            parse(text, MANIFEST)  # reports duplicates (and a non-object top) with their positions
        except YamlProblem as problem:
            return text, None, problem.errors
    try:
        return text, Manifest.model_validate(data), []
    except ValidationError as exc:
        doc = _json_positions(text, MANIFEST)
        return text, None, [_map_error(doc, err) for err in exc.errors(include_url=False)]


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
    if checklist is None or manifest is None:
        return None, errors
    loaded = Loaded(
        root=root,
        checklist=checklist,
        manifest=manifest,
        signoffs={s.area: (f, s) for f, s in signoffs},
        decisions=sorted(decisions, key=lambda fd: (fd[1].decided_at, fd[0])),
        documents=documents,
        manifest_text=manifest_text,
        unreadable={e.location.file for e in errors},
    )
    return loaded, errors


def _load_dir(
    root: Path,
    folder: str,
    model: type[M],
    documents: dict[str, Document],
    errors: list[InputError],
) -> list[tuple[str, M]]:
    out: list[tuple[str, M]] = []
    base = root / folder
    if not base.is_dir():
        return out
    for path in sorted(base.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith("."):
            continue
        rel = f"{folder}/{path.name}"
        doc, obj, errs = load_yaml(root, rel, model)
        errors.extend(errs)
        if doc:
            documents[rel] = doc
        if obj is not None:
            out.append((rel, obj))
    return out
