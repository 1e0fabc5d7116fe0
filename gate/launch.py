"""The launch as every command sees it: loaded, cross-checked and hashed, or refused as unusable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gate.errors import InputError, InputErrors
from gate.evidence.hashing import Digest, Progress
from gate.evidence.integrity import ArtifactCheck, check_artifacts
from gate.load import MANIFEST, Loaded, load_repo
from gate.references import check_references

Checks = dict[str, ArtifactCheck]


def _load_checked(repo: Path) -> tuple[Loaded | None, list[InputError]]:
    loaded, errors = load_repo(repo)
    if loaded is None:
        return None, errors
    return loaded, errors + check_references(loaded)


def prepare(
    repo: Path, progress: Progress | None = None, known: Mapping[str, Digest] | None = None
) -> tuple[Loaded | None, Checks, list[InputError]]:
    """Load and cross-check every file and hash every artifact (but those whose digest is `known`: an
    archive's files, hashed as they were unpacked); input errors stop evaluation."""
    loaded, errors = _load_checked(repo)
    if loaded is None:
        return None, {}, errors
    checks = check_artifacts(repo, loaded.manifest.artifacts, progress, known)
    for n, artifact in enumerate(loaded.manifest.artifacts):
        check = checks[artifact.id]
        # Lexically bad paths never load (the manifest's schema refuses them): here only symlink escapes.
        if check.escapes and check.problem:
            errors.append(artifact_error(loaded, n, check.problem))
    return (None if errors else loaded), checks, errors


def artifact_error(loaded: Loaded, n: int, message: str) -> InputError:
    """An input error about the path of the manifest's artifact number `n`, at its line."""
    return InputError(loaded.locate(MANIFEST, ("artifacts", n, "path")), message)


def load_valid(repo: Path, progress: Progress | None = None) -> tuple[Loaded, Checks]:
    """The launch for a command that acts on it: raises InputErrors (exit 2) on anything `gate check`
    would reject as unusable, so no command ever writes on top of a broken repository."""
    loaded, checks, errors = prepare(repo, progress)
    if loaded is None:
        raise InputErrors(errors)
    return loaded, checks


def load_unhashed(repo: Path) -> Loaded:
    """The launch for a command that reads every artifact itself (`gate archive` hashes as it writes):
    loaded and cross-checked as by `load_valid`, the evidence not yet hashed."""
    loaded, errors = _load_checked(repo)
    if loaded is None or errors:
        raise InputErrors(errors)
    return loaded
