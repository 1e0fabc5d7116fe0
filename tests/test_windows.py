"""The boundaries of time and size that the gate draws on purpose, each tested at the exact instant or
byte where it lies (so removing or loosening the rule fails a test):

- a launch window may not even touch a blackout (one ending the minute the window opens clashes);
- the freeze is a half-open interval: at its end instant a pull request is no longer frozen, a
  second before it still is; a window ending exactly when the freeze ends is covered, one ending a
  minute later is not;
- an artifact's recorded size is checked beside its SHA-256.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gate.github.freeze import freeze_check
from gate.github.types import Membership, PullRequest
from gate.load import CHECKLIST, load_yaml
from gate.model import Checklist
from gate.windows import Interval
from tests.helpers import EXAMPLE, copy_example, item, read_manifest, replace_once, seed, write_manifest

MINUTE = timedelta(minutes=1)


def _blackout(repo: Path, start: datetime, end: datetime) -> None:
    old = f'    - start: "{seed(EXAMPLE.blackout[0])}"\n      end: "{seed(EXAMPLE.blackout[1])}"\n'
    replace_once(repo / CHECKLIST, old, f'    - start: "{seed(start)}"\n      end: "{seed(end)}"\n')


@pytest.mark.parametrize(
    ("end", "state"),
    [(EXAMPLE.primary[0], "FAIL"), (EXAMPLE.primary[0] - MINUTE, "PASS")],
    ids=["ends-as-the-window-opens", "ends-a-minute-before"],
)
def test_a_window_may_not_even_touch_a_blackout(tmp_path, check, end, state):
    repo = copy_example(tmp_path, decisions=False)
    _blackout(repo, end - timedelta(hours=3), end)
    _, card = check(repo)
    assert item(card, "C-primary-window")["state"] == state
    if state == "FAIL":
        assert item(card, "C-primary-window")["reasons"][0].startswith("touches the blackout")


def test_touching_is_symmetric_and_inclusive() -> None:
    window = Interval(EXAMPLE.primary[0], EXAMPLE.primary[1])
    after = Interval(window.end, window.end + timedelta(hours=1))
    assert window.touches(after)
    assert after.touches(window)
    assert not window.touches(Interval(window.end + MINUTE, window.end + timedelta(hours=1)))


def _checklist(tmp_path: Path) -> Checklist:
    repo = copy_example(tmp_path)
    _, model, errors = load_yaml(repo, CHECKLIST, Checklist)
    assert model is not None, errors
    return model


@pytest.mark.parametrize(
    ("at", "frozen"),
    [
        (EXAMPLE.freeze[1] - timedelta(seconds=1), True),
        (EXAMPLE.freeze[1], False),
        (EXAMPLE.freeze[0], True),
        (EXAMPLE.freeze[0] - timedelta(seconds=1), False),
    ],
    ids=["a-second-before-the-end", "at-the-end-instant", "at-the-start-instant", "a-second-before-the-start"],
)
def test_the_freeze_ends_at_its_end_instant(tmp_path, at, frozen):
    pr = PullRequest(number=1, author="dev", head_sha="a" * 40, base_sha="b" * 40, files=("gate/cli.py",))
    result = freeze_check(_checklist(tmp_path), pr, frozenset(), Membership(), at)
    assert result.in_freeze is frozen
    assert result.ok is not frozen


@pytest.mark.parametrize(
    ("freeze_end", "covered"),
    [(EXAMPLE.primary[1], True), (EXAMPLE.primary[1] - MINUTE, False)],
    ids=["ends-with-the-window", "ends-a-minute-early"],
)
def test_the_freeze_must_last_to_the_window_s_end_instant(tmp_path, check, freeze_end, covered):
    repo = copy_example(tmp_path, decisions=False)
    # Move the backup window inside the primary's freeze so only the primary decides the outcome.
    old = f'  end: "{seed(EXAMPLE.freeze[1])}"\n'
    replace_once(repo / CHECKLIST, old, f'  end: "{seed(freeze_end)}"\n')
    backup = f'backup: {{start: "{seed(EXAMPLE.backup[0])}", end: "{seed(EXAMPLE.backup[1])}"}}'
    early = EXAMPLE.primary[0] - timedelta(hours=5), EXAMPLE.primary[0] - timedelta(hours=4)
    inside = f'backup: {{start: "{seed(early[0])}", end: "{seed(early[1])}"}}'
    replace_once(repo / CHECKLIST, backup, inside)
    _, card = check(repo)
    freeze = item(card, "C-freeze")
    assert freeze["state"] == ("PASS" if covered else "FAIL"), freeze["reasons"]
    if not covered:
        assert any("does not cover the primary window" in r for r in freeze["reasons"])


def test_an_artifact_with_the_right_hash_and_the_wrong_size_fails_integrity(tmp_path, check):
    repo = copy_example(tmp_path)
    manifest = read_manifest(repo)
    entry = next(a for a in manifest["artifacts"] if a["id"] == "vuln-scan")
    entry["size"] += 1
    write_manifest(repo, manifest)
    code, card = check(repo)
    assert code == 1
    [failure] = [f for f in card["integrity"] if f["artifact"] == "vuln-scan"]
    assert failure["message"] == f"size is {entry['size'] - 1} bytes, manifest says {entry['size']}"
