"""Recording decisions: an area's sign-off (`gate signoff`) and the go/no-go record (`gate decide`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from gate.check import evaluate, load_valid
from gate.edit import update_yaml, write_atomic
from gate.errors import GateFailed, UsageError
from gate.evidence import area_digest
from gate.load import DECISIONS, Loaded
from gate.model import Decision
from gate.model.base import LOGIN_PATTERN, format_time
from gate.score import Context, all_items, evidence_problems

_LOGIN = re.compile(LOGIN_PATTERN)


def missing_evidence(loaded: Loaded, checks: dict[str, Any], area: str, at: datetime) -> list[str]:
    """Evidence the area's P0 items require that is not captured, fails integrity, or failed to run."""
    ctx = Context(loaded, checks, at)
    out: list[str] = []
    for _, item, _path in all_items(loaded.checklist):
        if item.area == area and item.priority == "P0" and item.not_applicable is None:
            out += [f"{item.id}: {p}" for r in item.evidence for p in evidence_problems(ctx, r.id, r.description)]
    return out


def _check_names(loaded: Loaded, login: str, owners: list[str]) -> None:
    """Refuse what `gate check` would reject, before anything is written."""
    if not _LOGIN.match(login):
        raise UsageError(f"--by {login!r} is not a GitHub login")
    unknown = [o for o in owners if o not in loaded.checklist.roles]
    if unknown:
        raise UsageError(f"unknown --owner role {', '.join(unknown)} (one of: {', '.join(loaded.checklist.roles)})")


@dataclass(frozen=True)
class Finding:
    """A finding given on the command line."""

    summary: str
    owner: str
    severity: str = "medium"


def signoff(
    repo: Path,
    area: str,
    verdict: Literal["approved", "rejected"],
    login: str,
    at: datetime,
    findings: list[Finding],
    pull_request: int | None = None,
) -> str:
    """Write the area's sign-off with its current evidence digest; returns the digest."""
    loaded, checks = load_valid(repo)
    if area not in loaded.signoffs:
        raise UsageError(f"unknown area {area!r} (one of: {', '.join(sorted(loaded.signoffs))})")
    if verdict == "approved":
        missing = missing_evidence(loaded, checks, area, at)
        if missing:
            raise GateFailed(
                f"cannot approve {area}: its required evidence is not complete:\n  " + "\n  ".join(missing)
            )
    _check_names(loaded, login, [f.owner for f in findings])
    file, existing = loaded.signoffs[area]
    digest = area_digest(loaded.checklist, loaded.manifest, area)
    start = len(existing.findings)
    new = [
        {"id": f"F{start + n}", "summary": f.summary, "severity": f.severity, "remediation_owner": f.owner}
        for n, f in enumerate(findings, 1)
    ]
    changes: dict[str, Any] = {
        "status": verdict,
        "approver": login,
        "at": format_time(at),
        "pull_request": pull_request,
        "evidence_digest": digest,
    }
    update_yaml(repo / file, changes, {"findings": new} if new else None)
    return digest


def decide(
    repo: Path,
    verdict: Literal["GO", "NO-GO"] | None,
    window: Literal["primary", "backup"] | None,
    attendees: list[tuple[str, str]],
    at: datetime,
) -> tuple[str, Decision]:
    """Write a decision record for the current state; refuse a GO the gate does not compute."""
    if verdict == "GO" and window is None:
        raise UsageError("a GO decision names the window it chose: add --window primary or --window backup")
    loaded, checks = load_valid(repo)
    roles = set(loaded.checklist.roles)
    unknown = [r for r, _ in attendees if r not in roles]
    if unknown:
        raise UsageError(f"unknown --attendee role {', '.join(unknown)} (one of: {', '.join(sorted(roles))})")
    bad = [u for _, u in attendees if not _LOGIN.match(u)]
    if bad:
        raise UsageError(f"--attendee login {', '.join(bad)} is not a GitHub login")
    outcome = evaluate(loaded, checks, at)
    draft = {
        "decision": "NO-GO",
        "decided_at": format_time(at),
        "window": window,
        "release_tag": loaded.checklist.launch.release_tag,
        "meeting": {"date": format_time(at), "attendees": [{"role": r, "login": u} for r, u in attendees]},
        "scorecard_sha256": outcome.readiness.digest(),
        "manifest_sha256": outcome.manifest_sha256,
    }
    probe = Decision.model_validate({**draft, "window": window or "primary"})
    loaded.decisions.append(("(this decision)", probe))
    blocking = evaluate(loaded, checks, at).blocking
    chosen = verdict or ("GO" if not blocking else "NO-GO")
    if chosen == "GO" and window is None:
        raise UsageError("the gate computes GO: name the chosen window with --window primary or --window backup")
    if chosen == "GO" and blocking:
        raise GateFailed("refusing to record GO: the gate computes NO-GO:\n  " + "\n  ".join(blocking))
    record = {**draft, "decision": chosen, "reasons": blocking if chosen == "NO-GO" else []}
    if record["window"] is None:
        del record["window"]
    decision = Decision.model_validate(record)
    name = f"{DECISIONS}/{at:%Y-%m-%dT%H%M}-{chosen.lower()}.yaml"
    write_atomic(repo / name, _decision_yaml(record))
    return name, decision


def _decision_yaml(record: dict[str, Any]) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    out = io.StringIO()
    out.write("# yaml-language-server: $schema=../schemas/decision.schema.json\n")
    yaml.dump(record, out)
    return out.getvalue()
