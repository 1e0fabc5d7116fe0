"""What every test directory shares: where things are, copies of the examples, small file edits.

Fixtures live in tests/conftest.py (`gate`, `run_gate`, `check`); plain functions live here so a test
module imports exactly what it uses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
# The root launch as it was when these tests were written: tests that describe an unscheduled,
# unsigned launch read this frozen copy, so they do not break as the real launch makes progress.
FROZEN_LAUNCH = DATA / "launch"

MANIFEST = "evidence-manifest.json"
CHECKLIST = "checklist.yaml"
AREAS = ("security", "compliance-privacy", "operations-sre", "finance-billing", "product-release")
NO_DECISION = "no go/no-go decision recorded"


def iso(when: datetime) -> str:
    """A time as the command line takes it: `2026-12-02T16:00:00Z`."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(when: datetime) -> str:
    """A time as checklist.yaml writes it: `2026-12-02 16:00 UTC`."""
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" UTC", "+00:00").replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    """examples/go's calendar, read from its own files: examples/build-go.sh places it relative to the
    day the example is built, so tests never copy its dates."""

    decision_file: str
    decided_at: datetime
    primary: tuple[datetime, datetime]
    backup: tuple[datetime, datetime]
    freeze: tuple[datetime, datetime]
    blackout: tuple[datetime, datetime]

    @classmethod
    def read(cls, repo: Path) -> Calendar:
        [record] = sorted((repo / "decisions").glob("*.yaml"))
        decision = yaml.safe_load(record.read_text(encoding="utf-8"))
        checklist = yaml.safe_load((repo / CHECKLIST).read_text(encoding="utf-8"))
        windows = checklist["windows"]

        def span(data: dict[str, str]) -> tuple[datetime, datetime]:
            return _utc(data["start"]), _utc(data["end"])

        return cls(
            f"decisions/{record.name}",
            _utc(decision["decided_at"]),
            span(windows["primary"]),
            span(windows["backup"]),
            span(checklist["freeze"]),
            span(windows["blackouts"][0]),
        )


EXAMPLE = Calendar.read(EXAMPLES / "go")
GO_DECISION = EXAMPLE.decision_file
# The moment the examples are judged at: an hour after their GO decision, before the freeze and window.
AT = iso(EXAMPLE.decided_at + timedelta(hours=1))
ATTENDEES = (
    "security-lead=sec-lead-ana",
    "compliance-lead=comp-lead-ben",
    "ops-lead=ops-lead-chen",
    "finance-lead=fin-lead-dora",
    "product-lead=prod-lead-eli",
    "release-manager=rm-rosa",
)


@dataclass(frozen=True)
class Run:
    """One `gate` run: exit code and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def copy_example(tmp_path: Path, name: str = "go", *, decisions: bool = True, dest: str | None = None) -> Path:
    """A private copy of examples/NAME (the real examples are never touched), optionally undecided."""
    target = Path(shutil.copytree(EXAMPLES / name, tmp_path / (dest or name), symlinks=True))
    if not decisions:
        drop_decisions(target)
    return target


def copy_frozen_launch(dest: Path) -> Path:
    """A copy of the frozen root launch (see FROZEN_LAUNCH) in `dest`, with today's schemas."""
    shutil.copytree(FROZEN_LAUNCH, dest, symlinks=True)
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    return dest


def drop_decisions(repo: Path) -> None:
    for f in (repo / "decisions").glob("*.yaml"):
        f.unlink()


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a text file (fails loudly if the file drifted)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def flip_byte(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def read_manifest(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((repo / MANIFEST).read_text(encoding="utf-8"))
    return data


def write_manifest(repo: Path, data: dict[str, Any]) -> None:
    (repo / MANIFEST).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def snapshot(repo: Path) -> dict[str, bytes]:
    """Every file of the repository and its bytes."""
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}


def sha256sum(path: Path, cwd: Path | None = None) -> str:
    """The digest coreutils prints, not ours."""
    result = subprocess.run(["sha256sum", str(path)], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.split()[0]


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` (the session's identity comes from tests/conftest.py); its stdout."""
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def item(card: dict[str, Any], item_id: str) -> dict[str, Any]:
    """One item of a JSON scorecard."""
    found: dict[str, Any] = next(i for i in card["items"] if i["id"] == item_id)
    return found


def fresh_flags(card: dict[str, Any]) -> dict[str, bool]:
    return {s["area"]: s["fresh"] for s in card["signoffs"]}


def reapprove_and_decide(run: Any, repo: Path, at: datetime) -> str:
    """After a deliberate change: re-approve every stale area (by its recorded approver) at `at`, then
    record a GO a minute later with the examples' attendees. `run` is the `cli` fixture. Returns the
    decision file."""
    card = run("check", "--repo", repo, "--format", "json", "--at", iso(at)).json()
    for signoff in card["signoffs"]:
        if not signoff["fresh"]:
            done = run(
                "signoff", signoff["area"], "--approve", "--by", signoff["approver"], "--at", iso(at), "--repo", repo
            )
            assert done.code == 0, done.err
    when = iso(at + timedelta(minutes=1))
    argv = ["decide", "--repo", repo, "--decision", "GO", "--window", "primary", "--at", when]
    decided = run(*argv, *[f"--attendee={a}" for a in ATTENDEES])
    assert decided.code == 0, decided.err
    return str(decided.out.split(":", 1)[0])
