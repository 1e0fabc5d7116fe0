"""Evidence too large for plain git, as docs/journey.md ("Large evidence: Git LFS") describes it: a warning
above 50 MB, a refusal above 100 MB in a git work tree unless Git LFS tracks the file, and an LFS pointer
left in place of its file named as such, not reported as a hash mismatch.

Files are sparse (their size costs no disk); the launch is a fresh `gate init` in a real git repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import GateRunner
from tests.helpers import ROOT, git, read_manifest

MB = 1024 * 1024
ITEM, ID = "prereq-load-test", "load-test-report"
POINTER = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 104857700\n"


@pytest.fixture
def launch(tmp_path: Path, cli: GateRunner) -> Path:
    repo = tmp_path / "launch"
    assert cli("init", repo, "--name", "Large", "--network", "production").code == 0
    git(repo, "init", "-q", "-b", "main")
    return repo


def sparse(repo: Path, rel: str, size: int) -> Path:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.truncate(size)
    return path


def test_above_50_mb_is_recorded_with_a_warning_that_points_to_lfs(launch: Path, cli: GateRunner) -> None:
    path = sparse(launch, "evidence/ops/load-test.bin", 51 * MB)
    done = cli("evidence", "add", path, "--item", ITEM, "--id", ID, "--repo", launch)
    assert done.code == 0, done.err
    assert "GitHub warns above 50 MB and refuses over 100 MB" in done.out
    assert "git lfs track 'evidence/ops/load-test.bin'" in done.out
    assert [a["id"] for a in read_manifest(launch)["artifacts"]] == [ID]


def test_above_100_mb_in_git_is_refused_unless_lfs_tracks_it(launch: Path, cli: GateRunner) -> None:
    path = sparse(launch, "evidence/ops/load-test.bin", 100 * MB + 1)
    done = cli("evidence", "add", path, "--item", ITEM, "--id", ID, "--repo", launch)
    assert done.code == 2
    assert "GitHub refuses files over 100 MB in git" in done.err
    assert "Large evidence in gate's docs/journey.md" in done.err
    assert read_manifest(launch)["artifacts"] == []
    (launch / ".gitattributes").write_text("evidence/ops/*.bin filter=lfs diff=lfs merge=lfs -text\n")
    done = cli("evidence", "add", path, "--item", ITEM, "--id", ID, "--repo", launch)
    assert done.code == 0, done.err
    assert "warning" not in done.out


def test_outside_git_a_large_file_is_only_warned_about(tmp_path: Path, cli: GateRunner) -> None:
    repo = tmp_path / "launch"
    assert cli("init", repo, "--name", "Large", "--network", "production").code == 0
    path = sparse(repo, "evidence/ops/load-test.bin", 100 * MB + 1)
    done = cli("evidence", "add", path, "--item", ITEM, "--id", ID, "--repo", repo)
    assert done.code == 0, done.err
    assert "warning: " in done.out


def test_an_lfs_pointer_in_place_of_its_file_says_git_lfs_pull(launch: Path, cli: GateRunner) -> None:
    path = sparse(launch, "evidence/ops/load-test.bin", 1024)
    assert cli("evidence", "add", path, "--item", ITEM, "--id", ID, "--repo", launch).code == 0
    path.write_bytes(POINTER)  # a clone made without `git lfs pull`
    verified = cli("evidence", "verify", "--repo", launch)
    assert verified.code == 1
    assert "Git LFS pointer, not the file: run `git lfs pull`" in verified.out
    checked = cli("check", "--repo", launch, "--format", "json")
    assert checked.code == 1
    [failure] = checked.json()["integrity"]
    assert "run `git lfs pull`" in failure["message"]
    assert "mismatch" not in failure["message"]


def test_the_journey_documents_it() -> None:
    text = (ROOT / "docs" / "journey.md").read_text(encoding="utf-8")
    section = text.split("### Large evidence: Git LFS", 1)[1].split("\n## ", 1)[0]
    assert "50 MB" in section
    assert "100 MB" in section
    assert "git lfs track" in section
    assert "git lfs pull" in section
