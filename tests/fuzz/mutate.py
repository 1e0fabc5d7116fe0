"""One random change to a copy of a GO launch, and whether that change touches what a GO relies on.

A mutation edits one thing the way a careless or hostile person with write access could: a scalar of a
YAML file replaced by another value (odd strings, huge numbers, times at the edge of the calendar,
placeholders, control characters), a line deleted, duplicated or swapped, a file cut short, an alias bomb,
a value of the manifest changed or nested deep, an evidence file flipped, cut, deleted or replaced by a
link, a FIFO or a folder, a stray file beside the sign-offs or decisions.

`guarded` says whether the change alters what a GO pins: the parsed content of the checklist, the
manifest, a sign-off or a decision (bar the decision's own bookkeeping: when exactly it was taken, notes,
reasons, names), or the bytes of any evidence. A guarded change must never leave the launch GO.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gate.yamlread import YamlProblem, parse

# Fields of a decision record that do not change what it decided or what it was taken on.
DECISION_BOOKKEEPING = {"decided_at", "date", "notes", "reasons", "pull_request", "name"}

ODD_VALUES = [
    '""',
    "''",
    "TBD",
    "<insert owner>",
    "YYYY-MM-DD HH:MM UTC",
    "P2",
    "P0",
    "NO-GO",
    "pending",
    "rejected",
    "primary",
    "backup",
    "-1",
    "0",
    "1e309",
    ".nan",
    "-.inf",
    "9" * 5000,
    "null",
    "~",
    "true",
    "[]",
    "{}",
    "[a, b]",
    "{str: 1}",
    '"0001-01-01T00:00:00+01:00"',
    '"9999-12-31T23:00:00-05:00"',
    '"2026-13-45T99:99:99Z"',
    '"2026-12-10 14:00"',
    '"\\x1b[2J\\u202e<img src=x>"',
    '"@org/everyone"',
    '"../../etc/passwd"',
    '"./evidence/x"',
    '"a\\\\b"',
    '"' + "x" * 20000 + '"',
    "&a [1]",
    "*nope",
    "!!python/object:os.system ls",
]


@dataclass(frozen=True)
class Mutation:
    """What was changed, where, and whether a GO may survive it."""

    kind: str
    target: str
    detail: str
    guarded: bool

    def __str__(self) -> str:
        return f"{self.kind} {self.target}: {self.detail} ({'guarded' if self.guarded else 'not guarded'})"


def mutate(repo: Path, rng: random.Random) -> Mutation:
    """Apply one random mutation to the launch at `repo` (a copy: it is changed in place)."""
    kinds: list[tuple[int, Callable[[Path, random.Random], Mutation]]] = [
        (40, _yaml_scalar),
        (10, _yaml_line),
        (2, _yaml_truncate),
        (1, _alias_bomb),
        (15, _manifest_value),
        (2, _manifest_deep),
        (15, _evidence),
        (3, _stray_file),
    ]
    total = sum(w for w, _ in kinds)
    pick = rng.uniform(0, total)
    for weight, fn in kinds:
        pick -= weight
        if pick <= 0:
            return fn(repo, rng)
    return kinds[-1][1](repo, rng)


def _yaml_files(repo: Path) -> list[Path]:
    return [
        repo / "checklist.yaml",
        *sorted((repo / "signoffs").glob("*.yaml")),
        *sorted((repo / "decisions").glob("*.yaml")),
    ]


def _rel(repo: Path, path: Path) -> str:
    return path.relative_to(repo).as_posix()


def _parsed(path: Path) -> Any:
    """The file's data as the gate reads it; a marker for text that does not parse at all."""
    try:
        return parse(path.read_text(encoding="utf-8"), path.name).data
    except (YamlProblem, UnicodeDecodeError, ValueError):
        return "<unparsable>"


def _changed(repo: Path, path: Path, before: Any) -> bool:
    """Whether the parsed content changed in a way a GO relies on."""
    after = _parsed(path)
    if after == "<unparsable>":
        return True
    if _rel(repo, path).startswith("decisions/"):
        return bool(_strip(before) != _strip(after))
    return bool(before != after)


def _strip(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip(v) for k, v in data.items() if k not in DECISION_BOOKKEEPING}
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data


def _yaml_scalar(repo: Path, rng: random.Random) -> Mutation:
    path = rng.choice(_yaml_files(repo))
    text = path.read_text(encoding="utf-8")
    nodes: list[Any] = []
    _scalars(yaml.compose(text, Loader=yaml.CSafeLoader), nodes)
    node = rng.choice(nodes)
    value = rng.choice(ODD_VALUES) if rng.random() < 0.7 else _nearby(node.value, rng)
    before = _parsed(path)
    path.write_text(text[: node.start_mark.index] + value + text[node.end_mark.index :], encoding="utf-8")
    detail = f"line {node.start_mark.line + 1}: {node.value[:40]!r} -> {value[:40]!r}"
    return Mutation("yaml-scalar", _rel(repo, path), detail, _changed(repo, path, before))


def _nearby(value: str, rng: random.Random) -> str:
    """A small edit of the existing text: one character changed, dropped or doubled."""
    if not value:
        return "x"
    i = rng.randrange(len(value))
    choice = rng.randrange(3)
    if choice == 0:
        return json.dumps(value[:i] + chr(ord(value[i]) ^ 1) + value[i + 1 :])
    if choice == 1:
        return json.dumps(value[:i] + value[i + 1 :])
    return json.dumps(value[:i] + value[i] + value[i:])


def _scalars(node: Any, out: list[Any]) -> None:
    if node is None:
        return
    if node.id == "scalar":
        out.append(node)
    elif node.id == "sequence":
        for child in node.value:
            _scalars(child, out)
    else:
        for key, value in node.value:
            _scalars(key, out)
            _scalars(value, out)


def _yaml_line(repo: Path, rng: random.Random) -> Mutation:
    path = rng.choice(_yaml_files(repo))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    before = _parsed(path)
    i = rng.randrange(len(lines))
    how = rng.choice(["delete", "duplicate", "swap", "indent", "tab"])
    if how == "delete":
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "indent":
        lines[i] = "  " + lines[i]
    else:
        lines[i] = "\t" + lines[i]
    path.write_text("".join(lines), encoding="utf-8")
    return Mutation("yaml-line", _rel(repo, path), f"{how} line {i + 1}", _changed(repo, path, before))


def _yaml_truncate(repo: Path, rng: random.Random) -> Mutation:
    path = rng.choice(_yaml_files(repo))
    data = path.read_bytes()
    before = _parsed(path)
    cut = rng.randrange(len(data))
    path.write_bytes(data[:cut])
    return Mutation("yaml-truncate", _rel(repo, path), f"cut at byte {cut}", _changed(repo, path, before))


def _alias_bomb(repo: Path, rng: random.Random) -> Mutation:
    path = rng.choice(_yaml_files(repo))
    bomb = "bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"bomb{n}: &b{n} [*b{n - 1}, *b{n - 1}, *b{n - 1}, *b{n - 1}, *b{n - 1}, *b{n - 1}, *b{n - 1}]\n"
        for n in range(1, 12)
    )
    path.write_text(path.read_text(encoding="utf-8") + bomb, encoding="utf-8")
    return Mutation("alias-bomb", _rel(repo, path), "a billion-node alias bomb appended", True)


MANIFEST_VALUES: list[Any] = [
    "",
    "x",
    "./evidence/x",
    "evidence//x",
    "/etc/passwd",
    "../outside",
    "a\\b",
    "0" * 64,
    "A" * 64,
    -1,
    0,
    10**30,
    1.5,
    None,
    True,
    [],
    {},
    ["unknown-item"],
    "2026-12-10T14:00:00",
    "0001-01-01T00:00:00+01:00",
]


def _manifest_value(repo: Path, rng: random.Random) -> Mutation:
    path = repo / "evidence-manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    leaves: list[tuple[Any, Any]] = []
    _leaves(data, leaves)
    holder, key = rng.choice(leaves)
    old = holder[key]
    new = rng.choice(MANIFEST_VALUES)
    holder[key] = new
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return Mutation("manifest-value", "evidence-manifest.json", f"{key!r}: {old!r:.40} -> {new!r:.40}", old != new)


def _leaves(data: Any, out: list[tuple[Any, Any]]) -> None:
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        if isinstance(value, dict | list) and value:
            _leaves(value, out)
        else:
            out.append((data, key))


def _manifest_deep(repo: Path, rng: random.Random) -> Mutation:
    path = repo / "evidence-manifest.json"
    text = path.read_text(encoding="utf-8").rstrip()
    depth = rng.choice([1_000, 100_000])
    deep = "[" * depth + "]" * depth
    path.write_text(text[:-1] + f', "deep": {deep}}}\n', encoding="utf-8")
    return Mutation("manifest-deep", "evidence-manifest.json", f"nested {depth} deep", True)


def _evidence(repo: Path, rng: random.Random) -> Mutation:
    artifacts = json.loads((repo / "evidence-manifest.json").read_text(encoding="utf-8"))["artifacts"]
    rel = rng.choice(artifacts)["path"]
    path = repo / rel
    how = rng.choice(["flip", "truncate", "append", "delete", "symlink-out", "dev-zero", "fifo", "folder"])
    if how == "flip":
        flipped = bytearray(path.read_bytes() or b"\0")
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(flipped))
    elif how == "truncate":
        data = path.read_bytes()
        if not data:  # an empty file cannot be cut short: the change is then one byte more
            how, data = "append", b"\n"
        path.write_bytes(data[: rng.randrange(len(data))] if how == "truncate" else data)
    elif how == "append":
        with path.open("ab") as fh:
            fh.write(b"\n")
    else:
        path.unlink()
        if how == "symlink-out":
            os.symlink("/etc/hostname", path)
        elif how == "dev-zero":
            os.symlink("/dev/zero", path)
        elif how == "fifo":
            os.mkfifo(path)
        elif how == "folder":
            path.mkdir()
    return Mutation("evidence", rel, how, True)


def _stray_file(repo: Path, rng: random.Random) -> Mutation:
    how = rng.choice(["yml-twin", "case-twin", "no-go-after", "second-signoff"])
    if how in ("yml-twin", "case-twin", "second-signoff"):
        source = rng.choice(sorted((repo / "signoffs").glob("*.yaml")))
        name = {
            "yml-twin": source.with_suffix(".yml").name,
            "case-twin": source.name.capitalize(),
            "second-signoff": source.stem + "-2.yaml",
        }[how]
        (repo / "signoffs" / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
        return Mutation("stray-file", f"signoffs/{name}", how, True)
    [record] = sorted((repo / "decisions").glob("*.yaml"))[-1:]
    text = record.read_text(encoding="utf-8").replace("decision: GO", "decision: NO-GO")
    later = record.with_name("9999-" + record.name)
    later.write_text(text.replace("decided_at: '", "decided_at: '").replace("window: primary\n", ""), encoding="utf-8")
    return Mutation("stray-file", _rel(repo, later), "a NO-GO beside the GO", True)
