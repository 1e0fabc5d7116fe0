"""The digests a decision pins: the SHA256SUMS listing, the manifest digest and each area's digest."""

from __future__ import annotations

import json
from collections.abc import Iterable

from gate.evidence.hashing import sha256_bytes
from gate.model import Artifact, Checklist, Command, Manifest


def sha256_text(text: str) -> str:
    """The hex SHA-256 of a text's UTF-8 bytes."""
    return sha256_bytes(text.encode("utf-8"))


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
