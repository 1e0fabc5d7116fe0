"""Each artifact's file against its manifest entry: exists inside the repository, same SHA-256, same size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.evidence.hashing import Digest, HashResult, describe, hash_many, mismatch
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


def check_artifacts(root: Path, artifacts: Sequence[Artifact]) -> dict[str, ArtifactCheck]:
    """Every artifact's SHA-256 and size checked, in parallel; keyed by artifact id."""
    results = hash_many(root, [(a.path, a.size) for a in artifacts])
    return {a.id: judge(a, r) for a, r in zip(artifacts, results, strict=True)}
