"""Property tests: any one change to a GO launch never crashes or hangs `gate check`, and a change to
anything a GO relies on never leaves it GO. The same mutations run at scale in `.ci/run`
(`python -m tests.fuzz --mutations 2000`); here Hypothesis picks the seeds, and the corpus replays the
changes that once found something, plus the hostile inputs issue by issue."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gate.decision
from gate.model import strict
from tests.fuzz.mutate import Mutation, mutate
from tests.fuzz.run import judge, quick_check_holes, run_seeds
from tests.helpers import copy_example

CORPUS = json.loads((Path(__file__).parent / "corpus.json").read_text(encoding="utf-8"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_one_change_never_crashes_hangs_or_keeps_a_false_go(seed: int) -> None:
    assert run_seeds([seed], timeout=20.0) == []


@pytest.mark.parametrize("case", CORPUS, ids=[c["why"] for c in CORPUS])
def test_corpus(case: dict[str, object]) -> None:
    seed = case["seed"]
    assert isinstance(seed, int)
    assert run_seeds([seed], timeout=20.0) == []


def test_the_corpus_seeds_still_make_the_change_they_are_kept_for(tmp_path: Path) -> None:
    """A change to the mutator must not silently turn the corpus into something else."""
    for case in CORPUS:
        repo = copy_example(tmp_path, dest=f"seed-{case['seed']}")
        mutation = mutate(repo, random.Random(case["seed"]))
        assert case["kind"] in str(mutation), (case, str(mutation))


def test_the_fuzzer_finds_a_false_go_when_a_rule_is_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not vacuous: with "a NO-GO in force is NO-GO" removed, the NO-GO-beside-a-GO seed is caught."""
    original = gate.decision.decision_blocking

    def without_the_rule(*args: object) -> list[str]:
        return [r for r in original(*args) if "is NO-GO" not in r]  # type: ignore[arg-type]

    monkeypatch.setattr(gate.decision, "decision_blocking", without_the_rule)
    [case] = [c for c in CORPUS if c["why"] == "a NO-GO recorded beside the GO"]
    [failure] = run_seeds([case["seed"]], timeout=20.0)
    assert failure.problem.startswith("false GO")


def test_the_oracle_flags_each_kind_of_failure() -> None:
    guarded = Mutation("yaml-scalar", "checklist.yaml", "x", guarded=True)
    assert judge(guarded, 3, "", "gate: internal error: boom") == "exit code 3"
    assert judge(guarded, 1, "", "Traceback (most recent call last):\n  boom") is not None
    assert judge(guarded, 0, '{"decision": "GO"}', "") == "false GO: a guarded change left the launch GO"
    assert judge(guarded, 0, '{"decision": "NO-GO"}', "") is None
    assert judge(Mutation("yaml-line", "x", "y", guarded=False), 0, '{"decision": "GO"}', "") is None


def test_the_oracle_flags_a_quick_check_looser_than_pydantic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checklist with an unknown key: the quick check refuses it as pydantic does (no finding); a quick
    check that let it through would be reported."""
    repo = copy_example(tmp_path)
    checklist = repo / "checklist.yaml"
    checklist.write_text(checklist.read_text(encoding="utf-8") + "unknown_key: 1\n", encoding="utf-8")
    assert quick_check_holes(repo, "checklist.yaml") is None
    monkeypatch.setattr(strict, "validate", lambda model, data: data)
    found = quick_check_holes(repo, "checklist.yaml")
    assert found is not None
    assert found.startswith("quick check accepts what pydantic refuses: checklist.yaml")
    assert quick_check_holes(repo, "evidence/not-a-launch-file.txt") is None
