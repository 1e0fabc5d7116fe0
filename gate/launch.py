"""The launch as every command sees it: loaded, cross-checked and hashed, or refused as unusable."""

from __future__ import annotations

from pathlib import Path

from gate.errors import InputError, InputErrors
from gate.evidence.integrity import ArtifactCheck, check_artifacts
from gate.load import MANIFEST, Loaded, load_repo
from gate.paths import check_relative
from gate.references import check_references

Checks = dict[str, ArtifactCheck]


def prepare(repo: Path) -> tuple[Loaded | None, Checks, list[InputError]]:
    """Load and cross-check every file and hash every artifact; input errors stop evaluation."""
    loaded, errors = load_repo(repo)
    if loaded is None:
        return None, {}, errors
    errors += check_references(loaded)
    checks = check_artifacts(repo, loaded.manifest.artifacts)
    for n, artifact in enumerate(loaded.manifest.artifacts):
        check = checks[artifact.id]
        # Lexically bad paths are already reported by check_references; here only symlink escapes.
        if check.escapes and check.problem and check_relative(artifact.path) is None:
            errors.append(InputError(loaded.locate(MANIFEST, ("artifacts", n, "path")), check.problem))
    return (None if errors else loaded), checks, errors


def load_valid(repo: Path) -> tuple[Loaded, Checks]:
    """The launch for a command that acts on it: raises InputErrors (exit 2) on anything `gate check`
    would reject as unusable, so no command ever writes on top of a broken repository."""
    loaded, checks, errors = prepare(repo)
    if loaded is None:
        raise InputErrors(errors)
    return loaded, checks
