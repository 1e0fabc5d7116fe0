"""`gate packet`: the launch packet (seed H, I) as Markdown — every artifact, command, the scorecard, the meeting."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gate.decision import Evaluation, evaluate
from gate.edit import write_atomic
from gate.errors import UsageError
from gate.evidence.digests import sha256_text
from gate.launch import Checks, load_valid
from gate.load import Loaded
from gate.model import Command
from gate.model.base import format_time
from gate.outputs import refuse_launch_file
from gate.paths import PathEscape, read_head, resolve_inside

EXCERPT_BYTES = 2048
# Named in the packet's text; the archive writes them (gate.commands.archive).
SUMS = "SHA256SUMS"
MANIFEST_SUMS = "MANIFEST.SHA256SUMS"


def _evaluation(repo: Path, at: datetime | None, prepared: tuple[Loaded, Checks] | None) -> Evaluation:
    loaded, checks = prepared or load_valid(repo)
    return evaluate(loaded, checks, at or packet_time(loaded))


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
    raw = read_head(repo, artifact.path, EXCERPT_BYTES)
    text = raw.decode("utf-8", errors="replace").rstrip("\n")
    more = " (excerpt)" if artifact.size > EXCERPT_BYTES else ""
    return f"```text\n{text}\n```{more}" if text else "(empty)"


def render_packet(repo: Path, at: datetime | None = None, prepared: tuple[Loaded, Checks] | None = None) -> str:
    """The launch packet (seed H, I) as Markdown; `prepared` when the caller has loaded it already."""
    evaluation = _evaluation(repo, at, prepared)
    loaded, when = evaluation.loaded, evaluation.at
    launch = loaded.checklist.launch
    out = [
        f"# Launch packet — {launch.name}",
        "",
        f"Network {launch.network} · release {launch.release_tag} · state as of {format_time(when)}",
        f"Decision computed: **{'GO' if evaluation.go else 'NO-GO'}** · manifest SHA-256"
        f" `{evaluation.manifest_sha256}` · scorecard SHA-256 `{evaluation.scorecard_sha256}`",
        "",
        "Verify with no Python at all, in an archive made by `gate archive`: `sha256sum -c SHA256SUMS` checks",
        f"every file against the archive's own list; `sha256sum -c {MANIFEST_SUMS}` checks the evidence against",
        f"the manifest, and `sha256sum {MANIFEST_SUMS}` must print the manifest digest above.",
        "",
    ]
    out += _packet_scorecard(evaluation) + _packet_artifacts(loaded) + _packet_commands(repo, loaded)
    out += _packet_meeting(evaluation)
    return "\n".join(out) + "\n"


def _packet_scorecard(evaluation: Evaluation) -> list[str]:
    out = ["## Scorecard", ""]
    if evaluation.blocking:
        out += ["Blocking:", ""] + [f"- {_cell(b)}" for b in evaluation.blocking] + [""]
    out += ["| State | P | Item | Title |", "| --- | --- | --- | --- |"]
    out += [f"| {i.state} | {i.priority} | `{i.id}` | {_cell(i.title)} |" for i in evaluation.readiness.items]
    out += ["", "| Area | Status | Fresh | Approver | Evidence digest |", "| --- | --- | --- | --- | --- |"]
    out += [
        f"| {s.name} | {s.status} | {'yes' if s.fresh else 'no'} | {s.approver or '-'} | `{s.current_digest}` |"
        for s in evaluation.readiness.signoffs
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


def _packet_meeting(evaluation: Evaluation) -> list[str]:
    out = ["## Go/no-go meeting record", ""]
    if evaluation.in_force is None:
        return [*out, "No decision recorded yet.", ""]
    file, d = evaluation.in_force
    if d.meeting is None:  # a ROLLBACK: recorded when a criterion fired, not by a meeting
        return [*out, f"- record: `{file}` — **{d.decision}** at {format_time(d.decided_at)}", *_bullets(d.reasons), ""]
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


def _bullets(lines: list[str]) -> list[str]:
    return [f"- {_cell(line)}" for line in lines]


@dataclass(frozen=True)
class PacketWritten:
    """Where the packet went, and the SHA-256 of what was written."""

    path: str
    sha256: str


def write_packet(repo: Path, out: Path | None, at: datetime | None) -> PacketWritten:
    """Write the packet to `out` (any path; relative to the current folder), else where checklist.yaml
    says (relative to the repository). A launch file or registered artifact is never overwritten: that
    would change the launch, or the evidence under a decision and stale its area."""
    loaded, checks = load_valid(repo)
    if out is None:
        try:
            target = resolve_inside(repo, loaded.checklist.packet.location)
        except PathEscape as exc:
            raise UsageError(f"packet.location: {exc}") from None
    else:
        target = out.resolve()
    refuse_launch_file(repo, loaded, target, writing="the packet", elsewhere="with --out FILE")
    text = render_packet(repo, at, prepared=(loaded, checks))  # loaded and hashed once
    write_atomic(target, text)
    shown = target.relative_to(repo.resolve()).as_posix() if target.is_relative_to(repo.resolve()) else str(target)
    return PacketWritten(shown, sha256_text(text))
