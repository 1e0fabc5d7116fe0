"""The command line: arguments -> request -> command -> result -> renderer -> exit code.

Only this module knows argparse, prints, and turns results and errors into exit codes (`exit_code`
and `_ERROR_EXITS`, the one place). Shared options (`--repo`, `--format`, `--verbose`, `--quiet`) are
accepted before or after the subcommand: each subparser inherits them from a parent parser whose
defaults are suppressed, so a value given before the subcommand is not reset by the subparser.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from gate import __version__
from gate.errors import CannotTell, ExternalError, GateError, GateFailed, InputErrors, UsageError

if TYPE_CHECKING:
    from gate.evidence.hashing import Progress

Handler = Callable[[argparse.Namespace], object]
# Formats are named here, not imported from gate.report: building the parser must not import the
# models, so `gate evidence verify` never pays for pydantic.
TEXT_JSON = ("text", "json")
CHECK_FORMATS = ("text", "json", "markdown", "github")
EXIT_CODES = """exit codes:
  0  done; the files are valid and consistent (a NO-GO launch in progress is consistent)
  1  the gate says no: an integrity failure, a false GO claim, a refused action
  2  unusable input (FILE:LINE:COL: message, every error at once) or a usage error
  3  an internal error (a bug): add --verbose for the traceback"""


# ---- exit codes: the one place -----------------------------------------------------------------------

_ERROR_EXITS: tuple[tuple[type[GateError], int], ...] = (
    (InputErrors, 2),
    (UsageError, 2),
    (CannotTell, 2),
    (GateFailed, 1),
    (ExternalError, 1),  # a service failed or cannot be trusted: fail closed
)


def exit_code(result: object, *, require_go: bool = False) -> int:
    """How a command's result ends the process: 0 done, 1 the gate says no, 2 cannot tell or use.

    Results are told apart by type name: importing the types would import pydantic (the models) for
    commands that never touch them, such as `gate evidence verify` in a pre-commit hook.
    """
    if type(result).__name__ == "Scorecard":
        return _scorecard_exit(result, require_go)
    return _RESULT_EXITS.get(type(result).__name__, lambda _: 0)(result)


def _scorecard_exit(card: Any, require_go: bool) -> int:
    if card.errors:
        return 2
    broken = bool(card.integrity) or (card.recorded_decision is not None and not card.recorded_decision.holds)
    return 1 if broken or (require_go and card.decision != "GO") else 0


def _failed(flag: str) -> Callable[[Any], int]:
    return lambda result: 1 if getattr(result, flag) else 0


_RESULT_EXITS: dict[str, Callable[[Any], int]] = {
    "HashReport": _failed("failures"),
    "EvidenceRecorded": _failed("command_exit"),
    "AuditReport": lambda r: 0 if r.holds else 1,
    "SchemaSync": _failed("stale"),
    "LintReport": _failed("problems"),
    "ApprovalsReport": lambda r: 0 if r.satisfied else 1,
    "WatchResult": lambda r: {"ROLLBACK": 1, "HEALTHY": 0}.get(r.verdict, 2),
}


def error_exit(error: GateError) -> int:
    """The exit code of a deliberate error (3 for a kind this map does not know: a bug)."""
    return next((code for kind, code in _ERROR_EXITS if isinstance(error, kind)), 3)


# ---- small argument types ----------------------------------------------------------------------------


def _time(text: str) -> datetime:
    from gate.model.base import parse_time

    try:
        return parse_time(text)
    except (ValueError, OverflowError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _attendee(text: str) -> tuple[str, str]:
    role, sep, login = text.partition("=")
    if not sep or not role or not login:
        raise argparse.ArgumentTypeError(f"expected ROLE=LOGIN, got {text!r}")
    return role, login.removeprefix("@")


def _selector(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--match expects LABEL=VALUE, got {pair!r}")
        out[key] = value
    return out


def _now(args: argparse.Namespace) -> datetime:
    at: datetime | None = getattr(args, "at", None)
    return at or datetime.now(UTC)


# ---- progress of long work on a terminal ----------------------------------------------------------------

_METER_FLOOR = 32 * 1024 * 1024  # less is done before a person would read it: drawing would only flicker


def human(size: float) -> str:
    """A byte count as a person reads it: 812 B, 1.5 KiB, 300.0 MiB, 1.0 GiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class _Meter:
    """Draws `label: 120.0 MiB of 300.0 MiB (40%)` on stderr as bytes are done, from any thread, at most
    ten times a second (and always at 100%); clears its line when the work ends."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = float("-inf")
        self.drawn = False
        self.lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        if total < _METER_FLOOR:
            return
        now = time.monotonic()
        with self.lock:
            if done < total and now - self.last < 0.1:
                return
            self.last, self.drawn = now, True
            sys.stderr.write(f"\r{self.label}: {human(done)} of {human(total)} ({100 * done // total}%)\033[K")
            sys.stderr.flush()

    def clear(self) -> None:
        with self.lock:
            if self.drawn:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()


@contextlib.contextmanager
def _progress(args: argparse.Namespace, label: str) -> Iterator[Progress | None]:
    """A progress callback for the core when a person watches a terminal: stderr is a TTY, not in CI,
    not --quiet; else None, and the core reports to no one."""
    if args.quiet or os.environ.get("CI") or not sys.stderr.isatty():
        yield None
        return
    meter = _Meter(label)
    try:
        yield meter
    finally:
        meter.clear()


# ---- handlers: arguments -> command -> typed result --------------------------------------------------


def cmd_check(args: argparse.Namespace) -> object:
    from gate.commands.check import CheckRequest, run_check

    with _progress(args, "hashing evidence") as progress:
        return run_check(CheckRequest(repo=args.repo, at=args.at, progress=progress))


def cmd_schema(args: argparse.Namespace) -> object:
    from gate.commands.schema import sync

    return sync(args.repo, check=args.check)


def cmd_evidence_add(args: argparse.Namespace) -> object:
    from gate.commands.evidence import add

    with _progress(args, "hashing") as progress:
        return add(args.repo, args.paths, args.item, args.id, args.area or [], progress)


def cmd_evidence_capture(args: argparse.Namespace) -> object:
    from gate.commands.evidence import capture

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise UsageError("give the command to run after --")

    def echo(stream: str, chunk: bytes) -> None:
        target = sys.stdout if stream == "stdout" else sys.stderr
        target.buffer.write(chunk)
        target.flush()

    return capture(args.repo, argv, args.item, args.id, None if args.format == "json" else echo)


def cmd_evidence_verify(args: argparse.Namespace) -> object:
    from gate.evidence.quick import verify_hashes

    with _progress(args, "verifying") as progress:
        return verify_hashes(args.repo, progress)


def _span(pair: list[datetime] | None) -> tuple[datetime, datetime] | None:
    return (pair[0], pair[1]) if pair else None


def _blackout(values: list[str]) -> tuple[datetime, datetime, str]:
    start, end, reason = values
    try:
        return _time(start), _time(end), reason
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"--blackout: {exc}") from None


def cmd_schedule(args: argparse.Namespace) -> object:
    from gate.commands.checklist import schedule

    blackouts = [_blackout(b) for b in args.blackout] if args.blackout else None
    return schedule(args.repo, _span(args.primary), _span(args.backup), blackouts, _span(args.freeze))


def cmd_set(args: argparse.Namespace) -> object:
    from gate.commands.checklist import set_value, unfilled

    if args.unfilled:
        if args.key is not None:
            raise UsageError("--unfilled lists the placeholders left; give no KEY with it")
        return unfilled(args.repo)
    if args.key is None or args.value is None:
        raise UsageError("give KEY VALUE (or --unfilled to list what is left to fill in)")
    return set_value(args.repo, args.key, args.value)


def cmd_mitigate(args: argparse.Namespace) -> object:
    from gate.commands.checklist import mitigate

    return mitigate(args.repo, args.item, args.owner, args.due, args.description)


def cmd_na(args: argparse.Namespace) -> object:
    from gate.commands.checklist import not_applicable

    return not_applicable(args.repo, args.item, args.justification, args.accepted_by)


def cmd_signoff(args: argparse.Namespace) -> object:
    from gate.commands.signoff import Finding, signoff

    if len(args.finding) != len(args.owner):
        raise UsageError("give one --owner per --finding")
    severities = args.severity or ["medium"] * len(args.finding)
    if len(severities) != len(args.finding):
        raise UsageError("give one --severity per --finding (or none: each is medium)")
    findings = [Finding(*f) for f in zip(args.finding, args.owner, severities, strict=True)]
    verdict: Literal["approved", "rejected"] = "approved" if args.approve else "rejected"
    return signoff(args.repo, args.area, verdict, args.by, _now(args), findings, args.pr)


def cmd_decide(args: argparse.Namespace) -> object:
    from gate.commands.decide import decide

    return decide(args.repo, args.decision, args.window, args.attendee, _now(args), args.note, args.dry_run)


def cmd_packet(args: argparse.Namespace) -> object:
    from gate.commands.packet import write_packet

    return write_packet(args.repo, args.out, args.at)


def cmd_archive(args: argparse.Namespace) -> object:
    from gate.commands.archive import write_archive

    with _progress(args, "archiving") as progress:
        return write_archive(args.repo, args.out, progress)


def cmd_verify(args: argparse.Namespace) -> object:
    from gate.commands.verify import Limits, verify_archive, verify_tag

    if (args.archive is None) == (args.tag is None):
        raise UsageError("give an ARCHIVE or --tag TAG")
    if args.tag:
        return verify_tag(_launch_root(args), args.tag)
    return verify_archive(args.archive, Limits(max_bytes=args.max_size))


def cmd_init(args: argparse.Namespace) -> object:
    from gate.commands.init import init

    return init(args.dir, args.name, args.network, args.org)


def cmd_codeowners_owners(args: argparse.Namespace) -> object:
    from gate.commands.codeowners import owners

    return owners(args.repo, args.paths, args.file)


def cmd_codeowners_lint(args: argparse.Namespace) -> object:
    from gate.commands.codeowners import lint

    return lint(args.repo, args.file)


def _client(args: argparse.Namespace) -> Any:
    from gate.github.client import PyGithubClient
    from gate.github.event import repository

    token = os.environ.get("GATE_ORG_TOKEN") or os.environ.get("GITHUB_TOKEN")
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    return PyGithubClient(args.github or repository(), token, base_url=base)


def _membership(args: argparse.Namespace) -> Any:
    """Team membership from the API only with an organisation-reading token; else the roster."""
    return args.membership or ("api" if os.environ.get("GATE_ORG_TOKEN") else "roster")


def _pr_number(args: argparse.Namespace) -> int:
    from gate.github.event import pull_request_number

    if args.pr is not None:
        if not args.github and not os.environ.get("GITHUB_REPOSITORY") and not os.environ.get("GITHUB_EVENT_PATH"):
            raise UsageError(f"--pr {args.pr}: which repository? give --github OWNER/NAME (or $GITHUB_REPOSITORY)")
        return int(args.pr)
    return pull_request_number()


def cmd_approvals(args: argparse.Namespace) -> object:
    from gate.github.approvals import check_pull_request

    number = _pr_number(args)
    return check_pull_request(_client(args), number, _membership(args), _now(args))


def cmd_comment(args: argparse.Namespace) -> object:
    from gate.commands.comment import post_comment

    return post_comment(_client(args), args.repo, _pr_number(args), args.at)


def cmd_release(args: argparse.Namespace) -> object:
    from gate.github.event import pushed_commit
    from gate.github.release import ReleaseRequest, release

    sha = args.sha or (pushed_commit() if os.environ.get("GITHUB_EVENT_PATH") else None)
    request = ReleaseRequest(
        repo=args.repo,
        sha=sha,
        remote=args.remote,
        client=_client(args) if args.github else None,
        github=args.github,
        membership=_membership(args),
        packet=args.packet,
        archive=args.archive,
        at=args.at,
    )
    return release(request)


def cmd_rollback_rules(args: argparse.Namespace) -> object:
    from gate.commands.rollback import rules

    return rules(args.repo, args.out, _selector(args.match))


def cmd_rollback_watch(args: argparse.Namespace) -> object:
    import time

    from gate.rollback.watch import watch_once

    rollback = _checklist(args.repo).rollback
    while True:
        result = watch_once(
            args.prometheus, rollback, at=args.at, timeout=args.timeout, selector=_selector(args.match) or None
        )
        if args.once or args.at or result.verdict != "HEALTHY":
            return result
        _emit(result, args)  # a running watch shows every evaluation; the last one is the result
        time.sleep(args.interval)


def _checklist(repo: Path) -> Any:
    from gate.launch import load_valid

    return load_valid(repo)[0].checklist


def cmd_completion(args: argparse.Namespace) -> object:
    import shtab

    sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
    return None


# ---- the parser ---------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for a mistyped subcommand."""

    def error(self, message: str) -> NoReturn:
        if "invalid choice:" in message:
            import difflib

            wrong = message.split("invalid choice: ", 1)[1].split(" ", 1)[0].strip("'")
            choices = [a for action in self._actions if action.choices for a in action.choices]
            close = difflib.get_close_matches(wrong, [str(c) for c in choices], n=1)
            if close:
                message += f"\ndid you mean {close[0]!r}?"
        super().error(message)


def _shared(formats: Sequence[str] = TEXT_JSON, *, repo: bool = True) -> argparse.ArgumentParser:
    """The options every command takes, defaults suppressed so one given before the subcommand stays."""
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_argument_group("shared options (before or after the command)")
    if repo:
        group.add_argument(
            "--repo",
            type=Path,
            default=argparse.SUPPRESS,
            help="launch repository (default: the folder holding checklist.yaml, here or above)",
        )
    group.add_argument("--format", choices=formats, default=argparse.SUPPRESS, help="output format (default: text)")
    group.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="tracebacks of internal errors"
    )
    group.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="print only what fails")
    return p


Options = Callable[[argparse.ArgumentParser], None]
# The shared options that take a value: `_named` skips their values when it looks for the command.
_VALUED = ("--repo", "--format")


class _Commands:
    """Adds commands to a subparsers action: in full only those on `path` (the command this run's
    argv names), a stub with just the name and summary for the rest; every one when `path` is None.

    Building every parser cost ~70 ms a run, paid by every pre-commit hook: each help string is a
    gettext lookup that searches the disk for catalogs, and each command copies its parent parser.
    A stub lists the command in `gate --help` and takes the choice; if argparse picks one anyway (an
    abbreviated option fooled `_named`), `parse` builds everything and parses again.
    """

    def __init__(self, action: Any, path: tuple[str, ...] | None) -> None:
        self.action = action
        self.path = path

    def _full(self, name: str) -> bool:
        return self.path is None or self.path[:1] == (name,)

    def _stub(self, name: str, summary: str) -> None:
        self.action.add_parser(name, help=summary, add_help=False).set_defaults(unbuilt=True)

    def command(
        self, name: str, handler: Handler, summary: str, example: str, *, formats: Sequence[str] = TEXT_JSON,
        launch: bool = True,
    ) -> Callable[[Options], Options]:  # fmt: skip
        """Register a command; the decorated function adds its own options (run only when built)."""

        def register(options: Options) -> Options:
            if not self._full(name):
                self._stub(name, summary)
                return options
            p: argparse.ArgumentParser = self.action.add_parser(
                name,
                help=summary,
                description=summary[0].upper() + summary[1:] + ".",
                epilog=f"example:\n  {example}\n\n{EXIT_CODES}",
                formatter_class=argparse.RawDescriptionHelpFormatter,
                parents=[_shared(formats, repo=launch)],
            )
            p.set_defaults(handler=handler, formats=tuple(formats), launch=launch)
            options(p)
            return options

        return register

    def group(self, name: str, summary: str, dest: str, description: str | None = None) -> _Commands | None:
        """A command with actions of its own (`gate evidence add`); None when it is only a stub."""
        if not self._full(name):
            self._stub(name, summary)
            return None
        p = self.action.add_parser(name, help=summary, description=description)
        actions = p.add_subparsers(dest=dest, required=True, metavar="ACTION", parser_class=_Parser)
        return _Commands(actions, None if self.path is None else self.path[1:])


def _named(argv: Sequence[str]) -> tuple[str, ...]:
    """The command and action `argv` names, read as argparse will: its first positional words,
    skipping the values of shared options. A guess for what to build, checked by `parse`."""
    named: list[str] = []
    value_next = False
    for word in argv:
        if value_next:
            value_next = False
        elif word == "--":
            break
        elif word.startswith("-"):
            # `--repo X`, and argparse's abbreviations of it (`--rep X`); `--repo=X` carries its value.
            value_next = word.startswith("--") and "=" not in word and any(o.startswith(word) for o in _VALUED)
        else:
            named.append(word)
            if len(named) == 2:
                break
    return tuple(named)


def build_parser(path: tuple[str, ...] | None = None) -> argparse.ArgumentParser:
    """The parser: every command and option in full, or only the command on `path` (others stubs)."""
    parser = _Parser(
        prog="gate",
        description="Decide whether a launch may go: validate the launch files, verify every hash, score.",
        epilog=f"`gate COMMAND --help` describes each command.\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    parser.add_argument("--repo", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--format", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    sub = _Commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser), path)
    _launch_parsers(sub)
    _plan_parsers(sub)
    _evidence_parsers(sub)
    _record_parsers(sub)
    _audit_parsers(sub)
    _github_parsers(sub)
    _rollback_parsers(sub)

    @sub.command("completion", cmd_completion, "print a shell completion script", "gate completion bash", launch=False)
    def _completion(p: argparse.ArgumentParser) -> None:
        p.add_argument("shell", choices=("bash", "zsh", "tcsh"))

    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse with only the named command built; build everything when argparse chose a stub."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_named(words))
    args, extra = parser.parse_known_args(words)
    if getattr(args, "unbuilt", False):
        return build_parser().parse_args(words)
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _launch_parsers(sub: _Commands) -> None:
    @sub.command(
        "check",
        cmd_check,
        "validate every file, verify every hash, print the scorecard",
        "gate check --require-go --at 2026-12-08T13:00:00Z",
        formats=CHECK_FORMATS,
    )
    def _check(p: argparse.ArgumentParser) -> None:
        p.add_argument("--require-go", action="store_true", help="exit 1 unless the launch is GO")
        p.add_argument("--at", type=_time, default=None, help="evaluate as of this UTC time")

    @sub.command("schema", cmd_schema, "write schemas/**/*.schema.json from the models", "gate schema --check")
    def _schema(p: argparse.ArgumentParser) -> None:
        p.add_argument("--check", action="store_true", help="exit 1 if a schema file is out of date")

    @sub.command(
        "init",
        cmd_init,
        "scaffold a new launch repository (honestly NO-GO until filled in)",
        "gate init ../testnet-launch --name 'Testnet launch' --network testnet --org acme",
        launch=False,
    )
    def _init(p: argparse.ArgumentParser) -> None:
        p.add_argument("dir", type=Path)
        p.add_argument("--name", required=True)
        p.add_argument("--network", required=True)
        p.add_argument("--org", default="my-org", help="GitHub organisation owning the area teams")


def _plan_parsers(sub: _Commands) -> None:
    @sub.command(
        "schedule",
        cmd_schedule,
        "set the launch windows, blackouts and freeze in checklist.yaml (comments and layout kept)",
        "gate schedule --primary 2027-03-02T14:00Z 2027-03-02T18:00Z --freeze 2027-02-20T00:00Z 2027-03-10T00:00Z",
    )
    def _schedule(p: argparse.ArgumentParser) -> None:
        p.add_argument("--primary", type=_time, nargs=2, metavar=("START", "END"))
        p.add_argument("--backup", type=_time, nargs=2, metavar=("START", "END"))
        p.add_argument(
            "--blackout", nargs=3, action="append", metavar=("START", "END", "REASON"),
            help="a period no window may touch (repeat; the list becomes exactly these)",
        )  # fmt: skip
        p.add_argument("--freeze", type=_time, nargs=2, metavar=("START", "END"))

    @sub.command(
        "set",
        cmd_set,
        "set one value of checklist.yaml, or list the placeholders left (--unfilled)",
        "gate set release-tag mainnet-v1.0.0   |   gate set --unfilled",
    )
    def _set(p: argparse.ArgumentParser) -> None:
        p.add_argument("key", nargs="?", help="release-tag, target-block-time, channel.<id>, roster.<@org/team>, a.b.c")
        p.add_argument("value", nargs="?")
        p.add_argument("--unfilled", action="store_true", help="list every placeholder left, with FILE:LINE:COL")

    @sub.command(
        "mitigate",
        cmd_mitigate,
        "record the mitigation that lets a P1 that does not pass count as a WARN",
        'gate mitigate F-customer-notice --owner product-lead --description "sent the day before"',
    )
    def _mitigate(p: argparse.ArgumentParser) -> None:
        p.add_argument("item")
        p.add_argument("--owner", required=True, metavar="ROLE")
        p.add_argument("--due", type=_time, default=None)
        p.add_argument("--description", required=True)

    @sub.command(
        "na",
        cmd_na,
        "mark an item not applicable, with why and who accepted it",
        'gate na E-cutover-timed --justification "no cutover: a new chain" --accepted-by ops-lead-chen',
    )
    def _na(p: argparse.ArgumentParser) -> None:
        p.add_argument("item")
        p.add_argument("--justification", required=True)
        p.add_argument("--accepted-by", required=True, metavar="LOGIN")


def _evidence_parsers(sub: _Commands) -> None:
    ev = sub.group("evidence", "add, capture and verify evidence", "evidence_command", "Evidence commands.")
    if ev is None:
        return

    @ev.command(
        "add",
        cmd_evidence_add,
        "hash and register artifacts for an item",
        "gate evidence add evidence/security/threat-model.md --item B-security --id threat-model",
    )
    def _add(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", type=Path)
        p.add_argument("--item", required=True)
        p.add_argument("--id", default=None, help="manifest id (the requirement it meets)")
        p.add_argument("--area", action="append", help="also serve this sign-off area")

    @ev.command(
        "capture",
        cmd_evidence_capture,
        "run a command (no shell) and record its output, exit code and times as evidence",
        "gate evidence capture --item D-genesis-checksum --id genesis-checksum -- sha256sum genesis.json",
    )
    def _capture(p: argparse.ArgumentParser) -> None:
        p.add_argument("--item", required=True)
        p.add_argument("--id", default=None)
        p.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")

    @ev.command(
        "verify",
        cmd_evidence_verify,
        "recompute every artifact's SHA-256 and size (fast, parallel; no scoring)",
        "gate evidence verify",
    )
    def _verify(p: argparse.ArgumentParser) -> None:
        p.set_defaults(marker="evidence-manifest.json")  # the manifest is all it reads


def _record_parsers(sub: _Commands) -> None:
    @sub.command(
        "signoff",
        cmd_signoff,
        "approve or reject an area, pinning its current area digest",
        "gate signoff security --approve --by sec-lead-ana --pr 41",
    )
    def _signoff(p: argparse.ArgumentParser) -> None:
        p.add_argument("area")
        verdict = p.add_mutually_exclusive_group(required=True)
        verdict.add_argument("--approve", action="store_true")
        verdict.add_argument("--reject", action="store_true")
        p.add_argument("--by", required=True, metavar="LOGIN", help="the approver's GitHub login")
        p.add_argument("--finding", action="append", default=[], metavar="TEXT")
        p.add_argument("--owner", action="append", default=[], metavar="ROLE", help="remediation owner per --finding")
        p.add_argument(
            "--severity",
            action="append",
            choices=("low", "medium", "high", "critical"),
            help="per --finding (default medium); an open critical or high finding blocks GO",
        )
        p.add_argument("--pr", type=int, default=None, help="the pull request that carries this sign-off")
        p.add_argument("--at", type=_time, default=None)

    @sub.command(
        "decide",
        cmd_decide,
        "write the go/no-go decision record for the current state",
        "gate decide --decision GO --window primary --attendee security-lead=sec-lead-ana ...",
    )
    def _decide(p: argparse.ArgumentParser) -> None:
        p.add_argument("--decision", choices=("GO", "NO-GO"), required=True, help="what the meeting decided")
        p.add_argument("--window", choices=("primary", "backup"), default=None)
        p.add_argument("--attendee", type=_attendee, action="append", default=[], metavar="ROLE=LOGIN")
        p.add_argument("--at", type=_time, default=None)
        p.add_argument("--note", default=None, help="conditions or remarks, kept in the meeting record")
        p.add_argument("--dry-run", action="store_true", help="show the record; write nothing")


def _audit_parsers(sub: _Commands) -> None:
    @sub.command(
        "packet",
        cmd_packet,
        "write the launch packet (Markdown): every artifact, command and the meeting",
        "gate packet --out launch-packet.md",
    )
    def _packet(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", type=Path, default=None, help="where to write it (default: packet.location)")
        p.add_argument("--at", type=_time, default=None, help="state as of (default: the latest decision)")

    @sub.command(
        "archive",
        cmd_archive,
        "write a reproducible .tar.gz of the launch with SHA256SUMS inside",
        "gate archive launch.tar.gz",
    )
    def _archive(p: argparse.ArgumentParser) -> None:
        p.add_argument("out", type=Path, metavar="OUT.tar.gz")

    @sub.command(
        "verify",
        cmd_verify,
        "offline: does the decision recorded in an archive or at a git tag still hold?",
        "gate verify launch.tar.gz   |   gate verify --tag mainnet-v1.0.0",
        launch=False,
    )
    def _verify(p: argparse.ArgumentParser) -> None:
        p.add_argument("archive", type=Path, nargs="?", default=None)
        p.add_argument("--tag", default=None, help="verify the launch as committed at this git tag")
        p.add_argument(
            "--max-size", type=int, default=8 * 1024**3, metavar="BYTES", help="refuse an archive expanding to more"
        )
        p.add_argument("--repo", type=Path, default=argparse.SUPPRESS, help="launch repository holding the tag")


def _github_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--github", default=None, metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    p.add_argument(
        "--membership",
        choices=("api", "roster"),
        default=None,
        help="team membership source (default: api when $GATE_ORG_TOKEN is set, else the roster)",
    )


def _github_parsers(sub: _Commands) -> None:
    @sub.command(
        "approvals",
        cmd_approvals,
        "are a pull request's CODEOWNER approvals, quorum and freeze satisfied?",
        "gate approvals --pr 7 --github acme/launch",
    )
    def _approvals(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pr", type=int, default=None, help="default: from $GITHUB_EVENT_PATH")
        _github_options(p)
        p.add_argument("--at", type=_time, default=None, help="judge the freeze as of this time")

    @sub.command(
        "comment",
        cmd_comment,
        "post or update the one sticky scorecard comment on a pull request",
        "gate comment --pr 7 --github acme/launch",
    )
    def _comment(p: argparse.ArgumentParser) -> None:
        p.add_argument("--pr", type=int, default=None)
        _github_options(p)
        p.add_argument("--at", type=_time, default=None, help="judge as of this UTC time (default: now)")

    @sub.command(
        "release",
        cmd_release,
        "after a GO decision merged: re-verify it, then tag and release it",
        "gate release --sha $SHA --github acme/launch",
    )
    def _release(p: argparse.ArgumentParser) -> None:
        p.add_argument("--sha", default=None, help="the merged commit (default: $GITHUB_EVENT_PATH's push, else HEAD)")
        p.add_argument("--remote", default=None, metavar="NAME", help="push the tag to this git remote")
        _github_options(p)
        p.add_argument("--packet", type=Path, default=None, metavar="FILE", help="the packet `gate packet` wrote")
        p.add_argument("--archive", type=Path, default=None, metavar="FILE", help="its digest goes in the release")
        p.add_argument("--at", type=_time, default=None, help="judge as of this UTC time (default: now; rehearsals)")

    _codeowners_parsers(sub)


def _codeowners_parsers(sub: _Commands) -> None:
    co = sub.group("codeowners", "who owns a path; lint CODEOWNERS as GitHub reads it", "codeowners_command")
    if co is None:
        return

    @co.command(
        "owners",
        cmd_codeowners_owners,
        "who owns each path (the last matching rule wins)",
        "gate codeowners owners signoffs/security.yaml",
    )
    def _owners(p: argparse.ArgumentParser) -> None:
        p.add_argument("paths", nargs="+", metavar="PATH")
        p.add_argument("--file", type=Path, default=None, help="this CODEOWNERS file instead of the repository's")

    @co.command(
        "lint",
        cmd_codeowners_lint,
        "problems GitHub would have with CODEOWNERS, and what the gate needs of it",
        "gate codeowners lint",
    )
    def _lint(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", type=Path, nargs="?", default=None, help="default: the repository's CODEOWNERS")


def _rollback_parsers(sub: _Commands) -> None:
    rb = sub.group("rollback", "rollback criteria as Prometheus rules; watch them live", "rollback_command")
    if rb is None:
        return

    @rb.command(
        "rules",
        cmd_rollback_rules,
        "write the criteria as a Prometheus rule group",
        "gate rollback rules --out rollback.rules.yml",
    )
    def _rules(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", type=Path, default=None)
        p.add_argument("--match", action="append", default=[], metavar="LABEL=VALUE", help="add to every selector")

    @rb.command(
        "watch",
        cmd_rollback_watch,
        "ask Prometheus whether any criterion holds (1 ROLLBACK, 0 healthy, 2 cannot tell)",
        "gate rollback watch --prometheus http://127.0.0.1:9090 --once",
    )
    def _watch(p: argparse.ArgumentParser) -> None:
        p.add_argument("--prometheus", required=True, metavar="URL")
        p.add_argument("--once", action="store_true", help="one evaluation, then exit")
        p.add_argument("--interval", type=float, default=30.0, metavar="S", help="seconds between evaluations")
        p.add_argument("--timeout", type=float, default=5.0)
        p.add_argument("--at", type=_time, default=None, help="evaluate at this moment (implies --once)")
        p.add_argument("--match", action="append", default=[], metavar="LABEL=VALUE")


# ---- running one command -------------------------------------------------------------------------------


def _launch_root(args: argparse.Namespace) -> Path:
    from gate.paths import find_root

    start = args.repo if args.repo is not None else Path.cwd()
    return find_root(start, explicit=args.repo is not None, marker=getattr(args, "marker", "checklist.yaml"))


def _emit(result: object, args: argparse.Namespace) -> None:
    if result is None:
        return
    from gate.report import render
    from gate.report.safe import terminal

    text = render(result, args.format)
    if args.format in ("text", "github"):
        text = terminal(text)  # what launch files say is shown, never obeyed by the terminal
    if args.quiet and exit_code(result, require_go=getattr(args, "require_go", False)) == 0:
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; map every outcome to an exit code in this one place."""
    args = parse(argv)
    args.format = args.format or "text"
    try:
        if args.format not in args.formats:
            raise UsageError(f"gate {args.command} writes {' or '.join(args.formats)}, not {args.format}")
        if args.launch:
            args.repo = _launch_root(args)
        result = args.handler(args)
        _emit(result, args)
        return exit_code(result, require_go=getattr(args, "require_go", False))
    except InputErrors as exc:
        _err("\n".join(str(e) for e in exc.errors))
        return 2
    except GateError as exc:
        _err(f"gate: {exc}")
        return error_exit(exc)
    except KeyboardInterrupt:
        _err("gate: interrupted")
        return 130
    except Exception as exc:  # a bug: short message, traceback only on request
        if args.verbose:
            import traceback

            traceback.print_exc()
        _err(f"gate: internal error: {type(exc).__name__}: {exc} (run with --verbose for the traceback)")
        return 3


def _err(text: str) -> None:
    from gate.report.safe import terminal

    sys.stderr.write(terminal(text) + "\n")
