"""Text for a person, one renderer per command result (the scorecard has its own module)."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass

from gate.commands.archive import ArchiveWritten
from gate.commands.checklist import ChecklistEdited, UnfilledReport
from gate.commands.codeowners import LintReport, OwnersReport
from gate.commands.comment import CommentPosted
from gate.commands.comms import DraftResult
from gate.commands.decide import DecisionRecorded
from gate.commands.evidence import EvidenceListing, EvidenceRecorded, EvidenceRemoved
from gate.commands.init import Scaffolded
from gate.commands.packet import PacketWritten
from gate.commands.rollback import RulesFile
from gate.commands.schema import SchemaSync
from gate.commands.signoff import SignoffRecorded
from gate.commands.verify import AuditReport
from gate.github.approvals import ApprovalsReport
from gate.github.doctor import Diagnosis
from gate.github.judge import JudgeResult
from gate.github.release import ReleaseResult
from gate.model.base import format_time
from gate.report.status import StatusReport, status, terminal_width
from gate.rollback.watch import ConditionState, CriterionState, WatchResult


@dataclass(frozen=True)
class Completion:
    """`gate completion SHELL`: the script that completes gate's commands and options in that shell."""

    shell: str
    script: str


@functools.singledispatch
def text(result: object) -> str:
    """`result` as a person reads it."""
    raise TypeError(f"no text form for {type(result).__name__}")


@text.register
def _evidence(result: EvidenceRecorded) -> str:
    lines = [f"warning: {w}" for w in result.warnings] + [f"recorded: {', '.join(result.ids)}"]
    if result.stale:
        lines.append(f"now stale (approved for different evidence): {', '.join(result.stale)} — re-approval needed")
    if result.command_exit:
        lines.append(f"the command exited {result.command_exit}: recorded as failing evidence for {result.item}")
    return "\n".join(lines) + "\n"


@text.register
def _signoff(result: SignoffRecorded) -> str:
    return f"{result.file}: {result.status} by {result.approver} for evidence digest {result.area_digest}\n"


@text.register
def _decision(result: DecisionRecorded) -> str:
    if not result.written:
        return f"# {result.file} (dry run: not written)\n{result.text}"
    return "".join([f"{result.file}: {result.decision}\n", *(f"  - {r}\n" for r in result.reasons)])


@text.register
def _packet(result: PacketWritten) -> str:
    return f"wrote {result.path}\n"


@text.register
def _archive(result: ArchiveWritten) -> str:
    return f"{result.sha256}  {result.path}\n"


@text.register
def _audit(result: AuditReport) -> str:
    lines = [f"  - {p}" for p in result.problems]
    rd = result.decision
    said = f"{rd.decision} recorded in {rd.file} at {format_time(rd.decided_at)}" if rd else "no decision"
    lines.append(f"{'HOLDS' if result.holds else 'DOES NOT HOLD'}: {said}")
    return "\n".join(lines) + "\n"


@text.register
def _scaffolded(result: Scaffolded) -> str:
    lines = [f"created {result.target}/{rel}" for rel in result.created]
    lines.append(f"template: {result.template}")
    lines.append(f"next: cd {result.target} && gate status")
    return "\n".join(lines) + "\n"


@text.register
def _schemas(result: SchemaSync) -> str:
    if result.checked:
        return "".join(
            f"{rel}: out of date with the models (run `gate schema` to regenerate)\n" for rel in result.stale
        )
    return "".join(f"wrote {rel}\n" for rel in result.written)


@text.register
def _owners(result: OwnersReport) -> str:
    lines = []
    for m in result.paths:
        where = f"{result.file}:{m.line}" if m.line else "no rule"
        lines.append(f"{m.path}: {' '.join(m.owners) or '(no owners)'}  ({where})")
    return "\n".join(lines) + ("\n" if lines else "")


@text.register
def _lint(result: LintReport) -> str:
    lines = [f"{result.file}:{p.line}:{p.column}: {p.message}" for p in result.problems]
    lines.append(f"{result.file}: {len(result.problems)} problem(s)")
    return "\n".join(lines) + "\n"


@text.register
def _approvals(report: ApprovalsReport) -> str:
    pr, result = report.pr, report.result
    lines = [
        f"PR #{pr.number} by @{pr.author} at {pr.head_sha[:12]} (rules from {report.branch} at {report.rules_sha[:12]})"
    ]
    if report.membership_source == "roster":
        lines.append("team membership: from the roster in checklist.yaml (no organisation-reading token given)")
    for area in result.areas:
        if area.required:
            state = "ok" if area.satisfied else "NEEDS"
            lines.append(f"  {area.area:<20} {state:<6} {area.needs or 'approved by ' + ', '.join(area.approvers)}")
    lines += [f"  freeze: {r}" for r in report.freeze.reasons]
    lines += [f"  - {b}" for b in (*report.refusals, *result.blocking)]
    lines.append("approvals: satisfied" if report.satisfied else "approvals: NOT satisfied")
    return "\n".join(lines) + "\n"


@text.register
def _release(result: ReleaseResult) -> str:
    if not result.released:
        return f"gate: nothing released at {result.sha[:12]}: {result.note}\n"
    lines = [f"gate: GO at {result.sha[:12]}, recorded in {result.decision_file}, holds"]
    if result.pull_request is not None:
        who = ", ".join(f"{area} by @{login}" for area, login in result.quorum)
        lines.append(f"decision PR #{result.pull_request}: quorum re-verified as merged ({who})")
    for p in result.tags:
        done = "created" if p.outcome == "created" else f"already there on {result.sha[:12]}, nothing to do"
        lines.append(f"tag {result.tag} at {p.where}: {done}")
    if result.release == "created":
        lines.append(f"release {result.tag}: created (id {result.release_id}) with the launch packet")
    elif result.release == "exists":
        lines.append(f"release {result.tag}: already exists on GitHub, left unchanged")
    return "\n".join(lines) + "\n"


@text.register
def _watch(result: WatchResult) -> str:
    """One line per criterion (state, id, values, thresholds), what is in doubt, then the verdict."""
    lines = [f"{result.at:%Y-%m-%d %H:%M:%S} UTC  {result.prometheus}"]
    for c in result.criteria:
        lines.append(f"  {c.state:<8} {c.id:<24} {_values(c):<12} {'; '.join(k.threshold for k in c.conditions)}")
        lines += [f"           {line}" for k in c.conditions for line in _condition_lines(k)]
        lines += [f"           cannot tell: {r}" for r in c.reasons]
        lines += [f"           counted as zero while missing: {m.series}" for m in c.missing if not m.required]
    lines.append(f"verdict: {result.verdict}")
    if result.recorded:
        lines.append(f"recorded: {result.recorded} (ROLLBACK: `gate check` is NO-GO from now on)")
    if result.not_recorded:
        lines.append(f"NOT RECORDED: {result.not_recorded}")
        lines.append(f"  fix that, then: gate rollback watch --record --at {format_time(result.at)} …")
    if result.status_update:
        lines += ["status update draft:", f"  {result.status_update}"]
    return "\n".join(lines) + "\n"


def _values(c: CriterionState) -> str:
    shown = [f"{s.value:.4g}" if s.value is not None else "NaN" for k in c.conditions for s in k.series]
    return ", ".join(shown) or "-"


def _condition_lines(k: ConditionState) -> list[str]:
    out = list(k.notes)
    if k.recovered_at and k.clears_at:
        fmt = "%Y-%m-%d %H:%M:%S UTC"
        out.append(
            f"{k.signal}: recovered at {k.recovered_at:{fmt}}, clears at {k.clears_at:{fmt}}"
            " (the criterion holds for its window after the last breach)"
        )
    return out


@text.register
def _rules(result: RulesFile) -> str:
    """The rule file itself, or (written to a file) where it went and what each criterion needs."""
    if result.path is None:
        return result.text
    lines = [f"wrote {result.path}"]
    lines += [f"  {c.id}: scrape {c.scrape_interval}" for c in result.criteria]
    return "\n".join(lines) + "\n"


@text.register
def _draft(result: DraftResult) -> str:
    """Each template's text under its id; the recording and any sign-off it made stale."""
    lines = [f"{d.id}: {d.text}" for d in result.drafts]
    rec = result.recorded
    if rec is not None:
        what = "recorded" if rec.changed else "already recorded, unchanged"
        lines.append(f"{what}: {rec.path} as evidence {rec.id} for {rec.item}")
        if rec.stale:
            lines.append(f"now stale (approved for different evidence): {', '.join(rec.stale)} — re-approval needed")
    return "\n".join(lines) + "\n"


@text.register
def _judged(result: JudgeResult) -> str:
    lines = [f"gate github judge ({result.trigger})"]
    for v in result.verdicts:
        where = f"#{v.number} at {v.sha[:12]}"
        if not v.posted:
            lines.append(f"  {where}: nothing posted ({v.note})")
            continue
        for run in (v.check, v.approvals):
            lines.append(f"  {where}: {run.name}: {run.conclusion} - {run.title}")
    lines += [f"  {reason}" for reason in result.skipped]
    return "\n".join(lines) + "\n"


@text.register
def _diagnosis(result: Diagnosis) -> str:
    lines = [f"  - {finding}" for finding in result.findings]
    lines.append(f"{len(result.findings)} missing protection(s)" if result.findings else "every protection is in place")
    return "\n".join(lines) + "\n"


@text.register
def _comment(result: CommentPosted) -> str:
    return f"scorecard comment on #{result.pull_request} updated ({result.decision})\n"


@text.register
def _checklist_edited(result: ChecklistEdited) -> str:
    lines = [f"{result.file}: {change}" for change in result.changes]
    if result.stale:
        lines.append(f"now stale (the area's policy changed): {', '.join(result.stale)} — re-approval needed")
    return "\n".join(lines) + "\n"


@text.register
def _unfilled(result: UnfilledReport) -> str:
    lines = [
        f"{u.file}:{u.line}:{u.column}: unfilled placeholder {u.text}   → {u.command}" for u in result.placeholders
    ]
    lines.append(f"{len(result.placeholders)} value(s) left to fill in")
    return "\n".join(lines) + "\n"


@text.register
def _status(result: StatusReport) -> str:
    return status(result, terminal_width() if sys.stdout.isatty() else None)


@text.register
def _listing(result: EvidenceListing) -> str:
    lines = []
    for e in result.entries:
        what = f"{e.path}  {e.sha256}  {e.size} bytes" if e.kind == "artifact" else "captured command"
        changed = f"  CHANGED since {', '.join(e.stales)} approved" if e.stales else ""
        lines.append(f"{e.id}  {what}  items: {', '.join(e.items) or '-'}  areas: {', '.join(e.areas) or '-'}{changed}")
    lines.append(f"{len(result.entries)} entr{'y' if len(result.entries) == 1 else 'ies'}")
    return "\n".join(lines) + "\n"


@text.register
def _removed(result: EvidenceRemoved) -> str:
    lines = [f"removed from the manifest: {', '.join(result.ids)}"]
    if result.kept_files:
        lines.append(f"the files stay on disk: {', '.join(result.kept_files)} (git rm them if they should go)")
    if result.stale:
        lines.append(f"now stale (approved for different evidence): {', '.join(result.stale)} — re-approval needed")
    return "\n".join(lines) + "\n"


@text.register
def _completion(result: Completion) -> str:
    return result.script
