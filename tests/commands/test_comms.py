"""`gate comms draft`: status-page templates rendered with the launch's own values, and recorded as evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Check, GateRunner
from tests.helpers import EXAMPLE, copy_example, copy_frozen_launch, fresh_flags, item, read_manifest, seed, snapshot

DATE = seed(EXAMPLE.primary[0])  # the example's primary window opens then
SCHEDULED = f"VirtEngine Mainnet Launch window scheduled for {DATE}. Expected impact: none."
REGISTERED = "evidence/comms/status-page-drafts.md"  # examples/build-go.sh records its drafts so


@pytest.fixture
def launch(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def test_a_template_is_rendered_with_the_chosen_window(cli: GateRunner, launch: Path) -> None:
    """<DATE> comes from the launch: the start of the window the GO in force chose, else the primary."""
    run = cli("comms", "draft", "scheduled-maintenance", "--repo", launch, "--var", "IMPACT=none")
    assert run.code == 0, run.err
    assert run.out == f"scheduled-maintenance: {SCHEDULED}\n"


def test_the_json_result_says_where_each_value_came_from(cli: GateRunner, launch: Path) -> None:
    args = ("comms", "draft", "scheduled-maintenance", "incident-update", "--repo", launch, "--format", "json")
    run = cli(*args, "--var", "IMPACT=none", "--var", "TIME=30 minutes")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["window"] == "primary"
    scheduled, incident = doc["drafts"]
    assert scheduled["values"] == {
        "DATE": {"value": DATE, "source": "launch"},
        "IMPACT": {"value": "none", "source": "given"},
    }
    assert incident["text"].endswith("Next update in 30 minutes.")
    assert doc["recorded"] is None


def test_a_given_value_wins_over_the_launchs(cli: GateRunner, launch: Path) -> None:
    run = cli(
        "comms", "draft", "scheduled-maintenance", "--repo", launch, "--var", "IMPACT=none", "--var", "DATE=today"
    )
    assert run.code == 0, run.err
    assert "scheduled for today." in run.out


@pytest.mark.parametrize(
    ("args", "messages"),
    [
        (["scheduled-maintenance"], ["template scheduled-maintenance needs IMPACT: give it with --var IMPACT=VALUE"]),
        (
            ["incident-update", "--var", "TIME=5m", "--var", "IMPACT=none"],
            ["no template asked for takes --var IMPACT"],
        ),
        (["no-such-template"], ["no status-page template 'no-such-template' in checklist.yaml (known: "]),
        (["incident-update", "--var", "TIME=TBD"], ["TIME='TBD' is still a placeholder"]),
        (["incident-update", "--var", "time=5m"], ["--var 'time=5m': expected NAME=VALUE"]),
        (
            ["scheduled-maintenance", "incident-update"],
            ["needs IMPACT", "needs TIME"],  # every missing value at once
        ),
    ],
    ids=["missing", "unknown", "unknown-template", "placeholder-value", "bad-name", "all-at-once"],
)
def test_a_draft_that_cannot_be_filled_is_refused_naming_why(
    cli: GateRunner, launch: Path, args: list[str], messages: list[str]
) -> None:
    run = cli("comms", "draft", *args, "--repo", launch)
    assert run.code == 2
    assert run.out == ""
    assert all(m in run.err for m in messages), run.err
    assert "Traceback" not in run.err


def test_an_unscheduled_launch_has_no_date_to_offer(cli: GateRunner, repo_copy: Path) -> None:
    """The frozen root launch: its windows are still placeholders, so <DATE> must be given."""
    run = cli("comms", "draft", "scheduled-maintenance", "--repo", repo_copy, "--var", "IMPACT=none")
    assert run.code == 2
    assert "needs DATE" in run.err


def test_record_registers_the_drafts_as_the_status_page_evidence(
    cli: GateRunner, repo_copy: Path, check: Check
) -> None:
    _, before = check(repo_copy)
    assert any("'status-page-drafts'" in r for r in item(before, "F-status-page")["reasons"])
    args = ("comms", "draft", "scheduled-maintenance", "--repo", repo_copy, "--record")
    run = cli(*args, "--var", "IMPACT=none", "--var", "DATE=2027-03-02 14:00 UTC")
    assert run.code == 0, run.err
    assert "recorded: evidence/comms/status-page-drafts.md as evidence status-page-drafts for F-status-page" in run.out
    text = (repo_copy / "evidence/comms/status-page-drafts.md").read_text(encoding="utf-8")
    assert "## Scheduled maintenance (scheduled-maintenance)" in text
    assert "scheduled for 2027-03-02 14:00 UTC. Expected impact: none." in text
    entry = next(a for a in read_manifest(repo_copy)["artifacts"] if a["id"] == "status-page-drafts")
    assert entry["path"] == "evidence/comms/status-page-drafts.md"
    assert entry["items"] == ["F-status-page"]
    _, after = check(repo_copy)
    passed = ["rule external-comms holds; evidence verified: status-page-drafts"]
    assert item(after, "F-status-page")["reasons"] == passed


def test_record_never_replaces_registered_drafts_silently(cli: GateRunner, launch: Path, check: Check) -> None:
    """examples/go recorded its drafts, approved by Product: other text needs --replace and stales it."""
    old = (launch / REGISTERED).read_bytes()
    args = ("comms", "draft", "scheduled-maintenance", "--repo", launch, "--record", "--var", "IMPACT=minor")
    run = cli(*args)
    assert run.code == 2
    assert f"{REGISTERED} already holds other drafts (registered as status-page-drafts): pass --replace" in run.err
    assert (launch / REGISTERED).read_bytes() == old
    run = cli(*args, "--replace")
    assert run.code == 0, run.err
    assert f"recorded: {REGISTERED} as evidence status-page-drafts" in run.out
    assert "now stale (approved for different evidence): product-release" in run.out
    assert "Expected impact: minor." in (launch / REGISTERED).read_text(encoding="utf-8")
    _, card = check(launch)
    assert fresh_flags(card)["product-release"] is False


def test_record_never_files_drafts_under_another_item_s_id(cli: GateRunner, launch: Path) -> None:
    """--replace replaces this item's drafts, never Security's threat model named by --id."""
    before = snapshot(launch)
    args = ("comms", "draft", "scheduled-maintenance", "--repo", launch, "--record", "--replace")
    run = cli(*args, "--var", "IMPACT=minor", "--id", "threat-model")
    assert run.code == 2
    assert "--id 'threat-model' is not evidence of F-status-page: it belongs to B-security" in run.err
    assert snapshot(launch) == before


def test_a_second_item_sharing_the_drafts_requirement_records_them_too(cli: GateRunner, launch: Path) -> None:
    """Two items naming the same requirement share its evidence, as `evidence add` lets them."""
    checklist = launch / "checklist.yaml"
    text = checklist.read_text(encoding="utf-8")
    need = "      - {id: customer-notice-7d,"
    assert text.count(need) == 1
    shared = "      - {id: status-page-drafts, kind: document, description: Draft status page posts}\n"
    checklist.write_text(text.replace(need, shared + need), encoding="utf-8")
    args = ("comms", "draft", "scheduled-maintenance", "--repo", launch, "--record", "--replace")
    run = cli(*args, "--var", "IMPACT=minor", "--item", "F-customer-notice")
    assert run.code == 0, run.err
    assert f"recorded: {REGISTERED} as evidence status-page-drafts" in run.out


def test_recording_the_same_drafts_again_changes_nothing(cli: GateRunner, launch: Path) -> None:
    """The example's drafts were recorded with this very command: the same values record nothing new."""
    args = ("comms", "draft", "scheduled-maintenance", "--repo", launch, "--record", "--var", "IMPACT=none")
    manifest = read_manifest(launch)
    run = cli(*args)
    assert run.code == 0, run.err
    assert "already recorded, unchanged" in run.out
    assert read_manifest(launch) == manifest


def test_status_sends_missing_drafts_to_comms_draft(cli: GateRunner, tmp_path: Path) -> None:
    """Drafts are rendered from the templates, not written by hand: `gate status` says so where they are
    missing, and following it clears that requirement."""
    repo = copy_frozen_launch(tmp_path / "repo")
    groups = cli("status", "--repo", repo, "--format", "json").json()["groups"]
    [fixes] = [b["fixes"] for g in groups for b in g["blockers"] if b["text"].startswith("P1 F-status-page ")]
    assert "gate comms draft TEMPLATE… [--var NAME=VALUE …] --record   (Draft status page posts)" in fixes
    assert not [f for f in fixes if "status-page-drafts" in f]
    assert cli("schedule", "--primary", "2027-03-02T14:00:00Z", "2027-03-02T18:00:00Z", "--repo", repo).code == 0
    run = cli("comms", "draft", "scheduled-maintenance", "--var", "IMPACT=none", "--record", "--repo", repo)
    assert run.code == 0, run.err
    card = cli("status", "--repo", repo, "--format", "json").json()["card"]
    assert item(card, "F-status-page")["missing"] == []
