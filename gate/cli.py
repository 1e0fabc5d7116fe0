"""The command line: arguments -> request -> core -> reporter -> exit code. Only this module prints."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from gate import __version__
from gate.errors import GateError, InputErrors, UsageError

Handler = Callable[[argparse.Namespace], int]
# Named here, not imported from gate.report, so building the parser never imports the models:
# `gate evidence verify` must not pay for pydantic.
FORMATS = ("text", "json", "markdown", "github")


def _time(text: str) -> datetime:
    from gate.model.base import parse_time

    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", type=Path, default=Path("."), help="launch repository (default: current folder)")


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def cmd_check(args: argparse.Namespace) -> int:
    from gate.commands.check import CheckRequest, run_check
    from gate.report.scorecard import render

    card = run_check(CheckRequest(repo=args.repo, at=args.at, require_go=args.require_go))
    _out(render(card, args.format))
    return card.exit_code


def cmd_schema(args: argparse.Namespace) -> int:
    from gate.commands import schema as schemas

    if args.check:
        stale = schemas.stale(args.repo)
        for rel in stale:
            _out(f"{rel}: out of date with the models (run `gate schema` to regenerate)\n")
        return 1 if stale else 0
    for rel in schemas.write(args.repo):
        _out(f"wrote {rel}\n")
    return 0


def _report_recorded(rec: object) -> None:
    from gate.commands.evidence import Recorded

    assert isinstance(rec, Recorded)
    _out(f"recorded: {', '.join(rec.ids)}\n")
    if rec.stale:
        _out(f"now stale (approved for different evidence): {', '.join(rec.stale)} — re-approval needed\n")


def cmd_evidence_add(args: argparse.Namespace) -> int:
    from gate.commands.evidence import add

    _report_recorded(add(args.repo, args.paths, args.item, args.id, args.area or []))
    return 0


def cmd_evidence_capture(args: argparse.Namespace) -> int:
    from gate.commands.evidence import capture

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise UsageError("give the command to run after --")

    def echo(stream: str, chunk: bytes) -> None:
        target = sys.stdout if stream == "stdout" else sys.stderr
        target.buffer.write(chunk)
        target.flush()

    rec = capture(args.repo, argv, args.item, args.id, echo)
    _report_recorded(rec)
    if rec.exit_code:
        _out(f"the command exited {rec.exit_code}: recorded as failing evidence for {args.item}\n")
    return 1 if rec.exit_code else 0


def _progress_bar(done: int, total: int) -> None:
    if total < 64 * 1024 * 1024:
        return  # short work: a bar would only flicker
    width = 40
    filled = width * done // total
    sys.stderr.write(f"\rverifying [{'#' * filled}{'.' * (width - filled)}] {100 * done // total:3d}%")
    sys.stderr.flush()


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    from gate.evidence.quick import verify_hashes

    show = sys.stderr.isatty() and not os.environ.get("CI")
    result = verify_hashes(args.repo, _progress_bar if show else None)
    if show:
        sys.stderr.write("\r\033[K")
    for line in result.failures:
        _out(line + "\n")
    _out(f"{result.count} artifact(s), {result.bytes} bytes: {'OK' if not result.failures else 'FAILED'}\n")
    return 1 if result.failures else 0


def cmd_signoff(args: argparse.Namespace) -> int:
    from gate.commands.signoff import Finding, signoff

    if len(args.finding) != len(args.owner):
        raise UsageError("give one --owner per --finding")
    findings = [Finding(text, owner) for text, owner in zip(args.finding, args.owner, strict=True)]
    verdict: Literal["approved", "rejected"] = "approved" if args.approve else "rejected"
    at = args.at or datetime.now(UTC)
    digest = signoff(args.repo, args.area, verdict, args.by, at, findings, args.pr)
    _out(f"signoffs/{args.area}.yaml: {verdict} by {args.by} for evidence digest {digest}\n")
    return 0


def _attendee(text: str) -> tuple[str, str]:
    role, sep, login = text.partition("=")
    if not sep or not role or not login:
        raise argparse.ArgumentTypeError(f"expected ROLE=LOGIN, got {text!r}")
    return role, login.removeprefix("@")


def cmd_decide(args: argparse.Namespace) -> int:
    from gate.commands.decide import decide

    at = args.at or datetime.now(UTC)
    name, decision = decide(args.repo, args.decision, args.window, args.attendee, at)
    _out(f"{name}: {decision.decision}\n")
    for reason in decision.reasons:
        _out(f"  - {reason}\n")
    return 0


def cmd_packet(args: argparse.Namespace) -> int:
    from gate.commands.packet import write_packet

    _out(f"wrote {write_packet(args.repo, args.out, args.at)}\n")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from gate.commands.archive import write_archive

    digest = write_archive(args.repo, args.out)
    _out(f"{digest}  {args.out}\n")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from gate.commands.verify import verify_archive, verify_tag

    if (args.archive is None) == (args.tag is None):
        raise UsageError("give an ARCHIVE or --tag TAG")
    verdict = verify_tag(args.repo, args.tag) if args.tag else verify_archive(args.archive)
    for problem in verdict.problems:
        _out(f"  - {problem}\n")
    rd = verdict.decision
    said = f"{rd.decision} recorded in {rd.file} at {rd.decided_at:%Y-%m-%dT%H:%M:%SZ}" if rd else "no decision"
    _out(f"{'HOLDS' if verdict.holds else 'DOES NOT HOLD'}: {said}\n")
    return 0 if verdict.holds else 1


def cmd_init(args: argparse.Namespace) -> int:
    from gate.commands.init import init

    for rel in init(args.dir, args.name, args.network, args.org):
        _out(f"created {args.dir / rel}\n")
    _out(f"next: cd {args.dir} && gate check\n")
    return 0


def _client(args: argparse.Namespace) -> Any:
    from gate.github.client import PyGithubClient
    from gate.github.event import repository

    token = os.environ.get("GATE_ORG_TOKEN") or os.environ.get("GITHUB_TOKEN")
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    return PyGithubClient(args.github or repository(), token, base_url=base)


def _membership(args: argparse.Namespace) -> Literal["api", "roster"]:
    """Team membership from the API only with an organisation-reading token; else the roster."""
    chosen: Literal["api", "roster"] = args.membership or ("api" if os.environ.get("GATE_ORG_TOKEN") else "roster")
    return chosen


def cmd_approvals(args: argparse.Namespace) -> int:
    from gate.github.approvals import check_pull_request
    from gate.github.event import pull_request_number

    number = args.pr or pull_request_number()
    report = check_pull_request(_client(args), number, _membership(args), args.at or datetime.now(UTC))
    _out(_approvals_text(report))
    return 0 if report.satisfied else 1


def _approvals_text(report: Any) -> str:
    from gate.github.approvals import ApprovalsReport

    assert isinstance(report, ApprovalsReport)
    pr, result = report.pr, report.result
    lines = [f"PR #{pr.number} by @{pr.author} at {pr.head_sha[:12]} (rules from base {pr.base_sha[:12]})"]
    if report.membership_source == "roster":
        lines.append("team membership: from the roster in checklist.yaml (no organisation-reading token given)")
    for area in result.areas:
        if area.required:
            state = "ok" if area.satisfied else "NEEDS"
            lines.append(f"  {area.area:<20} {state:<6} {area.needs or 'approved by ' + ', '.join(area.approvers)}")
    lines += [f"  freeze: {r}" for r in report.freeze.reasons]
    lines += [f"  - {b}" for b in result.blocking]
    lines.append("approvals: satisfied" if report.satisfied else "approvals: NOT satisfied")
    return "\n".join(lines) + "\n"


def cmd_comment(args: argparse.Namespace) -> int:
    from gate.commands.check import CheckRequest, run_check
    from gate.github.event import pull_request_number
    from gate.report.scorecard import STICKY_MARKER, render

    card = run_check(CheckRequest(repo=args.repo))
    number = args.pr or pull_request_number()
    _client(args).upsert_comment(number, STICKY_MARKER, render(card, "markdown"))
    _out(f"scorecard comment on #{number} updated ({card.decision})\n")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from gate.github.event import pushed_commit
    from gate.github.release import ReleaseRequest, release

    sha = args.sha or (pushed_commit() if os.environ.get("GITHUB_EVENT_PATH") else None)
    source = _membership(args)
    request = ReleaseRequest(
        repo=args.repo,
        sha=sha,
        remote=args.remote,
        client=_client(args) if args.github else None,
        github=args.github,
        membership=source,
        packet=args.packet,
        archive=args.archive,
    )
    _out(_release_text(release(request)))
    return 0


def _release_text(result: Any) -> str:
    from gate.github.release import ReleaseResult

    assert isinstance(result, ReleaseResult)
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


def cmd_codeowners(args: argparse.Namespace) -> int:
    import json

    from gate.github.codeowners import Codeowners, find_codeowners, lint

    def read(rel: str) -> str | None:
        path = args.repo / rel
        return path.read_text(encoding="utf-8") if path.is_file() else None

    found = find_codeowners(read)
    if found is None:
        raise UsageError("no CODEOWNERS in .github/, the root or docs/")
    co = Codeowners.parse(found[1], found[0])
    if args.action == "owners":
        matches = [co.match(p) for p in args.paths]
        if args.format == "json":
            rows = [
                {"path": m.path, "owners": list(m.owners), "line": m.rule.line if m.rule else None} for m in matches
            ]
            _out(json.dumps(rows, indent=2) + "\n")
        for m in matches if args.format == "text" else []:
            where = f"{found[0]}:{m.rule.line}" if m.rule else "no rule"
            _out(f"{m.path}: {' '.join(m.owners) or '(no owners)'}  ({where})\n")
        return 0
    from gate.launch import load_valid

    loaded, _ = load_valid(args.repo)
    problems = lint(co, {a.id: a.team for a in loaded.checklist.areas})
    for p in problems:
        _out(f"{found[0]}:{p.line}:{p.column}: {p.message}\n")
    _out(f"{found[0]}: {len(problems)} problem(s)\n")
    return 1 if problems else 0


def cmd_rollback_rules(args: argparse.Namespace) -> int:
    from gate.commands.rollback import RulesRequest, rules
    from gate.report.rollback import rules_text

    result = rules(RulesRequest(repo=args.repo, out=args.out, match=args.match))
    _out(result.model_dump_json(indent=2) + "\n" if args.format == "json" else rules_text(result))
    return 0


def cmd_rollback_watch(args: argparse.Namespace) -> int:
    import time

    from gate.commands.rollback import Watcher, WatchRequest
    from gate.report.rollback import watch_text

    request = WatchRequest(
        repo=args.repo,
        prometheus=args.prometheus,
        at=args.at,
        timeout=args.timeout,
        match=args.match,
        record=args.record,
        template=args.template,
        variables=args.var,
    )
    watcher = Watcher(request)
    while True:
        result = watcher.once()
        _out(result.to_json() if args.format == "json" else watch_text(result))
        if args.once or args.at or result.exit_code != 0:
            return int(result.exit_code)
        time.sleep(args.interval)


def cmd_comms_draft(args: argparse.Namespace) -> int:
    from gate.commands.comms import DraftRequest, draft
    from gate.report.comms import draft_text

    request = DraftRequest(
        repo=args.repo,
        templates=args.templates,
        variables=args.var,
        record=args.record,
        replace=args.replace,
        item=args.item,
        id=args.id,
    )
    result = draft(request)
    _out(result.model_dump_json(indent=2) + "\n" if args.format == "json" else draft_text(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Every command and option."""
    parser = argparse.ArgumentParser(prog="gate", description="Decide whether a launch may go.")
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="validate every file, verify every hash, print the scorecard")
    _add_common(check)
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--require-go", action="store_true", help="exit 1 unless the launch is GO")
    check.add_argument("--at", type=_time, default=None, help="evaluate as of this UTC time")
    check.set_defaults(handler=cmd_check)

    schema = sub.add_parser("schema", help="write schemas/*.schema.json from the models")
    _add_common(schema)
    schema.add_argument("--check", action="store_true", help="exit 1 if a schema file is out of date")
    schema.set_defaults(handler=cmd_schema)

    _evidence_parsers(sub)

    so = sub.add_parser("signoff", help="approve or reject an area, pinning its current evidence digest")
    _add_common(so)
    so.add_argument("area")
    verdict = so.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    so.add_argument("--by", required=True, metavar="LOGIN", help="the approver's GitHub login")
    so.add_argument("--finding", action="append", default=[], metavar="TEXT")
    so.add_argument("--owner", action="append", default=[], metavar="ROLE", help="remediation owner per --finding")
    so.add_argument("--pr", type=int, default=None, help="the pull request that carries this sign-off")
    so.add_argument("--at", type=_time, default=None)
    so.set_defaults(handler=cmd_signoff)

    de = sub.add_parser("decide", help="write the go/no-go decision record for the current state")
    _add_common(de)
    de.add_argument("--decision", choices=("GO", "NO-GO"), default=None, help="default: what the gate computes")
    de.add_argument("--window", choices=("primary", "backup"), default=None)
    de.add_argument("--attendee", type=_attendee, action="append", default=[], metavar="ROLE=LOGIN")
    de.add_argument("--at", type=_time, default=None)
    de.set_defaults(handler=cmd_decide)

    pk = sub.add_parser("packet", help="write the launch packet (Markdown) where checklist.yaml says")
    _add_common(pk)
    pk.add_argument("--out", default=None, help="repository-relative path (default: packet.location)")
    pk.add_argument("--at", type=_time, default=None, help="state as of (default: the latest decision)")
    pk.set_defaults(handler=cmd_packet)

    ar = sub.add_parser("archive", help="write a reproducible .tar.gz of the launch with SHA256SUMS inside")
    _add_common(ar)
    ar.add_argument("out", type=Path, metavar="OUT.tar.gz")
    ar.set_defaults(handler=cmd_archive)

    ve = sub.add_parser("verify", help="offline: does the recorded decision of an archive or tag still hold?")
    _add_common(ve)
    ve.add_argument("archive", type=Path, nargs="?", default=None)
    ve.add_argument("--tag", default=None, help="verify the launch as committed at this git tag")
    ve.set_defaults(handler=cmd_verify)

    ap = sub.add_parser("approvals", help="are a pull request's CODEOWNER approvals, quorum and freeze satisfied?")
    _add_common(ap)
    ap.add_argument("--pr", type=int, default=None, help="default: from $GITHUB_EVENT_PATH")
    ap.add_argument("--github", default=None, metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    ap.add_argument(
        "--membership",
        choices=("api", "roster"),
        default=None,
        help="team membership source (default: api when $GATE_ORG_TOKEN is set, else the roster)",
    )
    ap.add_argument("--at", type=_time, default=None, help="judge the freeze as of this time")
    ap.set_defaults(handler=cmd_approvals)

    cm = sub.add_parser("comment", help="post or update the one sticky scorecard comment on a pull request")
    _add_common(cm)
    cm.add_argument("--pr", type=int, default=None)
    cm.add_argument("--github", default=None, metavar="OWNER/NAME")
    cm.set_defaults(handler=cmd_comment)

    rl = sub.add_parser("release", help="after a GO decision merged: re-verify it, then tag and release it")
    _add_common(rl)
    rl.add_argument("--sha", default=None, help="the merged commit (default: $GITHUB_EVENT_PATH's push, else HEAD)")
    rl.add_argument("--github", default=None, metavar="OWNER/NAME", help="re-verify the quorum, tag and release here")
    rl.add_argument("--remote", default=None, metavar="NAME", help="push the tag to this git remote")
    rl.add_argument(
        "--membership",
        choices=("api", "roster"),
        default=None,
        help="team membership source (default: api when $GATE_ORG_TOKEN is set, else the roster)",
    )
    rl.add_argument("--packet", type=Path, default=None, metavar="FILE", help="the packet `gate packet` wrote")
    rl.add_argument("--archive", type=Path, default=None, metavar="FILE", help="its digest goes in the release")
    rl.set_defaults(handler=cmd_release)

    co = sub.add_parser("codeowners", help="who owns a path; lint CODEOWNERS as GitHub reads it")
    _add_common(co)
    co.add_argument("action", choices=("owners", "lint"))
    co.add_argument("paths", nargs="*")
    co.add_argument("--format", choices=("text", "json"), default="text")
    co.set_defaults(handler=cmd_codeowners)

    _rollback_parsers(sub)
    _comms_parsers(sub)

    it = sub.add_parser("init", help="scaffold a new launch repository from this checklist")
    it.add_argument("dir", type=Path)
    it.add_argument("--name", required=True)
    it.add_argument("--network", required=True)
    it.add_argument("--org", default="my-org", help="GitHub organisation owning the area teams")
    it.set_defaults(handler=cmd_init)
    return parser


MATCH_HELP = "restrict one metric family, e.g. chain:chain_id=virtengine-1 (families: chain, application)"


def _rollback_parsers(sub: Any) -> None:
    rb = sub.add_parser("rollback", help="rollback criteria as Prometheus rules; watch them live").add_subparsers(
        dest="rollback_command", required=True, metavar="ACTION"
    )
    rr = rb.add_parser(
        "rules", help="write the criteria as a Prometheus rule group, with the scrape interval each needs"
    )
    _add_common(rr)
    rr.add_argument("--out", type=Path, default=None)
    rr.add_argument("--match", action="append", default=[], metavar="FAMILY:LABEL=VALUE", help=MATCH_HELP)
    rr.add_argument("--format", choices=("text", "json"), default="text")
    rr.set_defaults(handler=cmd_rollback_rules)
    rw = rb.add_parser(
        "watch", help="ask Prometheus whether any criterion holds (1 ROLLBACK, 0 healthy, 2 cannot tell)"
    )
    _add_common(rw)
    rw.add_argument("--prometheus", required=True, metavar="URL")
    rw.add_argument("--once", action="store_true", help="one evaluation, then exit")
    rw.add_argument("--interval", type=float, default=30.0, metavar="S", help="seconds between evaluations")
    rw.add_argument("--timeout", type=float, default=5.0)
    rw.add_argument("--at", type=_time, default=None, help="evaluate at this moment (implies --once)")
    rw.add_argument("--match", action="append", default=[], metavar="FAMILY:LABEL=VALUE", help=MATCH_HELP)
    rw.add_argument("--format", choices=("text", "json"), default="text")
    rw.add_argument("--record", action="store_true", help="on ROLLBACK, write the decision record into decisions/")
    rw.add_argument("--template", default="incident-update", help="status template rendered with --record")
    rw.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="a value for that template")
    rw.set_defaults(handler=cmd_rollback_watch)


def _comms_parsers(sub: Any) -> None:
    cm = sub.add_parser("comms", help="status-page drafts from the checklist's templates").add_subparsers(
        dest="comms_command", required=True, metavar="ACTION"
    )
    dr = cm.add_parser("draft", help="render status-page templates with this launch's values")
    _add_common(dr)
    dr.add_argument("templates", nargs="+", metavar="TEMPLATE", help="template id(s), e.g. scheduled-maintenance")
    dr.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="a value for a template variable")
    dr.add_argument("--record", action="store_true", help="register the drafts as the status-page evidence")
    dr.add_argument("--replace", action="store_true", help="with --record: replace drafts recorded before")
    dr.add_argument("--item", default="F-status-page", help="with --record: the item the drafts are evidence for")
    dr.add_argument("--id", default=None, help="with --record: the manifest id (default: the item's requirement)")
    dr.add_argument("--format", choices=("text", "json"), default="text")
    dr.set_defaults(handler=cmd_comms_draft)


def _evidence_parsers(sub: Any) -> None:
    ev = sub.add_parser("evidence", help="add, capture and verify evidence").add_subparsers(
        dest="evidence_command", required=True, metavar="ACTION"
    )
    add = ev.add_parser("add", help="hash and register artifacts for an item")
    _add_common(add)
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--item", required=True)
    add.add_argument("--id", default=None, help="manifest id (default: the requirement it matches)")
    add.add_argument("--area", action="append", help="also serve this sign-off area")
    add.set_defaults(handler=cmd_evidence_add)
    cap = ev.add_parser("capture", help="run a command (no shell) and record its output as evidence")
    _add_common(cap)
    cap.add_argument("--item", required=True)
    cap.add_argument("--id", default=None)
    cap.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    cap.set_defaults(handler=cmd_evidence_capture)
    ver = ev.add_parser("verify", help="recompute every artifact's SHA-256 and size (fast, parallel)")
    _add_common(ver)
    ver.set_defaults(handler=cmd_evidence_verify)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; map every outcome to an exit code in this one place."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except InputErrors as exc:
        _err("\n".join(str(e) for e in exc.errors))
        return exc.exit_code
    except GateError as exc:
        _err(f"gate: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        _err("gate: interrupted")
        return 130
    except Exception as exc:  # a bug: short message, traceback only on request
        if args.verbose:
            traceback.print_exc()
        _err(f"gate: internal error: {type(exc).__name__}: {exc} (run with --verbose for the traceback)")
        return 3


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
