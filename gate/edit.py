"""Writes that never lose a hand-edited file: atomic replace, and round-trip YAML edits."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file in the same folder, fsync, rename.

    An interrupted write leaves the old file whole; the rename is atomic on POSIX file systems.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_PLAIN = re.compile(r"^[A-Za-z0-9_./@+-]+$")


def yaml_scalar(value: object) -> str:
    """One scalar as YAML text: plain when it would read back as the same string, else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    from gate.yamlread import resolve_plain

    if _PLAIN.match(text) and resolve_plain(text) == text and not text.startswith(("-", "@")):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _like(old: str, value: object) -> str:
    """`value` written in the quoting style the old value used (a hand-written choice we keep)."""
    if isinstance(value, str) and old.startswith('"'):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and old.startswith("'"):
        return "'" + value.replace("'", "''") + "'"
    return yaml_scalar(value)


def _set_line(lines: list[str], key: str, value: object) -> bool:
    """Replace the value of a top-level `key: value` line in place, keeping spacing and comment."""
    pattern = re.compile(rf"^{re.escape(key)}:(\s*)([^#\n]*?)(\s*(?:#.*)?)$")
    for n, line in enumerate(lines):
        body = line.rstrip("\n")
        match = pattern.match(body)
        if match and not match.group(2).startswith(("|", ">", "[", "{")):
            space = match.group(1) or " "
            lines[n] = f"{key}:{space}{_like(match.group(2), value)}{match.group(3)}" + line[len(body) :]
            return True
    return False


def update_yaml(path: Path, scalars: Mapping[str, Any], append: Mapping[str, list[Any]] | None = None) -> None:
    """Edit a hand-written YAML mapping, changing nothing else byte-for-byte.

    Top-level scalars are rewritten in place on their own line (spacing and comments kept) or appended
    at the end; a key whose value is None is only written if it exists. Items appended to a list go
    through a ruamel.yaml round trip that keeps comments and the file's own indentation.
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for key, value in scalars.items():
        if not _set_line(lines, key, value) and value is not None:
            lines.append(f"{key}: {yaml_scalar(value)}\n")
    text = "".join(lines)
    if append:
        text = _append_items(text, append)
    write_atomic(path, text)


def _append_items(text: str, append: Mapping[str, list[Any]]) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, block_seq_indent = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a hand-written long line
    yaml.indent(mapping=indent or 2, sequence=(indent or 2) + (block_seq_indent or 0), offset=block_seq_indent or 0)
    doc = yaml.load(text)
    for key, items in append.items():
        if key in doc and doc[key] is not None:
            doc[key].extend(items)
        else:
            doc[key] = items
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def dump_json(data: Any) -> str:
    """The manifest's one formatting: two-space indent, keys in the order given, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def dump_record(record: Mapping[str, Any], schema: str) -> str:
    """A new launch file (a decision record) as YAML, headed by its schema so editors complete it."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    out = io.StringIO()
    out.write(f"# yaml-language-server: $schema=../schemas/{schema}.schema.json\n")
    yaml.dump(dict(record), out)
    return out.getvalue()
