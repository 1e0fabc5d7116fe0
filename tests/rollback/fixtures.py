"""Shared by the rollback tests: the seed's five criteria as a `Rollback`, and the binaries they need.

- `seed_rollback(target)`: seed C's criteria encoded as checklist.yaml will encode them, with
  CometBFT's default metric names and the application's own.
- `Node`: one node's metrics over time, healthy unless told otherwise (`during` makes a failure
  for a while): what both the promtool suites and the backfilled Prometheus are fed.
- `need_binaries(*names)`: the paths of `prometheus` / `promtool`; when one is missing the test is
  skipped locally and fails under CI (`CI` set), so CI can never pass by skipping them.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gate.model.checklist import Rollback

HEIGHT = "cometbft_consensus_height"
MISSING_POWER = "cometbft_consensus_missing_validators_power"
TOTAL_POWER = "cometbft_consensus_validators_power"
INTERVAL = "cometbft_consensus_block_interval_seconds"
VEID_ERRORS = "virtengine_veid_verification_errors_total"
VEID_REQUESTS = "virtengine_veid_verification_requests_total"
MISMATCH = "virtengine_billing_reconciliation_mismatch_ratio"
DISPUTE_HEALTHY = "virtengine_escrow_dispute_workflow_healthy"

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
                "for": "10m",
                "metrics": {"missing_power": MISSING_POWER, "total_power": TOTAL_POWER},
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


SCRAPE = 15  # seconds between samples
TARGET = 6  # seconds: the target block time of the scenarios
ONSET = 300  # failures start 5 minutes in, after a healthy start
HALT = math.inf  # a slowdown without end: no blocks at all

METRIC_NAMES = [
    HEIGHT,
    MISSING_POWER,
    TOTAL_POWER,
    f"{INTERVAL}_sum",
    f"{INTERVAL}_count",
    VEID_ERRORS,
    VEID_REQUESTS,
    MISMATCH,
    DISPUTE_HEALTHY,
]


def during(start: float, end: float, bad: float | None, good: float) -> Callable[[float], float | None]:
    """A value that is `bad` for samples at start <= t < end, else `good`."""
    return lambda t: bad if start <= t < end else good


@dataclass
class Node:
    """One node's view of one chain, each signal a function of the sample time (seconds from 0).

    6 s blocks scraped every 15 s, everyone signing, 0.5 % VEID errors, 0.1 % billing mismatch and
    a healthy dispute workflow, unless a field says otherwise. `participation` None: the node does
    not report voting power at that time (a missing sample).
    """

    slowdown: Callable[[float], float | None] = lambda _t: 1.0  # block time / target; HALT: none
    participation: Callable[[float], float | None] = lambda _t: 100.0
    error_percent: Callable[[float], float | None] = lambda _t: 0.5
    mismatch_ratio: Callable[[float], float | None] = lambda _t: 0.001
    dispute_healthy: Callable[[float], float | None] = lambda _t: 1.0
    instance: str = "val-0"

    def series(self, samples: int) -> dict[str, list[float | None]]:
        """name -> one value (None: no sample) per sample, every SCRAPE seconds from 0."""
        out: dict[str, list[float | None]] = {n: [] for n in METRIC_NAMES}
        blocks = interval_sum = interval_count = errors = requests = 0.0
        backlog = 0.0  # seconds without a block: the next block records them as one long interval
        for i in range(samples):
            t = float(i * SCRAPE)
            if i:
                new = SCRAPE / (TARGET * (self.slowdown(t) or 1.0))
                blocks += new
                backlog += SCRAPE
                if new:
                    interval_sum += backlog
                    interval_count += new
                    backlog = 0.0
                requests += 100
                errors += self.error_percent(t) or 0.0
            signing = self.participation(t)
            values = {
                HEIGHT: float(1000 + math.floor(blocks)),
                MISSING_POWER: None if signing is None else 100.0 - signing,
                TOTAL_POWER: None if signing is None else 100.0,
                f"{INTERVAL}_sum": 50_000 + interval_sum,
                f"{INTERVAL}_count": 9_000 + interval_count,
                VEID_ERRORS: 40 + errors,
                VEID_REQUESTS: 9_000 + requests,
                MISMATCH: self.mismatch_ratio(t),
                DISPUTE_HEALTHY: self.dispute_healthy(t),
            }
            for name, value in values.items():
                out[name].append(value)
        return out


def seed_rollback(target: str = "6s", criteria: list[dict[str, Any]] | None = None) -> Rollback:
    """The seed's rollback section (or `criteria`) with `target` as the target block time."""
    return Rollback.model_validate(
        {"target_block_time": target, "criteria": SEED_CRITERIA if criteria is None else criteria}
    )


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
