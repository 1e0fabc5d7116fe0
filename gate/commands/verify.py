"""`gate verify`: offline, does the decision recorded in an archive or at a git tag still hold?"""

from __future__ import annotations

import hashlib
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gate.commands.archive import ARCHIVE_PACKET
from gate.commands.packet import MANIFEST_SUMS, SUMS, packet_time, render_packet
from gate.decision import evaluate, judge_recorded
from gate.errors import GateFailed, UsageError
from gate.evidence.digests import sha256sums
from gate.evidence.hashing import CHUNK, Digest, sha256_file
from gate.git import export_tree
from gate.launch import Checks, prepare
from gate.load import Loaded
from gate.model.scorecard import RecordedDecision
from gate.paths import MAX_UNPACKED, check_relative

Digests = dict[str, Digest]  # each file of an unpacked archive, by its path in the archive


@dataclass(frozen=True)
class AuditReport:
    """Whether an archived (or tagged) launch's recorded decision still holds, and every reason."""

    holds: bool
    decision: RecordedDecision | None
    problems: list[str]


@dataclass(frozen=True)
class Limits:
    """What an archive may expand to before it is refused, unread: an archive is input like any other.

    `max_bytes` bounds the total; past `ratio_floor` bytes, expanding to more than `max_ratio` times the
    archive's own size is a compression bomb, not evidence (text and reports compress some 5-20 times).
    """

    max_bytes: int = MAX_UNPACKED  # an archive and a tag's tree are bounded alike
    max_members: int = 100_000
    max_ratio: int = 200
    ratio_floor: int = 64 * 1024**2


def _extract(tar: tarfile.TarFile, folder: Path, packed: int, limits: Limits) -> Digests:
    """Unpack every member into `folder` in one pass over the stream, hashing each file as it is written
    (so nothing is read back to be checked). Read header by header: a bomb is refused before its data is
    unpacked; a member that would leave the folder, a link or a device is never written, and every one
    is reported."""
    problems: list[str] = []
    digests: Digests = {}
    total = count = 0
    while (m := tar.next()) is not None:
        total, count = total + m.size, count + 1
        _within(limits, packed, total, count)
        problem = _refusal(m)
        if problem:
            problems.append(problem)
        elif not problems and m.isdir():
            (folder / _name(m)).mkdir(parents=True, exist_ok=True)
        elif not problems:
            digests[_name(m)] = _unpack(tar, m, folder / _name(m))
    if problems:
        raise GateFailed("archive refused:\n  " + "\n  ".join(problems))
    return digests


def _name(member: tarfile.TarInfo) -> str:
    return PurePosixPath(member.name).as_posix()


def _refusal(m: tarfile.TarInfo) -> str | None:
    name = PurePosixPath(m.name)
    if name.is_absolute() or ".." in name.parts:
        return f"{m.name}: member would be written outside the folder"
    if m.issym() or m.islnk():
        return f"{m.name}: links are refused in a launch archive"
    if not (m.isfile() or m.isdir()):
        return f"{m.name}: only files and folders are allowed"
    return None


def _unpack(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> Digest:
    source = tar.extractfile(member)
    assert source is not None  # a regular file
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return Digest(digest.hexdigest(), size)


def _within(limits: Limits, packed: int, total: int, count: int) -> None:
    if count > limits.max_members:
        raise GateFailed(f"archive refused: more than {limits.max_members} members (the limit)")
    if total > limits.max_bytes:
        raise GateFailed(
            f"archive refused: it expands to more than {limits.max_bytes} bytes (the limit; see --max-size)"
        )
    if total > limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
        raise GateFailed(
            f"archive refused: {packed} bytes expand to more than {total}, over {limits.max_ratio} times:"
            " a compression bomb, not evidence"
        )


def _check_sums(folder: Path, digests: Digests) -> list[str]:
    sums = folder / SUMS
    if not sums.is_file():
        return [f"{SUMS} is missing from the archive"]
    problems, listed = [], set()
    text, problem = _text(sums)
    if text is None:
        return [f"{SUMS}: {problem}"]
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        listed.add(name)
        path = folder / name
        if check_relative(name):
            problems.append(f"{name}: listed in {SUMS} with a path that leaves the archive")
        elif not path.is_file():
            problems.append(f"{name}: listed in {SUMS} but missing")
        elif (digests[name].hex if name in digests else sha256_file(path).hex) != digest:
            problems.append(f"{name}: SHA-256 does not match {SUMS}")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    problems += [f"{n}: present but not listed in {SUMS}" for n in sorted(present - listed - {SUMS})]
    return problems


def _check_archive_extras(folder: Path, loaded: Loaded, checks: Checks) -> list[str]:
    """What only an archive carries must agree with the launch it was made from."""
    problems = []
    listing, _ = _text(folder / MANIFEST_SUMS)
    if listing != sha256sums(loaded.manifest.artifacts):
        problems.append(f"{MANIFEST_SUMS} is missing or does not list the manifest's artifacts")
    packet, _ = _text(folder / ARCHIVE_PACKET)
    if packet != render_packet(folder, prepared=(loaded, checks)):
        problems.append(f"{ARCHIVE_PACKET} is missing or differs from the packet of the archived launch")
    return problems


def _text(path: Path) -> tuple[str | None, str | None]:
    """A text file of the unpacked archive, or why it cannot be read as UTF-8 text."""
    try:
        return path.read_bytes().decode("utf-8"), None
    except FileNotFoundError:
        return None, "missing"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte {exc.start})"
    except OSError as exc:
        return None, f"cannot read ({exc.strerror})"


def verify_folder(folder: Path, digests: Digests | None = None) -> AuditReport:
    """Re-run the whole gate on an unpacked launch and judge its recorded decision.

    An unpacked archive (`digests` of its files, as they were unpacked) must also carry a SHA256SUMS
    that matches every file, a MANIFEST.SHA256SUMS equal to the manifest's listing, and the packet of
    exactly this launch; a git tag carries none of these.
    """
    archive = digests is not None
    problems = _check_sums(folder, digests) if digests is not None else []
    loaded, checks, errors = prepare(folder, known=digests)
    if loaded is None:
        return AuditReport(False, None, problems + [str(e) for e in errors])
    problems += _check_archive_extras(folder, loaded, checks) if archive else []
    evaluation = evaluate(loaded, checks, packet_time(loaded))
    problems += [f"integrity: {c.artifact.path}: {c.problem}" for c in checks.values() if c.problem]
    recorded = judge_recorded(evaluation)
    if recorded is None:
        problems.append("no decision is recorded: there is nothing to verify")
    elif not recorded.holds:
        problems += recorded.reasons
    return AuditReport(not problems, recorded, problems)


def verify_archive(archive: Path, limits: Limits | None = None) -> AuditReport:
    """Unpack into a temporary folder (refusing members that escape it, links, and more than `limits`
    allow) and verify."""
    try:
        packed = archive.stat().st_size
        with tarfile.open(archive, mode="r:*") as tar, tempfile.TemporaryDirectory(prefix="gate-verify-") as tmp:
            return verify_folder(Path(tmp), _extract(tar, Path(tmp), packed, limits or Limits()))
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise UsageError(f"{archive}: not a readable archive ({exc})") from None


def verify_tag(repo: Path, tag: str, limits: Limits | None = None) -> AuditReport:
    """Verify the launch as committed at a git tag, offline: the commit's tree objects, as committed."""
    with export_tree(repo, f"refs/tags/{tag}", (limits or Limits()).max_bytes) as tree:
        return verify_folder(tree)
