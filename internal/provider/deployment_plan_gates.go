package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
)

// Plan-time view of the human gates in front of a deployment, for
// warnAboutApprovalWait. The engine decides at apply time; these helpers
// only let the plan say so ahead of time.

// earlierGate is a deployment of an earlier phase stopped (or about to
// stop, in this apply) at its promotion gate for the release.
type earlierGate struct {
	deploymentID string
	environment  string
	phaseIndex   int // 0-based
	phaseName    string
	// inThisApply: the deployment's planned rollout stops there; the store
	// does not show it yet.
	inThisApply bool
}

// noteGateOfPlannedRollout records that this deployment's planned rollout
// stops at a promotion gate (manual promotion of an update).
func (r *deploymentResource) noteGateOfPlannedRollout(ctx context.Context, plan *deploymentModel, rollout *plannedRollout) error {
	if plan.ID.IsUnknown() || plan.ID.IsNull() || !rolloutInputsKnown(plan) || rollout == nil {
		return nil
	}
	hasLive, err := r.hasLiveRelease(ctx, nil, plan)
	if err != nil {
		return err
	}
	for _, s := range rollout.stepsFor(hasLive) {
		if s.Kind == engine.StepGate {
			r.data.notePlannedGate(plan.ID.ValueString(), plan.Release.ValueString())
			return nil
		}
	}
	return nil
}

// earlierPhaseGates lists the deployments of phases before k that wait at
// their promotion gate for rel, or will once this apply has run them.
func (r *deploymentResource) earlierPhaseGates(ctx context.Context, rel engine.Release, k int) ([]earlierGate, error) {
	var gates []earlierGate
	for j, p := range rel.Phases[:k] {
		for _, env := range p.Environments {
			id := engine.DeploymentID(rel.Package, env)
			gate := earlierGate{deploymentID: id, environment: env, phaseIndex: j, phaseName: p.Name}
			if r.data.plannedGate(id, rel.ID()) {
				gate.inThisApply = true
				gates = append(gates, gate)
				continue
			}
			d, err := r.data.engine.GetDeployment(ctx, id)
			if engine.IsNotFound(err) {
				continue // never deployed there: no gate to wait at
			}
			if err != nil {
				return nil, err
			}
			if d.Rollout != nil && d.Rollout.Release == rel.ID() && d.Rollout.State == engine.RolloutAwaitingPromotion {
				gates = append(gates, gate)
			}
		}
	}
	return gates, nil
}

// unplannedGates keeps the gates no promotion planned in this run opens.
func (r *deploymentResource) unplannedGates(rel engine.Release, gates []earlierGate) []earlierGate {
	var out []earlierGate
	for _, g := range gates {
		if !r.data.PromotionPlanned(g.deploymentID, rel.ID()) {
			out = append(out, g)
		}
	}
	return out
}

// approvalDue reports whether phase k of rel requires an approval the
// store does not have.
func (r *deploymentResource) approvalDue(ctx context.Context, rel engine.Release, k int) (bool, error) {
	if !rel.Phases[k].RequiresApproval {
		return false, nil
	}
	_, err := r.data.engine.PhaseApproval(ctx, rel.ID(), rel.Phases[k].Name)
	if engine.IsNotFound(err) {
		return true, nil
	}
	return false, err
}

// unplannedGatesWarning names each gate and the ocuroot_promotion to add.
func unplannedGatesWarning(rel engine.Release, env string, gates []earlierGate) string {
	places := make([]string, len(gates))
	blocks := make([]string, len(gates))
	refs := make([]string, len(gates))
	for i, g := range gates {
		verb := "is waiting"
		if g.inThisApply {
			verb = "will stop (in this apply)"
		}
		places[i] = fmt.Sprintf("%s at its promotion gate in %q (phase %d %q)", verb, g.environment, g.phaseIndex+1, g.phaseName)
		blocks[i], refs[i] = promotionToAdd(rel.Package, g.environment, g.deploymentID, rel.ID())
	}
	return fmt.Sprintf("Release %s %s, and no ocuroot_promotion of it is planned, so this deployment to %q will be refused at apply instead of waiting. "+
		"Add %s to this configuration and set depends_on = [%s] on this deployment, or apply the promotion first.",
		rel.ID(), strings.Join(places, " and "), env, strings.Join(blocks, " and "), strings.Join(refs, ", "))
}
