"""`signoffs/<area>.yaml`: one area's approval, and the evidence digest it was given for."""

from __future__ import annotations

from typing import Literal

from gate.model.base import Field, Id, Model, Person, Sha256Hex, Text, UtcTime, model_validator
from gate.model.checklist import Severity

Status = Literal["pending", "approved", "rejected"]


class Finding(Model):
    """Something the reviewer found, and who owns its remediation."""

    id: Id
    summary: Text
    severity: Severity
    remediation_owner: Id
    status: Literal["open", "resolved"] = "open"
    evidence: list[Id] = Field(default_factory=list)


class Pinned(Model):
    """What the verdict was given for, part by part: each of the area's items and its own definition
    (team, approver, roster) by digest, and each of its evidence entries by SHA-256 (a file) or digest
    (a captured command). `area_digest` is the digest of exactly this; the parts say what changed."""

    policy: dict[str, Sha256Hex]
    evidence: dict[str, Sha256Hex]


class Signoff(Model):
    """An area's sign-off: the verdict, who gave it, and the area digest (evidence AND policy) it pins."""

    area: Id
    status: Status
    approver: Person | None = None
    at: UtcTime | None = None
    pull_request: int | None = Field(default=None, ge=1)
    area_digest: Sha256Hex | None = None
    pinned: Pinned | None = None
    findings: list[Finding] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _decided_means_signed(self) -> Signoff:
        missing = [n for n in ("approver", "at", "area_digest", "pinned") if getattr(self, n) is None]
        if self.status != "pending" and missing:
            raise ValueError(f"a sign-off that is {self.status} needs {', '.join(missing)}")
        return self
