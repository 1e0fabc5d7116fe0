"""`gate evidence verify`: only the hashes, all files, in parallel — the fast path for pre-commit hooks.

It reads the manifest with the json module and checks the few fields it needs by hand, so it never
imports pydantic (a tenth of a second saved on every hook run). Anything unexpected falls back to the
full loader, which reports every problem with its line and column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from gate.errors import InputErrors
from gate.evidence.hashing import LFS_HINT, Progress, describe, hash_many, lfs_pointer, mismatch
from gate.paths import PathEscape

MANIFEST = "evidence-manifest.json"  # as gate.load.MANIFEST; not imported: gate.load pulls in pydantic
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Entry:
    """The three facts verification needs about an artifact."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class HashReport:
    """How many artifacts and bytes were checked, and every failure as `path: problem`."""

    count: int
    bytes: int
    failures: list[str]


def _entries(repo: Path) -> list[Entry]:
    try:
        data = json.loads((repo / MANIFEST).read_bytes())
        entries = [Entry(a["path"], a["sha256"], a["size"]) for a in data["artifacts"]]
        if all(_plausible(e) for e in entries):
            return entries
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        pass
    return _strict_entries(repo)


def _plausible(e: Entry) -> bool:
    return isinstance(e.path, str) and isinstance(e.sha256, str) and bool(_HEX.match(e.sha256)) and _is_size(e.size)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _strict_entries(repo: Path) -> list[Entry]:
    from gate.load import load_manifest

    _, manifest, errors = load_manifest(repo)
    if manifest is None:
        raise InputErrors(errors)
    return [Entry(a.path, a.sha256, a.size) for a in manifest.artifacts]


def verify_hashes(repo: Path, progress: Progress | None = None) -> HashReport:
    """Hash every artifact of the manifest in parallel; no checklist, no scoring, no YAML.

    `progress(done, total)` is called (from worker threads) as bytes are hashed.
    """
    entries = _entries(repo)
    outcomes = hash_many(repo, [(e.path, e.size) for e in entries], progress)
    failures = []
    for entry, outcome in zip(entries, outcomes, strict=True):
        if isinstance(outcome, PathEscape):
            failures.append(f"{entry.path}: {outcome}")
        elif isinstance(outcome, OSError):
            failures.append(f"{entry.path}: {describe(outcome)}")
        else:
            problem = mismatch(entry.sha256, entry.size, outcome)
            if problem and lfs_pointer(repo, entry.path):
                problem = LFS_HINT
            failures += [f"{entry.path}: {problem}"] if problem else []
    return HashReport(len(entries), sum(e.size for e in entries), failures)
