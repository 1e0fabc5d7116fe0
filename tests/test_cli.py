"""The command line as one consistent face: shared options anywhere, the launch found like git finds
its work tree, help that says how to use each command, and `--format json` that matches its schema."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gate.cli import build_parser
from tests.helpers import AT, ATTENDEES, ROOT, copy_example, drop_decisions


def _schema(name: str) -> Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / "output" / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _assert_matches(name: str, out: str) -> None:
    problems = [f"{list(e.path)}: {e.message}" for e in _schema(name).iter_errors(json.loads(out))]
    assert not problems, problems


@pytest.mark.parametrize(
    "argv",
    [
        ["--repo", "{repo}", "--format", "json", "check", "--at", AT],
        ["check", "--repo", "{repo}", "--format", "json", "--at", AT],
        ["--format", "json", "check", "--repo", "{repo}", "--at", AT],
        ["--verbose", "check", "--format", "json", "--repo", "{repo}", "--at", AT],
        ["check", "--verbose", "--format", "json", "--repo", "{repo}", "--at", AT],
    ],
    ids=["all-before", "all-after", "mixed", "verbose-before", "verbose-after"],
)
def test_shared_options_go_before_or_after_the_command(tmp_path, cli, argv):
    repo = copy_example(tmp_path)
    result = cli(*[str(repo) if a == "{repo}" else a for a in argv])
    assert result.code == 0, result.err
    assert result.json()["decision"] == "GO"


def test_an_option_before_the_command_is_not_reset_by_the_command(tmp_path, cli):
    repo = copy_example(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli("--repo", repo, "evidence", "verify")
    assert result.code == 0, result.err
    assert cli("--repo", elsewhere, "evidence", "verify").code == 2


def test_the_launch_is_found_from_a_subfolder(tmp_path, cli, monkeypatch):
    repo = copy_example(tmp_path)
    monkeypatch.chdir(repo / "evidence" / "security")
    result = cli("check", "--format", "json", "--at", AT)
    assert result.code == 0, result.err
    assert result.json()["decision"] == "GO"


def test_outside_a_launch_the_command_says_so(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("check")
    assert (result.code, result.out) == (2, "")
    assert result.err == "gate: not a launch repository (no checklist.yaml here or above)\n"
    named = cli("check", "--repo", tmp_path)
    assert named.code == 2
    assert named.err == f"gate: {tmp_path}: not a launch repository (no checklist.yaml in it)\n"


def test_a_mistyped_command_gets_a_suggestion(cli):
    result = cli("chek")
    assert result.code == 2
    assert "did you mean 'check'?" in result.err


def test_a_format_the_command_does_not_write_is_a_usage_error(tmp_path, cli):
    repo = copy_example(tmp_path)
    result = cli("signoff", "security", "--approve", "--by", "x", "--repo", repo, "--format", "markdown")
    assert result.code == 2
    assert "markdown" in result.err


def test_approvals_for_a_pull_request_without_a_repository_says_which_is_missing(cli, monkeypatch):
    for name in ("GITHUB_REPOSITORY", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(name, raising=False)
    result = cli("approvals", "--pr", "7")
    assert result.code == 2
    assert "which repository? give --github OWNER/NAME" in result.err


def _commands(parser: object) -> list[tuple[str, ...]]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    out: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                children = _commands(sub)
                out += [(name, *child) for child in children] if children else [(name,)]
    return out


@pytest.mark.parametrize("command", _commands(build_parser()), ids=" ".join)
def test_every_command_has_a_description_an_example_and_the_exit_codes(cli, command):
    result = cli(*command, "--help")
    assert result.code == 0
    assert "example:\n  gate " + command[0] in result.out
    assert "exit codes:" in result.out
    assert "--format" in result.out


@pytest.mark.parametrize(
    "argv",
    [
        ["--rep", "{repo}", "check", "--format", "json", "--at", AT],  # an abbreviated shared option
        ["--format=json", "check", "--repo", "{repo}", "--at", AT],
        ["--repo", "{repo}", "evidence", "verify", "--format", "json"],
    ],
    ids=["abbreviated", "option=value", "action"],
)
def test_only_the_named_command_is_built_and_it_parses_in_full(tmp_path, cli, argv):
    from gate.cli import _named

    repo = copy_example(tmp_path)
    words = [str(repo) if a == "{repo}" else a for a in argv]
    named = _named(words)
    parser = build_parser(named)
    built = [c for c in _commands(parser) if _leaf(parser, c).get_default("handler") is not None]
    [command] = built  # one command parsed in full: the one argv names (its group, and its action)
    assert command == named[: len(command)]
    assert len(_commands(parser)) == len(_commands(build_parser()))  # every command still listed
    assert cli(*words).code == 0


def test_a_command_argparse_picks_past_the_guess_is_built_and_parsed_again(tmp_path, cli, monkeypatch):
    """Were the guess of which command argv names ever wrong, the stub argparse picked is replaced."""
    import gate.cli

    monkeypatch.setattr(gate.cli, "_named", lambda _argv: ("archive",))
    repo = copy_example(tmp_path)
    result = cli("check", "--repo", repo, "--format", "json", "--at", AT)
    assert result.code == 0, result.err
    assert result.json()["decision"] == "GO"
    assert cli("check", "--repo", repo, "--no-such-option").code == 2


def _leaf(parser: Any, command: tuple[str, ...]) -> Any:
    import argparse

    for name in command:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def test_evidence_verify_never_imports_pydantic(tmp_path):
    """The pre-commit hash check starts without the models: finding the launch, verifying and ending
    the process all stay clear of pydantic."""
    repo = copy_example(tmp_path)
    probe = f"import sys; from gate.cli import main; main(['evidence', 'verify', '--repo', {str(repo)!r}]);"
    probe += " print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.splitlines()[-1] == "False"


def test_shell_completion_covers_the_commands(cli):
    result = cli("completion", "bash")
    assert result.code == 0
    script = result.out
    assert "check" in script
    assert "evidence" in script
    done = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def test_codeowners_owners_takes_format_and_paths_in_any_order(cli):
    result = cli("codeowners", "owners", "--format", "json", "signoffs/security.yaml", "--repo", ROOT)
    assert result.code == 0, result.err
    assert result.json()["paths"][0]["owners"] == ["@virtengine/security"]


def test_codeowners_lint_reads_the_file_it_is_given(tmp_path, cli):
    other = tmp_path / "CODEOWNERS"
    other.write_text("* @virtengine/release-managers\n", encoding="utf-8")
    result = cli("codeowners", "lint", other, "--repo", ROOT)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{other}:1:1: signoffs/security.yaml is owned by @virtengine/release-managers")
    assert lines[-1] == f"{other}: 6 problem(s)"


# ---- every command's JSON matches its schema ------------------------------------------------------------


def test_json_of_the_recording_commands_matches_their_schemas(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    report = repo / "evidence" / "security" / "pentest.md"
    report.write_text("# Pentest\n\nNo findings.\n", encoding="utf-8")
    runs = {
        "evidence-add": ("evidence", "add", report, "--item", "B-security", "--id", "pentest", "--supporting"),
        "evidence-verify": ("evidence", "verify"),
        "signoff": ("signoff", "security", "--approve", "--by", "sec-lead-ana", "--at", "2026-11-28T10:00:00Z"),
        "decide": ("decide", "--decision", "NO-GO", "--at", AT, *[f"--attendee={a}" for a in ATTENDEES]),
        "packet": ("packet", "--out", tmp_path / "packet.md"),
        "archive": ("archive", tmp_path / "launch.tar.gz"),
        "schema": ("schema", "--check"),
        "codeowners-lint": ("codeowners", "lint", ROOT / ".github" / "CODEOWNERS"),
        "rollback-rules": ("rollback", "rules"),
    }
    for name, argv in runs.items():
        result = cli(*argv, "--repo", repo, "--format", "json")
        assert result.code in (0, 1), (name, result.err)
        _assert_matches(name, result.out)
    capture = cli(
        "evidence", "capture", "--repo", repo, "--format", "json", "--item", "D-genesis-checksum",
        "--id", "genesis-checksum", "--", sys.executable, "-c", "print('ok')",
    )  # fmt: skip
    assert capture.code == 0, capture.err
    assert capture.out.startswith("{"), "with --format json the command's own output is not echoed"
    _assert_matches("evidence-add", capture.out)
    verified = cli("verify", tmp_path / "launch.tar.gz", "--format", "json")
    _assert_matches("verify", verified.out)


def test_json_of_init_and_owners_matches_their_schemas(tmp_path, cli):
    made = cli("init", tmp_path / "new", "--name", "New", "--network", "testnet", "--org", "acme", "--format", "json")
    assert made.code == 0, made.err
    _assert_matches("init", made.out)
    owners = cli("codeowners", "owners", "decisions/x.yaml", "--repo", ROOT, "--format", "json")
    _assert_matches("codeowners-owners", owners.out)


def test_check_json_of_a_launch_with_input_errors_matches_its_schema(tmp_path, cli):
    repo = copy_example(tmp_path)
    drop_decisions(repo)
    (repo / "checklist.yaml").write_text("version: [\n", encoding="utf-8")
    result = cli("check", "--repo", repo, "--format", "json")
    assert result.code == 2
    _assert_matches("check", result.out)


def test_quiet_prints_nothing_when_all_is_well(tmp_path, cli):
    repo = copy_example(tmp_path)
    assert cli("evidence", "verify", "--repo", repo, "--quiet").out == ""
    (repo / "evidence" / "security" / "vuln-scan.txt").write_text("tampered\n", encoding="utf-8")
    loud = cli("evidence", "verify", "--repo", repo, "--quiet")
    assert loud.code == 1
    assert "vuln-scan.txt" in loud.out


@pytest.mark.parametrize("command", ["status", "check"])
def test_quiet_still_prints_a_no_go_and_its_blockers(tmp_path, cli, command):
    """A NO-GO in progress exits 0 (consistent), but it is what fails: --quiet keeps the verdict line,
    the count and each blocker, and drops the rest; a GO stays silent."""
    repo = copy_example(tmp_path, "no-go")
    loud = cli(command, "--repo", repo, "--at", AT).out.splitlines()
    blockers = [line.strip() for line in loud if line.lstrip().startswith("✗ ")]
    quiet = cli(command, "--repo", repo, "--at", AT, "--quiet")
    assert quiet.code == 0, quiet.err
    lines = quiet.out.splitlines()
    assert lines[0] == loud[0]
    assert lines[0].startswith("NO-GO — VirtEngine Mainnet Launch (example, not ready)")
    assert lines[1] == f"{len(blockers)} blocking:"
    assert len(blockers) == len(cli("check", "--repo", repo, "--at", AT, "--format", "json").json()["blocking"])
    assert lines[2:] == [f"  {b}" for b in blockers]
    assert cli(command, "--repo", copy_example(tmp_path, "go"), "--at", AT, "--quiet").out == ""


def test_internal_errors_name_verbose_for_the_traceback(tmp_path, cli, monkeypatch):
    import gate.commands.check

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(gate.commands.check, "run_check", boom)
    repo = copy_example(tmp_path)
    quiet = cli("check", "--repo", repo)
    assert quiet.code == 3
    assert quiet.err == "gate: internal error: RuntimeError: boom (run with --verbose for the traceback)\n"
    loud = cli("check", "--repo", repo, "--verbose")
    assert loud.code == 3
    assert "Traceback" in loud.err
    assert loud.err.endswith("gate: internal error: RuntimeError: boom (the traceback is above)\n")


# ---- progress on a terminal ----------------------------------------------------------------------------

SIZE = r"[0-9.]+ (?:B|KiB|MiB|GiB)"
FRAME = re.compile(rf"\r(?P<label>[a-z ]+): (?P<done>{SIZE}) of (?P<total>{SIZE}) \((?P<pct>\d+)%\)")


def _with_big_evidence(tmp_path: Path, register: bool = True) -> Path:
    """The GO example plus a 96 MiB evidence file (sparse: no disk, little time)."""
    repo = copy_example(tmp_path)
    big = repo / "evidence" / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(96 * 1024 * 1024)
    if register:
        digest = hashlib.sha256()
        for _ in range(96):
            digest.update(bytes(1024 * 1024))
        manifest = json.loads((repo / "evidence-manifest.json").read_text(encoding="utf-8"))
        manifest["artifacts"].append(
            {"id": "big", "path": "evidence/big.bin", "sha256": digest.hexdigest(), "size": 96 * 1024 * 1024,
             "items": [], "areas": [], "captured_at": "2026-11-01T00:00:00Z"}
        )  # fmt: skip
        (repo / "evidence-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return repo


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """What `gate ARGV` writes to stderr when stderr is a terminal (a pseudo-terminal here)."""
    main_fd, term_fd = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gate", *argv], stdout=subprocess.DEVNULL, stderr=term_fd, env=env)
    os.close(term_fd)
    seen = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(main_fd)
    assert proc.wait(timeout=120) in (0, 1), seen
    return seen.decode()


@pytest.mark.parametrize(
    ("command", "label"),
    [
        (["evidence", "verify"], "verifying"),
        (["check"], "hashing evidence"),
        (["archive", "{out}"], "archiving"),
        (["evidence", "add", "evidence/big.bin", "--item", "B-security", "--id", "big", "--supporting"], "hashing"),
    ],
    ids=["evidence-verify", "check", "archive", "evidence-add"],
)
def test_long_work_shows_its_progress_on_a_terminal(tmp_path, command, label):
    repo = _with_big_evidence(tmp_path, register=command[0] != "evidence" or command[1] != "add")
    argv = [str(tmp_path / "out.tar.gz") if a == "{out}" else a for a in command] + ["--repo", str(repo)]
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    shown = _on_a_terminal(argv, env)
    frames = [m.groupdict() for m in FRAME.finditer(shown)]
    assert frames, repr(shown)
    assert {f["label"] for f in frames} == {label}
    assert re.fullmatch(r"96\.\d MiB", frames[-1]["total"]), frames
    # Shown while the one large file is read, not only when it is done.
    assert any(int(f["pct"]) < 100 for f in frames), frames
    assert shown.endswith("\r\x1b[K")  # the line is cleared when the work ends
    assert not _on_a_terminal([*argv, "--quiet"], env)
    assert not _on_a_terminal(argv, {**env, "CI": "true"})


@pytest.mark.parametrize("group", ["evidence", "codeowners", "github", "rollback", "comms"])
def test_a_group_takes_the_shared_options_and_its_help_shows_an_example_and_the_exit_codes(cli, group):
    shown = cli(group, "--help")
    assert shown.code == 0
    assert "example:\n  gate " + group in shown.out
    assert "exit codes:" in shown.out
    assert "--repo" in shown.out


def test_shared_options_between_a_group_and_its_action(cli, tmp_path):
    repo = copy_example(tmp_path)
    listed = cli("evidence", "--repo", repo, "--format", "json", "ls", "--item", "B-security")
    assert listed.code == 0, listed.err
    assert json.loads(listed.out)["entries"][0]["id"] == "threat-model"
