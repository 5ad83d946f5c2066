package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Plan-time facts of the human gates in front of a deployment, for
// warnAboutApprovalWait. The engine decides at apply time; its preview of
// that decision (engine.PreviewPhaseGate) lets the plan say so ahead of time.

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
		if s.Kind == domain.StepGate {
			r.data.notePlannedGate(plan.ID.ValueString(), plan.Release.ValueString())
			return nil
		}
	}
	return nil
}

// earlierPhaseFacts reads the deployments of the phases before k and notes
// those whose rollout planned in this apply stops at its promotion gate.
func (r *deploymentResource) earlierPhaseFacts(ctx context.Context, rel domain.Release, k int) (gate.GatePreviewFacts, error) {
	facts := gate.GatePreviewFacts{Deployments: map[string]domain.Deployment{}, StopsAtGate: map[string]bool{}}
	for _, p := range rel.Phases[:k] {
		for _, env := range p.Environments {
			id := domain.DeploymentID(rel.Package, env)
			if r.data.plannedGate(id, rel.ID()) {
				facts.StopsAtGate[env] = true
				continue
			}
			d, err := r.data.engine.GetDeployment(ctx, id)
			if records.IsNotFound(err) {
				continue // never deployed there: no gate to wait at
			}
			if err != nil {
				return facts, err
			}
			facts.Deployments[env] = *d
		}
	}
	return facts, nil
}

// phaseApproved reports whether phase k of rel needs no approval or the
// store has one.
func (r *deploymentResource) phaseApproved(ctx context.Context, rel domain.Release, k int) (bool, error) {
	if !rel.Phases[k].RequiresApproval {
		return true, nil
	}
	_, err := r.data.engine.PhaseApproval(ctx, rel.ID(), rel.Phases[k].Name)
	if records.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// unplannedGatesWarning names each gate and the ocuroot_promotion to add.
func unplannedGatesWarning(rel domain.Release, env string, gates []gate.PreviewGate) string {
	places := make([]string, len(gates))
	blocks := make([]string, len(gates))
	refs := make([]string, len(gates))
	for i, g := range gates {
		verb := "is waiting"
		if g.InThisRun {
			verb = "will stop (in this apply)"
		}
		places[i] = fmt.Sprintf("%s at its promotion gate in %q (phase %d %q)", verb, g.Environment, g.PhaseNumber, g.PhaseName)
		blocks[i], refs[i] = promotionToAdd(rel.Package, g.Environment, g.DeploymentID, rel.ID())
	}
	return fmt.Sprintf("Release %s %s, and no ocuroot_promotion of it is planned, so this deployment to %q will be refused at apply instead of waiting. "+
		"Add %s to this configuration and set depends_on = [%s] on this deployment, or apply the promotion first.",
		rel.ID(), strings.Join(places, " and "), env, strings.Join(blocks, " and "), strings.Join(refs, ", "))
}
