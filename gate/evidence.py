"""Evidence integrity: streaming SHA-256, manifest verification, the SHA256SUMS listing and digests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gate.hashing import Digest, sha256_file, workers
from gate.model import Artifact, Checklist, Command, Manifest
from gate.paths import resolve_inside


def sha256_text(text: str) -> str:
    """The hex SHA-256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ArtifactCheck:
    """What hashing one artifact found: `problem` is None when the file matches its entry."""

    artifact: Artifact
    problem: str | None
    escapes: bool = False
    actual: Digest | None = None


def check_artifact(root: Path, artifact: Artifact) -> ArtifactCheck:
    """Recompute one artifact's SHA-256 and size and compare them with its manifest entry."""
    try:
        path = resolve_inside(root, artifact.path)
    except ValueError as exc:
        return ArtifactCheck(artifact, str(exc), escapes=True)
    try:
        actual = sha256_file(path)
    except FileNotFoundError:
        return ArtifactCheck(artifact, "file is missing")
    except IsADirectoryError:
        return ArtifactCheck(artifact, "path is a directory, not a file")
    except OSError as exc:
        return ArtifactCheck(artifact, f"cannot read: {exc.strerror}")
    return ArtifactCheck(artifact, _mismatch(artifact, actual), actual=actual)


def _mismatch(artifact: Artifact, actual: Digest) -> str | None:
    problems = []
    if actual.hex != artifact.sha256:
        problems.append(f"SHA-256 is {actual.hex}, manifest says {artifact.sha256}")
    if actual.size != artifact.size:
        problems.append(f"size is {actual.size} bytes, manifest says {artifact.size}")
    return "; ".join(problems) or None


def verify(root: Path, artifacts: Sequence[Artifact]) -> list[ArtifactCheck]:
    """Check every artifact, in parallel when there is more than a handful."""
    if len(artifacts) < 4:
        return [check_artifact(root, a) for a in artifacts]
    with ThreadPoolExecutor(max_workers=workers()) as pool:
        return list(pool.map(lambda a: check_artifact(root, a), artifacts, chunksize=16))


def sha256sums(artifacts: Iterable[Artifact]) -> str:
    """The coreutils `sha256sum` listing of the artifacts, sorted by path (byte order)."""
    ordered = sorted(artifacts, key=lambda a: a.path.encode("utf-8"))
    return "".join(f"{a.sha256}  {a.path}\n" for a in ordered)


def manifest_digest(manifest: Manifest) -> str:
    """The manifest digest: SHA-256 of its SHA256SUMS listing, so `sha256sum SHA256SUMS` shows it."""
    return sha256_text(sha256sums(manifest.artifacts))


def area_entries(checklist: Checklist, manifest: Manifest, area: str) -> list[Artifact | Command]:
    """Manifest entries serving `area`: tagged with it, serving one of its items, or required by one."""
    items = {i.id for i in [*checklist.prerequisites, *checklist.items] if i.area == area}
    required = {req.id for i in [*checklist.prerequisites, *checklist.items] if i.id in items for req in i.evidence}
    chosen: dict[str, Artifact | Command] = {}
    entries: list[Artifact | Command] = [*manifest.artifacts, *manifest.commands]
    for entry in entries:
        if area in entry.areas or items.intersection(entry.items) or entry.id in required:
            chosen[entry.id] = entry
    outputs = {c.stdout for c in chosen.values() if isinstance(c, Command)}
    outputs |= {c.stderr for c in chosen.values() if isinstance(c, Command)}
    for artifact in manifest.artifacts:
        if artifact.id in outputs:
            chosen[artifact.id] = artifact
    return [chosen[k] for k in sorted(chosen)]


def area_digest(checklist: Checklist, manifest: Manifest, area: str) -> str:
    """SHA-256 over the canonical JSON of the area's manifest entries: changes only with that area."""
    entries = [e.model_dump(mode="json", by_alias=True) for e in area_entries(checklist, manifest, area)]
    canonical = json.dumps({"area": area, "entries": entries}, sort_keys=True, separators=(",", ":"))
    return sha256_text(canonical)
