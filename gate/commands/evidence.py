"""Recording evidence: register artifacts (`evidence add`) and run commands as evidence (`evidence capture`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from gate.edit import dump_json, write_atomic
from gate.errors import InputErrors, UsageError
from gate.evidence.digests import area_digest, area_pins
from gate.evidence.hashing import sha256_inside
from gate.launch import load_valid
from gate.load import MANIFEST, Loaded
from gate.model import Item, Manifest
from gate.model.base import ID, format_time
from gate.paths import check_relative
from gate.references import check_references
from gate.score import all_items

CAPTURE_DIR = "evidence/captures"
Echo = Callable[[str, bytes], None]


@dataclass(frozen=True)
class EvidenceRecorded:
    """What `evidence add|capture` changed: the entry ids written, the sign-offs that went stale, and
    for a captured command how it exited (recorded either way)."""

    item: str
    ids: list[str]
    stale: list[str]
    command_exit: int | None = None


def _item(loaded: Loaded, item_id: str) -> Item:
    for _, item, _path in all_items(loaded.checklist):
        if item.id == item_id:
            return item
    raise UsageError(f"unknown item {item_id!r}")


def choose_id(loaded: Loaded, item: Item, stem: str, explicit: str | None) -> str:
    """The manifest id for new evidence: explicit, else the requirement it obviously is."""
    if explicit:
        if not ID.match(explicit):
            raise UsageError(f"--id {explicit!r} is not an id (letters, digits, '.', '_', '-'; no '/')")
        return explicit
    wanted = [r.id for r in item.evidence]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-")
    if slug in wanted:
        return slug
    captured = {a.id for a in loaded.manifest.artifacts} | {c.id for c in loaded.manifest.commands}
    open_ = [r for r in wanted if r not in captured]
    if len(open_) == 1:
        return open_[0]
    raise UsageError(f"say which requirement of {item.id} this is with --id (one of: {', '.join(wanted) or 'none'})")


def _manifest_data(repo: Path) -> dict[str, Any]:
    """The manifest as plain data to edit (already validated by `load_valid`): every entry not touched
    stays byte for byte as it was; lists the file leaves out (they default to empty) are added."""
    data: dict[str, Any] = json.loads((repo / MANIFEST).read_text(encoding="utf-8"))
    data.setdefault("artifacts", [])
    data.setdefault("commands", [])
    return data


def _upsert(entries: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    for n, existing in enumerate(entries):
        if existing.get("id") == entry["id"]:
            same = (existing.get("sha256"), existing.get("size")) == (entry.get("sha256"), entry.get("size"))
            # Unchanged bytes keep their capture time, so re-adding a file never stales an approval.
            kept = {"captured_at": existing["captured_at"]} if same and "captured_at" in existing else {}
            merged = {**existing, **entry, **kept}
            for key in ("items", "areas"):
                merged[key] = sorted(set(existing.get(key, [])) | set(entry.get(key, [])))
            entries[n] = merged
            return
    entries.append(entry)


def _write_manifest(loaded: Loaded, repo: Path, data: dict[str, Any]) -> list[str]:
    """Validate the new manifest against the launch, write it, and name the sign-offs it makes stale.

    The checks run on the models in memory, before the write: nothing is re-read or re-hashed, and a
    manifest `gate check` would reject is never written.
    """
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{MANIFEST} would become invalid: {exc}") from None
    after = replace(loaded, manifest=manifest, manifest_text="", documents={})
    errors = check_references(after)
    if errors:
        raise InputErrors(errors)
    write_atomic(repo / MANIFEST, dump_json(data))
    out = []
    for area_id, (_, signoff) in loaded.signoffs.items():
        before = area_digest(area_pins(loaded.checklist, loaded.manifest, area_id))
        was_fresh = signoff.status == "approved" and signoff.area_digest == before
        if was_fresh and area_digest(area_pins(after.checklist, manifest, area_id)) != before:
            out.append(area_id)
    return out


def artifact_entry(
    repo: Path, rel: str, entry_id: str, items: list[str], areas: list[str], kind: str
) -> dict[str, Any]:
    """A manifest entry for a file, hashed now."""
    digest = sha256_inside(repo, rel)
    return {
        "id": entry_id,
        "path": rel,
        "sha256": digest.hex,
        "size": digest.size,
        "items": items,
        "areas": areas,
        "captured_at": format_time(datetime.now(UTC)),
        "kind": kind,
    }


def relative(repo: Path, path: Path) -> str:
    """`path` as given on the command line, relative to the repository root (refusing escapes).

    A relative path is taken from the current folder, or from the repository when it names a file
    there (so `--repo launch evidence/x.md` works from outside the repository too).
    """
    absolute = path if path.is_absolute() else Path.cwd() / path
    if not path.is_absolute() and not absolute.exists() and (repo / path).exists():
        absolute = repo / path
    try:
        rel = absolute.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"{path} is not inside the repository {repo}") from None
    problem = check_relative(rel)
    if problem:
        raise UsageError(f"{path}: {problem}")
    return rel


def add(repo: Path, paths: Sequence[Path], item_id: str, entry_id: str | None, areas: list[str]) -> EvidenceRecorded:
    """Hash and register artifacts for an item; re-adding a changed file updates its entry."""
    loaded = load_valid(repo)[0]
    item = _item(loaded, item_id)
    if entry_id and len(paths) > 1:
        raise UsageError("--id names one artifact: add the files one at a time")
    data = _manifest_data(repo)
    ids = []
    for path in paths:
        rel = relative(repo, path)
        if not (repo / rel).is_file():
            raise UsageError(f"{rel}: not a file")
        known = next((a for a in loaded.manifest.artifacts if a.path == rel), None)
        if known and entry_id and entry_id != known.id:
            raise UsageError(f"{rel} is already registered as {known.id!r}: one file, one manifest entry")
        new_id = known.id if known else choose_id(loaded, item, Path(rel).stem, entry_id)
        _upsert(data["artifacts"], artifact_entry(repo, rel, new_id, [item.id], areas, "document"))
        ids.append(new_id)
    return EvidenceRecorded(item.id, ids, _write_manifest(loaded, repo, data))


def _pump(src: IO[bytes], sink: IO[bytes], stream: str, echo: Echo | None) -> None:
    for chunk in iter(lambda: src.read1(65536), b""):  # type: ignore[attr-defined]
        sink.write(chunk)
        if echo:
            echo(stream, chunk)


def capture(
    repo: Path, argv: Sequence[str], item_id: str, entry_id: str | None, echo: Echo | None = None
) -> EvidenceRecorded:
    """Run `argv` (no shell) as evidence: output shown live and stored; a failure is recorded, not dropped.

    Outputs go to temporary files first and the manifest is written last, so an interrupted run
    (Ctrl-C) leaves no half-written entry.
    """
    loaded = load_valid(repo)[0]
    item = _item(loaded, item_id)
    cmd_id = choose_id(loaded, item, argv[0], entry_id)
    folder = repo / CAPTURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    outs = {s: folder / f".{cmd_id}.{s}.partial" for s in ("stdout", "stderr")}
    started = datetime.now(UTC)
    try:
        code = _run(argv, repo, outs, echo)
    except BaseException:
        for partial in outs.values():
            partial.unlink(missing_ok=True)
        raise
    ended = datetime.now(UTC)
    return _register_capture(loaded, repo, argv, item, cmd_id, outs, code, started, ended)


def _run(argv: Sequence[str], cwd: Path, outs: dict[str, Path], echo: Echo | None) -> int:
    with outs["stdout"].open("wb") as out_fh, outs["stderr"].open("wb") as err_fh:
        try:
            proc = subprocess.Popen(list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise UsageError(f"cannot run {argv[0]}: {exc.strerror}") from None
        assert proc.stdout is not None
        assert proc.stderr is not None
        pumps = [
            threading.Thread(target=_pump, args=(proc.stdout, out_fh, "stdout", echo)),
            threading.Thread(target=_pump, args=(proc.stderr, err_fh, "stderr", echo)),
        ]
        for t in pumps:
            t.start()
        try:
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            for t in pumps:
                t.join()
            proc.stdout.close()
            proc.stderr.close()
    return code


def _register_capture(
    loaded: Loaded,
    repo: Path,
    argv: Sequence[str],
    item: Item,
    cmd_id: str,
    outs: dict[str, Path],
    code: int,
    started: datetime,
    ended: datetime,
) -> EvidenceRecorded:
    data = _manifest_data(repo)
    for stream, partial in outs.items():
        final = partial.with_name(f"{cmd_id}.{stream}")
        os.replace(partial, final)
        rel = final.relative_to(repo).as_posix()
        _upsert(data["artifacts"], artifact_entry(repo, rel, f"{cmd_id}.{stream}", [], [], "output"))
    command = {
        "id": cmd_id,
        "argv": list(argv),
        "cwd": ".",
        "exit_code": code,
        "started_at": format_time(started),
        "ended_at": format_time(ended),
        "stdout": f"{cmd_id}.stdout",
        "stderr": f"{cmd_id}.stderr",
        "items": [item.id],
        "areas": [],
    }
    _upsert(data["commands"], command)
    return EvidenceRecorded(item.id, [cmd_id], _write_manifest(loaded, repo, data), command_exit=code)
