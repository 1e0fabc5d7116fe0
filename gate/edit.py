"""Writes that never lose a hand-edited file: atomic replace, and YAML edits spliced by node positions.

An edit finds the node it changes by parsing the file (PyYAML's composer gives every node's exact start
and end), replaces only those characters, and leaves every other byte — comments, order, quoting,
spacing — as it was. The result is parsed again and validated against the file's model, and each edited
value must read back exactly as intended, before it atomically replaces the file. A regex over lines
cannot do this: a quoted key, a value on the next line or a block scalar would fool it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

import yaml

from gate.errors import GateError, InputError, InputErrors, UsageError
from gate.yamlread import lookup

Path_ = tuple[str | int, ...]


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file in the same folder, fsync, rename.

    An interrupted write leaves the old file whole; the rename is atomic on POSIX file systems. A new
    file gets the mode the umask allows (as `open` would give it), an existing one keeps its mode.
    """
    with atomic_file(path, keep_mode=True) as fh:
        fh.write(text.encode("utf-8"))


@contextlib.contextmanager
def atomic_file(path: Path, *, keep_mode: bool = False) -> Iterator[BinaryIO]:
    """A file that becomes `path` only when the block ends without an error: a temp file in the same
    folder, fsync, rename. A new file gets the mode the umask allows (as `open` would give it); with
    `keep_mode`, a file it replaces keeps its own. What cannot be written is a UsageError."""
    refuse_special(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        keep = keep_mode and path.exists()
        os.chmod(tmp, path.stat().st_mode & 0o7777 if keep else 0o666 & ~_umask())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def refuse_special(path: Path) -> None:
    """A file is written by renaming a new one over it: over a device, FIFO or socket (`/dev/null`)
    that would replace the node itself, so only a regular file (or nothing yet) may be written."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # nothing there yet (or unreachable: the write says why)
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, FIFO or socket)"
        raise UsageError(f"{path} is {kind}: name a file to write")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def dump_json(data: Any) -> str:
    """The manifest's one formatting: two-space indent, keys in the order given, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ---- YAML edits by node position ----------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """Set the value at `path` (creating the last key if absent), or append items to the list there."""

    path: Path_
    value: Any
    mode: Literal["set", "append"] = "set"


class EditFailed(GateError):
    """An edit that would not read back as intended; nothing was written (a bug: exit 3)."""


def edit_yaml(path: Path, edits: Sequence[Edit], model: type[Any], *, file: str | None = None) -> str:
    """Apply `edits` to the YAML file at `path`, validate the result as `model`, write it atomically.

    Returns the new text. Raises InputErrors when the edited file would not validate (nothing written).
    """
    raw = path.read_bytes().decode("utf-8")
    # A byte-order mark and CRLF line ends are the file's own: kept as they were, edited without them.
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    crlf = "\r\n" in raw
    text = raw.removeprefix(bom).replace("\r\n", "\n")
    new = apply_edits(text, edits)
    check_edited(new, edits, model, file or path.name)
    write_atomic(path, bom + (new.replace("\n", "\r\n") if crlf else new))
    return new


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text with every edit spliced in, one after another (each on a fresh parse)."""
    _refuse_aliases(text)
    for one in edits:
        try:
            text = _apply(text if text.endswith("\n") or not text else text + "\n", one)
        except yaml.YAMLError as exc:
            raise UsageError(f"cannot edit in place: the file does not parse ({exc})") from None
    return text


def _refuse_aliases(text: str) -> None:
    """An alias shares its anchor's node, so a position found through it is the anchor's: splicing
    there would edit the wrong place. Files with anchors are edited by hand."""
    try:
        tokens = list(yaml.scan(text, Loader=_loader()))
    except yaml.YAMLError as exc:
        raise UsageError(f"cannot edit in place: the file does not parse ({exc})") from None
    if any(isinstance(tok, yaml.AliasToken | yaml.AnchorToken) for tok in tokens):
        raise UsageError(
            "the file uses YAML anchors or aliases (& and *): gate edits only plain files, edit it by hand"
        )


def check_edited(text: str, edits: Sequence[Edit], model: type[Any], file: str) -> None:
    """Re-read the edited text: it must validate as `model`, and each edit must read back as written."""
    from gate.load import validate
    from gate.yamlread import YamlProblem, parse

    try:
        doc = parse(text, file)
    except YamlProblem as problem:
        raise InputErrors(_unwritten(problem.errors)) from None
    _, errors = validate(model, doc)
    if errors:
        raise InputErrors(_unwritten(errors))
    for one in edits:
        found = lookup(doc.data, one.path)
        wanted = one.value if one.mode == "set" else None
        if one.mode == "set" and found != _plain(wanted):
            raise EditFailed(
                f"{file}: {_dotted(one.path)} reads back as {found!r}, not {wanted!r}; nothing was written"
            )
        if one.mode == "append" and (not isinstance(found, list) or found[-len(one.value) :] != _plain(one.value)):
            raise EditFailed(f"{file}: the items appended to {_dotted(one.path)} do not read back; nothing was written")


def _unwritten(errors: list[InputError]) -> list[InputError]:
    """Errors of the text an edit would have written: their line and column are in that text, not in
    the file on disk, which is left as it was."""
    note = " (in the file as this edit would leave it; nothing was written)"
    return [replace(e, message=e.message + note) for e in errors]


def _apply(text: str, one: Edit) -> str:
    root: Any = yaml.compose(text, Loader=_loader())
    if root is None or root.id != "mapping":
        raise UsageError("the file is not a YAML mapping: it cannot be edited in place")
    parent, key_node, node = _walk(root, one.path[:-1], one.path[-1])
    if one.mode == "append":
        return _append(text, parent, key_node, node, one)
    if node is None and parent.flow_style and not parent.value and len(one.path) > 1:
        # `roster: {}` gaining its first key becomes a block mapping: one line per entry reads better.
        return _apply(text, Edit(one.path[:-1], {one.path[-1]: one.value}))
    if node is None:
        return _insert_key(text, parent, str(one.path[-1]), one.value)
    if node.id == "scalar" and not isinstance(one.value, dict | list):
        spliced = _scalar_like(node, one.value, flow=bool(parent.flow_style))
        return text[: node.start_mark.index] + spliced + text[node.end_mark.index :]
    return _replace_value(text, key_node, node, one.value, flow=bool(parent.flow_style))


def _loader() -> Any:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _walk(root: Any, parents: Path_, last: str | int) -> tuple[Any, Any, Any]:
    """(the mapping or sequence holding `last`, the key node of `last` if a mapping key, its value)."""
    node = root
    for part in parents:
        node = _child(node, part)[1]
        if node is None:
            raise UsageError(f"nothing at {_dotted((*parents, last))} to edit")
    key_node, value = _child(node, last)
    return node, key_node, value


def _child(node: Any, part: str | int) -> tuple[Any, Any]:
    if node.id == "mapping" and isinstance(part, str):
        for key, value in node.value:
            if key.id == "scalar" and key.value == part:
                return key, value
        return None, None
    if node.id == "sequence" and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None, None


def _last_end(node: Any) -> int:
    """Where a node's own text ends: a flow collection or a scalar exactly; a block collection after its
    last scalar (its end mark would swallow the comments and blank lines that follow it)."""
    if node.id == "scalar" or node.flow_style:
        return int(node.end_mark.index)
    children = [c for pair in node.value for c in (pair if node.id == "mapping" else (pair,))]
    return max((_last_end(c) for c in children), default=int(node.end_mark.index))


def _insert_key(text: str, parent: Any, key: str, value: Any) -> str:
    if parent.id != "mapping":
        raise UsageError(f"cannot add {key!r} to a list")
    entry = f"{_key(key)}: {_render(value, 0)}" if not isinstance(value, dict | list) or not value else None
    if parent.flow_style:
        at = int(parent.end_mark.index) - 1  # before the closing brace
        sep = ", " if parent.value else ""
        return text[:at] + sep + f"{_key(key)}: {_flow(value)}" + text[at:]
    indent = parent.value[0][0].start_mark.column if parent.value else 0
    at = _last_end(parent) if parent.value else len(text)
    body = entry if entry is not None else f"{_key(key)}:{_render(value, indent + 2)}"
    return _insert_lines(text, at, " " * indent + body)


def _insert_lines(text: str, at: int, lines: str) -> str:
    """`lines` as new lines at `at`: after the line `at` ends, or before the line it starts (a block
    scalar's end mark lies at the start of the next line, which may be a comment)."""
    if at == 0 or text[at - 1] == "\n":
        return text[:at] + lines + "\n" + text[at:]
    return text[:at] + "\n" + lines + text[at:]


def _replace_value(text: str, key_node: Any, node: Any, value: Any, *, flow: bool = False) -> str:
    """Replace a whole value; a block structure is written starting on the line after its key, and
    inside a flow collection (`{a: [x]}`) in flow style."""
    if key_node is None:
        raise UsageError("only a mapping's values can be replaced whole")
    indent = key_node.start_mark.column + 2
    rendered = _flow(value) if flow else _render(value, indent)
    start = int(key_node.end_mark.index)
    return text[:start] + ":" + (rendered if rendered.startswith("\n") else " " + rendered) + text[_last_end(node) :]


def _append(text: str, parent: Any, key_node: Any, node: Any, one: Edit) -> str:
    items = list(one.value)
    if node is None:
        return _insert_key(text, parent, str(one.path[-1]), items)
    if node.id == "sequence" and not node.flow_style and node.value:
        lines = _block(items, node.start_mark.column)
        return _insert_lines(text, _last_end(node), "\n".join(lines))
    current = lookup(_plain_of(node), ())
    existing = current if isinstance(current, list) else []
    return _replace_value(text, key_node, node, [*existing, *items], flow=bool(parent.flow_style))


def _render(value: Any, indent: int) -> str:
    """`value` as YAML text at `indent`: inline for scalars and empty collections, else a block that
    starts with a newline."""
    if not isinstance(value, dict | list) or not value:
        return _flow(value)
    return "".join("\n" + line for line in _block(value, indent))


def _block(value: dict[str, Any] | list[Any], indent: int) -> list[str]:
    """Block-style lines, quoted the one way `yaml_scalar` quotes, lists indented under their key."""
    pad, lines = " " * indent, []
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, dict | list) and child:
                lines += [f"{pad}{yaml_scalar(key)}:", *_block(child, indent + 2)]
            else:
                lines.append(f"{pad}{yaml_scalar(key)}: {_inline(child)}")
        return lines
    for child in value:
        if isinstance(child, dict) and child:
            first, *rest = _block(child, indent + 2)
            lines += [f"{pad}- {first.lstrip()}", *rest]
        else:
            lines.append(f"{pad}- {_inline(child)}")
    return lines


def _inline(value: Any) -> str:
    """A value on a block line: a scalar in block context, an (empty) collection in flow style."""
    return _flow(value) if isinstance(value, dict | list) else yaml_scalar(value)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_scalar(k, flow=True)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return yaml_scalar(value, flow=True)


# Plain (unquoted) when YAML reads it back as this very string in block and flow context alike: no
# indicator first, no ": " or " #", no flow punctuation, not a number, boolean or null, not a time.
_PLAIN = re.compile(r"^[A-Za-z0-9_(][^\x00-\x1f\x7f#&*!|>'\"%@`]*$")
_FLOW_PUNCTUATION = re.compile(r"[,\[\]{}]")
_TIME_LIKE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def yaml_scalar(value: object, *, flow: bool = False) -> str:
    """One scalar as YAML text: plain when it would read back as the same string (inside a flow
    collection too, with `flow`), else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    from gate.yamlread import resolve_plain

    plain = bool(_PLAIN.match(text)) and text == text.strip() and ": " not in text and not text.endswith(":")
    plain = plain and not (flow and _FLOW_PUNCTUATION.search(text))
    if plain and resolve_plain(text) == text and not _TIME_LIKE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _scalar_like(node: Any, value: object, *, flow: bool = False) -> str:
    """`value` in the quoting style the old value used (a hand-written choice we keep)."""
    if isinstance(value, str) and node.style == '"':
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and node.style == "'":
        return "'" + value.replace("'", "''") + "'"
    if node.style in ("|", ">"):  # a block scalar's header and indentation would need rewriting
        return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else yaml_scalar(value)
    return yaml_scalar(value, flow=flow)


def _key(key: str) -> str:
    return yaml_scalar(key)


def _plain(value: Any) -> Any:
    """What `value` reads back as from YAML (tuples become lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _plain_of(node: Any) -> Any:
    from gate.yamlread import resolve_plain

    if node.id == "scalar":
        return node.value if node.style not in (None, "") else resolve_plain(node.value)
    if node.id == "sequence":
        return [_plain_of(c) for c in node.value]
    return {k.value: _plain_of(v) for k, v in node.value}


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path) or "document"


def dump_record(record: Mapping[str, Any], schema: str) -> str:
    """A new launch file (a decision record) as YAML, headed by its schema so editors complete it."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    out = io.StringIO()
    out.write(f"# yaml-language-server: $schema=../schemas/{schema}.schema.json\n")
    yaml.dump(dict(record), out)
    return out.getvalue()
