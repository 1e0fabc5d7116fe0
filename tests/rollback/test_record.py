"""The ROLLBACK decision record as a launch file: validated strictly, and the decision in force until
a later go/no-go decision supersedes it (`gate check` NO-GO, with the criterion that fired)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import GateRunner
from tests.helpers import AT, EXAMPLE, GO_DECISION, ROOT, copy_example, iso, replace_once


@pytest.fixture
def launch(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


ROLLBACK: dict[str, Any] = {
    "decision": "ROLLBACK",
    "decided_at": iso(EXAMPLE.decided_at + timedelta(minutes=30)),  # after the example's GO, before AT
    "release_tag": "mainnet-v1.0.0",
    "scorecard_sha256": "a" * 64,
    "manifest_sha256": "b" * 64,
    "rollback": {
        "prometheus": "http://prometheus.internal:9090",
        "fired": [
            {
                "criterion": "billing-integrity",
                "alert": "RollbackBillingIntegrity",
                "signal": "billing_mismatch",
                "value": 0.6,
                "threshold": "billing_mismatch > 0.5% confirmed over 1m",
                "query": "min_over_time(...) > 0.5",
            }
        ],
    },
}


def _write(launch: Path, doc: dict[str, Any]) -> str:
    rel = "decisions/rollback.yaml"
    (launch / rel).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return rel


def test_a_recorded_rollback_blocks_go_with_a_reason_naming_the_criterion(cli: GateRunner, launch: Path) -> None:
    _write(launch, ROLLBACK)
    run = cli("check", "--repo", launch, "--at", AT, "--format", "json")
    assert run.code == 0
    card = run.json()
    assert card["decision"] == "NO-GO"
    since = EXAMPLE.decided_at + timedelta(minutes=30)
    assert card["blocking"] == [
        f"ROLLBACK in force since {since:%Y-%m-%d %H:%M:%S} UTC: rollback criterion billing-integrity fired "
        "(billing_mismatch > 0.5% confirmed over 1m; value 0.6) on http://prometheus.internal:9090"
    ]
    assert card["recorded_decision"]["holds"] is True


def test_a_later_decision_supersedes_a_rollback(cli: GateRunner, launch: Path) -> None:
    _write(launch, ROLLBACK)
    later = yaml.safe_load((launch / GO_DECISION).read_text(encoding="utf-8"))
    later["decided_at"] = iso(EXAMPLE.decided_at + timedelta(minutes=45))
    (launch / "decisions/later-go.yaml").write_text(yaml.safe_dump(later), encoding="utf-8")
    card = cli("check", "--repo", launch, "--at", AT, "--format", "json").json()
    assert card["recorded_decision"]["decision"] == "GO"
    assert not any(b.startswith("ROLLBACK") for b in card["blocking"])


def _rollback_without(key: str) -> dict[str, Any]:
    return {k: v for k, v in ROLLBACK.items() if k != key}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_rollback_without("rollback"), "a ROLLBACK records what fired"),
        ({**ROLLBACK, "window": "primary"}, "window: a ROLLBACK is recorded when a criterion fires, not by a go/no-go"),
        (
            {
                **ROLLBACK,
                "rollback": {
                    **ROLLBACK["rollback"],
                    "fired": [{**ROLLBACK["rollback"]["fired"][0], "value": float("nan")}],
                },
            },
            "rollback.fired[0].value",
        ),
        ({**ROLLBACK, "rollback": {**ROLLBACK["rollback"], "prometheus": "prometheus:9090"}}, "rollback.prometheus"),
        ({**ROLLBACK, "rollback": {**ROLLBACK["rollback"], "fired": []}}, "rollback.fired"),
        (
            {
                **ROLLBACK,
                "rollback": {
                    **ROLLBACK["rollback"],
                    "fired": [{**ROLLBACK["rollback"]["fired"][0], "criterion": "no-such"}],
                },
            },
            "unknown rollback criterion 'no-such'",
        ),
    ],
    ids=["no-rollback", "with-a-window", "nan-value", "not-a-url", "nothing-fired", "unknown-criterion"],
)
def test_a_rollback_record_is_validated_strictly(
    cli: GateRunner, launch: Path, doc: dict[str, Any], message: str
) -> None:
    rel = _write(launch, doc)
    run = cli("check", "--repo", launch, "--at", AT)
    assert run.code == 2, run.out
    assert any(line.startswith(f"{rel}:") and message in line for line in run.out.splitlines()), run.out


def test_a_go_decision_carries_no_rollback(cli: GateRunner, launch: Path) -> None:
    fired = (
        "rollback:\n  prometheus: http://p:9090\n"
        "  fired: [{criterion: x, alert: A, signal: s, value: 1, threshold: t, query: q}]\n"
    )
    replace_once(launch / GO_DECISION, "decision: GO\n", "decision: GO\n" + fired)
    run = cli("check", "--repo", launch, "--at", AT)
    assert run.code == 2
    line = 2 + (launch / GO_DECISION).read_text(encoding="utf-8").splitlines().index("rollback:")  # its value
    assert f"{GO_DECISION}:{line}:3: rollback: `rollback` belongs to a ROLLBACK record, not to a GO decision" in run.out


def test_the_decision_schema_knows_rollback(project_root: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "decision.schema.json").read_text(encoding="utf-8"))
    assert "ROLLBACK" in schema["properties"]["decision"]["enum"]
    assert project_root == ROOT
