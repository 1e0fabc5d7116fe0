"""Shared by the rollback tests: the seed's five criteria as a `Rollback`, and the binaries they need.

- `seed_rollback(target)`: seed C's criteria encoded as checklist.yaml encodes them, with
  CometBFT's default metric names and the application's own.
- `need_binaries(*names)`: the paths of `prometheus` / `promtool`; when one is missing the test is
  skipped locally and fails under CI (`CI` set), so CI can never pass by skipping them.

The simulated chain, nodes and application every test is fed live in tests/rollback/chain.py.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from gate.model.checklist import Rollback
from tests.rollback.chain import (
    DISPUTE_HEALTHY,
    HEIGHT,
    INTERVAL,
    MISMATCH,
    ROUND_POWER,
    VEID_ERRORS,
    VEID_REQUESTS,
)

SEED_CRITERIA: list[dict[str, Any]] = [
    {
        "id": "consensus-failure",
        "title": "Consensus failure",
        "seed": ">3 consecutive halted blocks in 10 min window",
        "any_of": [
            {
                "signal": "halted_blocks",
                "comparison": ">",
                "threshold": 3.0,
                "unit": "blocks",
                "window": "10m",
                "metrics": {"height": HEIGHT},
            }
        ],
    },
    {
        "id": "validator-participation",
        "title": "Validator participation",
        "seed": "<67% voting power for >10 min",
        "any_of": [
            {
                "signal": "participation",
                "comparison": "<",
                "threshold": 67.0,
                "unit": "percent",
                "window": "1m",
                "for": "10m",
                "metrics": {"round_voting_power": ROUND_POWER},
            }
        ],
    },
    {
        "id": "chain-health",
        "title": "Chain health",
        "seed": "sustained block time >2x target for >20 min",
        "any_of": [
            {
                "signal": "block_time",
                "comparison": ">",
                "threshold": 2.0,
                "unit": "ratio_to_target",
                "for": "20m",
                "metrics": {"interval": INTERVAL},
            }
        ],
    },
    {
        "id": "critical-service",
        "title": "Critical service",
        "seed": "VEID verification error rate >2% over 15 min",
        "any_of": [
            {
                "signal": "verification_error_rate",
                "comparison": ">",
                "threshold": 2.0,
                "unit": "percent",
                "window": "15m",
                "metrics": {"errors": VEID_ERRORS, "total": VEID_REQUESTS},
            }
        ],
    },
    {
        "id": "billing-integrity",
        "title": "Billing integrity",
        "seed": "reconciliation mismatch >0.5% or dispute workflow failing",
        "any_of": [
            {
                "signal": "billing_mismatch",
                "comparison": ">",
                "threshold": 0.5,
                "unit": "percent",
                "metrics": {"mismatch_ratio": MISMATCH},
            },
            {
                "signal": "dispute_workflow_failing",
                "comparison": "<",
                "threshold": 1.0,
                "unit": "boolean",
                "metrics": {"healthy": DISPUTE_HEALTHY},
            },
        ],
    },
]

SEED_IDS = [c["id"] for c in SEED_CRITERIA]


def seed_rollback(
    target: str = "6s", criteria: list[dict[str, Any]] | None = None, match: dict[str, Any] | None = None
) -> Rollback:
    """The seed's rollback section (or `criteria`) with `target` as the target block time."""
    doc: dict[str, Any] = {"target_block_time": target, "criteria": SEED_CRITERIA if criteria is None else criteria}
    if match is not None:
        doc["match"] = match
    return Rollback.model_validate(doc)


def need_binaries(*names: str) -> dict[str, str]:
    """Paths of the named binaries; skip locally, fail under CI, when one is missing."""
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        why = f"{', '.join(missing)} not on PATH (apt-get install --no-install-recommends prometheus)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Prometheus tests: {why}")
        pytest.skip(why)
    return {name: path for name, path in found.items() if path is not None}
