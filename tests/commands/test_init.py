"""`gate init`: a new launch repository, honestly NO-GO and valid under every other command, from either
template — `generic` (the default: a product or service launch, nothing of a chain in it) or
`cosmos-mainnet` (keeps every id of this repository's own checklist, so the two cannot silently drift
apart). Both show the mitigation and N/A fields as commented examples that stay true to the models.

Every test scaffolds into tmp_path and drives the real command in-process (`run_gate` from conftest.py);
one builds the wheel and runs `gate init` from it, outside this source tree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.commands.init import GITHUB_FILES, TEMPLATES
from gate.load import load_yaml
from gate.model import Checklist
from gate.model.checklist import Mitigation, NotApplicable
from tests.conftest import Check, RunGate
from tests.helpers import ROOT, item

AREAS = ("security", "compliance-privacy", "operations-sre", "finance-billing", "product-release")
NAME, NETWORK, ORG = "Testnet Launch", "testnet", "acme"


def init(run_gate: RunGate, target: Path, *extra: str) -> tuple[int, str, str]:
    return run_gate("init", target, "--name", NAME, "--network", NETWORK, "--org", ORG, *extra)


def scaffold(run_gate: RunGate, target: Path, template: str) -> Path:
    code, _, err = init(run_gate, target, "--template", template)
    assert code == 0, err
    return target


@pytest.fixture(params=TEMPLATES)
def launch(request: pytest.FixtureRequest, tmp_path: Path, run_gate) -> Path:
    """A new launch from each template in turn: everything below holds for both."""
    return scaffold(run_gate, tmp_path / "testnet", request.param)


def checklist(repo: Path) -> Checklist:
    _, model, errors = load_yaml(repo, "checklist.yaml", Checklist)
    assert errors == []
    assert model is not None
    return model


def files_under(repo: Path) -> set[str]:
    return {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()}


def test_init_scaffolds_a_launch(tmp_path, run_gate):
    target = tmp_path / "testnet"
    code, out, err = init(run_gate, target)
    assert (code, err) == (0, "")
    schemas = {p.relative_to(ROOT).as_posix() for p in (ROOT / "schemas").rglob("*.schema.json")}
    expected = {"checklist.yaml", "evidence-manifest.json", ".github/CODEOWNERS", "evidence/.gitkeep"}
    expected |= {"decisions/.gitkeep"} | {f"signoffs/{a}.yaml" for a in AREAS} | schemas
    expected |= set(GITHUB_FILES)  # workflows, hooks, PR template, setup guide, rulesets
    assert files_under(target) == expected
    assert {line.removeprefix("created ") for line in out.splitlines()[:-2]} == {str(target / f) for f in expected}
    assert out.splitlines()[-2:] == ["template: generic", f"next: cd {target} && gate status"]
    assert (target / "evidence").is_dir()
    assert (target / "decisions").is_dir()


def test_signoffs_are_pending_and_the_manifest_empty(launch):
    for area in AREAS:
        text = (launch / f"signoffs/{area}.yaml").read_text(encoding="utf-8")
        assert f"\narea: {area}\n" in text
        assert text.endswith("\nstatus: pending\n")
    data = json.loads((launch / "evidence-manifest.json").read_text(encoding="utf-8"))
    assert (data["artifacts"], data["commands"]) == ([], [])


def test_check_says_no_go_and_lists_every_pending_signoff(launch, run_gate):
    code, out, _ = run_gate("check", "--repo", launch)
    assert code == 0  # a NO-GO launch in progress is consistent
    assert out.rstrip().splitlines()[-1].startswith("Decision: NO-GO")
    for area in checklist(launch).areas:
        assert f"{area.name} sign-off: pending" in out
    code, out, _ = run_gate("check", "--repo", launch, "--format", "json")
    card: dict[str, Any] = json.loads(out)
    assert code == 0
    assert card["decision"] == "NO-GO"
    assert (card["errors"], card["integrity"]) == ([], [])
    assert {s["area"]: s["status"] for s in card["signoffs"]} == dict.fromkeys(AREAS, "pending")
    assert run_gate("check", "--repo", launch, "--require-go")[0] == 1


def test_schemas_are_current(launch, run_gate):
    assert run_gate("schema", "--check", "--repo", launch) == (0, "", "")


def test_codeowners_lints_clean_and_gives_each_area_its_team(launch, run_gate):
    code, out, _ = run_gate("codeowners", "lint", "--repo", launch)
    assert code == 0
    assert "0 problem(s)" in out
    teams = {a.id: a.team for a in checklist(launch).areas}
    code, out, _ = run_gate("codeowners", "owners", *(f"signoffs/{a}.yaml" for a in AREAS), "--repo", launch)
    assert code == 0
    for area in AREAS:
        assert f"signoffs/{area}.yaml: {teams[area]} " in out
    code, out, _ = run_gate("codeowners", "owners", "checklist.yaml", "decisions/x.yaml", "--repo", launch)
    assert f"checklist.yaml: @{ORG}/release-managers " in out
    assert "decisions/x.yaml: " + " ".join(teams[a] for a in AREAS) in out


def test_the_new_launch_is_named_and_owned_as_asked(launch):
    model = checklist(launch)
    assert (model.launch.name, model.launch.network) == (NAME, NETWORK)
    assert all(a.team.startswith(f"@{ORG}/") for a in model.areas)
    for rel in files_under(launch):
        assert "virtengine" not in (launch / rel).read_text(encoding="utf-8").lower(), rel


def test_init_twice_is_refused_and_changes_nothing(launch, run_gate):
    signoff = launch / "signoffs/security.yaml"
    signoff.write_text(signoff.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    before = {rel: (launch / rel).read_bytes() for rel in files_under(launch)}
    code, out, err = run_gate("init", launch, "--name", "Other", "--network", "devnet", "--org", "other")
    assert code == 2
    assert "already holds a launch" in err
    assert out == ""
    assert {rel: (launch / rel).read_bytes() for rel in files_under(launch)} == before


@pytest.mark.parametrize("org", ["bad org", "", "-acme", "@acme", "acme/team", "ac_me"])
def test_invalid_org_is_refused(tmp_path, run_gate, org):
    target = tmp_path / "launch"
    code, _, err = run_gate("init", target, "--name", NAME, "--network", NETWORK, f"--org={org}")
    assert code == 2
    assert f"--org {org!r} is not a GitHub organisation name" in err
    assert not target.exists()


def test_name_network_and_org_are_required(tmp_path, run_gate):
    """Without --org the teams were @my-org/…: CODEOWNERS naming teams that do not exist, which no
    check reported."""
    assert run_gate("init", tmp_path / "x", "--network", NETWORK, "--org", ORG)[0] == 2
    assert run_gate("init", tmp_path / "x", "--name", NAME, "--org", ORG)[0] == 2
    code, _, err = run_gate("init", tmp_path / "x", "--name", NAME, "--network", NETWORK)
    assert code == 2
    assert "--org" in err
    assert not (tmp_path / "x").exists()


def ids(model: Checklist) -> dict[str, Any]:
    return {
        "sections": [s.id for s in model.sections],
        "prerequisites": {i.id: (i.priority, i.area, [e.id for e in i.evidence]) for i in model.prerequisites},
        "items": {i.id: (i.priority, i.area, [e.id for e in i.evidence]) for i in model.items},
        "areas": [a.id for a in model.areas],
        "rollback": [c.id for c in model.rollback.criteria],
        "quorum": model.decision_process.quorum,
    }


def test_cosmos_mainnet_keeps_every_id_of_the_repository_checklist(tmp_path, run_gate):
    launch = scaffold(run_gate, tmp_path / "mainnet", "cosmos-mainnet")
    ours, theirs = ids(checklist(ROOT)), ids(checklist(launch))
    assert len(ours["items"]) > 25
    assert len(ours["rollback"]) == 5
    assert ours["areas"] == list(AREAS)
    assert theirs == ours


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("name", ["Testnet Launch: Phase 2", 'The "Big" Launch', "Acme #2 Launch"])
def test_any_launch_name_is_kept_verbatim(tmp_path, run_gate, name, template):
    target = tmp_path / "launch"
    argv = ["--name", name, "--network", NETWORK, "--org", ORG, "--template", template]
    assert run_gate("init", target, *argv)[0] == 0
    code, out, _ = run_gate("check", "--repo", target, "--format", "json")
    assert code == 0
    assert json.loads(out)["launch"] == name


# ---- the generic template -------------------------------------------------------------------------------

# What only a chain launch has: none of it belongs in a product launch.
CHAIN_WORDS = ["virtengine", "veid", "escrow", "hpc", "validator", "genesis", "cometbft", "chain", "mainnet"]
CHAIN_WORDS += ["block time", "target_block_time"]


def test_the_default_template_is_a_generic_launch(tmp_path, run_gate):
    target = tmp_path / "checkout"
    code, out, _ = init(run_gate, target)
    assert code == 0
    assert "template: generic" in out.splitlines()
    text = (target / "checklist.yaml").read_text(encoding="utf-8").lower()
    assert [w for w in CHAIN_WORDS if w in text] == []
    explicit = scaffold(run_gate, tmp_path / "explicit", "generic")
    assert (target / "checklist.yaml").read_bytes() == (explicit / "checklist.yaml").read_bytes()


def test_the_generic_launch_has_every_part_of_a_launch(tmp_path, run_gate):
    model = checklist(scaffold(run_gate, tmp_path / "checkout", "generic"))
    assert [a.id for a in model.areas] == list(AREAS)
    assert model.decision_process.quorum == list(AREAS)
    assert {r for r in model.meeting.required_attendees} == {a.approver_role for a in model.areas}
    assert [s.id for s in model.sections] == list("ABCDEFGHIJ")
    assert {i.section for i in model.items} == set("BCDEFGHJ")  # A is the areas, I the meeting record
    assert model.prerequisites
    assert all(p.priority == "P0" and p.evidence for p in model.prerequisites)
    rules = {i.rule for i in model.items if i.rule}
    assert rules >= {"launch-window", "backup-window", "blackouts", "freeze", "rollback-criteria"}
    assert {"internal", "external"} == {c.audience for c in model.communications.channels}
    assert [t.id for t in model.communications.status_page_templates] == [
        "scheduled-maintenance",
        "incident-update",
        "resolution",
    ]
    assert model.windows.backup is not None
    assert model.windows.blackouts
    assert model.freeze.allowed_changes
    # A service's own signals: a request error rate, billing integrity; nothing measured in blocks.
    signals = {c.signal for criterion in model.rollback.criteria for c in criterion.any_of}
    assert "verification_error_rate" in signals
    assert signals.isdisjoint({"halted_blocks", "participation", "block_time"})
    assert model.rollback.target_block_time is None
    assert model.rollback.match.chain == {}


def test_rollback_metric_names_fail_their_item_until_filled_in(tmp_path, run_gate, check: Check):
    """Placeholders, not input errors: the launch is usable and honestly NO-GO until `gate set` names
    the service's metrics, and then the criteria compile to Prometheus rules."""
    repo = scaffold(run_gate, tmp_path / "checkout", "generic")
    code, card = check(repo)
    assert (code, card["errors"]) == (0, [])
    rollback = item(card, "C-rollback-criteria")
    assert rollback["state"] == "FAIL"
    assert any("rollback criterion error-rate: metric errors is not filled in" in r for r in rollback["reasons"])
    code, _, err = run_gate("rollback", "rules", "--repo", repo)
    assert code == 2
    assert "metric total is not filled in" in err

    code, out, _ = run_gate("set", "--unfilled", "--repo", repo, "--format", "json")
    keys = [u["key"] for u in json.loads(out)["placeholders"] if u["key"].startswith("rollback.")]
    assert len(keys) == 4
    for key in keys:
        assert run_gate("set", key, "checkout_" + key.rsplit(".", 1)[1], "--repo", repo)[0] == 0
    code, out, err = run_gate("rollback", "rules", "--repo", repo)
    assert code == 0, err
    rules = yaml.safe_load(out)["groups"][0]["rules"]
    assert {"RollbackErrorRate", "RollbackBillingIntegrity"} <= {r.get("alert") for r in rules}
    assert "checkout_errors" in out
    assert item(check(repo)[1], "C-rollback-criteria")["state"] == "PASS"


# ---- the commented examples of mitigation and N/A -------------------------------------------------------

EXAMPLE = re.compile(r"^(    )# (mitigation|not_applicable): (\{.*\})$", re.M)
SAMPLE = {"…": "Timings come from the previous release", "ROLE": "ops-lead", "LOGIN": "ops-lead-chen"}


def _examples(text: str) -> dict[str, str]:
    return {m[2]: m[3] for m in EXAMPLE.finditer(text)}


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_shows_mitigation_and_na_as_examples_that_fit_the_models(tmp_path, run_gate, template):
    repo = scaffold(run_gate, tmp_path / "launch", template)
    text = (repo / "checklist.yaml").read_text(encoding="utf-8")
    examples = _examples(text)
    assert set(examples) == {"mitigation", "not_applicable"}
    # Each comes with the one line saying when it applies, just above it.
    lines = text.splitlines()
    for field in examples:
        at = next(n for n, line in enumerate(lines) if line.startswith(f"    # {field}: "))
        assert lines[at - 1].startswith("    # "), field
    for field, model in (("mitigation", Mitigation), ("not_applicable", NotApplicable)):
        filled = examples[field]
        for placeholder, value in SAMPLE.items():
            filled = filled.replace(placeholder, value)
        filled = filled.replace("YYYY-MM-DD HH:MM UTC", "2027-03-01 12:00 UTC")
        model.model_validate(yaml.safe_load(filled))
    # They sit inside a P1 item: the only priority a mitigation can turn into a WARN.
    owner = text[: text.index("    # mitigation: ")].rsplit("\n  - id: ", 1)[1].split("\n", 1)[0]
    assert next(i for i in checklist(repo).items if i.id == owner).priority == "P1"


def test_mitigate_and_na_write_beside_the_examples_and_keep_them(tmp_path, run_gate, check: Check):
    repo = scaffold(run_gate, tmp_path / "checkout", "generic")
    before = (repo / "checklist.yaml").read_text(encoding="utf-8")
    why = "Cutover timings are taken in the rehearsal the day before"
    assert run_gate("mitigate", "E-cutover-timed", "--owner", "ops-lead", "--description", why, "--repo", repo)[0] == 0
    na = ["--justification", "No data migration in this release", "--accepted-by", "ops-lead-chen"]
    assert run_gate("na", "D-migrations-staging", *na, "--repo", repo)[0] == 0
    after = (repo / "checklist.yaml").read_text(encoding="utf-8")
    assert _examples(after) == _examples(before)
    _, card = check(repo)
    assert item(card, "E-cutover-timed")["state"] == "WARN"
    assert item(card, "D-migrations-staging")["state"] == "N/A"


# ---- from any folder, from the installed package ------------------------------------------------------


def test_init_works_from_any_folder(tmp_path, run_gate, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, _, err = run_gate("init", "../launch", "--name", NAME, "--network", NETWORK, "--org", ORG)
    assert (code, err) == (0, "")
    assert checklist(tmp_path / "launch").launch.name == NAME
    assert run_gate("check", "--repo", tmp_path / "launch")[0] == 0


def test_an_unknown_template_is_refused(tmp_path, run_gate):
    code, _, err = init(run_gate, tmp_path / "launch", "--template", "cosmos")
    assert code == 2
    assert "invalid choice: 'cosmos'" in err
    assert not (tmp_path / "launch").exists()


def test_the_command_line_offers_every_template(run_gate):
    code, out, _ = run_gate("init", "--help")
    assert code == 0
    assert "{" + ",".join(TEMPLATES) + "}" in out


def test_the_wheel_carries_the_templates_and_init_runs_from_it(tmp_path):
    """Built from a copy of the sources and run from an unpacked wheel in another folder: the templates
    come from package data, never from this source tree."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "gate", src / "gate", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    subprocess.run([*pip, "-w", str(tmp_path / "dist"), str(src)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("gate-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {f"gate/templates/{t}.yaml" for t in TEMPLATES} <= names
    assert {f"gate/templates/github/{rel}" for rel in GITHUB_FILES.values()} <= names
    run = tmp_path / "run"
    run.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "PYTHONSAFEPATH": "1"}

    def python(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *argv], cwd=run, env=env, capture_output=True, text=True)

    assert python("-c", "import gate; print(gate.__file__)").stdout.startswith(str(tmp_path / "site"))
    for template in TEMPLATES:
        done = python(
            "-m", "gate", "init", template, "--name", NAME, "--network", NETWORK, "--org", ORG, "--template", template
        )
        assert done.returncode == 0, done.stderr
        assert f"template: {template}" in done.stdout
        assert (run / template / "checklist.yaml").is_file()
