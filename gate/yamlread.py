"""Read YAML (and JSON) into plain data plus the line and column of every node.

Why not ruamel's or PyYAML's own constructors: we need, at once, (1) every duplicate key reported rather
than the first, (2) a position for every value so schema errors say FILE:LINE:COL, (3) YAML 1.2 scalars
(`no` and `on` stay strings), and (4) aliases refused before they expand into an alias bomb. Composing
nodes with libyaml (PyYAML's C parser, when present) and converting them here does all four, and is
about twenty times faster than a pure-Python parse, which matters because `gate check` runs in hooks.
Edits are spliced by node position (`gate.edit`); this module only reads.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from gate.errors import InputError, Location

Path_ = tuple[str | int, ...]

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100
# Legitimate anchors reuse small blocks; an alias bomb multiplies a few nodes into billions.
ALIAS_EXPANSION_FACTOR = 10
ALIAS_EXPANSION_FLOOR = 10_000

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
}
_STD_TAG = "tag:yaml.org,2002:"


class _Mark(Protocol):
    line: int
    column: int


class _Node(Protocol):
    id: str
    tag: Any
    value: Any
    start_mark: _Mark
    style: Any


@dataclass
class Document:
    """Plain data and where each part of it came from (1-based line, column per path)."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    text: str = ""  # what was parsed: the archive carries exactly the bytes that were validated

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The closest known position of `path` (walking up to its parent when it is absent)."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            pos = table.get(probe) or self.positions.get(probe)
            if pos:
                return Location(self.file, *pos)
            probe = probe[:-1]
        return Location(self.file, *self.positions.get((), (1, 1)))


class YamlProblem(Exception):
    """Input that cannot become a document; carries every finding."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _compose(text: str) -> Any:
    import yaml

    return yaml.compose(text, Loader=_loader())


@functools.cache
def _loader() -> Any:
    """libyaml's composer when PyYAML was built with it (the wheels are), else PyYAML's own; without
    PyYAML's tag resolution.

    The composer asks the loader to resolve every untagged scalar against YAML 1.1's regular
    expressions; `_Builder` resolves plain scalars itself (YAML 1.2) and only asks whether a tag is a
    standard one, so answering with the generic tags saves a regex search per scalar.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    generic = {
        yaml.ScalarNode: f"{_STD_TAG}str",
        yaml.SequenceNode: f"{_STD_TAG}seq",
        yaml.MappingNode: f"{_STD_TAG}map",
    }

    class Loader(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: type, value: object, implicit: object) -> str:
            return generic[kind]

    return Loader


def parse(text: str, file: str) -> Document:
    """Parse one YAML (or JSON) document; raise YamlProblem with every finding."""
    try:
        root = _compose(text)
    except RecursionError:
        raise YamlProblem([InputError(Location(file), "nesting is too deep")]) from None
    except Exception as exc:  # every YAML library error carries a problem mark; map it, do not crash
        raise YamlProblem([_syntax_error(exc, file, text)]) from None
    if root is None:
        raise YamlProblem([InputError(Location(file), "the document is empty")])
    if root.id != "mapping":
        where = Location(file, root.start_mark.line + 1, root.start_mark.column + 1)
        raise YamlProblem([InputError(where, "the document must be a mapping (key: value) at the top")])
    if "&" in text:  # without an anchor there is no alias: nothing can expand (depth is the builder's)
        _refuse_alias_bombs(root, file)
    builder = _Builder(file)
    data = builder.build(root, ())
    if builder.errors:
        raise YamlProblem(builder.errors)
    return Document(file, data, builder.positions, builder.key_positions, text)


def _syntax_error(exc: Exception, file: str, text: str) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"YAML syntax: {context + ', ' if context else ''}{problem}"
    if mark is None:
        return InputError(Location(file), message)
    lines = text.split("\n")
    started = getattr(exc, "context_mark", None)
    if started is not None and (mark.line >= len(lines) or not lines[mark.line].strip()):
        mark = started  # the problem is found at a blank line or the end: show where the construct began
    elif started is not None and started.line != mark.line:
        # An unclosed bracket or quote is found lines later: say where it was opened, the likely mistake.
        what = context.removeprefix("while parsing ").removeprefix("a ") if context else "construct"
        message += f" (the {what} began at line {started.line + 1}, column {started.column + 1})"
    source = lines[mark.line][:200] if mark.line < len(lines) else None
    return InputError(Location(file, mark.line + 1, mark.column + 1), message, source)


def _refuse_alias_bombs(root: _Node, file: str) -> None:
    """Count the nodes the document would expand to, memoised so a bomb costs no more than its text."""
    sizes: dict[int, int] = {}
    distinct = 0
    on_path: set[int] = set()

    def size(node: _Node, depth: int) -> int:
        nonlocal distinct
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise _problem(node, file, "a YAML alias refers to itself (recursive structure)")
        if depth > MAX_DEPTH:
            raise _problem(node, file, f"nesting is deeper than {MAX_DEPTH} levels")
        distinct += 1
        on_path.add(key)
        total = 1 + sum(size(child, depth + 1) for child in _children(node))
        on_path.discard(key)
        sizes[key] = total
        return total

    expanded = size(root, 0)
    if expanded > max(ALIAS_EXPANSION_FLOOR, ALIAS_EXPANSION_FACTOR * distinct):
        raise _problem(root, file, f"YAML aliases expand {distinct} nodes into {expanded}: refused")


def _children(node: _Node) -> Iterator[_Node]:
    if node.id == "mapping":
        for key, value in node.value:
            yield key
            yield value
    elif node.id == "sequence":
        yield from node.value


def _problem(node: _Node, file: str, message: str) -> YamlProblem:
    mark = node.start_mark
    return YamlProblem([InputError(Location(file, mark.line + 1, mark.column + 1), message)])


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[InputError] = []
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}

    def where(self, node: _Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def error(self, node: _Node, message: str) -> None:
        self.errors.append(InputError(Location(self.file, *self.where(node)), message))

    def build(self, node: _Node, path: Path_) -> Any:
        if len(path) > MAX_DEPTH:
            raise _problem(node, self.file, f"nesting is deeper than {MAX_DEPTH} levels")
        self.positions[path] = self.where(node)
        tag = str(getattr(node.tag, "value", node.tag) or "")
        if tag and not tag.startswith(_STD_TAG) and tag != "!":
            self.error(node, f"YAML tag {tag!r} is not allowed")
            return None
        if node.id == "mapping":
            return self.mapping(node, path)
        if node.id == "sequence":
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self.scalar(node)

    def mapping(self, node: _Node, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.id != "scalar":
                self.error(key_node, "a mapping key must be a plain scalar")
                continue
            key = key_node.value
            if key == "<<":
                self.error(key_node, "YAML merge keys (<<) are not allowed")
                continue
            if key in out:
                first = self.key_positions[(*path, key)]
                self.error(key_node, f"duplicate key {key!r} (first at line {first[0]})")
                continue
            self.key_positions[(*path, key)] = self.where(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out

    def scalar(self, node: _Node) -> Any:
        text: str = node.value
        if node.style not in (None, ""):
            return text  # quoted or block scalars are always strings
        if len(text) > MAX_NUMBER_CHARS and (_INT10.match(text) or _FLOAT.match(text)):
            # Python refuses to convert integers of 4,300+ digits; no launch field needs a tenth of that.
            self.error(node, f"a number of {len(text)} characters is too long (at most {MAX_NUMBER_CHARS})")
            return None
        return resolve_plain(text)


def resolve_plain(text: str) -> Any:
    """The YAML 1.2 core-schema value of a plain scalar (times stay strings; models parse them)."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT10.match(text):
        return int(text)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    return _SPECIAL_FLOAT.get(text, text)


def has(data: Any, part: Any) -> bool:
    """Whether plain data has a key (mapping) or index (list) `part`."""
    if isinstance(data, dict):
        return part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)


def lookup(data: Any, path: Path_) -> Any:
    """The value at `path` in plain data (None when any step is missing)."""
    for part in path:
        if not has(data, part):
            return None
        data = data[part]
    return data
