"""The workflows of this repository and of a `gate init` repository hold what their zizmor suppressions say.

zizmor flags `pull_request_target` and `workflow_run` (`dangerous-triggers`): the design needs both, so
each is suppressed inline with its reason. These tests prove the reason: in every privileged workflow
nothing of the pull request is checked out, installed or executed (no checkout of a PR ref, no event
expression in a shell, installs only from hash-locked requirements or the pinned gate action), the key
is in a protected-branch environment, and the relay holds nothing. The judge's own tests
(`test_judge.py::test_nothing_from_the_pull_request_is_run`) prove the PR's files are read as data.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.commands.init import github_files, init
from tests.helpers import ROOT

PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
PRIVILEGED = {"pull_request_target", "workflow_run", "schedule", "workflow_dispatch", "push"}
UNPRIVILEGED_SOURCES = {"pull_request", "pull_request_review", "merge_group"}
ACTION = "acme/gate@" + "a" * 40


@pytest.fixture(scope="module")
def launch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("init") / "launch"
    init(target, "Testnet", "testnet", "acme", ACTION)
    return target


def workflow_dirs(launch: Path) -> list[Path]:
    return [ROOT / ".github" / "workflows", launch / ".github" / "workflows"]


def workflows(launch: Path) -> list[tuple[Path, dict[Any, Any]]]:
    out = []
    for folder in workflow_dirs(launch):
        for path in sorted(folder.glob("*.yml")):
            out.append((path, yaml.safe_load(path.read_text())))
    return out


def triggers(doc: dict[Any, Any]) -> set[str]:
    on = doc.get(True, doc.get("on"))  # YAML 1.1 reads `on` as true
    return set(on) if isinstance(on, dict) else {on} if isinstance(on, str) else set(on or [])


def steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def binary(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is installed with the dev dependencies"
    return found


@pytest.mark.parametrize("where", ["this repository", "a gate init repository"])
def test_zizmor_auditor_finds_nothing_unexplained(launch, where):
    folder = ROOT if where == "this repository" else launch
    targets = [str(folder / ".github" / "workflows")] + ([str(ROOT / "action.yml")] if folder == ROOT else [])
    done = subprocess.run(
        [binary("zizmor"), "--offline", "--persona", "auditor", *targets], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_github_accepts_the_workflows_and_the_action(launch):
    files = [str(p) for folder in workflow_dirs(launch) for p in sorted(folder.glob("*.yml"))]
    done = subprocess.run(
        [binary("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
    done = subprocess.run(
        [binary("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_every_suppression_gives_its_reason(launch):
    for folder in workflow_dirs(launch):
        for path in folder.glob("*.yml"):
            for line in path.read_text().splitlines():
                if "zizmor: ignore[" in line:
                    reason = line.split("]", 1)[1].strip()
                    assert len(reason) > 20, f"{path.name}: a suppression without its reason: {line.strip()}"


def test_privileged_workflows_run_nothing_of_the_pull_request(launch):
    seen = 0
    for path, doc in workflows(launch):
        if not triggers(doc) & {"pull_request_target", "workflow_run"}:
            continue
        seen += 1
        for step in steps(doc):
            uses, run, with_ = step.get("uses", ""), step.get("run", ""), step.get("with", {}) or {}
            assert "${{" not in run, f"{path.name}: an expression in a shell: {run}"
            assert not uses.startswith("./"), f"{path.name}: a local action runs the checked-out code"
            if uses.startswith("actions/checkout@"):
                assert with_.get("persist-credentials") is False, path.name
                assert "${{" not in str(with_.get("ref", "")), f"{path.name}: checks out a ref from the event"
                assert "repository" not in with_, f"{path.name}: checks out another repository (a fork?)"
            _assert_pinned_installs(path.name, run)
    assert seen == 2  # gate.yml here and in the init repository
    # The init repository's judge is installed by the gate action: its installs are held to the same rule.
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    runs = [s["run"] for s in action["runs"]["steps"] if "run" in s]
    assert sum(len(re.findall(r"pip\"? install", run)) for run in runs) == 2
    for run in runs:
        _assert_pinned_installs("action.yml", run)


def _assert_pinned_installs(name: str, run: str) -> None:
    """Requirements only from a hash-locked file; the judge itself with no dependencies of its own."""
    for command in re.findall(r"pip\"? install[^\n]*", run):
        if " -r " in command:
            assert "--require-hashes" in command, f"{name}: {command}"
        else:
            assert "--no-deps" in command, f"{name}: {command}"


def test_python_never_imports_from_a_checkout_in_a_job_that_holds_a_token(launch, tmp_path):
    """`python3 -m venv` run in a checkout imports a venv.py found there first: every python started by
    a workflow or the gate action is isolated (-I), and the action installs away from the checkout."""
    shells = [(path.name, step.get("run", "")) for path, doc in workflows(launch) for step in steps(doc)]
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    shells += [("action.yml", s["run"]) for s in action["runs"]["steps"] if "run" in s]
    started = [(name, m) for name, run in shells for m in re.findall(r"\bpython3?( [^\n]*)", run)]
    assert len(started) >= 3
    for name, args in started:
        assert args.startswith(" -I "), f"{name}: python{args} is not isolated"
    [install] = [s for s in action["runs"]["steps"] if s.get("id") == "install"]
    assert install["working-directory"] == "${{ runner.temp }}"
    # And isolation is what stops it: a venv.py in the current folder runs without -I, never with it.
    (tmp_path / "venv.py").write_text("raise SystemExit('imported from the checkout')\n")
    shadowed = subprocess.run(["python3", "-m", "venv", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert "imported from the checkout" in shadowed.stderr
    isolated = subprocess.run(["python3", "-I", "-m", "venv", "--help"], cwd=tmp_path, capture_output=True, text=True)
    assert isolated.returncode == 0, isolated.stderr


def test_judge_runs_for_one_head_commit_never_overlap(launch):
    """A pull request event and a relayed review of the same head share one concurrency group, never
    cancelled: two judges of one commit in parallel could leave the older reading's verdict last."""
    judged = [(path, doc) for path, doc in workflows(launch) if "pull_request_target" in triggers(doc)]
    assert len(judged) == 2  # here and in the init repository
    for path, doc in judged:
        group = doc["concurrency"]["group"]
        assert "github.event.pull_request.head.sha" in group, path.name
        assert "github.event.workflow_run.head_sha" in group, path.name
        assert "pull_request.number" not in group, path.name
        assert doc["concurrency"]["cancel-in-progress"] is False, path.name


def test_every_action_is_pinned_by_commit(launch):
    for path, doc in workflows(launch):
        for step in steps(doc):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned by commit"
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert all(PINNED.match(s["uses"]) for s in action["runs"]["steps"] if "uses" in s)


def test_secrets_live_only_in_protected_branch_environments(launch):
    for path, doc in workflows(launch):
        for name, job in doc["jobs"].items():
            text = yaml.safe_dump(job)
            if "secrets." in text:
                assert job.get("environment") in ("gate", "release"), f"{path.name}:{name} reads a secret outside one"
            assert "GATE_ORG_TOKEN" not in text, f"{path.name}: the long-lived token is gone"


def test_workflows_a_pull_request_can_change_hold_nothing(launch):
    """The relay (reviews, merge groups) and the tests run files a PR controls: no secret, no write —
    whatever other trigger the workflow also has (a `push:` beside `pull_request:` changes nothing)."""
    seen = 0
    for path, doc in workflows(launch):
        if not triggers(doc) & UNPRIVILEGED_SOURCES:
            continue
        seen += 1
        assert doc["permissions"] == {}, path.name
        for name, job in doc["jobs"].items():
            text = yaml.safe_dump(job)
            assert "secrets." not in text, f"{path.name}:{name}"
            assert "environment" not in job, f"{path.name}:{name}"
            assert all(level in ("read", "none") for level in (job.get("permissions") or {}).values()), name
    assert seen >= 3  # the relay here and in the init repository, and this repository's tests


def test_the_judge_token_cannot_tag_and_the_release_token_cannot_judge(launch):
    for path, doc in workflows(launch):
        for step in steps(doc):
            if step.get("uses", "").startswith("actions/create-github-app-token@"):
                asked = {k: v for k, v in step["with"].items() if k.startswith("permission-")}
                assert asked, f"{path.name}: a token with every permission of the installation"
                if "gate" in path.name:
                    assert asked["permission-contents"] == "read"
                else:
                    assert "permission-checks" not in asked


def test_init_writes_the_same_rulesets_and_guide_as_documented_here():
    written = github_files(ACTION, "cosmos-mainnet")  # this repository is that template's launch
    for rel in ("docs/ruleset.json", "docs/ruleset-tags.json", "docs/github-setup.md"):
        assert written[rel] == (ROOT / rel).read_text(), rel


def test_a_generic_launch_guards_every_tag_for_the_release_app():
    """A product's launch repository holds only release tags, whatever they are named: all are guarded."""
    ruleset = json.loads(github_files(ACTION, "generic")["docs/ruleset-tags.json"])
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/tags/*"]
    assert "`refs/tags/*`" in github_files(ACTION, "generic")["docs/github-setup.md"]


@pytest.mark.parametrize("bad", ["acme/gate@v1", "acme/gate@" + "a" * 39, "gate@" + "a" * 40, "acme/gate"])
def test_init_refuses_an_unpinned_gate_action(tmp_path, bad):
    from gate.errors import UsageError

    with pytest.raises(UsageError, match="is not OWNER/REPO@COMMIT"):
        init(tmp_path / "launch", "Testnet", "testnet", "acme", bad)


def test_every_test_docs_security_names_exists():
    """docs/security.md names the test proving each control: each must exist, or the claim is hollow."""
    text = (ROOT / "docs" / "security.md").read_text()
    named = re.findall(r"`(test_\w+\.py)::(test_\w+)(?:\[[^\]]*\])?`", text)
    named += [
        (file, name)
        for file, _first, names in re.findall(r"`(test_\w+\.py)::(test_\w+)`((?:, `test_\w+`)*)", text)
        for name in re.findall(r"`(test_\w+)`", names)
    ]
    assert len(named) > 20
    for file, name in named:
        source = next(ROOT.glob(f"tests/**/{file}")).read_text()
        assert f"def {name}(" in source, f"docs/security.md names {file}::{name}, which does not exist"
