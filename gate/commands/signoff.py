"""`gate signoff`: an area's approval or rejection, pinning the area digest it was given for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from gate.edit import Edit, edit_yaml
from gate.errors import GateFailed, UsageError
from gate.evidence.digests import area_digest, area_pins
from gate.launch import Checks, load_valid
from gate.load import Loaded
from gate.model import Signoff
from gate.model.base import format_time
from gate.model.checklist import Severity
from gate.names import check_login, check_roles
from gate.score import ItemFacts, all_items, evidence_problems


def missing_evidence(loaded: Loaded, checks: Checks, area: str, at: datetime) -> list[str]:
    """Evidence the area's P0 items require that is not captured, fails integrity, or failed to run."""
    facts = ItemFacts(loaded, checks, at)
    out: list[str] = []
    for _, item, _path in all_items(loaded.checklist):
        if item.area == area and item.priority == "P0" and item.not_applicable is None:
            out += [f"{item.id}: {p}" for r in item.evidence for p in evidence_problems(facts, r.id, r.description)]
    return out


@dataclass(frozen=True)
class SignoffRecorded:
    """The sign-off file written, and the area digest the verdict was given for."""

    area: str
    file: str
    status: Literal["approved", "rejected"]
    approver: str
    area_digest: str
    findings_added: list[str]


@dataclass(frozen=True)
class Finding:
    """A finding given on the command line."""

    summary: str
    owner: str
    severity: Severity = "medium"


def signoff(
    repo: Path,
    area: str,
    verdict: Literal["approved", "rejected"],
    login: str,
    at: datetime,
    findings: list[Finding],
    pull_request: int | None = None,
) -> SignoffRecorded:
    """Write the area's sign-off with its current area digest."""
    loaded, checks = load_valid(repo)
    if area not in loaded.signoffs:
        raise UsageError(f"unknown area {area!r} (one of: {', '.join(sorted(loaded.signoffs))})")
    if verdict == "approved":
        missing = missing_evidence(loaded, checks, area, at)
        if missing:
            raise GateFailed(
                f"cannot approve {area}: its required evidence is not complete:\n  " + "\n  ".join(missing)
            )
    check_login(login, "--by")
    check_roles(loaded, [f.owner for f in findings], "--owner")
    file, existing = loaded.signoffs[area]
    pins = area_pins(loaded.checklist, loaded.manifest, area)
    digest = area_digest(pins)
    start = len(existing.findings)
    new = [
        {"id": f"F{start + n}", "summary": f.summary, "severity": f.severity, "remediation_owner": f.owner}
        for n, f in enumerate(findings, 1)
    ]
    edits = [
        Edit(("status",), verdict),
        Edit(("approver",), login),
        Edit(("at",), format_time(at)),
        *([Edit(("pull_request",), pull_request)] if pull_request is not None else []),
        Edit(("area_digest",), digest),
        Edit(("pinned",), pins.model_dump(mode="json")),
        *([Edit(("findings",), new, "append")] if new else []),
    ]
    edit_yaml(repo / file, edits, Signoff, file=file)
    return SignoffRecorded(area, file, verdict, login, digest, [f["id"] for f in new])
