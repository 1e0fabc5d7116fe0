"""`gate schema`: JSON Schemas generated from the models, checked in under schemas/ and kept in sync.

Two kinds: the launch files people edit (`schemas/*.schema.json`, referenced from the files so editors
complete and lint them) and what each command prints with `--format json` (`schemas/output/`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SCHEMA_DIR = "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class SchemaSync:
    """`gate schema`: the schema files written, or with `--check` the ones out of date."""

    checked: bool
    stale: list[str]
    written: list[str]


def _types() -> dict[str, tuple[Any, Literal["validation", "serialization"]]]:
    # Imported here: building every command's result type is only worth it when schemas are made.
    from gate.commands.archive import ArchiveWritten
    from gate.commands.checklist import ChecklistEdited, UnfilledReport
    from gate.commands.codeowners import LintReport, OwnersReport
    from gate.commands.comment import CommentPosted
    from gate.commands.comms import DraftResult
    from gate.commands.decide import DecisionRecorded
    from gate.commands.evidence import EvidenceListing, EvidenceRecorded, EvidenceRemoved
    from gate.commands.init import Scaffolded
    from gate.commands.packet import PacketWritten
    from gate.commands.rollback import RulesFile
    from gate.commands.signoff import SignoffRecorded
    from gate.commands.verify import AuditReport
    from gate.evidence.quick import HashReport
    from gate.github.approvals import ApprovalsReport
    from gate.github.doctor import Diagnosis
    from gate.github.judge import JudgeResult
    from gate.github.release import ReleaseResult
    from gate.model import Checklist, Decision, Manifest, Scorecard, Signoff
    from gate.report.status import StatusReport
    from gate.report.text import Completion
    from gate.rollback.watch import WatchResult

    files: dict[str, Any] = {"checklist": Checklist, "signoff": Signoff, "evidence-manifest": Manifest}
    files["decision"] = Decision
    outputs: dict[str, Any] = {
        "check": Scorecard,
        "completion": Completion,
        "status": StatusReport,
        "evidence-add": EvidenceRecorded,
        "evidence-verify": HashReport,
        "evidence-ls": EvidenceListing,
        "evidence-rm": EvidenceRemoved,
        "schedule": ChecklistEdited,
        "set": ChecklistEdited,
        "set-unfilled": UnfilledReport,
        "mitigate": ChecklistEdited,
        "na": ChecklistEdited,
        "signoff": SignoffRecorded,
        "decide": DecisionRecorded,
        "packet": PacketWritten,
        "archive": ArchiveWritten,
        "verify": AuditReport,
        "init": Scaffolded,
        "schema": SchemaSync,
        "codeowners-owners": OwnersReport,
        "codeowners-lint": LintReport,
        "approvals": ApprovalsReport,
        "comment": CommentPosted,
        "release": ReleaseResult,
        "github-judge": JudgeResult,
        "github-doctor": Diagnosis,
        "rollback-rules": RulesFile,
        "rollback-watch": WatchResult,
        "comms-draft": DraftResult,
    }
    out: dict[str, tuple[Any, Literal["validation", "serialization"]]] = {
        f"{n}.schema.json": (t, "validation") for n, t in files.items()
    }
    out |= {f"output/{n}.schema.json": (t, "serialization") for n, t in outputs.items()}
    return out


def generate(name: str, types: dict[str, tuple[Any, Literal["validation", "serialization"]]] | None = None) -> Any:
    """The schema document of one file kind or command output."""
    from pydantic import TypeAdapter

    kind, mode = (types or _types())[name]
    schema = TypeAdapter(kind).json_schema(by_alias=True, mode=mode)
    return {"$schema": DRAFT, "$id": f"https://gate.invalid/schemas/{name}", **schema}


def render(name: str, types: dict[str, tuple[Any, Literal["validation", "serialization"]]] | None = None) -> str:
    """The exact bytes a schema file holds (stable key order, trailing newline)."""
    return json.dumps(generate(name, types), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    """Every schema file's path (under schemas/) and bytes."""
    types = _types()
    return {name: render(name, types) for name in types}


def stale(root: Path) -> list[str]:
    """Schema files under `root/schemas` that differ from the models (or are missing)."""
    out = []
    for name, text in rendered().items():
        path = root / SCHEMA_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(f"{SCHEMA_DIR}/{name}")
    return out


def sync(root: Path, *, check: bool) -> SchemaSync:
    """With `check`, list the out-of-date schema files; else write every one that changed."""
    from gate.edit import write_atomic

    out_of_date = stale(root)
    if check:
        return SchemaSync(True, out_of_date, [])
    texts = rendered()
    for rel in out_of_date:
        write_atomic(root / rel, texts[rel.removeprefix(f"{SCHEMA_DIR}/")])
    return SchemaSync(False, [], out_of_date)
