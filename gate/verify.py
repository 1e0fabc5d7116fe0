"""`gate evidence verify`: only the hashes, all files, in parallel — the fast path for pre-commit hooks."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gate.errors import InputErrors
from gate.evidence import ArtifactCheck, check_artifact, workers
from gate.load import load_manifest


@dataclass(frozen=True)
class VerifyResult:
    """How many artifacts and bytes were checked, and every failure as `path: problem`."""

    count: int
    bytes: int
    failures: list[str]


def verify_manifest(repo: Path, progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    """Hash every artifact of the manifest; no checklist, no scoring, no YAML."""
    _, manifest, errors = load_manifest(repo)
    if manifest is None:
        raise InputErrors(errors)
    artifacts = manifest.artifacts
    total = sum(a.size for a in artifacts)
    done = 0
    checks: list[ArtifactCheck] = []
    with ThreadPoolExecutor(max_workers=workers()) as pool:
        for check in pool.map(lambda a: check_artifact(repo, a), artifacts, chunksize=8):
            checks.append(check)
            done += check.artifact.size
            if progress:
                progress(done, total)
    failures = [f"{c.artifact.path}: {c.problem}" for c in checks if c.problem]
    return VerifyResult(len(artifacts), total, failures)
