"""Write the example launch's evidence files (documents a launch team would have written).

Used by build-go.sh, which schedules and fills in the checklist with `gate` itself. Texts that name the
launch date take it from the primary window the script chose (`{day}`, `{time}`, `{iso}`).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

DOCS = {
    "product/veid-e2e-report.md": "# VEID E2E report\n\nOnboarding + verification flows: 48 passed, 0 failed (staging, build 8c1e2f).\n",
    "product/provider-e2e-report.md": "# Provider E2E report\n\nHPC/marketplace provider flow: 31 passed, 0 failed.\n",
    "security/security-review-8d-ml-verification.md": "# Security review: ML/verification (8D)\n\nScope: inference API, model registry, liveness checks.\nFindings: 1 medium (rate limiting), remediation owned by Security Lead.\n",
    "security/threat-model.md": "# Threat model update\n\nSTRIDE review of VEID, escrow and validator onboarding. No open high risks.\n",
    "security/vuln-scan.txt": "vulnerability scan 2026-11-20: 0 critical, 0 high, 2 low (accepted)\n",
    "security/security-checklist.md": "# Security checklist\n\n- [x] Secrets rotated\n- [x] HSM-backed validator keys\n- [x] Dependency pinning\n",
    "security/key-management-review.md": "# Key management and HSM review\n\nValidator keys on HSMs; rotation and recovery procedures reviewed.\n",
    "security/dependency-lock.txt": "cosmos-sdk v0.50.9\ncometbft v0.38.12\nwasmvm v2.1.2\n",
    "compliance/GDPR_COMPLIANCE.md": "# GDPR compliance\n\nLawful basis, DPIA and PII inventory reviewed by counsel.\n",
    "compliance/consent-flows-report.md": "# Consent flows\n\nConsent capture and withdrawal tested end to end: 12 passed.\n",
    "compliance/DATA_INVENTORY.md": "# Data inventory and retention\n\nBiometric templates: 30 days; audit logs: 7 years.\n",
    "compliance/BIOMETRIC_DATA_ADDENDUM.md": "# Biometric data addendum\n\nSigned by legal 2026-11-18.\n",
    "compliance/DATA_PROCESSING_AGREEMENT.md": "# Data processing agreement\n\nProcessor terms v3, signed.\n",
    "compliance/PRIVACY_POLICY.md": "# Privacy policy\n\nPublished version 2026-11.\n",
    "ops/disaster-recovery-drill.md": "# DR runbook validation\n\nLive drill 2026-11-14: region failover in 38 min (RTO 60 min).\n",
    "ops/backup-restore-drill.md": "# Backup/restore drill\n\nSnapshot restore: RPO 5 min (target 15), RTO 41 min (target 60). Met.\n",
    "ops/slos-and-playbooks.md": "# Monitoring/alerting coverage\n\nAll five rollback criteria alert; SLO dashboards reviewed.\n",
    "ops/incident-response-test.md": "# Incident response test\n\nPaged at 02:14, acknowledged 02:16, resolved 02:51.\n",
    "ops/mainnet-launch-runbook.md": "# Mainnet launch runbook\n\nCutover steps 1-14 with owners and timeboxes.\n",
    "ops/validator-onboarding.md": "# Validator onboarding\n\n120 genesis validators onboarded; gentx collection closed.\n",
    "ops/mainnet-genesis-ceremony.md": "# Genesis ceremony\n\nCeremony tooling v1.2, dry-run completed.\n",
    "ops/upgrade-runbook-review.md": "# Upgrade runbook review\n\nEach step timeboxed; total 95 min within a 4 h window.\n",
    "ops/genesis.json": '{"chain_id": "virtengine-1", "genesis_time": "{iso}"}\n',
    "ops/validator-upgrade-staging.md": "# Validator upgrade on staging\n\nv0.9 -> v1.0 upgrade at height 1200000: 58/60 validators in 4 blocks.\n",
    "ops/mainnet-dress-rehearsal-report.md": "# Dress rehearsal report\n\nFull rehearsal 2026-11-21 on staging; cutover 2 h 10 min; rollback rehearsed.\n",
    "ops/cutover-timings.csv": "step,planned_min,actual_min\nfreeze,5,4\ngenesis,30,27\nvalidators-up,45,51\nsmoke,20,18\n",
    "ops/rollback-rehearsal.md": "# Rollback rehearsal\n\nRollback to v0.9 snapshot in 34 min; `gate rollback watch` fired on induced halt.\n",
    "ops/on-call-roster-confirmation.md": "# On-call roster\n\nPager rotation confirmed for the launch week of {day}.\n",
    "ops/partner-announcement.eml": "Subject: VirtEngine mainnet launch window {day} {time} UTC\n\nValidators and providers: please be online from 13:30 UTC.\n",
    "finance/billing-reconciliation-report.md": "# Billing reconciliation\n\nStaging month replay: mismatch 0.02% (threshold 0.5%).\n",
    "finance/dispute_workflow_test.py": (
        "import sys\n\n"
        "cases = {'open': 'open', 'evidence': 'review', 'resolve': 'closed', 'refund': 'refunded'}\n"
        "failed = [c for c, want in cases.items() if want is None]\n"
        "print(f'{len(cases) - len(failed)} passed, {len(failed)} failed')\n"
        "sys.exit(1 if failed else 0)\n"
    ),
    "finance/treasury-controls.md": "# Treasury controls\n\n2-of-3 multisig on treasury; spend limits reviewed.\n",
    "finance/hpc-billing-rules.md": "# HPC billing rules and billing policy\n\nRates per GPU-hour; disputes within 14 days.\n",
    "product/go-no-go-scorecard.md": "# Go/no-go scorecard\n\nCompiled from `gate check` for the release review meeting.\n",
    "product/launch-comms-readiness.md": "# Launch comms readiness\n\nInternal and external comms owners confirmed.\n",
    "product/status-page-prep.md": "# Status page prep\n\nComponents configured on status.virtengine.com.\n",
    "product/customer-notice-7d.eml": "Subject: VirtEngine mainnet launches on {day}\n\nSeven-day notice.\n",
}


def main(out: str, primary_start: str) -> None:
    """Write every document under OUT/evidence; `primary_start` is `YYYY-MM-DDTHH:MMZ`."""
    day, time = primary_start[:10], primary_start[11:16]
    target = Path(out)
    for rel, body in DOCS.items():
        path = target / "evidence" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = body.replace("{day}", day).replace("{time}", time).replace("{iso}", f"{day}T{time}:00Z")
        path.write_text(text, encoding="utf-8")
    lock = (target / "evidence/security/dependency-lock.txt").read_bytes()
    sums = f"{hashlib.sha256(lock).hexdigest()}  evidence/security/dependency-lock.txt\n"
    (target / "evidence/security/dependencies.sha256").write_text(sums, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
