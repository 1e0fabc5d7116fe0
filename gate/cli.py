"""The command line: arguments -> request -> core -> reporter -> exit code. Only this module prints."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from gate import __version__
from gate.errors import GateError, InputErrors

Handler = Callable[[argparse.Namespace], int]


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
    from gate.check import CheckRequest, run_check
    from gate.report import render

    card = run_check(CheckRequest(repo=args.repo, at=args.at, require_go=args.require_go))
    _out(render(card, args.format))
    return card.exit_code


def cmd_schema(args: argparse.Namespace) -> int:
    from gate import schemas

    if args.check:
        stale = schemas.stale(args.repo)
        for rel in stale:
            _out(f"{rel}: out of date with the models (run `gate schema` to regenerate)\n")
        return 1 if stale else 0
    for rel in schemas.write(args.repo):
        _out(f"wrote {rel}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Every command and option."""
    from gate.report import FORMATS

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
    return parser


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
