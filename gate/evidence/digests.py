"""The digests a decision pins: the SHA256SUMS listing, the manifest digest and each area's digest."""

from __future__ import annotations

import json
from collections.abc import Iterable

from gate.evidence.hashing import sha256_bytes
from gate.model import Artifact, Checklist, Command, Manifest
from gate.model.signoff import Pinned
from gate.rules import rule_inputs


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


def area_pins(checklist: Checklist, manifest: Manifest, area: str) -> Pinned:
    """What an approval of `area` is given for, part by part (see `Pinned`).

    Policy: the area's own definition with its team's roster, the scoring rules (which findings block),
    each of its items whole (priority, required evidence, N/A, mitigation, wording), and the parts of the
    checklist its items' rules judge (windows, freeze, rollback criteria, channels…): lowering a P0 or
    adding an N/A changes a part.
    Evidence: each entry serving the area, a file by its SHA-256, a captured command by the digest of
    its record (argv, exit code, times, outputs).
    """
    definition = next(a for a in checklist.areas if a.id == area)
    team = definition.team.lower()
    roster = sorted(m.lower() for t, ms in checklist.roster.items() if t.lower() == team for m in ms)
    policy = {"area": _digest({"area": definition.model_dump(mode="json"), "roster": roster})}
    # Which open findings block GO is every area's policy: a lead's open high finding that stops
    # blocking (blocking_findings loosened) after the approval makes the approval stale.
    policy["scoring"] = _digest(checklist.scoring.model_dump(mode="json", by_alias=True))
    rules = set()
    for item in [*checklist.prerequisites, *checklist.items]:
        if item.area == area:
            policy[item.id] = _digest(item.model_dump(mode="json", by_alias=True))
            rules |= {item.rule} if item.rule else set()
    data = checklist.model_dump(mode="json", by_alias=True) if rules else {}
    for rule in sorted(rules):
        # What a rule judges is policy too: moving the window, or relaxing a rollback threshold, after
        # the approval of the area whose item holds that rule makes its approval stale.
        policy[f"rule:{rule}"] = _digest(rule_inputs(data, rule))
    evidence = {
        e.id: e.sha256 if isinstance(e, Artifact) else _digest(e.model_dump(mode="json", by_alias=True))
        for e in area_entries(checklist, manifest, area)
    }
    return Pinned(policy=policy, evidence=evidence)


def area_digest(pins: Pinned) -> str:
    """The one digest a sign-off pins: SHA-256 over the canonical JSON of every part."""
    return _digest(pins.model_dump(mode="json"))


def pin_changes(recorded: Pinned, current: Pinned) -> list[str]:
    """What changed since the approval, as a person reads it: each policy part and evidence entry."""
    out = []
    for kind, before, now in (
        ("policy", recorded.policy, current.policy),
        ("evidence", recorded.evidence, current.evidence),
    ):
        for key in sorted(set(before) | set(now)):
            if key not in now:
                out.append(f"{kind} {key} removed")
            elif key not in before:
                out.append(f"{kind} {key} added ({_short(now[key])})")
            elif before[key] != now[key]:
                out.append(f"{kind} {key} changed ({_short(before[key])} -> {_short(now[key])})")
    return out


def _short(digest: str) -> str:
    return digest[:12]


def _digest(data: object) -> str:
    return sha256_text(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
