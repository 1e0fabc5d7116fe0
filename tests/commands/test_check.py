"""The repository's own launch: consistent (exit 0), honestly NO-GO, with every reason it is not GO.

Expectations are derived from the launch files themselves (areas, items, the placeholders' places in
checklist.yaml), so the test says what must hold for *this* launch without copying gate's output.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from gate.commands import schema as schemas
from tests.helpers import AT, copy_example

CHECKLIST = "checklist.yaml"
PLACEHOLDER = re.compile(r'"[^"\n]*(?:YYYY|HH:MM)[^"\n]*"|<[A-Za-z][^<>\n]*>')
WINDOW_ITEMS = {"primary": "C-primary-window", "backup": "C-backup-window", "blackouts": "C-blackouts"}


def load(repo: Path) -> dict[str, Any]:
    data = yaml.safe_load((repo / CHECKLIST).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def all_items(checklist: dict[str, Any]) -> list[dict[str, Any]]:
    return [*checklist["prerequisites"], *checklist["items"]]


def window_placeholders(text: str) -> list[tuple[str, int, int, str]]:
    """(item id, line, column, placeholder) of every placeholder in `windows:` and `freeze:`."""
    found = []
    owner = None
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\S", line) and not line.startswith("#"):
            owner = "C-freeze" if line.startswith("freeze:") else ("" if line.startswith("windows:") else None)
        if owner is None or line.lstrip().startswith("#"):
            continue
        if key := re.match(r"^  (primary|backup|blackouts):", line):
            owner = WINDOW_ITEMS[key[1]]
        found += [(owner, number, m.start() + 1, m.group(0).strip('"')) for m in PLACEHOLDER.finditer(line)]
    return found


def position(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    assert text.count(needle) == 1, needle
    index = text.index(needle) + offset
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


@pytest.fixture
def card(repo_copy: Path, run_gate) -> dict[str, Any]:
    code, out, err = run_gate("check", "--repo", repo_copy, "--format", "json")
    assert code == 0, out + err
    result = json.loads(out)
    assert isinstance(result, dict)
    return result


def test_root_launch_is_consistent_and_no_go(repo_copy: Path, run_gate) -> None:
    code, out, err = run_gate("check", "--repo", repo_copy)
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("Decision: NO-GO")
    assert "Traceback" not in out + err


def test_every_signoff_pending_blocks(card: dict[str, Any], repo_copy: Path) -> None:
    areas = load(repo_copy)["areas"]
    assert [(s["area"], s["status"], s["fresh"]) for s in card["signoffs"]] == [
        (a["id"], "pending", False) for a in areas
    ]
    for area in areas:
        assert f"{area['name']} sign-off: pending: not yet approved" in card["blocking"]


def test_window_placeholders_block_with_their_line_and_column(card: dict[str, Any], repo_copy: Path) -> None:
    found = window_placeholders((repo_copy / CHECKLIST).read_text(encoding="utf-8"))
    owners = {owner for owner, *_ in found}
    assert owners == {"C-primary-window", "C-backup-window", "C-blackouts", "C-freeze"}, found
    items = {i["id"]: i for i in card["items"]}
    for owner, line, column, _ in found:
        where = f"{CHECKLIST}:{line}:{column}: unfilled placeholder"
        assert items[owner]["state"] == "FAIL"
        assert any(r.startswith(where) for r in items[owner]["reasons"]), (where, items[owner]["reasons"])
        blocking = [b for b in card["blocking"] if b.startswith(f"{items[owner]['priority']} {owner} (")]
        assert len(blocking) == 1, blocking
        assert where in blocking[0]


def test_release_tag_placeholder_and_missing_decision_block(card: dict[str, Any], repo_copy: Path) -> None:
    text = (repo_copy / CHECKLIST).read_text(encoding="utf-8")
    line, column = position(text, "release_tag: <insert release tag>", len("release_tag: "))
    assert f"{CHECKLIST}:{line}:{column}: unfilled placeholder <insert release tag>" in card["blocking"]
    assert any(b.startswith("no go/no-go decision recorded") for b in card["blocking"])
    assert card["recorded_decision"] is None


def test_every_item_without_its_evidence_fails_by_priority(card: dict[str, Any], repo_copy: Path) -> None:
    """Nothing is captured yet: every P0/P1 item needing evidence is a blocking FAIL, P2 never blocks."""
    results = {i["id"]: i for i in card["items"]}
    for item in all_items(load(repo_copy)):
        result = results[item["id"]]
        heads = [b for b in card["blocking"] if b.startswith(f"{item['priority']} {item['id']} (")]
        if item["priority"] == "P2":
            assert not heads
            assert result["state"] in ("PASS", "WARN"), result
            continue
        for requirement in item.get("evidence", []):
            assert result["state"] == "FAIL", result
            missing = f"required evidence '{requirement['id']}' ({requirement['description']}) has not been captured"
            assert missing in result["reasons"]
            assert len(heads) == 1
            assert missing in heads[0]


def test_nothing_blocks_that_is_not_expected(card: dict[str, Any]) -> None:
    """Every blocking reason is one of the expected kinds: the list is complete *and* has no noise."""
    kinds = [
        r"^checklist\.yaml:\d+:\d+: unfilled placeholder ",
        r"^P[01] \S+ \(.+\) is FAIL: .+",
        r"^.+ sign-off: pending: not yet approved$",
        r"^no go/no-go decision recorded ",
    ]
    strays = [b for b in card["blocking"] if not any(re.match(k, b) for k in kinds)]
    assert not strays
    failing = {i["id"] for i in card["items"] if i["state"] == "FAIL"}
    listed = {m[1] for b in card["blocking"] if (m := re.match(r"^P[01] (\S+) \(", b))}
    assert listed == failing
    assert len(card["blocking"]) == len(set(card["blocking"]))


def test_require_go_fails_a_no_go_launch(repo_copy: Path, run_gate) -> None:
    code, out, _ = run_gate("check", "--repo", repo_copy, "--require-go")
    assert code == 1
    assert "Decision: NO-GO" in out


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_each_format_renders(fmt: str, repo_copy: Path, run_gate, card: dict[str, Any]) -> None:
    code, out, err = run_gate("check", "--repo", repo_copy, "--format", fmt)
    assert code == 0, out + err
    assert "Traceback" not in out + err
    blocking = len(card["blocking"])
    if fmt == "text":
        lines = out.splitlines()
        assert lines[0].startswith("NO-GO — VirtEngine Mainnet Launch")  # the verdict first
        assert lines[-1].startswith("Decision: NO-GO")  # and last, for whoever reads only that
        assert f"{blocking} blocking, by who must act:" in out
        failed = [i for i in card["items"] if i["state"] == "FAIL"]
        assert all(f"✗ {i['priority']} {i['id']} {i['title']}: " in out for i in failed)
        assert all(f"✗ {s['name']} sign-off: pending" in out for s in card["signoffs"])
        assert sum(line.lstrip().startswith("✗") for line in lines) == blocking
    elif fmt == "json":
        assert json.loads(out)["decision"] == "NO-GO"
    elif fmt == "markdown":
        assert out.startswith("<!-- gate:scorecard -->\n")
        assert "## ⛔ NO-GO" in out
        assert all(f"| {s} | pending | no |" in out for s in ("Security", "Product/Release"))
    else:
        assert out.splitlines()[-1] == f"gate: NO-GO ({blocking} blocking reason(s))"
        assert_github_annotations(out, repo_copy, card)


def assert_github_annotations(out: str, repo: Path, card: dict[str, Any]) -> None:
    lines = out.splitlines()
    assert all(line.startswith(("::error ", "::warning ")) for line in lines[:-1])
    for area in load(repo)["areas"]:
        rel = f"signoffs/{area['id']}.yaml"
        line, column = position((repo / rel).read_text(encoding="utf-8"), "status: pending", len("status: "))
        # A pending sign-off blocks GO: an error, not a warning.
        expected = f"::error file={rel},line={line},col={column},title=sign-off {area['id']}::pending: not yet approved"
        assert expected in lines
    text = (repo / CHECKLIST).read_text(encoding="utf-8")
    for item in card["items"]:
        if item["state"] != "FAIL":
            continue
        line, column = position(text, f"  - id: {item['id']}\n", len("  - "))
        head = f"::error file={CHECKLIST},line={line},col={column},title=FAIL {item['priority']} {item['id']}::"
        assert any(a.startswith(head) for a in lines), head
    # Every blocking reason is annotated, those of the launch itself too (at their place when they have one).
    release_tag = position(text, "<insert release tag>", 0)
    assert (
        f"::error file={CHECKLIST},line={release_tag[0]},col={release_tag[1]},title=launch::unfilled placeholder" in out
    )
    assert any(a.startswith("::error title=launch::no go/no-go decision recorded") for a in lines)
    errors = [a for a in lines if a.startswith("::error ")]
    assert len(errors) >= len(card["blocking"]) - 1  # the P1 count, if any, is said by its items
    assert lines[-1] == f"gate: NO-GO ({len(card['blocking'])} blocking reason(s))"


def test_json_matches_its_schema_and_holds_what_machines_need(card: dict[str, Any], repo_copy: Path) -> None:
    schema = json.loads((repo_copy / "schemas" / "output" / "check.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(card)]
    assert not problems, problems
    assert card["decision"] == "NO-GO"
    assert card["blocking"]
    assert all(isinstance(b, str) for b in card["blocking"])
    assert [i["id"] for i in card["items"]] == [i["id"] for i in all_items(load(repo_copy))]
    for item in card["items"]:
        assert {"id", "priority", "state", "reasons"} <= set(item)
        assert item["state"] in ("PASS", "WARN", "FAIL", "N/A")
        assert item["reasons"]
    assert all({"area", "status", "fresh"} <= set(s) for s in card["signoffs"])
    assert card["integrity"] == []
    assert card["errors"] == []


def test_at_takes_an_aware_time(repo_copy: Path, run_gate) -> None:
    code, out, _ = run_gate("check", "--repo", repo_copy, "--format", "json", "--at", "2027-03-02T14:00:00Z")
    assert code == 0
    assert json.loads(out)["evaluated_at"] == "2027-03-02T14:00:00Z"


@pytest.mark.parametrize("naive", ["2027-03-02T14:00:00", "2027-03-02 14:00"])
def test_at_without_a_zone_is_a_usage_error(naive: str, repo_copy: Path, run_gate) -> None:
    code, out, err = run_gate("check", "--repo", repo_copy, "--at", naive)
    assert code == 2
    assert "has no zone" in err
    assert "Traceback" not in out + err
    assert out == ""


def test_schema_check_passes_on_the_repository(repo_copy: Path, run_gate) -> None:
    code, out, _ = run_gate("schema", "--check", "--repo", repo_copy)
    assert code == 0
    assert out == ""


def _edit_schema(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["title"] = "Hand-edited"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@pytest.mark.parametrize("change", ["edit", "reformat", "delete"])
def test_schema_check_fails_when_a_schema_is_out_of_date(change: str, repo_copy: Path, run_gate) -> None:
    path = repo_copy / "schemas" / "decision.schema.json"
    if change == "edit":
        _edit_schema(path)
    elif change == "reformat":
        path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
    else:
        path.unlink()
    code, out, _ = run_gate("schema", "--check", "--repo", repo_copy)
    assert code == 1
    assert "schemas/decision.schema.json" in out
    assert "schemas/output/check.schema.json" not in out


def test_checked_in_schemas_are_the_generated_ones(project_root: Path) -> None:
    folder = project_root / "schemas"
    expected = schemas.rendered()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.schema.json")) == sorted(expected)
    for name, text in expected.items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"schemas/{name} is stale"


PROBE = "import sys; from gate.cli import main; main({argv!r}); print('github' in sys.modules)"


def _probe(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()[-1]


def test_check_never_imports_pygithub(repo_copy: Path) -> None:
    assert _probe(PROBE.format(argv=["check", "--repo", str(repo_copy)])) == "False"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_check_of_valid_files_never_imports_pydantic(repo_copy: Path, fmt: str) -> None:
    """Valid files pass the models' quick strict check; pydantic is built only to report errors."""
    probe = PROBE.replace("'github' in", "'pydantic' in")
    assert _probe(probe.format(argv=["check", "--repo", str(repo_copy), "--format", fmt])) == "False"


def test_check_of_a_broken_file_asks_pydantic_and_says_where(repo_copy: Path) -> None:
    text = (repo_copy / CHECKLIST).read_text(encoding="utf-8").replace("version: 1", "version: 2", 1)
    (repo_copy / CHECKLIST).write_text(text, encoding="utf-8")
    probe = PROBE.replace("'github' in", "'pydantic' in")
    done = subprocess.run(
        [sys.executable, "-c", probe.format(argv=["check", "--repo", str(repo_copy)])],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    line = text[: text.index("version: 2")].count("\n") + 1
    assert f"checklist.yaml:{line}:10: version: Input should be 1" in done.stdout
    assert done.stdout.splitlines()[-1] == "True"


def test_the_import_probe_sees_pygithub_when_it_is_used() -> None:
    """The probe above is not vacuous: using the GitHub adapter does load PyGithub (no request is made)."""
    code = (
        "import sys; from gate.github.client import PyGithubClient; "
        "PyGithubClient('acme/launch', None, base_url='http://127.0.0.1:9'); print('github' in sys.modules)"
    )
    assert _probe(code) == "True"


def test_facts_computed_once_per_launch_are_not_carried_to_another(tmp_path: Path) -> None:
    """`gate check` computes what the files alone say once per loaded launch; a launch made from it
    with other contents (as `evidence add` and `decide` do) is judged on its own contents."""
    from dataclasses import replace

    from gate.decision import evaluate
    from gate.launch import load_valid
    from tests.helpers import AT, copy_example

    loaded, checks = load_valid(copy_example(tmp_path))
    at = datetime.fromisoformat(AT)
    before = evaluate(loaded, checks, at)
    assert before.go, before.blocking
    assert evaluate(loaded, checks, at).scorecard_sha256 == before.scorecard_sha256
    kept = [a for a in loaded.manifest.artifacts if a.id != "threat-model"]
    assert len(kept) == len(loaded.manifest.artifacts) - 1
    other = replace(loaded, manifest=loaded.manifest.model_copy(update={"artifacts": kept}))
    after = evaluate(other, checks, at)
    assert any("'threat-model'" in reason and "not been captured" in reason for reason in after.blocking)
    stale = [s for s in after.readiness.signoffs if not s.fresh]
    assert [s.area for s in stale] == ["security"]
    assert after.scorecard_sha256 != before.scorecard_sha256


def test_github_annotations_put_a_broken_go_on_its_decision_file(tmp_path: Path, run_gate) -> None:
    """Evidence changed after the GO: the decision that no longer holds is annotated on its own file
    (its first line), so the workflow's summary says which file and why, not only "NO-GO"."""
    repo = copy_example(tmp_path)
    with (repo / "evidence/product/veid-e2e-report.md").open("a", encoding="utf-8") as fh:
        fh.write("edited after the decision\n")
    [decision] = sorted(p.relative_to(repo).as_posix() for p in (repo / "decisions").glob("*.yaml"))
    code, out, _ = run_gate("check", "--repo", repo, "--format", "github", "--at", AT)
    assert code == 1
    assert f"::error file={decision},line=1,col=1,title=decision::" in out
    assert "title=integrity::evidence/product/veid-e2e-report.md: SHA-256 is " in out
    assert (
        f"::error file={decision},line=1,col=1,title=integrity::{decision}: says GO but the gate computes NO-GO" in out
    )
