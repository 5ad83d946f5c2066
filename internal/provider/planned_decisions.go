package provider

import (
	"context"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// What this provider process has seen planned in the current run, so a
// deployment behind a human gate knows whether anyone is going to open it.
// Terraform plans each resource again in the apply process right before
// applying it, so the apply sees the promotions and approvals of its run.

var _ gate.PlannedDecisions = (*providerData)(nil)

// PlannedDecisionGrace is how long a plan-time check looks for a sibling
// resource's plan before it warns: siblings are planned in any order.
const plannedDecisionGrace = 2 * time.Second

// plannedDecisionPoll is how often that check looks again.
const plannedDecisionPoll = 100 * time.Millisecond

// PromotionPlanned reports whether an ocuroot_promotion of release in the
// deployment is planned in this run.
func (pd *providerData) PromotionPlanned(deploymentID, release string) bool {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	return pd.plannedPromotions[deploymentID+"#"+release]
}

// ApprovalPlanned reports whether an ocuroot_promotion approving the phase
// of release is planned in this run.
func (pd *providerData) ApprovalPlanned(release, phase string) bool {
	return pd.plannedApproval(release, phase)
}

// notePlannedPromotion records a deployment promotion planned in this run.
func (pd *providerData) notePlannedPromotion(deploymentID, release string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	if pd.plannedPromotions == nil {
		pd.plannedPromotions = map[string]bool{}
	}
	pd.plannedPromotions[deploymentID+"#"+release] = true
}

// forgetPlannedPromotion withdraws a promotion that failed: a deployment
// waiting for it would otherwise wait out its whole timeout.
func (pd *providerData) forgetPlannedPromotion(deploymentID, release string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	delete(pd.plannedPromotions, deploymentID+"#"+release)
}

// forgetPlannedApproval withdraws a phase approval that failed.
func (pd *providerData) forgetPlannedApproval(release, phase string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	delete(pd.plannedApprovals, records.ApprovalKey(release, phase))
}

// notePlannedGate records that a deployment's planned rollout of release
// stops at a promotion gate, so later phases can be warned at plan time.
func (pd *providerData) notePlannedGate(deploymentID, release string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	if pd.plannedGates == nil {
		pd.plannedGates = map[string]bool{}
	}
	pd.plannedGates[deploymentID+"#"+release] = true
}

// plannedGate reports whether notePlannedGate saw that rollout.
func (pd *providerData) plannedGate(deploymentID, release string) bool {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	return pd.plannedGates[deploymentID+"#"+release]
}

// awaitPlanned reports whether planned() holds now or within
// PlannedDecisionGrace on the engine clock.
func (pd *providerData) awaitPlanned(ctx context.Context, planned func() bool) bool {
	clock := pd.engine.Clock()
	deadline := clock.Now().Add(plannedDecisionGrace)
	for !planned() {
		if !clock.Now().Before(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-clock.After(plannedDecisionPoll):
		}
	}
	return true
}
