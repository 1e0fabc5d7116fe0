"""The command line: arguments -> request -> command -> result -> renderer -> exit code.

Only this module knows argparse, prints, and turns results and errors into exit codes (`exit_code`
and `_ERROR_EXITS`, the one place). Shared options (`--repo`, `--format`, `--verbose`, `--quiet`) are
accepted before or after the subcommand: each subparser inherits them from a parent parser whose
defaults are suppressed, so a value given before the subcommand is not reset by the subparser.
Only the command argv names is built in full (`parse`): every pre-commit hook runs this.
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
from typing import TYPE_CHECKING, Any, Literal, NoReturn, cast

from gate import __version__
from gate.errors import CannotTell, ExternalError, GateError, GateFailed, InputErrors, UsageError
from gate.paths import MAX_UNPACKED

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

    Results are told apart by type name: importing the types would load the models and reports for
    commands that never touch them, such as `gate evidence verify` in a pre-commit hook.
    """
    if type(result).__name__ == "StatusReport":
        result = cast(Any, result).card
    if type(result).__name__ == "Scorecard":
        return _scorecard_exit(result, require_go)
    if type(result).__name__ == "AuditReport":
        return _audit_exit(result, require_go)
    return _RESULT_EXITS.get(type(result).__name__, lambda _: 0)(result)


def _scorecard_exit(card: Any, require_go: bool) -> int:
    if card.errors:
        return 2
    broken = bool(card.integrity) or (card.recorded_decision is not None and not card.recorded_decision.holds)
    return 1 if broken or (require_go and card.decision != "GO") else 0


def _audit_exit(audit: Any, require_go: bool) -> int:
    # A NO-GO that holds is a consistent record (0); a script about to deploy asks for GO itself.
    go = audit.decision is not None and audit.decision.decision == "GO"
    return 0 if audit.holds and (go or not require_go) else 1


def _failed(flag: str) -> Callable[[Any], int]:
    return lambda result: 1 if getattr(result, flag) else 0


_RESULT_EXITS: dict[str, Callable[[Any], int]] = {
    "HashReport": _failed("failures"),
    "EvidenceRecorded": _failed("command_exit"),
    "SchemaSync": _failed("stale"),
    "LintReport": _failed("problems"),
    "ApprovalsReport": lambda r: 0 if r.satisfied else 1,
    "Diagnosis": _failed("findings"),  # a missing protection
    # JudgeResult: 0 once the verdicts are posted; a failing verdict is the ruleset's to enforce.
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


def _seconds(text: str) -> float:
    """A number of seconds for a timeout or an interval: finite, above zero, at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86_400:  # also refuses nan and inf, which compare false
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0 and at most 86400")
    return value


def _attendee(text: str) -> tuple[str, str]:
    role, sep, login = text.partition("=")
    if not sep or not role or not login:
        raise argparse.ArgumentTypeError(f"expected ROLE=LOGIN, got {text!r}")
    return role, login.removeprefix("@")


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


def cmd_status(args: argparse.Namespace) -> object:
    from gate.commands.check import CheckRequest, run_check
    from gate.report.status import status_report

    with _progress(args, "hashing evidence") as progress:
        card = run_check(CheckRequest(repo=args.repo, at=args.at, progress=progress))
    return status_report(card, every_item=args.all)


def cmd_schema(args: argparse.Namespace) -> object:
    from gate.commands.schema import sync

    return sync(args.repo, check=args.check)


def _confirm(args: argparse.Namespace) -> Callable[[str], bool] | None:
    """How a recording command may confirm its one guess: --yes, or asking a person at a terminal."""
    if args.yes:
        return lambda _question: True
    if not sys.stdin.isatty():
        return None  # a script that did not say --yes: never guess

    def ask(question: str) -> bool:
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")

    return ask


def cmd_evidence_add(args: argparse.Namespace) -> object:
    from gate.commands.evidence import add

    with _progress(args, "hashing") as progress:
        return add(
            args.repo,
            args.paths,
            args.item,
            args.id,
            args.area or [],
            supporting=args.supporting,
            confirm=_confirm(args),
            progress=progress,
        )


def cmd_evidence_ls(args: argparse.Namespace) -> object:
    from gate.commands.evidence import listing

    return listing(args.repo, args.item, args.area, args.stale)


def cmd_evidence_rm(args: argparse.Namespace) -> object:
    from gate.commands.evidence import remove

    return remove(args.repo, args.id)


def cmd_evidence_capture(args: argparse.Namespace) -> object:
    from gate.commands.evidence import capture

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise UsageError("give the command to run after --")

    def echo(stream: str, chunk: bytes) -> None:
        target = sys.stdout if stream == "stdout" else sys.stderr
        target.buffer.write(chunk)
        target.flush()

    echoed = None if args.format == "json" else echo
    return capture(args.repo, argv, args.item, args.id, echoed, supporting=args.supporting, confirm=_confirm(args))


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
    if args.tag is not None:
        if not args.tag.strip():
            raise UsageError("--tag is empty: name the release tag to verify")
        return verify_tag(_launch_root(args), args.tag, Limits(max_bytes=args.max_size))
    return verify_archive(args.archive, Limits(max_bytes=args.max_size))


def cmd_init(args: argparse.Namespace) -> object:
    from gate.commands.init import UNPINNED_ACTION, init

    return init(args.dir, args.name, args.network, args.org, args.gate_action or UNPINNED_ACTION, args.template)


def cmd_codeowners_owners(args: argparse.Namespace) -> object:
    from gate.commands.codeowners import owners

    return owners(args.repo, args.paths, args.file)


def cmd_codeowners_lint(args: argparse.Namespace) -> object:
    from gate.commands.codeowners import lint

    return lint(args.repo, args.file)


def _client(args: argparse.Namespace, app: tuple[int, str] | None = None) -> Any:
    """The API client, with the job's token: `$GATE_GITHUB_TOKEN` (a gate App token minted for the job),
    else `$GITHUB_TOKEN`. There is no long-lived token: each workflow job mints its own. `app` (id,
    private key) lets it also speak as the App itself, for what GitHub shows only to the App."""
    from gate.github.client import PyGithubClient
    from gate.github.event import repository

    token = os.environ.get("GATE_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN")
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    return PyGithubClient(args.github or repository(), token, base_url=base, app=app)


def _membership(args: argparse.Namespace) -> Any:
    """Team membership from the API when asked (the token must read the organisation); else the roster."""
    return args.membership or "roster"


def _app_login() -> str:
    """The gate App's bot login, whose comment alone is the sticky one."""
    slug = os.environ.get("GATE_APP_SLUG")
    if not slug:
        raise UsageError("set $GATE_APP_SLUG to the gate App's slug: only the App's own comment is the sticky one")
    return f"{slug}[bot]"


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
    return check_pull_request(_client(args), number, _membership(args), _now(args), branch=args.branch)


def cmd_comment(args: argparse.Namespace) -> object:
    from gate.commands.comment import post_comment

    return post_comment(_client(args), args.repo, _pr_number(args), _app_login(), args.at)


def cmd_release(args: argparse.Namespace) -> object:
    from gate.github.release import ReleaseRequest, release

    # Without --sha: the checked-out protected branch as it is now (HEAD), for a push and a re-run
    # alike. Runs queue; main may have moved past the pushed commit by the time one starts, and the
    # decision it brought is released from main as it stands (or not at all, saying why).
    request = ReleaseRequest(
        repo=args.repo,
        sha=args.sha,
        remote=args.remote,
        client=_client(args) if args.github else None,
        github=args.github,
        membership=_membership(args),
        packet=args.packet,
        archive=args.archive,
        branch=args.branch,
        at=args.at,
    )
    return release(request)


def cmd_github_judge(args: argparse.Namespace) -> object:
    from gate.github.event import event_name, judge_target
    from gate.github.judge import JudgeRequest, judge

    asked: dict[str, Any] = {}
    if args.pr:
        asked["numbers"] = tuple(args.pr)
    elif args.head_sha:
        asked = {"head_sha": args.head_sha, "head_branch": args.head_branch}
    elif args.scheduled:
        asked = {"scheduled": True}
    else:
        asked = judge_target(event_name())
    request = JudgeRequest(
        branch=args.branch,
        at=_now(args),
        membership=_membership(args),
        comment_as=_app_login() if args.comment else None,
        **asked,
    )
    return judge(_client(args), request)


def cmd_github_doctor(args: argparse.Namespace) -> object:
    from gate.commands.doctor import doctor
    from gate.github.doctor import Expected

    expected = Expected(
        branch=args.branch,
        app_id=args.app_id,
        release_app_id=args.release_app_id,
        tag_pattern=args.tags,
        labels=tuple(args.label),
    )
    if args.app_key is None:
        return doctor(_client(args), expected)
    if args.app_id is None:
        raise UsageError("--app-key signs as the gate App: give its --app-id too")
    return doctor(_client(args, app=(args.app_id, _read_key(args.app_key))), expected)


def _read_key(path: Path) -> str:
    """The App's private key (PEM): a few kilobytes, read bounded."""
    try:
        with path.open("rb") as fh:
            data = fh.read(65_537)
    except OSError as exc:
        raise UsageError(f"--app-key {path}: cannot read it ({exc.strerror})") from None
    if len(data) > 65_536 or b"PRIVATE KEY" not in data:
        raise UsageError(f"--app-key {path}: not a private key in PEM form (-----BEGIN … PRIVATE KEY-----)")
    return data.decode("ascii", errors="replace")


def cmd_rollback_rules(args: argparse.Namespace) -> object:
    from gate.commands.rollback import RulesRequest, rules

    return rules(RulesRequest(repo=args.repo, out=args.out, match=args.match))


def cmd_rollback_watch(args: argparse.Namespace) -> object:
    import time

    from gate.commands.rollback import Watcher, WatchRequest

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
        if args.once or args.at or result.verdict != "HEALTHY":
            return result
        _emit(result, args)  # a running watch shows every evaluation; the last one is the result
        time.sleep(args.interval)


def cmd_comms_draft(args: argparse.Namespace) -> object:
    from gate.commands.comms import DraftRequest, draft

    request = DraftRequest(
        repo=args.repo,
        templates=args.templates,
        variables=args.var,
        record=args.record,
        replace=args.replace,
        item=args.item,
        id=args.id,
    )
    return draft(request)


def cmd_completion(args: argparse.Namespace) -> object:
    import shtab

    from gate.report.text import Completion

    return Completion(args.shell, shtab.complete(build_parser(), shell=args.shell))


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


def _help(summary: str, example: str) -> dict[str, Any]:
    """What every command's and group's `--help` shows: the summary, an example and the exit codes."""
    return {
        "help": summary,
        "description": summary[0].upper() + summary[1:] + ("" if summary.endswith(("?", ".", "!")) else "."),
        "epilog": f"example:\n  {example}\n\n{EXIT_CODES}",
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }


def _group(sub: Any, name: str, summary: str, example: str) -> Any:
    """A command group (`gate evidence ACTION`), as the subparsers its actions are added to. The shared
    options are taken between the group and its action too (`gate evidence --repo X ls`)."""
    group = sub.add_parser(name, **_help(summary, example), parents=[_shared()])
    return group.add_subparsers(dest=f"{name}_command", required=True, metavar="ACTION", parser_class=_Parser)


# Building every command's parser cost tens of milliseconds a run (each help string a gettext lookup
# that searches the disk for catalogs, each command copying its parent parser), paid by every
# pre-commit hook: `build_parser(path)` builds in full only the command on `path` (what argv names,
# see `_named`), and a stub with the name and summary for each other one (enough for `gate --help`
# and "did you mean"). If argparse picks a stub anyway, `parse` builds everything and parses again.
_build_only: tuple[str, ...] | None = None


class _Unbuilt(argparse.ArgumentParser):
    """What `_command` hands back for a command it only stubs: options added to it are dropped."""

    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        return None

    def _add_action(self, action: Any) -> Any:
        return action  # from a mutually exclusive group or argument group of an unbuilt command

    def set_defaults(self, **kwargs: Any) -> None:
        return None


_unbuilt: list[_Unbuilt] = []


def _wanted(sub: Any, name: str) -> bool:
    """Whether command `name` of the subparsers `sub` is on the path to build. A group's subparsers
    are named `<group>_command` (`evidence_command`), the top level's `command`."""
    if _build_only is None:
        return True
    group = () if sub.dest == "command" else (str(sub.dest).removesuffix("_command"),)
    return _build_only[: len(group) + 1] == (*group, name)


def _command(
    sub: Any,
    name: str,
    handler: Handler,
    summary: str,
    example: str,
    *,
    formats: Sequence[str] = TEXT_JSON,
    launch: bool = True,
) -> argparse.ArgumentParser:
    if not _wanted(sub, name):
        sub.add_parser(name, help=summary, add_help=False).set_defaults(unbuilt=True)
        if not _unbuilt:
            _unbuilt.append(_Unbuilt(add_help=False))
        return _unbuilt[0]
    p: argparse.ArgumentParser = sub.add_parser(
        name, **_help(summary, example), parents=[_shared(formats, repo=launch)]
    )
    p.set_defaults(handler=handler, formats=tuple(formats), launch=launch)
    return p


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


_VALUED = ("--repo", "--format")  # the shared options that take a value


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


def build_parser(path: tuple[str, ...] | None = None) -> argparse.ArgumentParser:
    """The parser: every command and option, or in full only the command on `path` (the rest stubs)."""
    global _build_only
    _build_only = path
    try:
        return _build()
    finally:
        _build_only = None


def _build() -> argparse.ArgumentParser:
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
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _launch_parsers(sub)
    _plan_parsers(sub)
    _evidence_parsers(sub)
    _record_parsers(sub)
    _audit_parsers(sub)
    _github_parsers(sub)
    _rollback_parsers(sub)
    _comms_parsers(sub)
    comp = _command(
        sub, "completion", cmd_completion, "print a shell completion script", "gate completion bash", launch=False
    )
    comp.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    return parser


def _launch_parsers(sub: Any) -> None:
    check = _command(
        sub,
        "check",
        cmd_check,
        "validate every file, verify every hash, print the scorecard",
        "gate check --require-go --at 2026-12-08T13:00:00Z",
        formats=CHECK_FORMATS,
    )
    check.add_argument("--require-go", action="store_true", help="exit 1 unless the launch is GO")
    check.add_argument("--at", type=_time, default=None, help="evaluate as of this UTC time")
    st = _command(
        sub,
        "status",
        cmd_status,
        "what to do next: the verdict, the countdown, every blocker by who must act with the command that fixes it",
        "gate status   |   gate status --all",
    )
    st.add_argument("--all", action="store_true", help="list every item, PASS included")
    st.add_argument("--at", type=_time, default=None, help="as of this UTC time")
    schema = _command(
        sub, "schema", cmd_schema, "write schemas/**/*.schema.json from the models", "gate schema --check"
    )
    schema.add_argument("--check", action="store_true", help="exit 1 if a schema file is out of date")
    it = _command(
        sub,
        "init",
        cmd_init,
        "scaffold a new launch repository (honestly NO-GO until filled in)",
        "gate init ../checkout-v2 --name 'Checkout v2' --network production --org acme"
        "   |   gate init ../mainnet --template cosmos-mainnet --name 'Mainnet' --network mainnet --org acme",
        launch=False,
    )
    it.add_argument("dir", type=Path)
    it.add_argument("--name", required=True)
    it.add_argument("--network", required=True, help="where it goes live: mainnet, production, a region, a tenant")
    it.add_argument(
        "--template",
        choices=("generic", "cosmos-mainnet"),
        default="generic",
        help="generic: a product or service launch (default); cosmos-mainnet: a Cosmos SDK chain's mainnet",
    )
    it.add_argument("--org", required=True, help="GitHub organisation owning the area teams (their CODEOWNERS)")
    it.add_argument(
        "--gate-action",
        default=None,
        metavar="OWNER/gate@COMMIT",
        help="the gate its workflows run, pinned by commit (default: none: they fail closed until pinned)",
    )


def _plan_parsers(sub: Any) -> None:
    sc = _command(
        sub,
        "schedule",
        cmd_schedule,
        "set the launch windows, blackouts and freeze in checklist.yaml (comments and layout kept)",
        "gate schedule --primary 2027-03-02T14:00Z 2027-03-02T18:00Z --freeze 2027-02-20T00:00Z 2027-03-10T00:00Z",
    )
    sc.add_argument("--primary", type=_time, nargs=2, metavar=("START", "END"))
    sc.add_argument("--backup", type=_time, nargs=2, metavar=("START", "END"))
    sc.add_argument(
        "--blackout", nargs=3, action="append", metavar=("START", "END", "REASON"),
        help="a period no window may touch (repeat; the list becomes exactly these)",
    )  # fmt: skip
    sc.add_argument("--freeze", type=_time, nargs=2, metavar=("START", "END"))
    st = _command(
        sub,
        "set",
        cmd_set,
        "set one value of checklist.yaml, or list the placeholders left (--unfilled)",
        "gate set release-tag mainnet-v1.0.0   |   gate set --unfilled",
    )
    st.add_argument("key", nargs="?", help="release-tag, target-block-time, channel.<id>, roster.<@org/team>, a.b.c")
    st.add_argument("value", nargs="?")
    st.add_argument("--unfilled", action="store_true", help="list every placeholder left, with FILE:LINE:COL")
    mi = _command(
        sub,
        "mitigate",
        cmd_mitigate,
        "record the mitigation that lets a P1 that does not pass count as a WARN",
        'gate mitigate F-customer-notice --owner product-lead --description "sent the day before"',
    )
    mi.add_argument("item")
    mi.add_argument("--owner", required=True, metavar="ROLE")
    mi.add_argument("--due", type=_time, default=None)
    mi.add_argument("--description", required=True)
    na = _command(
        sub,
        "na",
        cmd_na,
        "mark an item not applicable, with why and who accepted it",
        'gate na E-cutover-timed --justification "no cutover: a new chain" --accepted-by ops-lead-chen',
    )
    na.add_argument("item")
    na.add_argument("--justification", required=True)
    na.add_argument("--accepted-by", required=True, metavar="LOGIN")


def _evidence_parsers(sub: Any) -> None:
    ev = _group(
        sub,
        "evidence",
        "add, capture and verify evidence",
        "gate evidence add report.pdf --item B-security --id vuln-scan   |   gate evidence ls --stale",
    )
    add = _command(
        ev,
        "add",
        cmd_evidence_add,
        "hash and register artifacts for an item",
        "gate evidence add evidence/security/threat-model.md --item B-security --id threat-model",
    )
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--item", required=True)
    add.add_argument("--id", default=None, help="manifest id (the requirement it meets)")
    add.add_argument("--area", action="append", help="also serve this sign-off area")
    add.add_argument("--supporting", action="store_true", help="evidence beyond the item's requirements (a new id)")
    add.add_argument("--yes", action="store_true", help="confirm the item's only open requirement (scripts)")
    cap = _command(
        ev,
        "capture",
        cmd_evidence_capture,
        "run a command (no shell) and record its output, exit code and times as evidence",
        "gate evidence capture --item D-genesis-checksum --id genesis-checksum -- sha256sum genesis.json",
    )
    cap.add_argument("--item", required=True)
    cap.add_argument("--id", default=None)
    cap.add_argument("--supporting", action="store_true", help="evidence beyond the item's requirements (a new id)")
    cap.add_argument("--yes", action="store_true", help="confirm the item's only open requirement (scripts)")
    cap.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    ver = _command(
        ev,
        "verify",
        cmd_evidence_verify,
        "recompute every artifact's SHA-256 and size (fast, parallel; no scoring)",
        "gate evidence verify",
    )
    ver.set_defaults(marker="evidence-manifest.json")  # the manifest is all it reads
    ls = _command(
        ev, "ls", cmd_evidence_ls, "list the evidence: what serves an item or area, or changed since approval",
        "gate evidence ls --stale",
    )  # fmt: skip
    ls.add_argument("--item", default=None)
    ls.add_argument("--area", default=None)
    ls.add_argument("--stale", action="store_true", help="only what changed since its area was approved")
    rm = _command(
        ev, "rm", cmd_evidence_rm, "take an entry out of the manifest (a command with its outputs; files stay)",
        "gate evidence rm old-vuln-scan",
    )  # fmt: skip
    rm.add_argument("id")


def _record_parsers(sub: Any) -> None:
    so = _command(
        sub,
        "signoff",
        cmd_signoff,
        "approve or reject an area, pinning its current area digest",
        "gate signoff security --approve --by sec-lead-ana --pr 41",
    )
    so.add_argument("area")
    verdict = so.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--approve", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    so.add_argument("--by", required=True, metavar="LOGIN", help="the approver's GitHub login")
    so.add_argument("--finding", action="append", default=[], metavar="TEXT")
    so.add_argument("--owner", action="append", default=[], metavar="ROLE", help="remediation owner per --finding")
    so.add_argument(
        "--severity",
        action="append",
        choices=("low", "medium", "high", "critical"),
        help="per --finding (default medium); an open critical or high finding blocks GO",
    )
    so.add_argument("--pr", type=int, default=None, help="the pull request that carries this sign-off")
    so.add_argument("--at", type=_time, default=None)
    de = _command(
        sub,
        "decide",
        cmd_decide,
        "write the go/no-go decision record for the current state",
        "gate decide --decision GO --window primary --attendee security-lead=sec-lead-ana ...",
    )
    de.add_argument("--decision", choices=("GO", "NO-GO"), required=True, help="what the meeting decided")
    de.add_argument("--window", choices=("primary", "backup"), default=None)
    de.add_argument("--attendee", type=_attendee, action="append", default=[], metavar="ROLE=LOGIN")
    de.add_argument("--at", type=_time, default=None)
    de.add_argument("--note", default=None, help="conditions or remarks, kept in the meeting record")
    de.add_argument("--dry-run", action="store_true", help="show the record; write nothing")


def _audit_parsers(sub: Any) -> None:
    pk = _command(
        sub,
        "packet",
        cmd_packet,
        "write the launch packet (Markdown): every artifact, command and the meeting",
        "gate packet --out launch-packet.md",
    )
    pk.add_argument("--out", type=Path, default=None, help="where to write it (default: packet.location)")
    pk.add_argument("--at", type=_time, default=None, help="state as of (default: the latest decision)")
    ar = _command(
        sub,
        "archive",
        cmd_archive,
        "write a reproducible .tar.gz of the launch with SHA256SUMS inside",
        "gate archive launch.tar.gz",
    )
    ar.add_argument("out", type=Path, metavar="OUT.tar.gz")
    ve = _command(
        sub,
        "verify",
        cmd_verify,
        "offline: does the decision recorded in an archive or at a git tag still hold?",
        "gate verify launch.tar.gz   |   gate verify --tag mainnet-v1.0.0 --require-go",
        launch=False,
    )
    ve.add_argument("archive", type=Path, nargs="?", default=None)
    ve.add_argument("--tag", default=None, help="verify the launch as committed at this git tag")
    ve.add_argument("--require-go", action="store_true", help="exit 1 unless the recorded decision holds and is GO")
    ve.add_argument(
        "--max-size",
        type=int,
        default=MAX_UNPACKED,
        metavar="BYTES",
        help="refuse an archive (or a tag's files) holding more",
    )
    ve.add_argument("--repo", type=Path, default=argparse.SUPPRESS, help="launch repository holding the tag")


def _github_parsers(sub: Any) -> None:
    def github_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--github", default=None, metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
        p.add_argument(
            "--membership",
            choices=("api", "roster"),
            default=None,
            help="team membership source: api (the token reads the organisation's teams) or the checklist's"
            " roster (default)",
        )
        p.add_argument("--branch", default="main", help="the protected branch: rules are read there (default: main)")

    ap = _command(
        sub,
        "approvals",
        cmd_approvals,
        "are a pull request's CODEOWNER approvals, quorum and freeze satisfied?",
        "gate approvals --pr 7 --github acme/launch",
    )
    ap.add_argument("--pr", type=int, default=None, help="default: from $GITHUB_EVENT_PATH")
    github_options(ap)
    ap.add_argument("--at", type=_time, default=None, help="judge the freeze as of this time")
    cm = _command(
        sub,
        "comment",
        cmd_comment,
        "post or update the one sticky scorecard comment on a pull request",
        "gate comment --pr 7 --github acme/launch",
    )
    cm.add_argument("--pr", type=int, default=None)
    github_options(cm)
    cm.add_argument("--at", type=_time, default=None, help="judge as of this UTC time (default: now)")
    rl = _command(
        sub,
        "release",
        cmd_release,
        "after a GO decision merged: re-verify it, then tag and release it",
        "gate release --sha $SHA --github acme/launch",
    )
    rl.add_argument("--sha", default=None, help="the merged commit (default: $GITHUB_EVENT_PATH's push, else HEAD)")
    rl.add_argument("--remote", default=None, metavar="NAME", help="push the tag to this git remote")
    github_options(rl)
    rl.add_argument("--packet", type=Path, default=None, metavar="FILE", help="the packet `gate packet` wrote")
    rl.add_argument("--archive", type=Path, default=None, metavar="FILE", help="its digest goes in the release")
    rl.add_argument("--at", type=_time, default=None, help="judge as of this UTC time (default: now; rehearsals)")
    _github_app_parsers(sub, github_options)
    co = _group(
        sub,
        "codeowners",
        "who owns a path; lint CODEOWNERS as GitHub reads it",
        "gate codeowners owners signoffs/security.yaml   |   gate codeowners lint",
    )
    owners = _command(
        co,
        "owners",
        cmd_codeowners_owners,
        "who owns each path (the last matching rule wins)",
        "gate codeowners owners signoffs/security.yaml",
    )
    owners.add_argument("paths", nargs="+", metavar="PATH", help="relative to the current folder, as git reads it")
    owners.add_argument("--file", type=Path, default=None, help="this CODEOWNERS file instead of the repository's")
    lint = _command(
        co,
        "lint",
        cmd_codeowners_lint,
        "problems GitHub would have with CODEOWNERS, and what the gate needs of it",
        "gate codeowners lint",
    )
    lint.add_argument("file", type=Path, nargs="?", default=None, help="default: the repository's CODEOWNERS")


def _github_app_parsers(sub: Any, github_options: Callable[[argparse.ArgumentParser], None]) -> None:
    gh = _group(
        sub,
        "github",
        "the verdicts GitHub requires, and the settings they rely on",
        "gate github doctor --github acme/launch",
    )
    ju = _command(
        gh,
        "judge",
        cmd_github_judge,
        "judge pull requests with the protected branch's rules and post both verdicts as check runs",
        "gate github judge --pr 7 --github acme/launch --membership api",
        launch=False,
    )
    ju.add_argument("--pr", type=int, action="append", default=[], help="a pull request to judge (repeatable)")
    ju.add_argument("--head-sha", default=None, help="judge every open pull request with this head commit")
    ju.add_argument("--head-branch", default=None, help="with --head-sha: the merge group's branch")
    ju.add_argument("--scheduled", action="store_true", help="re-judge every open pull request if the clock says so")
    ju.add_argument("--comment", action="store_true", help="also update the App's sticky scorecard comment")
    ju.add_argument("--at", type=_time, default=None, help="judge as of this time (default: now)")
    github_options(ju)
    do = _command(
        gh,
        "doctor",
        cmd_github_doctor,
        "list every protection the gate relies on that the repository's settings lack",
        "gate github doctor --github acme/launch --app-id 123456 --release-app-id 654321",
        launch=False,
    )
    github_options(do)
    do.add_argument("--app-id", type=int, default=None, help="the gate App (default: the token's installation)")
    do.add_argument(
        "--app-key",
        type=Path,
        default=None,
        metavar="PEM",
        help="the gate App's private key: its installation's permissions are shown only to the App itself",
    )
    do.add_argument("--release-app-id", type=int, default=None, help="the only App that may create release tags")
    do.add_argument("--tags", default="refs/tags/mainnet-*", help="the release tags' pattern")
    do.add_argument(
        "--label", action="append", default=["security-hotfix", "critical-fix"], help="a label that must exist"
    )


MATCH_HELP = "a label matcher for one metric family (chain: CometBFT's; application: the app's own); repeatable"


def _rollback_parsers(sub: Any) -> None:
    rb = _group(
        sub,
        "rollback",
        "rollback criteria as Prometheus rules; watch them live",
        "gate rollback rules --out launch-rollback.yml   |   gate rollback watch --prometheus http://127.0.0.1:9090",
    )
    rr = _command(
        rb,
        "rules",
        cmd_rollback_rules,
        "write the criteria as a Prometheus rule group, with the scrape interval each criterion needs",
        "gate rollback rules --out rollback.rules.yml --match chain:chain_id=virtengine-1",
    )
    rr.add_argument("--out", type=Path, default=None)
    rr.add_argument("--match", action="append", default=[], metavar="FAMILY:LABEL=VALUE", help=MATCH_HELP)
    rw = _command(
        rb,
        "watch",
        cmd_rollback_watch,
        "ask Prometheus whether any criterion holds (1 ROLLBACK, 0 healthy, 2 cannot tell)",
        "gate rollback watch --prometheus http://127.0.0.1:9090 --record --var 'TIME=30 minutes'",
    )
    rw.add_argument("--prometheus", required=True, metavar="URL")
    rw.add_argument("--once", action="store_true", help="one evaluation, then exit")
    rw.add_argument("--interval", type=_seconds, default=30.0, metavar="S", help="seconds between evaluations")
    rw.add_argument("--timeout", type=_seconds, default=5.0, metavar="S", help="seconds each request may take")
    rw.add_argument("--at", type=_time, default=None, help="evaluate at this moment (implies --once)")
    rw.add_argument("--match", action="append", default=[], metavar="FAMILY:LABEL=VALUE", help=MATCH_HELP)
    rw.add_argument("--record", action="store_true", help="on ROLLBACK, write the decision record into decisions/")
    rw.add_argument("--template", default="incident-update", help="the status template rendered with --record")
    rw.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="a value for that template")


def _comms_parsers(sub: Any) -> None:
    cm = _group(
        sub,
        "comms",
        "status-page drafts from the checklist's templates",
        "gate comms draft scheduled-maintenance --var 'IMPACT=read-only for 30 minutes'",
    )
    dr = _command(
        cm,
        "draft",
        cmd_comms_draft,
        "render status-page templates with this launch's values; --record registers them as evidence",
        "gate comms draft scheduled-maintenance --var IMPACT=none --record",
    )
    dr.add_argument("templates", nargs="+", metavar="TEMPLATE", help="template id(s), e.g. scheduled-maintenance")
    dr.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="a value for a template variable")
    dr.add_argument("--record", action="store_true", help="register the drafts as the status-page evidence")
    dr.add_argument("--replace", action="store_true", help="with --record: replace drafts recorded before")
    dr.add_argument("--item", default="F-status-page", help="with --record: the item the drafts are evidence for")
    dr.add_argument("--id", default=None, help="with --record: the manifest id (default: the item's requirement)")


# ---- running one command -------------------------------------------------------------------------------


def _launch_root(args: argparse.Namespace) -> Path:
    from gate.paths import find_root

    start = args.repo if args.repo is not None else Path.cwd()
    return find_root(start, explicit=args.repo is not None, marker=getattr(args, "marker", "checklist.yaml"))


def _scorecard(result: object) -> Any:
    """The scorecard a result is or carries (`gate status`'s view holds one); None for other results."""
    if type(result).__name__ == "StatusReport":
        result = cast(Any, result).card
    return result if type(result).__name__ == "Scorecard" else None


def _emit(result: object, args: argparse.Namespace) -> None:
    if result is None:
        return
    # --quiet prints only what fails: nothing when all is well, but a NO-GO (exit 0: consistent) is not
    # well — as text its verdict line and blockers, in another format the whole result.
    card = _scorecard(result)
    quiet = args.quiet and exit_code(result, require_go=getattr(args, "require_go", False)) == 0
    if quiet and (card is None or card.decision != "NO-GO"):
        return
    from gate.report import render
    from gate.report.safe import terminal

    if quiet and args.format == "text":
        from gate.report.status import quiet as quiet_text

        text = quiet_text(card)
    else:
        text = render(result, args.format)
    if args.format in ("text", "github"):
        text = terminal(text)  # what launch files say is shown, never obeyed by the terminal
    if args.format == "text":
        from gate.report.colour import colour, wanted

        text = colour(text) if wanted(sys.stdout.isatty()) else text
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
        hint = "the traceback is above" if args.verbose else "run with --verbose for the traceback"
        _err(f"gate: internal error: {type(exc).__name__}: {exc} ({hint})")
        return 3


def _err(text: str) -> None:
    from gate.report.safe import terminal

    sys.stderr.write(terminal(text) + "\n")
