"""Where a command may write a file the user named: never over the launch's own files.

Only the commands that write (archive, packet, rollback rules, comms drafts) import this; `gate check`
and the pre-commit hooks never pay for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gate.edit import refuse_special
from gate.errors import UsageError
from gate.github.codeowners import LOCATIONS
from gate.load import CHECKLIST, DECISIONS, MANIFEST, SIGNOFFS, Loaded

# What `gate check` reads, and the rules GitHub applies to changes of it: an output written over one of
# them would change the launch (or who must review it) behind the gate's back.
_LAUNCH_FILES = {CHECKLIST: "the checklist", MANIFEST: "the evidence manifest"} | dict.fromkeys(
    LOCATIONS, "CODEOWNERS: who must review the launch files"
)
_LAUNCH_FOLDERS = {
    SIGNOFFS: "the sign-offs",
    DECISIONS: "the decision records",
    ".github": "the workflows and review rules GitHub applies",
}


@dataclass(frozen=True)
class LaunchFile:
    """A path of the launch's own, as the launch names it: why it is one (`str`), and its manifest id
    when it is registered evidence."""

    path: str
    what: str
    artifact_id: str | None = None

    def __str__(self) -> str:
        return f"{self.path} is {self.what}"


def _places(path: Path) -> set[Path]:
    """Where writing `path` lands: the file it resolves to (symlinks followed), and the folder entry a
    rename onto it replaces (a symlink itself). Both count: either changes what the launch reads."""
    real = Path(os.path.realpath(path))
    if path.name in ("", ".", ".."):
        return {real}
    return {real, Path(os.path.realpath(path.parent)) / path.name}


def _under(places: set[Path], folder: Path) -> Path | None:
    """Where in `folder` (wherever its symlinks lead) one of `places` is ("." for the folder), or None."""
    for inside in _places(folder):
        for place in places:
            if place == inside or inside in place.parents:
                return place.relative_to(inside)
    return None


def launch_file(repo: Path, loaded: Loaded, out: Path, *, replacing: str | None = None) -> LaunchFile | None:
    """The launch file or registered evidence that writing `out` (relative to the current folder)
    would replace, or None. `replacing` is the manifest id of an artifact the write is meant to update."""
    places = _places(out)
    if _under(places, repo) is None:
        return None  # outside the launch: nothing of it to protect, and no artifact to resolve
    for rel, what in _LAUNCH_FILES.items():
        if places & _places(repo / rel):
            return LaunchFile(rel, f"a launch file ({what})")
    for folder, what in _LAUNCH_FOLDERS.items():
        below = _under(places, repo / folder)
        if below == Path("."):
            return LaunchFile(f"{folder}/", f"a launch folder ({what})")
        if below is not None:
            return LaunchFile(f"{folder}/{below.as_posix()}", f"a launch file (under {folder}/: {what})")
    for artifact in loaded.manifest.artifacts:
        if artifact.id != replacing and places & _places(repo / artifact.path):
            return LaunchFile(artifact.path, f"registered evidence ({artifact.id})", artifact.id)
    return None


def refuse_launch_file(
    repo: Path, loaded: Loaded, out: Path, *, writing: str, elsewhere: str, replacing: str | None = None
) -> None:
    """UsageError (before anything is written) when writing `writing` to `out` would replace one of the
    launch's own files, or is a folder: every command that writes where it is told asks this first."""
    found = launch_file(repo, loaded, out, replacing=replacing)
    if found is None:
        refuse_special(out)  # a folder, a device or a FIFO is no file to write
        return
    if found.artifact_id is None:
        raise UsageError(f"{found}: writing {writing} there would change the launch. Write it elsewhere {elsewhere}")
    raise UsageError(
        f"{found}: writing {writing} there would change it and stale its area. Write it elsewhere {elsewhere};"
        f" to register a new version as evidence, then run `gate evidence add FILE --id {found.artifact_id} --item …`"
    )
