"""Recording evidence: register artifacts (`evidence add`) and run commands as evidence (`evidence capture`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import ValidationError

from gate.edit import dump_json, write_atomic
from gate.errors import InputErrors, UsageError
from gate.evidence.digests import area_digest, area_entries, area_pins
from gate.evidence.hashing import Advance, Progress, Tally, sha256_inside
from gate.launch import load_valid
from gate.load import MANIFEST, Loaded
from gate.model import Artifact, Command, Item, Manifest
from gate.model.base import ID, format_time
from gate.names import did_you_mean
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
    warnings: list[str] = field(default_factory=list)


Confirm = Callable[[str], bool]


def _item(loaded: Loaded, item_id: str) -> Item:
    for _, item, _path in all_items(loaded.checklist):
        if item.id == item_id:
            return item
    ids = [i.id for _, i, _ in all_items(loaded.checklist)]
    raise UsageError(f"unknown item {item_id!r}{did_you_mean(item_id, ids)}")


def choose_id(
    loaded: Loaded,
    item: Item,
    name: str,
    explicit: str | None,
    *,
    supporting: bool = False,
    confirm: Confirm | None = None,
) -> str:
    """The manifest id for new evidence, never guessed: `--id` naming one of the item's requirements (or
    an entry already registered for the item, or a new id with `--supporting`); else the requirement
    whose id the file is named after; else the item's only open requirement, if the person confirms it."""
    wanted = {r.id: r for r in item.evidence}
    known = {a.id for a in loaded.manifest.artifacts} | {c.id for c in loaded.manifest.commands}
    if explicit:
        if not ID.match(explicit):
            raise UsageError(f"--id {explicit!r} is not an id (letters, digits, '.', '_', '-'; no '/')")
        _check_owned(loaded, item, explicit, f"--id {explicit!r}")
        if explicit in wanted or explicit in known or supporting:
            return explicit
        hint = did_you_mean(explicit, list(wanted))
        raise UsageError(
            f"--id {explicit!r} is not a requirement of {item.id}{hint} (its requirements: "
            f"{', '.join(wanted) or 'none'}); evidence beyond them needs --supporting"
        )
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip("-")
    if slug in wanted:
        return slug
    open_ = [r for r in wanted.values() if r.id not in known]
    if (
        len(open_) == 1
        and confirm is not None
        and confirm(f"{name} is {open_[0].id} ({open_[0].description}) of {item.id}?")
    ):
        return open_[0].id
    listed = "; ".join(f"{r.id} ({r.description})" for r in open_) or "none left open"
    raise UsageError(f"which requirement of {item.id} is {name}? give --id (open: {listed})")


def _owners(loaded: Loaded, entry_id: str) -> set[str]:
    """The items an evidence id belongs to: those that require it, and those its manifest entry serves."""
    out = {i.id for _, i, _ in all_items(loaded.checklist) if any(r.id == entry_id for r in i.evidence)}
    entries: list[Artifact | Command] = [*loaded.manifest.artifacts, *loaded.manifest.commands]
    return out | {i for e in entries if e.id == entry_id for i in e.items}


def _check_owned(loaded: Loaded, item: Item, entry_id: str, what: str) -> None:
    """Refuse to file evidence for `item` under an id another item owns: the upsert would replace that
    item's file and hash (or add `item` to what it serves), and its sign-off would vouch for the wrong
    bytes. An id of the item's own, or one nobody has registered yet, may be used."""
    if any(r.id == entry_id for r in item.evidence):
        return
    belongs = _owners(loaded, entry_id)
    entries: list[Artifact | Command] = [*loaded.manifest.artifacts, *loaded.manifest.commands]
    if item.id in belongs or not (belongs or any(e.id == entry_id for e in entries)):
        return
    ids = [r.id for r in item.evidence]
    raise UsageError(
        f"{what} is not evidence of {item.id}{did_you_mean(entry_id, ids)}: {_whose(loaded, entry_id, belongs)} "
        f"(requirements of {item.id}: {', '.join(ids) or 'none'}; evidence beyond them needs --supporting "
        "and a new id)"
    )


def _whose(loaded: Loaded, entry_id: str, belongs: set[str]) -> str:
    if belongs:
        return f"it belongs to {', '.join(sorted(belongs))}"
    output = next((c.id for c in loaded.manifest.commands if entry_id in (c.stdout, c.stderr)), None)
    return f"it is the output of the captured command {output}" if output else "it is registered for no item"


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
    repo: Path,
    rel: str,
    entry_id: str,
    items: list[str],
    areas: list[str],
    kind: str,
    advance: Advance | None = None,
) -> dict[str, Any]:
    """A manifest entry for a file, hashed now."""
    digest = sha256_inside(repo, rel, advance)
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
        raise UsageError(f"{path} is not inside the launch repository ({repo.resolve()})") from None
    problem = check_relative(rel)
    if problem:
        raise UsageError(f"{path}: {problem}")
    return rel


def add(
    repo: Path,
    paths: Sequence[Path],
    item_id: str,
    entry_id: str | None,
    areas: list[str],
    *,
    supporting: bool = False,
    confirm: Confirm | None = None,
    progress: Progress | None = None,
) -> EvidenceRecorded:
    """Hash and register artifacts for an item; re-adding a changed file updates its entry.

    Each file gets its own entry: several files at once each need their own requirement (named after
    it), and two files may never land on one id. `progress(done, total)` hears of the bytes hashed:
    the launch's evidence first, then the new files."""
    loaded = load_valid(repo, progress)[0]
    item = _item(loaded, item_id)
    if entry_id and len(paths) > 1:
        raise UsageError("--id names one artifact: add the files one at a time")
    data = _manifest_data(repo)
    ids: dict[str, str] = {}
    warnings: list[str] = []
    advance = Tally(_sizes(repo, paths), progress) if progress else None
    for path in paths:
        rel = relative(repo, path)
        if not (repo / rel).is_file():
            raise UsageError(f"{rel}: not a file")
        warnings += _size_warnings(repo, rel)
        known = next((a for a in loaded.manifest.artifacts if a.path == rel), None)
        if known and entry_id and entry_id != known.id:
            raise UsageError(f"{rel} is already registered as {known.id!r}: one file, one manifest entry")
        if known:
            _check_owned(loaded, item, known.id, f"{rel} (registered as {known.id!r})")
        new_id = known.id if known else choose_id(loaded, item, rel, entry_id, supporting=supporting, confirm=confirm)
        if new_id in ids:
            raise UsageError(f"{rel} and {ids[new_id]} would both be {new_id!r}: one id, one file")
        ids[new_id] = rel
        _upsert(data["artifacts"], artifact_entry(repo, rel, new_id, [item.id], areas, "document", advance))
    return EvidenceRecorded(item.id, list(ids), _write_manifest(loaded, repo, data), warnings=warnings)


def _sizes(repo: Path, paths: Sequence[Path]) -> int:
    """The bytes hashing the new files will read (a path that names no file adds none: it is refused)."""
    total = 0
    for path in paths:
        with contextlib.suppress(UsageError, OSError):
            total += (repo / relative(repo, path)).stat().st_size
    return total


GITHUB_WARNS = 50 * 1024 * 1024
GITHUB_REFUSES = 100 * 1024 * 1024


def _size_warnings(repo: Path, rel: str) -> list[str]:
    """GitHub warns about files over 50 MB and refuses those over 100 MB unless Git LFS stores them."""
    size = (repo / rel).stat().st_size
    if size <= GITHUB_WARNS:
        return []
    lfs = _lfs_tracked(repo, rel)
    if lfs:
        return []
    how = f"track it with Git LFS first (git lfs track {rel!r}; see Large evidence in gate's docs/journey.md)"
    if size > GITHUB_REFUSES and lfs is False:
        raise UsageError(f"{rel} is {size} bytes: GitHub refuses files over 100 MB in git; {how}")
    return [f"{rel} is {size} bytes: GitHub warns above 50 MB and refuses over 100 MB; {how}"]


def _lfs_tracked(repo: Path, rel: str) -> bool | None:
    """Whether git's attributes send `rel` to Git LFS; None when `repo` is not in a git work tree."""
    from gate.git import run_git

    done = run_git(repo, "check-attr", "filter", "--", rel)
    if done.returncode:
        return None
    return done.stdout.strip().endswith(": filter: lfs")


def _pump(src: IO[bytes], sink: IO[bytes], stream: str, echo: Echo | None) -> None:
    for chunk in iter(lambda: src.read1(65536), b""):  # type: ignore[attr-defined]
        sink.write(chunk)
        if echo:
            echo(stream, chunk)


def capture(
    repo: Path,
    argv: Sequence[str],
    item_id: str,
    entry_id: str | None,
    echo: Echo | None = None,
    *,
    supporting: bool = False,
    confirm: Confirm | None = None,
) -> EvidenceRecorded:
    """Run `argv` (no shell) as evidence: output shown live and stored; a failure is recorded, not dropped.

    Outputs go to temporary files first and the manifest is written last, so an interrupted run
    (Ctrl-C) leaves no half-written entry.
    """
    loaded = load_valid(repo)[0]
    item = _item(loaded, item_id)
    cmd_id = choose_id(loaded, item, argv[0], entry_id, supporting=supporting, confirm=confirm)
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


# ---- listing and removing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceEntry:
    """One manifest entry as a person looks for it: what it is, what it serves, what it changed."""

    id: str
    kind: Literal["artifact", "command"]
    path: str | None
    sha256: str | None
    size: int | None
    items: list[str]
    areas: list[str]
    stales: list[str]  # areas whose approval this entry changed since it was given


@dataclass(frozen=True)
class EvidenceListing:
    """`gate evidence ls`: the entries asked for."""

    entries: list[EvidenceEntry]


@dataclass(frozen=True)
class EvidenceRemoved:
    """`gate evidence rm`: the entries taken out of the manifest (files stay on disk), and the
    sign-offs that went stale."""

    ids: list[str]
    kept_files: list[str]
    stale: list[str]


def listing(repo: Path, item: str | None = None, area: str | None = None, stale: bool = False) -> EvidenceListing:
    """Every entry, or those serving `item` / `area`, or (`stale`) those changed since their area's approval."""
    loaded, _ = load_valid(repo)
    checklist, manifest = loaded.checklist, loaded.manifest
    if item is not None:
        _item(loaded, item)
    if area is not None and area not in {a.id for a in checklist.areas}:
        raise UsageError(f"unknown area {area!r}{did_you_mean(area, [a.id for a in checklist.areas])}")
    serves = {a.id: {e.id for e in area_entries(checklist, manifest, a.id)} for a in checklist.areas}
    changed = _changed_since_approval(loaded)
    out = []
    entries: list[Artifact | Command] = [*manifest.artifacts, *manifest.commands]
    for entry in entries:
        areas = sorted(a for a, ids in serves.items() if entry.id in ids)
        stales = sorted(a for a, ids in changed.items() if entry.id in ids)
        if (item and item not in entry.items) or (area and area not in areas) or (stale and not stales):
            continue
        if isinstance(entry, Command):
            out.append(EvidenceEntry(entry.id, "command", None, None, None, entry.items, areas, stales))
        else:
            shown = (entry.path, entry.sha256, entry.size)
            out.append(EvidenceEntry(entry.id, "artifact", *shown, entry.items, areas, stales))
    return EvidenceListing(out)


def _changed_since_approval(loaded: Loaded) -> dict[str, set[str]]:
    """Area -> the evidence ids that changed (or came) since its approval."""
    out: dict[str, set[str]] = {}
    for area_id, (_, signoff) in loaded.signoffs.items():
        if signoff.status != "approved" or signoff.pinned is None:
            continue
        now = area_pins(loaded.checklist, loaded.manifest, area_id).evidence
        was = signoff.pinned.evidence
        out[area_id] = {k for k in now.keys() | was.keys() if now.get(k) != was.get(k)}
    return out


def remove(repo: Path, entry_id: str) -> EvidenceRemoved:
    """Take an entry out of the manifest (a command with its output files' entries); the files stay."""
    loaded, _ = load_valid(repo)
    manifest = loaded.manifest
    ids = {a.id for a in manifest.artifacts} | {c.id for c in manifest.commands}
    if entry_id not in ids:
        raise UsageError(f"no evidence {entry_id!r}{did_you_mean(entry_id, ids)}")
    owner = next((c for c in manifest.commands if entry_id in (c.stdout, c.stderr)), None)
    if owner is not None:
        raise UsageError(f"{entry_id} is the output of the captured command {owner.id}: remove {owner.id} instead")
    cited = [f"{f}: {fi.id}" for f, s in loaded.signoffs.values() for fi in s.findings if entry_id in fi.evidence]
    if cited:
        raise UsageError(f"{entry_id} is cited by the finding(s) {', '.join(cited)}: it stays while they do")
    command = next((c for c in manifest.commands if c.id == entry_id), None)
    gone = {entry_id} | ({command.stdout, command.stderr} if command else set())
    data = _manifest_data(repo)
    data["artifacts"] = [a for a in data["artifacts"] if a.get("id") not in gone]
    data["commands"] = [c for c in data["commands"] if c.get("id") not in gone]
    kept = sorted(a.path for a in manifest.artifacts if a.id in gone)
    return EvidenceRemoved(sorted(gone), kept, _write_manifest(loaded, repo, data))
