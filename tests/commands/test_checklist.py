"""`gate set --unfilled`: every value still a placeholder, once each, with FILE:LINE:COL, the KEY `gate set`
takes for it and the command that fills it in — so nobody has to read a 600-line file to find them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GateRunner
from tests.helpers import copy_frozen_launch


@pytest.fixture
def frozen(tmp_path: Path) -> Path:
    return copy_frozen_launch(tmp_path / "repo")


def unfilled(cli: GateRunner, repo: Path) -> list[dict[str, Any]]:
    run = cli("set", "--unfilled", "--repo", repo, "--format", "json")
    assert run.code == 0, run.err
    left: list[dict[str, Any]] = run.json()["placeholders"]
    return left


def test_each_value_is_listed_once_with_its_key_and_command(cli: GateRunner, frozen: Path) -> None:
    left = {(u["key"], u["command"]) for u in unfilled(cli, frozen)}
    assert ("release-tag", "gate set release-tag VALUE") in left
    assert ("target-block-time", "gate set target-block-time VALUE") in left
    assert ("rollback.match.chain.chain_id", "gate set rollback.match.chain.chain_id VALUE") in left
    assert ("windows.primary.start", "gate schedule --primary START END") in left
    assert ("freeze.end", "gate schedule --freeze START END") in left
    assert any(
        key.startswith("windows.blackouts.0.") and cmd.startswith("gate schedule --blackout") for key, cmd in left
    )
    # "YYYY-MM-DD HH:MM UTC" is one value to fill in, not two.
    start = next(u for u in unfilled(cli, frozen) if u["key"] == "windows.primary.start")
    assert start["text"] == "YYYY, HH:MM"
    lines = frozen.joinpath("checklist.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[start["line"] - 1][start["column"] - 1 :].startswith('"YYYY-MM-DD HH:MM UTC"')


def test_every_listed_key_is_one_gate_set_takes(cli: GateRunner, frozen: Path) -> None:
    """Following the list to the letter empties it: what it says is what the commands accept."""
    for u in unfilled(cli, frozen):
        if u["command"].startswith("gate set "):
            done = cli("set", u["key"], "6s" if u["key"] == "target-block-time" else "filled-in", "--repo", frozen)
            assert done.code == 0, (u, done.err)
    assert {u["command"].split(" --")[0] for u in unfilled(cli, frozen)} == {"gate schedule"}


def test_a_channel_is_named_by_its_id(cli: GateRunner, frozen: Path) -> None:
    channels = [u for u in unfilled(cli, frozen) if u["key"].startswith("channel.")]
    assert [u["key"] for u in channels] == ["channel.war-room-bridge"]
    assert cli("set", "channel.war-room-bridge", "https://meet.example.invalid/launch", "--repo", frozen).code == 0
    assert [u for u in unfilled(cli, frozen) if u["key"].startswith("channel.")] == []


def test_the_text_says_where_what_and_how(cli: GateRunner, frozen: Path) -> None:
    run = cli("set", "--unfilled", "--repo", frozen)
    assert run.code == 0
    [line] = [x for x in run.out.splitlines() if "release tag" in x]
    assert line.startswith("checklist.yaml:")
    assert line.endswith("unfilled placeholder <insert release tag>   → gate set release-tag VALUE")
    assert run.out.splitlines()[-1] == f"{len(unfilled(cli, frozen))} value(s) left to fill in"
