"""Rollback criteria -> Prometheus rules: the compile step, then the rules run by the real promtool.

Each promtool case feeds the rules a simulated chain (tests/rollback/chain.py: 6 s blocks, three
nodes, the block-interval histogram, the round voting power, the application's counters and gauges)
and names, at chosen seconds, exactly the alerts that fire then; every other alert of the file must
be silent at those moments.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import error_exit
from gate.errors import UsageError
from gate.model.checklist import Rollback
from gate.rollback.compile import (
    EVAL_STEP,
    RollbackConfigError,
    compile_criteria,
    compile_rules,
    render_rules,
)
from gate.rollback.criteria import Family, alert_name, match_option
from tests.rollback.chain import (
    APP_SCRAPE,
    CHAIN,
    DISPUTE_HEALTHY,
    HALT,
    HEIGHT,
    INTERVAL,
    MISMATCH,
    ONSET,
    ROUND_POWER,
    VEID_ERRORS,
    VEID_REQUESTS,
    App,
    Chain,
    Node,
    Scenario,
    during,
    promtool_series,
)
from tests.rollback.fixtures import SEED_CRITERIA, SEED_IDS, need_binaries, seed_rollback

CF, VP, CH, CS, BI = (alert_name(i) for i in SEED_IDS)
MATCH: dict[Family, dict[str, str]] = {"chain": {"chain_id": CHAIN}}  # as checklist.yaml selects its chain
FOREVER = 10**7

# ---------------------------------------------------------------------------------------------
# The compile step
# ---------------------------------------------------------------------------------------------


def _rules(**kwargs: Any) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = compile_rules(seed_rollback(**kwargs), match=MATCH)["groups"][0]["rules"]
    return rules


def test_one_alert_per_criterion_then_one_signal_missing_alert_per_series() -> None:
    (group,) = compile_rules(seed_rollback())["groups"]
    assert group["name"] == "launch-rollback"
    assert group["interval"] == EVAL_STEP
    names = [(r["alert"], r["labels"].get("metric")) for r in group["rules"]]
    assert names == [
        ("RollbackConsensusFailure", None),
        ("consensus-failure-signal-missing", HEIGHT),
        ("RollbackValidatorParticipation", None),
        ("validator-participation-signal-missing", ROUND_POWER),
        ("RollbackChainHealth", None),
        ("chain-health-signal-missing", f"{INTERVAL}_sum"),
        ("chain-health-signal-missing", f"{INTERVAL}_count"),
        ("RollbackCriticalService", None),
        ("critical-service-signal-missing", VEID_ERRORS),
        ("critical-service-signal-missing", VEID_REQUESTS),
        ("RollbackBillingIntegrity", None),
        ("billing-integrity-signal-missing", MISMATCH),
        ("billing-integrity-signal-missing", DISPUTE_HEALTHY),
    ]
    for rule in group["rules"]:
        assert "for" not in rule  # durations are in the expressions, so a watch agrees with the rules


def test_rollback_alerts_are_labelled_and_annotated() -> None:
    alerts = [r for r in _rules() if r["alert"].startswith("Rollback")]
    for rule, crit in zip(alerts, SEED_CRITERIA, strict=True):
        assert rule["labels"] == {"criterion": crit["id"], "severity": "rollback"}
        assert rule["annotations"]["summary"] == crit["title"]
        assert rule["annotations"]["seed"] == crit["seed"]


def test_a_signal_missing_alert_says_which_metric_and_which_criterion_is_blind() -> None:
    missing = {(r["alert"], r["labels"]["metric"]): r for r in _rules() if "metric" in r["labels"]}
    height = missing[("consensus-failure-signal-missing", HEIGHT)]
    assert height["expr"] == f'absent({HEIGHT}{{chain_id="{CHAIN}"}})'
    assert height["labels"] == {"criterion": "consensus-failure", "metric": HEIGHT, "severity": "critical"}
    assert "consensus-failure is blind" in height["annotations"]["summary"]
    assert HEIGHT in height["annotations"]["summary"]
    # An errors counter appears with the first error: its absence is counted as zero, and only warned.
    errors = missing[("critical-service-signal-missing", VEID_ERRORS)]
    assert errors["labels"]["severity"] == "warning"
    assert "counts the series as zero" in errors["annotations"]["description"]


def test_threshold_text_reads_as_the_operator_would_say_it() -> None:
    rules = [r for r in _rules() if r["alert"].startswith("Rollback")]
    assert [r["annotations"]["threshold"] for r in rules] == [
        "halted_blocks > 3 blocks (no block at the chain's height for 24s or more) within 10m",
        "participation < 67% (each round's peak voting power, over 1m) for 10m",
        "block_time > 2x target (6s) averaged over 2m for 20m",
        "verification_error_rate > 2% over 15m (with 100 requests or more)",
        "billing_mismatch > 0.5% confirmed over 1m or dispute_workflow_failing < 1 (health gauge: 1 healthy, "
        "0 failing) confirmed over 1m",
    ]


def test_each_criterion_states_the_scrape_interval_it_needs() -> None:
    """Derived from the target block time and each condition's ranges; stated in the file and the alerts."""
    needs = {c.criterion.id: c.scrape_seconds for c in compile_criteria(seed_rollback())}
    assert needs == {
        "consensus-failure": 6,  # one sample per block time
        "validator-participation": 15,  # 4 samples in each 1m peak
        "chain-health": 30,  # 4 samples in each 2m rate()
        "critical-service": 225,  # 4 samples in each 15m increase()
        "billing-integrity": 30,  # a new sample at each 30 s evaluation that confirms
    }
    assert compile_criteria(seed_rollback(target="5s"))[0].scrape_seconds == 5
    text = render_rules(seed_rollback())
    assert "#   consensus-failure: 6s or faster (cometbft_consensus_height: " in text
    rule = next(r for r in _rules() if r["alert"] == CF)
    assert rule["annotations"]["scrape_interval"].startswith("6s or faster")


def test_several_conditions_are_ored_into_one_alert() -> None:
    billing = compile_criteria(seed_rollback())[4]
    mismatch, dispute = billing.conditions
    assert billing.expr == f"({mismatch.expr}) or ({dispute.expr})"
    assert MISMATCH in mismatch.expr
    assert DISPUTE_HEALTHY in dispute.expr


def test_sustained_durations_and_ranges_are_in_the_expressions() -> None:
    consensus, participation, chain, service, billing = compile_criteria(seed_rollback(target="5s"))
    assert "offset 25s" in consensus.expr  # (3 + 1) target block times, plus one
    assert "[10m:2500ms]" in consensus.expr  # the hold, in half block times
    assert "max by (chain_id)" in consensus.expr  # the chain's maximum height speaks
    assert f"max_over_time({ROUND_POWER}" in participation.expr
    assert "[9m:30s]" in participation.expr  # the 1m peak covers 1 of the 10 sustained minutes
    assert "[2m]" in chain.expr
    assert "[18m:30s]" in chain.expr
    assert "/ 5" in chain.expr
    assert "[15m]" in service.expr
    assert ">= 100" in service.expr  # the traffic floor
    assert "[1m:30s]" in billing.conditions[0].expr  # a point value is confirmed over two evaluations


def test_matchers_apply_per_metric_family() -> None:
    """A chain matcher restricts CometBFT's metrics only; the application's keep their own."""
    rollback = seed_rollback(match={"chain": {"chain_id": 'main"net'}, "application": {"env": "prod"}})
    exprs = " ".join(
        r["expr"] for r in compile_rules(rollback, match={"chain": {"job": "cometbft"}})["groups"][0]["rules"]
    )
    chain = [HEIGHT, f"{INTERVAL}_sum", f"{INTERVAL}_count"]
    for name in chain:
        assert exprs.count(f'{name}{{chain_id="main\\"net",job="cometbft"}}') == exprs.count(name)
    assert exprs.count(f'{ROUND_POWER}{{chain_id="main\\"net",job="cometbft",vote_type=~"prevote|precommit"}}') == (
        exprs.count(ROUND_POWER)
    )
    for name in (VEID_ERRORS, VEID_REQUESTS, MISMATCH, DISPUTE_HEALTHY):
        assert exprs.count(f'{name}{{env="prod"}}') == exprs.count(name)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("chain:chain_id=virtengine-1", ("chain", "chain_id", "virtengine-1")),
        ("application:env=prod=eu", ("application", "env", "prod=eu")),
    ],
)
def test_a_match_option_names_its_family(option: str, expected: tuple[str, str, str]) -> None:
    assert match_option(option) == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("chain_id=virtengine-1", "name the metric family"),
        ("network:chain_id=x", "name the metric family"),
        ("chain:chain_id", "expected FAMILY:LABEL=VALUE"),
        ("chain:bad-label=x", "not a Prometheus label name"),
        ("chain:__name__=x", "reserved"),
    ],
)
def test_a_match_option_without_its_family_or_label_is_refused(option: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        match_option(option)


@pytest.mark.parametrize("target", ["<insert target block time>", "TBD"])
def test_an_unfilled_target_block_time_cannot_be_compiled(target: str) -> None:
    with pytest.raises(RollbackConfigError, match="target_block_time is not filled in") as err:
        compile_rules(seed_rollback(target=target))
    assert isinstance(err.value, UsageError)
    assert error_exit(err.value) == 2


def test_criteria_counted_in_no_blocks_need_no_target_block_time() -> None:
    """A service that is not a chain has no block time: its criteria compile without one, to exactly
    the rules they give beside a target (which they never read)."""
    service = [c for c in SEED_CRITERIA if c["id"] in ("critical-service", "billing-integrity")]
    without = Rollback.model_validate({"criteria": service})
    assert without.target_block_time is None
    assert compile_rules(without) == compile_rules(seed_rollback(criteria=service))


def test_an_unfilled_matcher_cannot_be_compiled() -> None:
    rollback = seed_rollback(match={"chain": {"chain_id": "<insert mainnet chain id>"}})
    with pytest.raises(RollbackConfigError, match=r"rollback\.match\.chain\.chain_id is not filled in"):
        compile_rules(rollback)


def test_rendered_rules_are_deterministic_yaml_of_the_document() -> None:
    text = render_rules(seed_rollback())
    assert text == render_rules(seed_rollback())
    assert text.startswith("# Generated by `gate rollback rules`")
    assert yaml.safe_load(text) == compile_rules(seed_rollback())


# ---------------------------------------------------------------------------------------------
# The rules under the real promtool
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """A scenario, and at chosen seconds exactly the alerts that fire then.

    An alert is named as in the rule file; a signal-missing alert as `name/metric`.
    """

    id: str
    scenarios: Sequence[Scenario]
    expect: dict[int, set[str]]
    criteria: list[dict[str, Any]] | None = None
    step: int = 5  # the grid promtool is fed on: every scrape interval of the case divides it
    expr_tests: list[dict[str, Any]] = field(default_factory=list)
    match: dict[Family, dict[str, str]] = field(default_factory=lambda: MATCH)


def _halt(start: float, end: float) -> Chain:
    return Chain(slowdown=during(start, end, HALT, 1))


def quiet(*seconds: int) -> dict[int, set[str]]:
    return {s: set() for s in seconds}


CATCHING_UP = (
    Node(),
    Node(instance="val-1", delay=0.6),
    # Restarted a minute before the halt 3,000 blocks back, it commits 4 blocks a second until it is
    # level with the chain, 12.5 minutes later: its height never stops rising meanwhile.
    Node(instance="val-2", joins=ONSET - 60, behind=3000, catch_up=4),
)
BADLY_CONNECTED = Node(instance="sentry-0", delay=8, heard=lambda _t: 0.5)
CASES = [
    # Healthy, with one badly connected sentry that hears half the votes, 8 s late: not the chain.
    Case("healthy", [Scenario(nodes=(*CATCHING_UP[:2], BADLY_CONNECTED))], quiet(60, 300, 600, 900)),
    # Item 4: the chain's maximum height speaks. A node catching up below it cannot mask the halt
    # (before, the least halted node spoke for the chain: silent for the whole catch-up).
    Case(
        "halt-while-a-node-catches-up",
        [Scenario(chain=_halt(ONSET + 1, FOREVER), nodes=CATCHING_UP)],
        {**quiet(ONSET - 30, ONSET), ONSET + 60: {CF}, ONSET + 300: {CF}, ONSET + 900: {CF}},
    ),
    # Item 8, as the seed says: "in 10 min window" keeps the alert for 10 minutes after the halt ends.
    Case(
        "halt-60s-held-for-the-window",
        [Scenario(chain=_halt(ONSET + 1, ONSET + 61))],
        {**quiet(ONSET - 30, ONSET), ONSET + 60: {CF}, ONSET + 600: {CF}, ONSET + 630: {CF}, **quiet(ONSET + 690)},
    ),
    # Item 5: at a 5 s scrape a 40 s stall is always seen, whatever the scrapes' phase against it; a
    # 20 s stall (3 missed blocks, not more) never is.
    Case(
        "stall-40s-at-every-phase",
        [
            *(
                Scenario(chain=_halt(ONSET + p, ONSET + p + 40), nodes=(Node(),), chain_id=f"phase-{p}")
                for p in range(5)
            ),
            Scenario(chain=_halt(ONSET + 1, ONSET + 21), nodes=(Node(),), chain_id="stall-20s"),
        ],
        {ONSET + 60: {f"{CF}@phase-{p}" for p in range(5)}, ONSET + 300: {f"{CF}@phase-{p}" for p in range(5)}},
        match={},
    ),
    # ... and why a 15 s scrape is refused: the same 40 s stall goes unseen when the scrapes fall badly.
    Case(
        "stall-40s-at-a-15s-scrape",
        [
            Scenario(chain=_halt(ONSET + p, ONSET + p + 40), nodes=(Node(),), chain_scrape=15, chain_id=f"phase-{p}")
            for p in (1, 5)
        ],
        {ONSET + 60: {f"{CF}@phase-5"}, ONSET + 300: {f"{CF}@phase-5"}},
        step=15,
        match={},
    ),
    # At a 6 s scrape, one sample per block: equal heights 24 s apart were never "more than 24 s".
    Case(
        "halt-60s-at-a-6s-scrape",
        [Scenario(chain=_halt(ONSET + 1, ONSET + 61), chain_scrape=6)],
        {**quiet(ONSET), ONSET + 60: {CF}, ONSET + 600: {CF}},
        step=3,
    ),
    # Item 3: participation from the rounds' voting power. Under 2/3 online the chain halts (so the
    # halt fires first, within a minute), and participation fires 10 minutes on; the last commit's
    # missing power can never show less than 2/3, and a halted chain freezes it.
    Case(
        "participation-60-for-12m",
        [Scenario(chain=Chain(online=during(ONSET, ONSET + 720, 0.6, 1)))],
        {
            **quiet(ONSET - 30),
            ONSET + 60: {CF},
            ONSET + 570: {CF},
            ONSET + 600: {CF, VP},
            ONSET + 690: {CF, VP},
            ONSET + 750: {CF},
            **quiet(ONSET + 1350),
        },
    ),
    Case(
        "participation-60-for-9m",
        [Scenario(chain=Chain(online=during(ONSET, ONSET + 540, 0.6, 1)))],
        {ONSET + 60: {CF}, ONSET + 540: {CF}, ONSET + 600: {CF}, ONSET + 840: {CF}, **quiet(ONSET + 1200)},
    ),
    Case(
        "participation-70-keeps-the-chain-going",
        [Scenario(chain=Chain(online=during(ONSET, FOREVER, 0.7, 1)))],
        quiet(ONSET + 60, ONSET + 600, ONSET + 900),
    ),
    Case(
        "block-time-3x-for-21m",
        [Scenario(chain=Chain(slowdown=during(ONSET + 1, ONSET + 21 * 60 + 1, 3, 1)))],
        {**quiet(ONSET, ONSET + 19 * 60, ONSET + 19 * 60 + 30), ONSET + 20 * 60: {CH}, **quiet(ONSET + 22 * 60)},
    ),
    Case(
        "block-time-3x-for-19m",
        [Scenario(chain=Chain(slowdown=during(ONSET + 1, ONSET + 19 * 60 + 1, 3, 1)))],
        quiet(ONSET + 18 * 60, ONSET + 19 * 60, ONSET + 20 * 60, ONSET + 21 * 60),
    ),
    # Just under every threshold, for longer than every duration: nothing fires.
    Case(
        "just-under-every-threshold",
        [
            Scenario(
                chain=Chain(slowdown=during(ONSET + 1, FOREVER, 1.9, 1)),
                app=App(
                    error_percent=during(ONSET + 1, FOREVER, 1.5, 0.5),
                    mismatch_ratio=during(ONSET, FOREVER, 0.004, 0.001),
                ),
            )
        ],
        quiet(ONSET + 60, ONSET + 900, ONSET + 21 * 60 + 30),
    ),
    # The 15 min rate mixes the old 0.5 % with 2.5 %: above 2 % once 11.25 min are bad.
    Case(
        "verification-errors-2.5-percent",
        [Scenario(app=App(error_percent=during(ONSET + 1, FOREVER, 2.5, 0.5)))],
        {**quiet(ONSET, ONSET + 600, ONSET + 660), ONSET + 690: {CS}, ONSET + 900: {CS}},
    ),
    # Item 7: 5 % of about 20 requests in 15 minutes is one error: under the floor, no rollback.
    Case(
        "verification-errors-under-the-traffic-floor",
        [Scenario(app=App(requests=0.35, error_percent=lambda _t: 5.0))],
        quiet(ONSET + 600, 1200),
    ),
    # Item 7: no errors counter yet while requests flow: 0 errors (only a warning that it is missing).
    Case(
        "no-errors-counter-while-requests-flow",
        [Scenario(app=App(error_percent=lambda _t: 0.0, errors_exported=lambda _t: False))],
        {t: {f"critical-service-signal-missing/{VEID_ERRORS}"} for t in (ONSET, ONSET + 900)},
        expr_tests=[
            {
                "expr": "__value__:verification_error_rate",
                "eval_time": f"{ONSET + 900}s",
                "exp_samples": [{"labels": "{}", "value": 0}],
            }
        ],
    ),
    # Item 6: a point value is confirmed over two evaluations; one scrape of it pages nobody.
    Case(
        "billing-mismatch-0.6-percent",
        [Scenario(app=App(mismatch_ratio=during(ONSET, FOREVER, 0.006, 0.001)))],
        {**quiet(ONSET - 30, ONSET, ONSET + 30), ONSET + 60: {BI}, ONSET + 600: {BI}},
    ),
    Case(
        "one-bad-scrape-pages-nobody",
        [
            Scenario(
                app=App(
                    mismatch_ratio=during(ONSET, ONSET + APP_SCRAPE, 0.006, 0.001),
                    dispute_healthy=during(ONSET + 120, ONSET + 120 + APP_SCRAPE, 0, 1),
                )
            )
        ],
        quiet(ONSET, ONSET + 30, ONSET + 60, ONSET + 90, ONSET + 120, ONSET + 150, ONSET + 180),
    ),
    Case(
        "dispute-workflow-failing-2m",
        [Scenario(app=App(dispute_healthy=during(ONSET, ONSET + 120, 0, 1)))],
        {**quiet(ONSET - 30, ONSET + 30), ONSET + 60: {BI}, ONSET + 90: {BI}, **quiet(ONSET + 150)},
    ),
    # Item 1: a dead exporter blinds criteria; each says so, per metric, the moment its series go stale.
    Case(
        "application-exporter-down",
        [Scenario(app=App(exported=lambda t: t < ONSET))],
        {
            **quiet(ONSET - 30),
            ONSET: {
                f"critical-service-signal-missing/{VEID_ERRORS}",
                f"critical-service-signal-missing/{VEID_REQUESTS}",
                f"billing-integrity-signal-missing/{MISMATCH}",
                f"billing-integrity-signal-missing/{DISPUTE_HEALTHY}",
            },
        },
    ),
    Case(
        "every-node-down",
        [Scenario(nodes=(Node(down=lambda t: t >= ONSET), Node(instance="val-1", down=lambda t: t >= ONSET)))],
        {
            **quiet(ONSET - 30),
            ONSET + 30: {
                f"consensus-failure-signal-missing/{HEIGHT}",
                f"validator-participation-signal-missing/{ROUND_POWER}",
                f"chain-health-signal-missing/{INTERVAL}_sum",
                f"chain-health-signal-missing/{INTERVAL}_count",
            },
        },
    ),
    # Item 1: a typo in a metric name no longer leaves a criterion silently blind.
    Case(
        "a-typo-in-a-metric-name",
        [Scenario(chain=_halt(ONSET + 1, FOREVER))],
        {t: {"consensus-failure-signal-missing/cometbft_consensus_hieght"} for t in (0, ONSET, ONSET + 120)},
        criteria=[
            {
                **SEED_CRITERIA[0],
                "any_of": [{**SEED_CRITERIA[0]["any_of"][0], "metrics": {"height": "cometbft_consensus_hieght"}}],
            }
        ],
    ),
]


def _compiled(case: Case) -> list[Any]:
    return compile_criteria(seed_rollback(criteria=case.criteria), match=case.match)


def _instances(name: str, rules: list[dict[str, Any]], case: Case) -> list[dict[str, Any]]:
    """The alert instances `name` (optionally `/metric` or `@chain`) stands for."""
    alert, _, chain = name.partition("@")
    alert, _, metric = alert.partition("/")
    out = []
    for rule in rules:
        if rule["alert"] != alert or (metric and rule["labels"].get("metric") != metric):
            continue
        labels = dict(rule["labels"])
        if _chain_level(rule, case):
            labels["chain_id"] = chain or CHAIN
        out.append({"exp_labels": labels, "exp_annotations": rule["annotations"]})
    return out


def _chain_level(rule: dict[str, Any], case: Case) -> bool:
    """Which alerts carry a chain_id: a rollback alert over chain metrics (aggregated by chain), and a
    signal-missing alert when its selector names the chain; the application's carry none."""
    compiled = _compiled(case)
    if "metric" in rule["labels"]:
        chain_metrics = {m.name for c in compiled for m in c.metrics if m.family == "chain"}
        return rule["labels"]["metric"] in chain_metrics and "chain_id" in case.match.get("chain", {})
    crit = next(c for c in compiled if c.criterion.id == rule["labels"]["criterion"])
    return all(m.family == "chain" for m in crit.metrics)


def _alert_tests(case: Case, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = list(dict.fromkeys(r["alert"] for r in rules))
    tests = []
    for at, firing in sorted(case.expect.items()):
        for alert in names:
            wanted = [f for f in firing if f.partition("/")[0].partition("@")[0] == alert]
            instances = [i for name in wanted for i in _instances(name, rules, case)]
            tests.append({"eval_time": f"{at}s", "alertname": alert, "exp_alerts": instances})
    return tests


def _expr_tests(case: Case) -> list[dict[str, Any]]:
    """`__value__:SIGNAL` stands for that condition's value expression."""
    values = {k.condition.signal: k.value for c in _compiled(case) for k in c.conditions}
    return [{**t, "expr": values[t["expr"].removeprefix("__value__:")]} for t in case.expr_tests]


def _write_suite(tmp_path: Path, case: Case) -> Path:
    rollback = seed_rollback(criteria=case.criteria)
    (tmp_path / "rules.yml").write_text(render_rules(rollback, match=case.match))
    rules = compile_rules(rollback, match=case.match)["groups"][0]["rules"]
    # Several chains may share a case; they share the one application (the same series, once).
    lines = [line for s in case.scenarios for line in promtool_series(s.samples(max(case.expect) + 60), case.step)]
    series = list({line["series"]: line for line in reversed(lines)}.values())
    suite = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": EVAL_STEP,
        "tests": [
            {
                "name": case.id,
                "interval": f"{case.step}s",
                "input_series": series,
                "alert_rule_test": _alert_tests(case, rules),
                "promql_expr_test": _expr_tests(case),
            }
        ],
    }
    path = tmp_path / "rules_test.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False, width=10_000))
    return path


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    promtool = need_binaries("promtool")["promtool"]
    return subprocess.run([promtool, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.mark.prometheus
def test_promtool_accepts_the_rendered_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(render_rules(seed_rollback(), match={"chain": {"job": "cometbft"}}))
    done = _promtool("check", "rules", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 13 rules found" in done.stdout


@pytest.fixture(scope="module")
def promtool_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case's suite, run by promtool two at a time (each run is one mostly single-threaded process)."""
    need_binaries("promtool")
    root = tmp_path_factory.mktemp("promtool")
    paths = {}
    for case in CASES:
        (root / case.id).mkdir()
        paths[case.id] = _write_suite(root / case.id, case)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        runs = pool.map(lambda path: _promtool("test", "rules", path), paths.values())
        return dict(zip(paths, runs, strict=True))


@pytest.mark.prometheus
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_promtool_rule_tests(promtool_runs: dict[str, subprocess.CompletedProcess[str]], case: Case) -> None:
    done = promtool_runs[case.id]
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_case_asks_about_every_alert() -> None:
    """The harness has teeth: each moment of each case checks all alert names of the file."""
    case = CASES[0]
    rules = compile_rules(seed_rollback(), match=MATCH)["groups"][0]["rules"]
    tests = _alert_tests(case, rules)
    assert len(tests) == len(case.expect) * 10
    assert {t["alertname"] for t in tests} == {r["alert"] for r in rules}
