"""What an auditor keeps: the launch packet, a reproducible archive, and offline verification."""

from __future__ import annotations

import gzip
import io
import shlex
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from gate.check import Outcome, evaluate, judge_decision, load_valid, prepare
from gate.edit import write_atomic
from gate.errors import GateFailed, UsageError
from gate.evidence import sha256sums
from gate.hashing import sha256_bytes, sha256_file
from gate.load import CHECKLIST, DECISIONS, MANIFEST, SIGNOFFS, Loaded
from gate.model import Command
from gate.model.base import format_time
from gate.model.scorecard import RecordedDecision
from gate.paths import check_relative, resolve_inside

EXCERPT_BYTES = 2048
SUMS = "SHA256SUMS"
# The artifacts alone, exactly as the manifest digest is computed: `sha256sum MANIFEST.SHA256SUMS`
# prints the digest a decision records, with no Python at all.
MANIFEST_SUMS = "MANIFEST.SHA256SUMS"
# The packet rendered for the archive sits at its root, never at packet.location: that path may itself
# be an artifact (the packet captured as evidence), which the archive must carry unchanged.
ARCHIVE_PACKET = "LAUNCH-PACKET.md"


def _outcome(repo: Path, at: datetime | None) -> tuple[Outcome, datetime]:
    loaded, checks = load_valid(repo)
    when = at or packet_time(loaded)
    return evaluate(loaded, checks, when), when


def packet_time(loaded: Loaded) -> datetime:
    """The moment a packet describes when none is given: the latest decision, else the latest capture.

    Never "now": the same state must give the same bytes.
    """
    if loaded.decisions:
        return loaded.decisions[-1][1].decided_at
    times = [a.captured_at for a in loaded.manifest.artifacts] + [c.ended_at for c in loaded.manifest.commands]
    times += [s.at for _, s in loaded.signoffs.values() if s.at]
    return max(times) if times else datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _excerpt(repo: Path, loaded: Loaded, artifact_id: str) -> str:
    artifact = next((a for a in loaded.manifest.artifacts if a.id == artifact_id), None)
    if artifact is None:
        return "(missing)"
    raw = resolve_inside(repo, artifact.path).read_bytes()[:EXCERPT_BYTES]
    text = raw.decode("utf-8", errors="replace").rstrip("\n")
    more = " (excerpt)" if artifact.size > EXCERPT_BYTES else ""
    return f"```text\n{text}\n```{more}" if text else "(empty)"


def render_packet(repo: Path, at: datetime | None = None) -> str:
    """The launch packet (seed H, I) as Markdown."""
    outcome, when = _outcome(repo, at)
    loaded = outcome.loaded
    launch = loaded.checklist.launch
    out = [
        f"# Launch packet — {launch.name}",
        "",
        f"Network {launch.network} · release {launch.release_tag} · state as of {format_time(when)}",
        f"Decision computed: **{'GO' if outcome.go else 'NO-GO'}** · manifest SHA-256 `{outcome.manifest_sha256}`",
        f"· scorecard SHA-256 `{outcome.readiness.digest()}`",
        "",
        "Verify with no Python at all, in an archive made by `gate archive`: `sha256sum -c SHA256SUMS` checks",
        f"every file against the archive's own list; `sha256sum -c {MANIFEST_SUMS}` checks the evidence against",
        f"the manifest, and `sha256sum {MANIFEST_SUMS}` must print the manifest digest above.",
        "",
    ]
    out += _packet_scorecard(outcome) + _packet_artifacts(loaded) + _packet_commands(repo, loaded)
    out += _packet_meeting(loaded)
    return "\n".join(out) + "\n"


def _packet_scorecard(outcome: Outcome) -> list[str]:
    out = ["## Scorecard", ""]
    if outcome.blocking:
        out += ["Blocking:", ""] + [f"- {_cell(b)}" for b in outcome.blocking] + [""]
    out += ["| State | P | Item | Title |", "| --- | --- | --- | --- |"]
    out += [f"| {i.state} | {i.priority} | `{i.id}` | {_cell(i.title)} |" for i in outcome.readiness.items]
    out += ["", "| Area | Status | Fresh | Approver | Evidence digest |", "| --- | --- | --- | --- | --- |"]
    out += [
        f"| {s.name} | {s.status} | {'yes' if s.fresh else 'no'} | {s.approver or '-'} | `{s.current_digest}` |"
        for s in outcome.readiness.signoffs
    ]
    return [*out, ""]


def _packet_artifacts(loaded: Loaded) -> list[str]:
    out = ["## Artifacts", "", "| Id | Path | SHA-256 | Size | Captured at |", "| --- | --- | --- | --- | --- |"]
    for a in sorted(loaded.manifest.artifacts, key=lambda a: a.path):
        out.append(f"| `{a.id}` | `{_cell(a.path)}` | `{a.sha256}` | {a.size} | {format_time(a.captured_at)} |")
    return [*out, ""]


def _packet_commands(repo: Path, loaded: Loaded) -> list[str]:
    out = ["## Captured commands", ""]
    for c in sorted(loaded.manifest.commands, key=lambda c: c.id):
        out += _one_command(repo, loaded, c)
    return out if loaded.manifest.commands else [*out, "None.", ""]


def _one_command(repo: Path, loaded: Loaded, c: Command) -> list[str]:
    seconds = (c.ended_at - c.started_at).total_seconds()
    return [
        f"### `{c.id}`",
        "",
        f"- argv: `{_cell(shlex.join(c.argv))}` (cwd `{c.cwd}`)",
        f"- exit code: {c.exit_code}",
        f"- started {format_time(c.started_at)}, ended {format_time(c.ended_at)} ({seconds:.0f} s)",
        "",
        "stdout:",
        "",
        _excerpt(repo, loaded, c.stdout),
        "",
        "stderr:",
        "",
        _excerpt(repo, loaded, c.stderr),
        "",
    ]


def _packet_meeting(loaded: Loaded) -> list[str]:
    out = ["## Go/no-go meeting record", ""]
    if not loaded.decisions:
        return [*out, "No decision recorded yet.", ""]
    file, d = loaded.decisions[-1]
    out += [
        f"- record: `{file}` — **{d.decision}**, window {d.window or '-'}, release tag {d.release_tag}",
        f"- held {format_time(d.meeting.date)}; decided {format_time(d.decided_at)}",
        f"- taken on scorecard `{d.scorecard_sha256}` and manifest `{d.manifest_sha256}`",
        "",
        "| Role | Login |",
        "| --- | --- |",
    ]
    out += [f"| {a.role} | {a.login} |" for a in d.meeting.attendees]
    return [*out, ""]


def write_packet(repo: Path, out: str | None, at: datetime | None) -> str:
    """Write the packet where checklist.yaml says (or `out`); returns the repository-relative path."""
    loaded, _ = load_valid(repo)
    rel = out or loaded.checklist.packet.location
    try:
        target = resolve_inside(repo, rel)
    except ValueError as exc:
        raise UsageError(f"packet path: {exc}") from None
    write_atomic(target, render_packet(repo, at))
    return rel


# ---- archive -----------------------------------------------------------------------------------------


def archive_members(repo: Path, loaded: Loaded) -> list[str]:
    """Every file an auditor needs: launch files, schemas, and every artifact, sorted."""
    names = {CHECKLIST, MANIFEST}
    for folder in (SIGNOFFS, DECISIONS, "schemas"):
        base = repo / folder
        if base.is_dir():
            names |= {f"{folder}/{p.name}" for p in base.iterdir() if p.is_file() and not p.name.startswith(".")}
    names |= {a.path for a in loaded.manifest.artifacts}
    return sorted(names, key=lambda n: n.encode("utf-8"))


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_archive(repo: Path) -> bytes:
    """A reproducible .tar.gz: fixed order, mtimes, owners and modes; gzip header without a time."""
    loaded, _ = load_valid(repo)
    files = {name: resolve_inside(repo, name).read_bytes() for name in archive_members(repo, loaded)}
    files[ARCHIVE_PACKET] = render_packet(repo).encode("utf-8")  # as of the latest decision: reproducible
    files[MANIFEST_SUMS] = sha256sums(loaded.manifest.artifacts).encode("utf-8")
    ordered = sorted(files, key=lambda n: n.encode("utf-8"))
    sums = "".join(f"{sha256_bytes(files[n])}  {n}\n" for n in ordered)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tarinfo(SUMS, len(sums.encode())), io.BytesIO(sums.encode()))
        for name in ordered:
            tar.addfile(_tarinfo(name, len(files[name])), io.BytesIO(files[name]))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def write_archive(repo: Path, out: Path) -> str:
    """Write the archive; returns its SHA-256."""
    data = build_archive(repo)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return sha256_bytes(data)


# ---- verify ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Whether an archived (or tagged) launch's recorded decision still holds, and every reason."""

    holds: bool
    decision: RecordedDecision | None
    problems: list[str]


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    problems, members = [], []
    for m in tar.getmembers():
        name = PurePosixPath(m.name)
        if name.is_absolute() or ".." in name.parts:
            problems.append(f"{m.name}: member would be written outside the folder")
        elif m.issym() or m.islnk():
            problems.append(f"{m.name}: links are refused in a launch archive")
        elif not (m.isfile() or m.isdir()):
            problems.append(f"{m.name}: only files and folders are allowed")
        else:
            members.append(m)
    if problems:
        raise GateFailed("archive refused:\n  " + "\n  ".join(problems))
    return members


def _check_sums(folder: Path) -> list[str]:
    sums = folder / SUMS
    if not sums.is_file():
        return [f"{SUMS} is missing from the archive"]
    problems, listed = [], set()
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed.add(name)
        path = folder / name
        if check_relative(name):
            problems.append(f"{name}: listed in {SUMS} with a path that leaves the archive")
        elif not path.is_file():
            problems.append(f"{name}: listed in {SUMS} but missing")
        elif sha256_file(path).hex != digest:
            problems.append(f"{name}: SHA-256 does not match {SUMS}")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    problems += [f"{n}: present but not listed in {SUMS}" for n in sorted(present - listed - {SUMS})]
    return problems


def _check_archive_extras(folder: Path, loaded: Loaded) -> list[str]:
    """What only an archive carries must agree with the launch it was made from."""
    problems = []
    listing = folder / MANIFEST_SUMS
    if not listing.is_file() or listing.read_text(encoding="utf-8") != sha256sums(loaded.manifest.artifacts):
        problems.append(f"{MANIFEST_SUMS} is missing or does not list the manifest's artifacts")
    packet = folder / ARCHIVE_PACKET
    if not packet.is_file() or packet.read_text(encoding="utf-8") != render_packet(folder):
        problems.append(f"{ARCHIVE_PACKET} is missing or differs from the packet of the archived launch")
    return problems


def verify_folder(folder: Path, archive: bool = True) -> Verdict:
    """Re-run the whole gate on an unpacked launch and judge its recorded decision.

    An archive must also carry a SHA256SUMS that matches every file, a MANIFEST.SHA256SUMS equal to
    the manifest's listing, and the packet of exactly this launch; a git tag carries none of these.
    """
    problems = _check_sums(folder) if archive else []
    loaded, checks, errors = prepare(folder)
    if loaded is None:
        return Verdict(False, None, problems + [str(e) for e in errors])
    problems += _check_archive_extras(folder, loaded) if archive else []
    outcome = evaluate(loaded, checks, packet_time(loaded))
    problems += [f"integrity: {c.artifact.path}: {c.problem}" for c in checks.values() if c.problem]
    recorded = judge_decision(outcome)
    if recorded is None:
        problems.append("no decision is recorded: there is nothing to verify")
    elif not recorded.holds:
        problems += recorded.reasons
    return Verdict(not problems, recorded, problems)


def verify_archive(archive: Path) -> Verdict:
    """Unpack into a temporary folder (refusing members that escape it, links included) and verify."""
    try:
        with tarfile.open(archive, mode="r:*") as tar, tempfile.TemporaryDirectory(prefix="gate-verify-") as tmp:
            tar.extractall(tmp, members=_safe_members(tar), filter="data")
            return verify_folder(Path(tmp))
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise UsageError(f"{archive}: not a readable archive ({exc})") from None


def verify_tag(repo: Path, tag: str) -> Verdict:
    """Verify the launch as committed at a git tag (offline: `git archive` of the local tag)."""
    with tempfile.TemporaryDirectory(prefix="gate-verify-") as tmp:
        result = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", tag], capture_output=True, check=False
        )
        if result.returncode:
            raise UsageError(f"git archive {tag}: {result.stderr.decode(errors='replace').strip()}")
        with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
            tar.extractall(tmp, members=_safe_members(tar), filter="data")
        return verify_folder(Path(tmp), archive=False)
