"""Writes that never lose a hand-edited file: atomic replace, and round-trip YAML edits."""

from __future__ import annotations

import contextlib
import io
import json
import os
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


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a hand-written long line
    return yaml


def update_yaml(path: Path, changes: Mapping[str, Any]) -> None:
    """Set top-level keys of a YAML mapping round-trip: comments, order, quoting and spacing of all
    other content stay byte-for-byte; new keys are appended; a value of None removes nothing but is
    written as `null` only if the key already exists (so pending files stay minimal)."""
    yaml = _yaml()
    text = path.read_text(encoding="utf-8")
    doc = yaml.load(text)
    for key, value in changes.items():
        if value is None and key not in doc:
            continue
        doc[key] = value
    out = io.StringIO()
    yaml.dump(doc, out)
    write_atomic(path, out.getvalue())


def dump_json(data: Any) -> str:
    """The manifest's one formatting: two-space indent, keys in the order given, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
