"""Each artifact's file against its manifest entry: exists inside the repository, same SHA-256, same size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gate.evidence.hashing import LFS_HINT, Digest, HashResult, Progress, describe, hash_many, lfs_pointer, mismatch
from gate.model import Artifact
from gate.paths import PathEscape


@dataclass(frozen=True)
class ArtifactCheck:
    """What hashing one artifact found: `problem` is None when the file matches its entry."""

    artifact: Artifact
    problem: str | None
    escapes: bool = False
    actual: Digest | None = None


def judge(artifact: Artifact, result: HashResult) -> ArtifactCheck:
    """Judge one hashing result against the artifact's manifest entry."""
    if isinstance(result, PathEscape):
        return ArtifactCheck(artifact, str(result), escapes=True)
    if isinstance(result, OSError):
        return ArtifactCheck(artifact, describe(result))
    return ArtifactCheck(artifact, mismatch(artifact.sha256, artifact.size, result), actual=result)


def check_artifacts(
    root: Path,
    artifacts: Sequence[Artifact],
    progress: Progress | None = None,
    known: Mapping[str, Digest] | None = None,
) -> dict[str, ArtifactCheck]:
    """Every artifact's SHA-256 and size checked, in parallel; keyed by artifact id. Files whose digest
    is `known` (hashed as they were written, by their path) are not read again."""
    known = known or {}
    unknown = [a for a in artifacts if a.path not in known]
    results = hash_many(root, [(a.path, a.size) for a in unknown], progress)
    hashed = {a.id: r for a, r in zip(unknown, results, strict=True)}
    checks = {a.id: judge(a, known[a.path] if a.path in known else hashed[a.id]) for a in artifacts}
    for key, check in checks.items():
        if check.actual is not None and check.problem and lfs_pointer(root, check.artifact.path):
            checks[key] = replace(check, problem=LFS_HINT)
    return checks


def as_recorded(artifacts: Sequence[Artifact]) -> dict[str, ArtifactCheck]:
    """Every artifact taken to match its entry, for a caller that reads and checks each one itself
    (`gate archive`, which refuses to finish when any does not)."""
    return {a.id: ArtifactCheck(a, None, actual=Digest(a.sha256, a.size)) for a in artifacts}
