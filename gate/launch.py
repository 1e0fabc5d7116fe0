"""The launch as every command sees it: loaded, cross-checked and hashed, or refused as unusable."""

from __future__ import annotations

from pathlib import Path

from gate.errors import InputError, InputErrors, UsageError
from gate.evidence.integrity import ArtifactCheck, check_artifacts
from gate.load import CHECKLIST, MANIFEST, Loaded, load_repo
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
    errors = list(dict.fromkeys(errors))  # two rules may find one mistake: it is reported once
    return (None if errors else loaded), checks, errors


def load_valid(repo: Path) -> tuple[Loaded, Checks]:
    """The launch for a command that acts on it: raises InputErrors (exit 2) on anything `gate check`
    would reject as unusable, so no command ever writes on top of a broken repository."""
    loaded, checks, errors = prepare(repo)
    if loaded is None:
        raise InputErrors(errors)
    return loaded, checks


def find_root(start: Path, *, explicit: bool, marker: str = CHECKLIST) -> Path:
    """The launch repository: `start` itself when named explicitly (`--repo`), else the nearest folder
    at or above `start` holding `marker` (checklist.yaml), as git finds its work tree."""
    if explicit:
        if (start / marker).is_file():
            return start
        raise UsageError(f"{start}: not a launch repository (no {marker} in it)")
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / marker).is_file():
            return Path(".") if folder == Path.cwd().resolve() else folder
    raise UsageError(f"not a launch repository (no {marker} here or above)")
