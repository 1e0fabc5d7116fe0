"""Rollback criteria -> Prometheus rules: the compile step, then the rules run by the real promtool.

Each promtool scenario is one chain (one node unless it says otherwise) scraped every 15 s with a
6 s target block time: healthy for five minutes, then one failure. The suite asserts the failing
criterion's alert just past its threshold and duration and not before, and that no other alert
fires along the way.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import error_exit
from gate.errors import UsageError
from gate.rollback.compile import (
    EVAL_STEP,
    RollbackConfigError,
    alert_name,
    compile_criteria,
    compile_rules,
    render_rules,
)
from tests.rollback.fixtures import (
    DISPUTE_HEALTHY,
    HALT,
    HEIGHT,
    INTERVAL,
    MISMATCH,
    MISSING_POWER,
    ONSET,
    SCRAPE,
    SEED_CRITERIA,
    SEED_IDS,
    TARGET,
    TOTAL_POWER,
    VEID_ERRORS,
    VEID_REQUESTS,
    Node,
    during,
    need_binaries,
    seed_rollback,
)

ALERTS = [alert_name(i) for i in SEED_IDS]
CHAIN = "virtengine-1"

# ---------------------------------------------------------------------------------------------
# The compile step
# ---------------------------------------------------------------------------------------------


def test_one_alert_per_criterion_named_labelled_and_annotated() -> None:
    doc = compile_rules(seed_rollback())
    (group,) = doc["groups"]
    assert group["name"] == "launch-rollback"
    assert group["interval"] == EVAL_STEP
    assert [r["alert"] for r in group["rules"]] == [
        "RollbackConsensusFailure",
        "RollbackValidatorParticipation",
        "RollbackChainHealth",
        "RollbackCriticalService",
        "RollbackBillingIntegrity",
    ]
    for rule, crit in zip(group["rules"], SEED_CRITERIA, strict=True):
        assert rule["labels"] == {"criterion": crit["id"], "severity": "rollback"}
        assert rule["annotations"]["summary"] == crit["title"]
        assert rule["annotations"]["seed"] == crit["seed"]
        # Durations live in the expression, so a watch without the rules loaded agrees with them.
        assert "for" not in rule


def test_threshold_text_reads_as_the_operator_would_say_it() -> None:
    rules = compile_rules(seed_rollback())["groups"][0]["rules"]
    assert [r["annotations"]["threshold"] for r in rules] == [
        "halted_blocks > 3 blocks (no block for over 24s) within 10m",
        "participation < 67% for 10m",
        "block_time > 2x target (6s) averaged over 2m for 20m",
        "verification_error_rate > 2% over 15m",
        "billing_mismatch > 0.5% or dispute_workflow_failing < 1 (health gauge: 1 healthy, 0 failing)",
    ]


def test_several_conditions_are_ored_into_one_alert() -> None:
    billing = compile_criteria(seed_rollback())[4]
    mismatch, dispute = billing.conditions
    assert billing.expr == f"({mismatch.expr}) or ({dispute.expr})"
    assert MISMATCH in mismatch.expr
    assert DISPUTE_HEALTHY in dispute.expr


def test_sustained_durations_and_ranges_are_in_the_expressions() -> None:
    consensus, participation, chain, service, _ = compile_criteria(seed_rollback(target="5s"))
    assert "offset 20s" in consensus.expr  # (3 + 1) target block times
    assert "[10m:5s]" in consensus.expr
    assert "[10m:30s]" in participation.expr
    # The 2 m rate range covers 2 of the 20 sustained minutes.
    assert "[2m]" in chain.expr
    assert "[18m:30s]" in chain.expr
    assert "/ 5" in chain.expr
    assert "[15m]" in service.expr


@pytest.mark.parametrize("target", ["<insert target block time>", "TBD", "6 seconds", "0s"])
def test_a_target_block_time_that_is_no_duration_cannot_be_compiled(target: str) -> None:
    with pytest.raises(RollbackConfigError, match="target_block_time") as err:
        compile_rules(seed_rollback(target=target))
    assert isinstance(err.value, UsageError)
    assert error_exit(err.value) == 2


def _one(signal: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": "x", "title": "X", "seed": "x", "any_of": [signal]}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "percent"}, "unit must be blocks"),
        ({"comparison": "<"}, "use > or >="),
        ({"window": None}, "needs a window"),
        ({"metrics": {"height": "not a name"}}, "not a Prometheus metric name"),
    ],
)
def test_a_halted_blocks_condition_that_means_nothing_is_refused(change: dict[str, Any], message: str) -> None:
    cond = {**SEED_CRITERIA[0]["any_of"][0], **change}
    with pytest.raises(RollbackConfigError, match=message) as err:
        compile_rules(seed_rollback(criteria=_one(cond)))
    assert "rollback criterion x, signal halted_blocks" in str(err.value)


def test_an_error_rate_needs_the_range_it_is_counted_over() -> None:
    cond = {**SEED_CRITERIA[3]["any_of"][0], "window": None}
    with pytest.raises(RollbackConfigError, match="needs a window"):
        compile_rules(seed_rollback(criteria=_one(cond)))


def test_a_selector_restricts_every_metric() -> None:
    rules = compile_rules(seed_rollback(), selector={"job": 'main"net', "env": "prod"})
    exprs = " ".join(r["expr"] for r in rules["groups"][0]["rules"])
    names = [HEIGHT, MISSING_POWER, TOTAL_POWER, VEID_ERRORS, VEID_REQUESTS, MISMATCH]
    names += [DISPUTE_HEALTHY, f"{INTERVAL}_sum", f"{INTERVAL}_count"]
    for name in names:
        assert exprs.count(f'{name}{{env="prod",job="main\\"net"}}') == exprs.count(name)


@pytest.mark.parametrize("label", ["bad-label", "__name__", ""])
def test_a_selector_label_must_be_a_label_name(label: str) -> None:
    with pytest.raises(RollbackConfigError, match="label name"):
        compile_rules(seed_rollback(), selector={label: "x"})


def test_rendered_rules_are_deterministic_yaml_of_the_document() -> None:
    text = render_rules(seed_rollback())
    assert text == render_rules(seed_rollback())
    assert text.startswith("# Generated by `gate rollback rules`")
    assert yaml.safe_load(text) == compile_rules(seed_rollback())


# ---------------------------------------------------------------------------------------------
# The rules under the real promtool
# ---------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """Nodes of one chain, and which alert fires (or not) at which second."""

    id: str
    nodes: list[Node]
    alert: str | None
    fires: Sequence[int] = ()
    quiet: Sequence[int] = ()
    until: int = 40 * 60
    expr_tests: list[dict[str, Any]] = field(default_factory=list)


def _minutes(a: float, b: float) -> list[int]:
    """Every rule evaluation (30 s apart) from minute a to minute b."""
    return list(range(int(a * 60), int(b * 60) + 1, 30))


SCENARIOS = [
    Scenario("healthy", [Node()], None, quiet=_minutes(0, 40)),
    Scenario(
        "lagging-node-is-not-the-chain",
        [Node(), Node(slowdown=lambda _t: HALT, participation=lambda _t: 50.0, instance="val-1")],
        None,
        quiet=_minutes(0, 40),
    ),
    Scenario(
        "participation-66-for-11m",
        [Node(participation=during(ONSET, ONSET + 11 * 60, 66, 100))],
        "RollbackValidatorParticipation",
        fires=[ONSET + 600, ONSET + 630],
        quiet=[ONSET, ONSET + 540, ONSET + 570, ONSET + 690],
    ),
    Scenario(
        "participation-68-for-20m",
        [Node(participation=during(ONSET, ONSET + 20 * 60, 68, 100))],
        None,
        quiet=_minutes(5, 30),
    ),
    Scenario(
        # A node that starts reporting mid-launch has no 10 minutes of history to pass on.
        "participation-60-from-its-first-sample",
        [Node(participation=during(0, ONSET, None, 60))],
        "RollbackValidatorParticipation",
        fires=[ONSET + 600, ONSET + 1200],
        quiet=[ONSET, ONSET + 300, ONSET + 540, ONSET + 570],
    ),
    Scenario(
        "participation-60-for-9m",
        [Node(participation=during(ONSET, ONSET + 9 * 60, 60, 100))],
        None,
        quiet=_minutes(5, 20),
    ),
    Scenario(
        # 60 s without a block: seen after 30 s (4 missed slots > 3), held for the 10 min window.
        "halt-60s",
        [Node(slowdown=during(ONSET + 1, ONSET + 61, HALT, 1))],
        "RollbackConsensusFailure",
        fires=[ONSET + 30, ONSET + 60, ONSET + 600, ONSET + 660],
        quiet=[ONSET - 30, ONSET, ONSET + 15, ONSET + 690, ONSET + 900],
    ),
    Scenario(
        "halt-for-the-whole-window",
        [Node(slowdown=during(ONSET + 1, 10**6, HALT, 1))],
        "RollbackConsensusFailure",
        fires=_minutes(5.5, 20),
        quiet=[ONSET],
    ),
    Scenario(
        # 15 s without a block: two equal heights a scrape apart, under the 24 s of 4 slots.
        "stall-15s",
        [Node(slowdown=during(ONSET + 1, ONSET + 16, HALT, 1))],
        None,
        quiet=_minutes(5, 20),
    ),
    Scenario(
        "block-time-3x-for-21m",
        [Node(slowdown=during(ONSET + 1, ONSET + 21 * 60 + 1, 3, 1))],
        "RollbackChainHealth",
        fires=[ONSET + 20 * 60, ONSET + 21 * 60],
        quiet=[ONSET, ONSET + 19 * 60, ONSET + 19 * 60 + 30, ONSET + 22 * 60],
    ),
    Scenario(
        "block-time-3x-for-19m",
        [Node(slowdown=during(ONSET + 1, ONSET + 19 * 60 + 1, 3, 1))],
        None,
        quiet=_minutes(5, 40),
    ),
    Scenario(
        "block-time-1.9x-for-30m",
        [Node(slowdown=during(ONSET + 1, 10**6, 1.9, 1))],
        None,
        quiet=_minutes(5, 40),
    ),
    Scenario(
        # The 15 min rate mixes the old 0.5 % with 2.5 %: above 2 % once 11.25 min are bad.
        "verification-errors-2.5-percent",
        [Node(error_percent=during(ONSET + 1, 10**6, 2.5, 0.5))],
        "RollbackCriticalService",
        fires=[ONSET + 690, ONSET + 900, ONSET + 1500],
        quiet=[ONSET, ONSET + 600, ONSET + 660],
    ),
    Scenario(
        "verification-errors-1.5-percent",
        [Node(error_percent=during(ONSET + 1, 10**6, 1.5, 0.5))],
        None,
        quiet=_minutes(5, 40),
    ),
    Scenario(
        "billing-mismatch-0.6-percent",
        [Node(mismatch_ratio=during(ONSET, 10**6, 0.006, 0.001))],
        "RollbackBillingIntegrity",
        fires=[ONSET, ONSET + 30, ONSET + 1200],
        quiet=[ONSET - 30],
    ),
    Scenario(
        "billing-mismatch-0.4-percent",
        [Node(mismatch_ratio=during(ONSET, 10**6, 0.004, 0.001))],
        None,
        quiet=_minutes(5, 40),
    ),
    Scenario(
        "dispute-workflow-failing",
        [Node(dispute_healthy=during(ONSET, ONSET + 60, 0, 1))],
        "RollbackBillingIntegrity",
        fires=[ONSET, ONSET + 30],
        quiet=[ONSET - 30, ONSET + 60, ONSET + 90],
    ),
]


def _series_lines(scenario: Scenario) -> list[dict[str, str]]:
    samples = scenario.until // SCRAPE + 1
    out = []
    for node in scenario.nodes:
        labels = f'chain_id="{CHAIN}",instance="{node.instance}"'
        for name, values in node.series(samples).items():
            text = " ".join("_" if v is None else repr(v) for v in values)
            out.append({"series": f"{name}{{{labels}}}", "values": text})
    return out


def _alert_tests(scenario: Scenario, rules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """At every `fires` second the scenario's alert fires; at every second asked, nothing else."""
    tests = []
    for at in sorted({*scenario.fires, *scenario.quiet}):
        for alert, rule in rules.items():
            firing = alert == scenario.alert and at in scenario.fires
            expected = {
                "exp_labels": {**rule["labels"], "chain_id": CHAIN},
                "exp_annotations": rule["annotations"],
            }
            tests.append({"eval_time": f"{at}s", "alertname": alert, "exp_alerts": [expected] if firing else []})
    return tests


def _write_suite(tmp_path: Path, scenario: Scenario) -> tuple[Path, int]:
    (tmp_path / "rules.yml").write_text(render_rules(seed_rollback(target=f"{TARGET}s")))
    rules = {r["alert"]: r for r in compile_rules(seed_rollback())["groups"][0]["rules"]}
    alert_tests = _alert_tests(scenario, rules)
    suite = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": EVAL_STEP,
        "tests": [
            {
                "name": scenario.id,
                "interval": f"{SCRAPE}s",
                "input_series": _series_lines(scenario),
                "alert_rule_test": alert_tests,
                "promql_expr_test": scenario.expr_tests,
            }
        ],
    }
    path = tmp_path / "rules_test.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False, width=10_000))
    return path, len(alert_tests) + len(scenario.expr_tests)


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    promtool = need_binaries("promtool")["promtool"]
    return subprocess.run([promtool, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.mark.prometheus
def test_promtool_accepts_the_rendered_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(render_rules(seed_rollback(), selector={"job": "cometbft"}))
    done = _promtool("check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 5 rules found" in done.stdout


@pytest.mark.prometheus
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_promtool_rule_tests(tmp_path: Path, scenario: Scenario) -> None:
    path, count = _write_suite(tmp_path, scenario)
    done = _promtool("test", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert count >= 5


def _value_exprs() -> dict[str, str]:
    return {c.condition.signal: c.value for crit in compile_criteria(seed_rollback()) for c in crit.conditions}


@pytest.mark.prometheus
def test_promtool_healthy_chain_values(tmp_path: Path) -> None:
    """The values a watch reports: 0 halted blocks, 100 % participation, block time 1x, ..."""
    expected = {
        "halted_blocks": 0,
        "participation": 100,
        "block_time": 1,
        "verification_error_rate": 0.5,
        "billing_mismatch": 0.1,
        "dispute_workflow_failing": 1,
    }
    tests = [
        {
            "expr": expr,
            "eval_time": "30m",
            "exp_samples": [{"labels": f'{{chain_id="{CHAIN}"}}', "value": expected[signal]}],
        }
        for signal, expr in _value_exprs().items()
    ]
    scenario = Scenario("values", [Node(), Node(instance="val-1")], None, expr_tests=tests)
    path, _ = _write_suite(tmp_path, scenario)
    done = _promtool("test", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
