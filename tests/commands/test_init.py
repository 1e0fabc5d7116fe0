"""`gate init`: a new launch repository, honestly NO-GO, valid under every other command, and made from a
template that keeps every id of this repository's own checklist (so the two cannot silently drift apart).

Every test scaffolds into tmp_path and drives the real command in-process (`run_gate` from conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.commands.init import GITHUB_FILES
from gate.load import load_yaml
from gate.model import Checklist
from tests.conftest import RunGate
from tests.helpers import ROOT

AREAS = ("security", "compliance-privacy", "operations-sre", "finance-billing", "product-release")
NAME, NETWORK, ORG = "Testnet Launch", "testnet", "acme"


def init(run_gate: RunGate, target: Path, *extra: str) -> tuple[int, str, str]:
    return run_gate("init", target, "--name", NAME, "--network", NETWORK, "--org", ORG, *extra)


@pytest.fixture
def launch(tmp_path: Path, run_gate) -> Path:
    target = tmp_path / "testnet"
    code, _, err = init(run_gate, target)
    assert code == 0, err
    return target


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
    assert {line.removeprefix("created ") for line in out.splitlines()[:-1]} == {str(target / f) for f in expected}
    assert out.splitlines()[-1] == f"next: cd {target} && gate check"
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
    code, out, err = run_gate("init", launch, "--name", "Other", "--network", "devnet")
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


def test_name_and_network_are_required(tmp_path, run_gate):
    assert run_gate("init", tmp_path / "x", "--network", NETWORK)[0] == 2
    assert run_gate("init", tmp_path / "x", "--name", NAME)[0] == 2
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


def test_template_keeps_every_id_of_the_repository_checklist(launch):
    ours, theirs = ids(checklist(ROOT)), ids(checklist(launch))
    assert len(ours["items"]) > 25
    assert len(ours["rollback"]) == 5
    assert ours["areas"] == list(AREAS)
    assert theirs == ours


@pytest.mark.parametrize("name", ["Testnet Launch: Phase 2", 'The "Big" Launch', "Acme #2 Launch"])
def test_any_launch_name_is_kept_verbatim(tmp_path, run_gate, name):
    target = tmp_path / "launch"
    assert run_gate("init", target, "--name", name, "--network", NETWORK, "--org", ORG)[0] == 0
    code, out, _ = run_gate("check", "--repo", target, "--format", "json")
    assert code == 0
    assert json.loads(out)["launch"] == name
