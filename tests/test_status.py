"""`gate status`: what to do next at a glance — the verdict and countdown first, each blocker under who
must act with the command that fixes it, passing items hidden unless asked, lines that fit the terminal,
colour only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from jsonschema import Draft202012Validator

from tests.helpers import AT, FROZEN_LAUNCH, ROOT, copy_example


def test_the_verdict_and_countdown_come_first(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    out = cli("status", "--repo", repo, "--at", AT).out.splitlines()
    assert out[0].startswith("NO-GO — VirtEngine Mainnet Launch (example, not ready) · mainnet · release")
    assert out[1].startswith("Next: freeze starts in ")


def test_each_blocker_is_under_who_must_act_with_its_fix(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    out = cli("status", "--repo", repo, "--at", AT).out
    security = out[out.index("  security-lead · Security") :]
    assert security.splitlines()[1].startswith("    ✗ Security sign-off: stale: changed since it was approved:")
    assert (
        security.splitlines()[2]
        == "      → gate signoff security --approve --by LOGIN   (then the lead approves the PR)"
    )
    assert "(@virtengine/security: sec-eng-omar, sec-lead-ana)" in out  # who may approve
    finance = out[out.index("  finance-lead · finance-billing") :]
    assert "✗ P0 prereq-6E" in finance
    assert "→ fix what the command checks, then capture it again: gate evidence capture --item prereq-6E" in finance
    assert out.index("release-manager · the launch") > out.index("security-lead · Security")  # the launch last


def test_passing_items_are_hidden_unless_all(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    short = cli("status", "--repo", repo, "--at", AT).out
    assert "PASS" not in short.replace(" PASS · ", "")
    assert "`gate status --all` lists every item" in short
    every = cli("status", "--all", "--repo", repo, "--at", AT).out
    assert "  PASS P0 prereq-6B" in every


def test_every_hash_is_shown_once_in_check(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    out = cli("check", "--repo", repo, "--at", AT).out
    shown = [word.strip("();") for word in out.split() if len(word.strip("();")) == 12 and "->" not in word]
    hashes = [w for w in shown if all(c in "0123456789abcdef" for c in w)]
    assert hashes, out
    assert len(hashes) == len(set(hashes))


def test_status_json_matches_its_schema(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    data = cli("status", "--repo", repo, "--at", AT, "--format", "json").json()
    schema = json.loads((ROOT / "schemas" / "output" / "status.schema.json").read_text(encoding="utf-8"))
    assert not list(Draft202012Validator(schema).iter_errors(data))
    titles = [g["title"] for g in data["groups"]]
    assert titles[-1] == "release-manager · the launch"


def _on_a_terminal(argv: list[str], env: dict[str, str], columns: int = 80) -> str:
    main, child = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "gate", *argv], stdout=child, stderr=child, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_none_with_no_color_or_in_a_pipe(tmp_path, cli):
    repo = copy_example(tmp_path, "no-go")
    argv = ["status", "--repo", str(repo), "--at", AT]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _on_a_terminal(argv, env)
    assert "\x1b[1m\x1b[31mNO-GO\x1b[0m" in coloured
    assert "\x1b[31m✗\x1b[0m" in coloured
    assert "\x1b[" not in _on_a_terminal(argv, {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in cli(*argv).out  # a pipe: plain text


def test_lines_fit_the_terminal(tmp_path):
    repo = copy_example(tmp_path, "no-go")
    env = {**os.environ, "NO_COLOR": "1"}
    out = _on_a_terminal(["status", "--repo", str(repo), "--at", AT], env, columns=80)
    assert max(len(line) for line in out.replace("\r", "").splitlines()) <= 80


def test_fix_commands_are_never_cut_to_fit(tmp_path):
    """On a narrow terminal a long fix goes on over lines ending in ` \\` (what a shell reads as one
    command), never cut off with an ellipsis: every command of the wide view is in the narrow one."""
    env = {**os.environ, "NO_COLOR": "1"}
    argv = ["status", "--repo", str(FROZEN_LAUNCH)]  # a launch just begun: dozens of fixes
    wide = _on_a_terminal(argv, env, columns=400).replace("\r", "")
    narrow = _on_a_terminal(argv, env, columns=60).replace("\r", "")
    assert max(len(line) for line in narrow.splitlines() if " " in line.strip()) <= 60
    joined = " ".join(narrow.replace(" \\\n", " ").split())
    fixes = [line.split("→ ", 1)[1].split("   (")[0] for line in wide.splitlines() if "→ " in line]
    commands = ["gate " + f.rpartition(": gate ")[2] if ": gate " in f else f for f in fixes]
    assert len([c for c in commands if len(c) > 60]) >= 5  # long enough to need more than one line
    for command in commands:
        assert " ".join(command.split()) in joined, command
