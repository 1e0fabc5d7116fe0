#!/usr/bin/env bash
# Rebuilds examples/go and examples/no-go from this repository's checklist with the real commands a
# launch team runs: schedule and fill in the checklist, add and capture evidence, sign off each area,
# record the decision. No YAML is edited by hand.
#
# The example's calendar is placed relative to the day it is built (evidence is captured "now", and a
# decision cannot be dated before the evidence it relies on): sign-offs the next day, the decision the
# day after, the freeze from day 3 to day 14, a blackout on days 7-9, the primary window on day 10 and
# the backup on day 12. A GO does not outlive its window, so whoever shows the example pins the moment:
# README.md's "see a GO" command uses --at one hour before the primary window opens, and this script
# rewrites that line. Tests read the calendar from the example's own files.
#
# Usage: bash examples/build-go.sh   (from the repository root, with `gate` installed; GNU date)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/examples/go"
base=${GATE_EXAMPLE_DAY:-$(date -u +%Y-%m-%d)}
day() { date -u -d "$base + $1 day" +%Y-%m-%d; }
at() { echo "$(day "$1")T$2:00Z"; }

rm -rf "$out"
mkdir -p "$out/signoffs" "$out/decisions" "$out/evidence"
cp "$root/checklist.yaml" "$root/evidence-manifest.json" "$out/"
cp "$root/signoffs/"*.yaml "$out/signoffs/"
cp -r "$root/schemas" "$out/"
python3 "$root/examples/fill_example.py" "$out" "$(at 10 14:00)"
cd "$out"

gate set launch-name "VirtEngine Mainnet Launch (example)" >/dev/null
gate set release-tag mainnet-v1.0.0 >/dev/null
gate set target-block-time 6s >/dev/null
gate set rollback.match.chain.chain_id virtengine-1 >/dev/null
gate set channel.war-room-bridge https://meet.virtengine.example/mainnet-war-room >/dev/null
gate set roster.@virtengine/security sec-lead-ana,sec-eng-omar >/dev/null
gate set roster.@virtengine/compliance comp-lead-ben >/dev/null
gate set roster.@virtengine/sre ops-lead-chen,sre-kim >/dev/null
gate set roster.@virtengine/finance fin-lead-dora >/dev/null
gate set roster.@virtengine/product prod-lead-eli >/dev/null
gate set roster.@virtengine/release-managers rm-rosa >/dev/null
gate schedule --primary "$(at 10 14:00)" "$(at 10 18:00)" --backup "$(at 12 14:00)" "$(at 12 18:00)" \
  --freeze "$(at 3 00:00)" "$(at 14 00:00)" \
  --blackout "$(at 7 00:00)" "$(at 9 00:00)" "Exchange listing embargo agreed with launch partners (external conflict)" \
  >/dev/null
gate mitigate F-customer-notice --owner product-lead \
  --description "The 24-hour notice goes out the day before the window, after this decision" >/dev/null

add() { gate evidence add "$2" --item "$1" --id "$3" >/dev/null; }
add prereq-6B evidence/product/veid-e2e-report.md veid-e2e-report
add prereq-6C evidence/product/provider-e2e-report.md provider-e2e-report
add prereq-6D evidence/security/security-review-8d-ml-verification.md ml-security-review
add B-security evidence/security/threat-model.md threat-model
add B-security evidence/security/vuln-scan.txt vuln-scan
add B-security evidence/security/security-checklist.md security-checklist
gate evidence capture --item B-security --id dependency-audit -- sha256sum -c evidence/security/dependencies.sha256 >/dev/null
add D-key-management evidence/security/key-management-review.md key-management-review
add B-compliance-privacy evidence/compliance/GDPR_COMPLIANCE.md gdpr-compliance
add B-compliance-privacy evidence/compliance/consent-flows-report.md consent-flows
add B-compliance-privacy evidence/compliance/DATA_INVENTORY.md data-retention-policy
add B-compliance-privacy evidence/compliance/BIOMETRIC_DATA_ADDENDUM.md biometric-addendum
add B-compliance-privacy evidence/compliance/DATA_PROCESSING_AGREEMENT.md data-processing-agreement
add B-compliance-privacy evidence/compliance/PRIVACY_POLICY.md privacy-policy
add B-operations-sre evidence/ops/disaster-recovery-drill.md dr-runbook-validation
add B-operations-sre evidence/ops/backup-restore-drill.md backup-restore-test
add B-operations-sre evidence/ops/slos-and-playbooks.md monitoring-coverage
add B-operations-sre evidence/ops/incident-response-test.md incident-response-test
add B-operations-sre evidence/ops/mainnet-launch-runbook.md launch-runbook
add prereq-22B evidence/ops/validator-onboarding.md validator-onboarding-guide
add prereq-22B evidence/ops/mainnet-genesis-ceremony.md genesis-ceremony-runbook
add D-upgrade-runbook evidence/ops/upgrade-runbook-review.md upgrade-runbook-review
gate evidence capture --item D-genesis-checksum --id genesis-checksum -- sha256sum evidence/ops/genesis.json >/dev/null
add D-validator-upgrade-staging evidence/ops/validator-upgrade-staging.md validator-upgrade-staging
add E-dress-rehearsal evidence/ops/mainnet-dress-rehearsal-report.md dress-rehearsal-report
add E-cutover-timed evidence/ops/cutover-timings.csv cutover-timings
add E-rollback-rehearsal evidence/ops/rollback-rehearsal.md rollback-rehearsal
add F-internal-comms evidence/ops/on-call-roster-confirmation.md pager-roster-confirmation
add F-partner-notice evidence/ops/partner-announcement.eml partner-announcement
add prereq-6E evidence/finance/billing-reconciliation-report.md billing-reconciliation-report
gate evidence capture --item prereq-6E --id dispute-workflow-test -- python3 evidence/finance/dispute_workflow_test.py >/dev/null
add B-finance-billing evidence/finance/treasury-controls.md treasury-controls
add B-finance-billing evidence/finance/hpc-billing-rules.md billing-rules
add B-product-release evidence/product/go-no-go-scorecard.md go-no-go-scorecard
add B-product-release evidence/product/launch-comms-readiness.md launch-comms-readiness
add B-product-release evidence/product/status-page-prep.md status-page-prep
gate comms draft scheduled-maintenance --var IMPACT=none --record >/dev/null  # F-status-page's drafts
add F-customer-notice evidence/product/customer-notice-7d.eml customer-notice-7d
# The packet as compiled for the release review: every artifact so far with its SHA-256.
gate packet --out evidence/product/mainnet-launch-packet.md >/dev/null
add H-launch-packet evidence/product/mainnet-launch-packet.md launch-packet

gate signoff security --approve --by sec-lead-ana --pr 41 --at "$(at 1 10:00)" \
  --finding "Rate-limit the VEID verification endpoint per account" --owner security-lead >/dev/null
gate signoff compliance-privacy --approve --by comp-lead-ben --pr 42 --at "$(at 1 11:00)" >/dev/null
gate signoff operations-sre --approve --by ops-lead-chen --pr 43 --at "$(at 1 12:00)" >/dev/null
gate signoff finance-billing --approve --by fin-lead-dora --pr 44 --at "$(at 1 13:00)" >/dev/null
gate signoff product-release --approve --by prod-lead-eli --pr 45 --at "$(at 1 15:00)" >/dev/null
gate decide --decision GO --window primary --at "$(at 2 16:00)" \
  --attendee security-lead=sec-lead-ana --attendee compliance-lead=comp-lead-ben \
  --attendee ops-lead=ops-lead-chen --attendee finance-lead=fin-lead-dora \
  --attendee product-lead=prod-lead-eli --attendee release-manager=rm-rosa
show="$(at 10 13:00)"
gate check --require-go --at "$show" | tail -n 1
# README's "see a GO" command: the same moment, one hour before the primary window opens.
sed -i "s|gate check --repo examples/go --require-go --at [0-9TZ:-]*|gate check --repo examples/go --require-go --at $show|" \
  "$root/README.md" "$root/.ci/run" "$root/.pre-commit-config.yaml"

# examples/no-go: the same launch a week earlier — the security evidence changed after approval
# (so only that sign-off is stale), the dispute workflow test fails, and no decision is recorded yet.
nogo="$root/examples/no-go"
rm -rf "$nogo"
cp -r "$out" "$nogo"
cd "$nogo"
rm decisions/*.yaml
gate set launch-name "VirtEngine Mainnet Launch (example, not ready)" >/dev/null
printf '\nAddendum: new finding in the liveness check (high), remediation in progress.\n' >> evidence/security/threat-model.md
gate evidence add evidence/security/threat-model.md --item B-security >/dev/null
sed -i "s/want is None/want != 'closed'/" evidence/finance/dispute_workflow_test.py
gate evidence add evidence/finance/dispute_workflow_test.py --item prereq-6E --id dispute-workflow-script --supporting >/dev/null
gate evidence capture --item prereq-6E --id dispute-workflow-test -- python3 evidence/finance/dispute_workflow_test.py >/dev/null || true
gate check --at "$show" | tail -n 1
