"""`signoffs/<area>.yaml`: one area's approval, and the evidence digest it was given for."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from gate.model.base import Id, Login, Model, Sha256Hex, Text, UtcTime
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


class Signoff(Model):
    """An area's sign-off. `evidence_digest` pins the area's evidence the approval was given for."""

    area: Id
    status: Status
    approver: Login | None = None
    at: UtcTime | None = None
    pull_request: int | None = Field(default=None, ge=1)
    evidence_digest: Sha256Hex | None = None
    findings: list[Finding] = Field(default_factory=list)
    note: Text | None = None

    @model_validator(mode="after")
    def _decided_means_signed(self) -> Signoff:
        missing = [n for n in ("approver", "at", "evidence_digest") if getattr(self, n) is None]
        if self.status != "pending" and missing:
            raise ValueError(f"a sign-off that is {self.status} needs {', '.join(missing)}")
        return self
