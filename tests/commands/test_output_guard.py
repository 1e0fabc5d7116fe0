"""Every command that writes a file the user names refuses the launch's own files (exit 2, nothing
written): the checklist, the manifest, sign-offs, decisions, CODEOWNERS and .github, registered evidence.

The launch is a copy of examples/go, run from its folder (or a subfolder) so that targets are read as
a person types them: relative to the current folder, through `./`, `..` and symlinks.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import GateRunner
from tests.helpers import copy_example

DR_DRILL = "evidence/ops/disaster-recovery-drill.md"  # registered as dr-runbook-validation

COMMANDS = {
    "archive": lambda out: ("archive", out),
    "packet": lambda out: ("packet", "--out", out),
    "rollback rules": lambda out: ("rollback", "rules", "--out", out),
}


@pytest.fixture
def launch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = copy_example(tmp_path)
    monkeypatch.chdir(repo)
    return repo


def everything(repo: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) of the launch: a refusal may not even create a folder."""
    return {p.relative_to(repo).as_posix(): p.read_bytes() if p.is_file() else None for p in repo.rglob("*")}


@pytest.mark.parametrize(
    ("command", "target", "said"),
    [
        ("archive", DR_DRILL, f"{DR_DRILL} is registered evidence (dr-runbook-validation)"),
        ("archive", "evidence-manifest.json", "evidence-manifest.json is a launch file (the evidence manifest)"),
        ("archive", "./evidence/../decisions/new.tar.gz", "decisions/new.tar.gz is a launch file (under decisions/"),
        ("archive", "signoffs", "signoffs/ is a launch folder (the sign-offs)"),
        ("packet", "checklist.yaml", "checklist.yaml is a launch file (the checklist)"),
        ("packet", "signoffs/security.yaml", "signoffs/security.yaml is a launch file (under signoffs/"),
        ("packet", DR_DRILL, f"{DR_DRILL} is registered evidence (dr-runbook-validation)"),
        ("rollback rules", "checklist.yaml", "checklist.yaml is a launch file (the checklist)"),
        ("rollback rules", ".github/CODEOWNERS", ".github/CODEOWNERS is a launch file (CODEOWNERS"),
        ("rollback rules", ".github/workflows/alerts.yml", ".github/workflows/alerts.yml is a launch file (under"),
        ("rollback rules", "evidence/./ops//disaster-recovery-drill.md", f"{DR_DRILL} is registered evidence"),
    ],
)
def test_an_output_over_a_launch_file_is_refused_and_nothing_is_written(
    cli: GateRunner, launch: Path, command: str, target: str, said: str
) -> None:
    before = everything(launch)
    run = cli(*COMMANDS[command](target))
    assert (run.code, run.out) == (2, ""), run.err
    assert said in run.err
    assert "Write it elsewhere" in run.err
    assert everything(launch) == before


def test_a_target_named_from_a_subfolder_is_read_from_there(
    cli: GateRunner, launch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(launch / "evidence" / "ops")
    before = everything(launch)
    run = cli("archive", "../../evidence-manifest.json")
    assert run.code == 2
    assert "evidence-manifest.json is a launch file" in run.err
    run = cli("packet", "--out", "disaster-recovery-drill.md")
    assert run.code == 2
    assert f"{DR_DRILL} is registered evidence (dr-runbook-validation)" in run.err
    assert everything(launch) == before


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_output_symlinked_to_a_launch_file_is_refused(cli: GateRunner, launch: Path, command: str) -> None:
    (launch / "out.txt").symlink_to("checklist.yaml")
    before = everything(launch)
    run = cli(*COMMANDS[command]("out.txt"))
    assert run.code == 2
    assert "checklist.yaml is a launch file (the checklist)" in run.err
    assert everything(launch) == before


def test_comms_drafts_never_land_on_other_evidence(cli: GateRunner, launch: Path) -> None:
    """`--id` naming another item's evidence once wrote the drafts over it, even with --replace."""
    before = everything(launch)
    args = ("comms", "draft", "scheduled-maintenance", "--var", "IMPACT=none", "--record", "--replace")
    run = cli(*args, "--id", "dr-runbook-validation")
    assert run.code == 2
    # Refused by the first rule it breaks: the id is another item's (the output guard stands behind it).
    assert "--id 'dr-runbook-validation' is not evidence of F-status-page: it belongs to B-operations-sre" in run.err
    assert everything(launch) == before


@pytest.mark.parametrize("command", list(COMMANDS))
def test_ordinary_outputs_are_still_written(cli: GateRunner, launch: Path, tmp_path: Path, command: str) -> None:
    outside = tmp_path / "audit" / "out"
    run = cli(*COMMANDS[command](outside))
    assert run.code == 0, run.err
    assert outside.stat().st_size > 0
    run = cli(*COMMANDS[command]("./my-output"))  # inside the launch, but none of its own files
    assert run.code == 0, run.err
    assert (launch / "my-output").read_bytes() == outside.read_bytes()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_as_the_output_is_a_usage_error(cli: GateRunner, launch: Path, tmp_path: Path, command: str) -> None:
    """`gate archive .` was an internal error (exit 3); a folder is named where a file is wanted."""
    run = cli(*COMMANDS[command]("."))
    assert run.code == 2, run.err
    assert " is a folder: name a file to write" in run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_fifo_or_a_device_is_never_replaced_by_the_output(
    cli: GateRunner, launch: Path, tmp_path: Path, command: str
) -> None:
    """Outputs are renamed into place: over /dev/null (as root) or a FIFO that replaced the node itself."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = cli(*COMMANDS[command](fifo))
    assert run.code == 2, run.err
    assert "is not a regular file (a device, FIFO or socket): name a file to write" in run.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    devnull = Path(os.devnull)
    run = cli(*COMMANDS[command](devnull))
    assert run.code == 2, run.err
    assert "is not a regular file (a device, FIFO or socket)" in run.err  # not merely "cannot write" in /dev
    assert stat.S_ISCHR(devnull.stat().st_mode)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_output_that_cannot_be_written_is_a_usage_error(cli: GateRunner, launch: Path, command: str) -> None:
    """A folder that is a file, a name too long for the file system: exit 2 saying so, never a traceback."""
    for out in ("README-not-a-folder/x", "a" * 300 + ".out"):
        (launch / "README-not-a-folder").write_text("a file\n")
        run = cli(*COMMANDS[command](out))
        assert run.code == 2, run.err
        assert "cannot write " in run.err
        assert "Traceback" not in run.err


def test_comms_drafts_never_land_on_a_launch_file_through_their_own_path(cli: GateRunner, launch: Path) -> None:
    """The drafts' own id, not yet registered, writes to evidence/comms/<id>.md: when that is a link to
    the checklist, the output guard (not the id rule, which the id passes) refuses it."""
    assert cli("evidence", "rm", "status-page-drafts", "--repo", launch).code == 0
    drafts = launch / "evidence" / "comms" / "status-page-drafts.md"
    drafts.unlink(missing_ok=True)
    drafts.symlink_to(Path("../../checklist.yaml"))
    before = everything(launch)
    args = ("comms", "draft", "scheduled-maintenance", "--var", "IMPACT=none", "--record", "--replace")
    run = cli(*args, "--repo", launch)
    assert run.code == 2, run.err
    assert "checklist.yaml is a launch file (the checklist)" in run.err
    assert everything(launch) == before
