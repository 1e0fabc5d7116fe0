"""The pull-request comment is written for review: what the PR changes (files -> items -> areas), each
changed artifact's SHA-256 and its area's digest now, who owns and who approved, what blocks with its fix,
and the items that pass folded away."""

from __future__ import annotations

from pathlib import Path

from gate.commands.check import CheckRequest, run_check
from gate.launch import load_valid
from gate.model.scorecard import Scorecard
from gate.report.review import changed_files, review
from tests.helpers import AT, EXAMPLE, copy_example, item, read_manifest, reapprove_and_decide


def _card(repo: Path, at: str = AT) -> Scorecard:
    from gate.model.base import parse_time

    return run_check(CheckRequest(repo, at=parse_time(at)))


def test_each_changed_artifact_is_shown_with_its_hash_items_and_areas(tmp_path):
    repo = copy_example(tmp_path)
    loaded, _ = load_valid(repo)
    entry = next(a for a in read_manifest(repo)["artifacts"] if a["id"] == "threat-model")
    changes = changed_files(loaded, (entry["path"], "signoffs/security.yaml", "decisions/x.yaml", "README.md"))
    assert [(c.path, c.what, c.sha256, c.items, c.areas) for c in changes] == [
        (entry["path"], "evidence threat-model", entry["sha256"], ("B-security",), ("security",)),
        ("signoffs/security.yaml", "sign-off security", None, (), ("security",)),
        ("decisions/x.yaml", "decision", None, (), ()),
        ("README.md", "other", None, (), ()),
    ]


def test_the_comment_shows_what_a_lead_checks_before_approving(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    rel = "evidence/security/vuln-scan.txt"
    with (repo / rel).open("a", encoding="utf-8") as fh:
        fh.write("rescan: 1 high\n")
    assert cli("evidence", "add", rel, "--item", "B-security", "--repo", repo).code == 0
    loaded, _ = load_valid(repo)
    card = _card(repo)
    text = review(card, changed_files(loaded, (rel, "evidence-manifest.json")), {"security": "an approval from @sec"})
    sha = next(a["sha256"] for a in read_manifest(repo)["artifacts"] if a["path"] == rel)
    security = next(s for s in card.signoffs if s.area == "security")
    assert f"| `{rel}` | evidence vuln-scan | `{sha}` | B-security | security |" in text
    assert "### Areas it touches" in text
    row = next(line for line in text.splitlines() if line.startswith("| Security |"))
    assert f"`{security.current_digest}`" in row  # the digest the lead compares with the file's area_digest
    assert "approved, **stale**" in row
    assert "&#64;virtengine/security: sec-eng-omar, sec-lead-ana" in row  # owners shown, the team not paged
    assert row.endswith("| an approval from &#64;sec |")  # who approved, mentions defused
    assert "fix: `gate signoff security --approve --by LOGIN" in text


def test_passing_items_are_folded_away(tmp_path, cli):
    repo = copy_example(tmp_path, decisions=False)
    reapprove_and_decide(cli, repo, EXAMPLE.decided_at)
    card = _card(repo)
    text = review(card, [])
    passing = [i for i in card.items if i.state == "PASS"]
    assert f"<details><summary>{len(passing)} items pass</summary>" in text
    head, folded = text.split("items pass</summary>", 1)
    assert f"| `{passing[0].id}` |" not in head
    assert f"| PASS | {passing[0].priority} | `{passing[0].id}` |" in folded
    assert item(card.model_dump(), "F-customer-notice")["state"] == "WARN"
    assert "| WARN | P1 | `F-customer-notice` |" in head
