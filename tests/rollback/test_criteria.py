"""One validator of rollback criteria for every command: `gate check` and `gate rollback rules` agree.

A criterion that can never mean what it says is an input error (exit 2) at the offending field's line
and column, every one at once, from both commands, with the same message. A criterion that is only
not filled in yet (a placeholder) is not: it fails item C-rollback-criteria, and `rollback rules`
refuses to compile it, saying what to fill in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Check, RunGate
from tests.helpers import item

CHECKLIST = "checklist.yaml"
ERROR_LINE = re.compile(r"^(checklist\.yaml):(\d+):(\d+): (.+)$", re.M)


def fill_in(repo: Path) -> None:
    """The frozen launch with the rollback section filled in: it compiles."""
    edit(repo, "  target_block_time: <insert target block time, e.g. 6s>\n", "  target_block_time: 6s\n")
    edit(repo, "    chain: {chain_id: <insert mainnet chain id>}\n", "    chain: {chain_id: virtengine-1}\n")


def edit(repo: Path, old: str, new: str) -> str:
    path = repo / CHECKLIST
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


@dataclass(frozen=True)
class Invalid:
    """One way to write a criterion that means nothing: the edit, where it is reported, and why."""

    id: str
    old: str
    new: str
    needle: str  # the text the error points at (its first character), unique in the edited file
    message: str

    def apply(self, repo: Path) -> tuple[int, int]:
        text = edit(repo, self.old, self.new)
        assert text.count(self.needle) == 1, f"{self.needle!r} must occur once"
        index = text.index(self.needle) + len(self.needle) - len(self.needle.lstrip())
        line = text.count("\n", 0, index) + 1
        return line, index - text.rfind("\n", 0, index)


PARTICIPATION = "          threshold: 67\n          unit: percent\n"
HALT = "          threshold: 3\n          unit: blocks\n          window: 10m\n"
INVALID = [
    Invalid(
        "unit-mismatch",
        PARTICIPATION,
        "          threshold: 67\n          unit: blocks\n",
        "blocks\n          # CometBFT",
        "rollback.criteria[1].any_of[0].unit: signal participation is measured in percent, not blocks",
    ),
    Invalid(
        "nan-threshold",
        PARTICIPATION,
        "          threshold: .nan\n          unit: percent\n",
        ".nan",
        "rollback.criteria[1].any_of[0].threshold: threshold must be a finite number, not nan",
    ),
    Invalid(
        "infinite-threshold",
        HALT,
        HALT.replace("threshold: 3", "threshold: .inf"),
        ".inf",
        "rollback.criteria[0].any_of[0].threshold: threshold must be a finite number, not inf",
    ),
    Invalid(
        "percent-out-of-range",
        PARTICIPATION,
        "          threshold: 670\n          unit: percent\n",
        "670",
        "rollback.criteria[1].any_of[0].threshold: 670.0 is not a percentage (0 to 100)",
    ),
    Invalid(
        "comparison-the-signal-cannot-make",
        '          comparison: ">"\n          threshold: 3\n',
        '          comparison: "<"\n          threshold: 3\n',
        '"<"\n          threshold: 3',
        "rollback.criteria[0].any_of[0].comparison: signal halted_blocks breaches with > or >=, not <",
    ),
    Invalid(
        "halt-without-window",
        HALT,
        "          threshold: 3\n          unit: blocks\n",
        "signal: halted_blocks",
        "rollback.criteria[0].any_of[0].window: signal halted_blocks needs a window",
    ),
    Invalid(
        "zero-duration",
        HALT,
        HALT.replace("window: 10m", "window: 0m"),
        " 0m\n",
        "rollback.criteria[0].any_of[0].window: window must be longer than 0s",
    ),
    Invalid(
        "duration-past-a-week",
        HALT,
        HALT.replace("window: 10m", "window: 169h"),
        "169h",
        "rollback.criteria[0].any_of[0].window: window 169h is longer than 168h (7 days)",
    ),
    Invalid(
        # 400 digits: float() of it overflows (it crashed with exit 3); past any bound Prometheus parses.
        "duration-of-400-digits",
        HALT,
        HALT.replace("window: 10m", f"window: {'9' * 400}m"),
        f"{'9' * 400}m",
        "rollback.criteria[0].any_of[0].window: window 99999999999999999999…m is longer than 168h (7 days)",
    ),
    Invalid(
        # 5,000 digits: int() refuses it (Python's digit limit), which was reported at `rollback` itself.
        "duration-of-5000-digits",
        "          for: 20m\n",
        f"          for: {'9' * 5000}m\n",
        f"{'9' * 5000}m",
        "rollback.criteria[2].any_of[0].for: for 99999999999999999999…m is longer than 168h (7 days)",
    ),
    Invalid(
        "target-block-time-past-a-week",
        "  target_block_time: 6s\n",
        f"  target_block_time: {'9' * 400}s\n",
        f"{'9' * 400}s",
        "rollback.target_block_time: target_block_time 99999999999999999999…s is longer than 168h (7 days)",
    ),
    Invalid(
        "a-percentage-never-above-100",
        "          threshold: 2\n          unit: percent\n          window: 15m\n",
        "          threshold: 100\n          unit: percent\n          window: 15m\n",
        "100\n          unit: percent\n          window: 15m",
        "rollback.criteria[3].any_of[0].threshold: signal verification_error_rate is never > 100: this criterion "
        "could never fire",
    ),
    Invalid(
        "a-percentage-never-below-0",
        PARTICIPATION,
        "          threshold: 0\n          unit: percent\n",
        "0\n          unit: percent\n          # CometBFT",
        "rollback.criteria[1].any_of[0].threshold: signal participation is never < 0: this criterion could never fire",
    ),
    Invalid(
        # (1e308 + 1) target block times overflowed to inf while the window was compared (exit 3).
        "halt-threshold-past-any-stall",
        HALT,
        HALT.replace("threshold: 3", "threshold: 1e308"),
        "1e308",
        "rollback.criteria[0].any_of[0].threshold: 1e+308 is not a count of blocks from 0 to 100000",
    ),
    Invalid(
        "a-traffic-floor-no-window-reaches",
        "          min_requests: 100\n",
        "          min_requests: 1000000000000000000000\n",
        "1000000000000000000000",
        "rollback.criteria[3].any_of[0].min_requests: min_requests must be at most 10000000",
    ),
    Invalid(
        "window-shorter-than-the-stall",
        HALT,
        HALT.replace("window: 10m", "window: 20s"),
        "20s",
        "rollback.criteria[0].any_of[0].window: window 20s is shorter than the stall it looks for (24s)",
    ),
    Invalid(
        "not-a-metric-name",
        "metrics: {height: cometbft_consensus_height}",
        "metrics: {height: cometbft consensus height}",
        "cometbft consensus height",
        "rollback.criteria[0].any_of[0].metrics.height: 'cometbft consensus height' is not a Prometheus metric name",
    ),
    Invalid(
        "unknown-metric-key",
        "metrics: {height: cometbft_consensus_height}",
        "metrics: {height: cometbft_consensus_height, hieght: x}",
        "hieght",
        "rollback.criteria[0].any_of[0].metrics.hieght: signal halted_blocks takes no metric 'hieght'",
    ),
    Invalid(
        "missing-metric-key",
        "metrics: {height: cometbft_consensus_height}",
        "metrics: {}",
        "{}\n    - id: validator",
        "rollback.criteria[0].any_of[0].metrics: signal halted_blocks takes metrics height; missing: height",
    ),
    Invalid(
        "histogram-sample-instead-of-its-name",
        "metrics: {interval: cometbft_consensus_block_interval_seconds}",
        "metrics: {interval: cometbft_consensus_block_interval_seconds_sum}",
        "cometbft_consensus_block_interval_seconds_sum",
        "rollback.criteria[2].any_of[0].metrics.interval: give the histogram's base name, without sum",
    ),
    Invalid(
        "bad-label-name",
        "    application: {}\n",
        "    application: {app-name: veid}\n",
        "app-name",
        "rollback.match.application.app-name: 'app-name' is not a Prometheus label name",
    ),
    Invalid(
        "reserved-label-name",
        "    chain: {chain_id: virtengine-1}\n",
        "    chain: {chain_id: virtengine-1, __name__: x}\n",
        "__name__",
        "rollback.match.chain.__name__: '__name__' is reserved by Prometheus",
    ),
    Invalid(
        "target-that-is-no-duration",
        "  target_block_time: 6s\n",
        "  target_block_time: 6 seconds\n",
        "6 seconds",
        "rollback.target_block_time: '6 seconds' is not a duration like 6s",
    ),
    Invalid(
        # A service without blocks may leave the target out; a criterion counted in blocks cannot.
        "blocks-without-a-target",
        "  target_block_time: 6s\n",
        "",
        "halted_blocks",
        "rollback.criteria[0].any_of[0].signal: signal halted_blocks is measured in target block times: "
        "set rollback.target_block_time",
    ),
    Invalid(
        "sustained-no-longer-than-averaged",
        "          for: 20m\n",
        "          window: 20m\n          for: 20m\n",
        "20m\n          metrics: {interval",
        "rollback.criteria[2].any_of[0].for: for 20m must be at least 30s longer than the 20m the signal already spans",
    ),
    Invalid(
        "confirm-where-nothing-is-confirmed",
        "          min_requests: 100\n",
        "          min_requests: 100\n          confirm: 1m\n",
        "1m\n          metrics:\n            errors",
        "rollback.criteria[3].any_of[0].confirm: confirm applies to a point-value condition",
    ),
    Invalid(
        "floor-on-no-rate",
        "          confirm: 1m\n          metrics: {mismatch_ratio",
        "          confirm: 1m\n          min_requests: 5\n          metrics: {mismatch_ratio",
        "5\n          metrics: {mismatch",
        "rollback.criteria[4].any_of[0].min_requests: min_requests applies to a rate signal",
    ),
    Invalid(
        "two-criteria-one-alert",
        "    - id: critical-service\n",
        "    - id: chain_health\n",
        "chain_health",
        "rollback.criteria[3].id: criterion 'chain_health' names the same alert as 'chain-health'",
    ),
]


def _errors(text: str) -> list[tuple[int, int, str]]:
    return [(int(m[2]), int(m[3]), m[4]) for m in ERROR_LINE.finditer(text)]


@pytest.mark.parametrize("invalid", INVALID, ids=[i.id for i in INVALID])
def test_an_invalid_criterion_is_an_input_error_for_both_commands(
    invalid: Invalid, repo_copy: Path, run_gate: RunGate
) -> None:
    fill_in(repo_copy)
    line, column = invalid.apply(repo_copy)
    code, out, err = run_gate("check", "--repo", repo_copy)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    reported = _errors(out)
    assert any((ln, col) == (line, column) and invalid.message in msg for ln, col, msg in reported), (line, column, out)
    code, out, err = run_gate("rollback", "rules", "--repo", repo_copy)
    assert code == 2, out + err
    assert sorted(_errors(err)) == sorted(reported)  # the very same findings, from the one validator


def test_every_invalid_criterion_is_reported_at_once(repo_copy: Path, run_gate: RunGate) -> None:
    fill_in(repo_copy)
    chosen = [i for i in INVALID if i.id in ("unit-mismatch", "zero-duration", "bad-label-name", "floor-on-no-rate")]
    where = [i.apply(repo_copy) for i in chosen]
    code, out, _ = run_gate("check", "--repo", repo_copy)
    assert code == 2
    reported = {(ln, col) for ln, col, _ in _errors(out)}
    assert reported == set(where)


def test_the_filled_in_criteria_compile_and_pass(repo_copy: Path, run_gate: RunGate, check: Check) -> None:
    fill_in(repo_copy)
    code, out, err = run_gate("rollback", "rules", "--repo", repo_copy)
    assert code == 0, err
    assert "RollbackConsensusFailure" in out
    _, card = check(repo_copy)
    assert item(card, "C-rollback-criteria")["state"] == "PASS"


Unfilled = Callable[[Path], None]


@pytest.mark.parametrize(
    ("unfill", "says"),
    [
        (lambda repo: None, "rollback.target_block_time is not filled in (<insert target block time, e.g. 6s>)"),
        (
            lambda repo: edit(
                repo, "  target_block_time: <insert target block time, e.g. 6s>\n", "  target_block_time: 6s\n"
            ),
            "rollback.match.chain.chain_id is not filled in (<insert mainnet chain id>)",
        ),
    ],
    ids=["target-block-time", "chain-id"],
)
def test_an_unfilled_criterion_fails_its_item_and_is_not_compiled(
    unfill: Unfilled, says: str, repo_copy: Path, run_gate: RunGate, check: Check
) -> None:
    unfill(repo_copy)
    code, card = check(repo_copy)
    assert code == 0  # usable input: an honest NO-GO
    c = item(card, "C-rollback-criteria")
    assert c["state"] == "FAIL"
    assert any(r.startswith(says) for r in c["reasons"]), c["reasons"]
    code, out, err = run_gate("rollback", "rules", "--repo", repo_copy)
    assert code == 2
    assert out == ""
    assert says in err
    assert "Traceback" not in err
