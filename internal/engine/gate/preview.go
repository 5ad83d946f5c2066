package gate

import "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"

// A read-only form of the phase gate decision, for a plan that wants to say
// ahead of time which human gates an apply will be refused at. It applies
// the same classification of earlier phases as DecidePhaseGate; it neither
// waits nor writes, and the caller reads the facts it is given.

// GatePreviewFacts are the facts a preview decides on.
type GatePreviewFacts struct {
	// Deployments of the release's package, by environment, as read.
	Deployments map[string]domain.Deployment
	// Approved: an approval of the deployment's phase is recorded.
	Approved bool
	// StopsAtGate lists the environments, of earlier phases, where a
	// rollout of the release planned in this run stops at its promotion
	// gate: the store does not show it yet.
	StopsAtGate map[string]bool
}

// PreviewGate is a deployment of an earlier phase at its promotion gate for
// the release, or stopping there in this run.
type PreviewGate struct {
	GatedDeployment
	// InThisRun: the rollout planned in this run stops there; the store
	// does not show it yet.
	InThisRun bool
}

// GatePreview is what a plan can tell of the human gates in front of a
// deployment. Earlier environments with nothing rolling the release out are
// left out: the apply may yet roll it out there.
type GatePreview struct {
	// InRelease is false when the environment is in no phase of the
	// release; the rest is then empty.
	InRelease   bool
	PhaseNumber int // 1-based
	PhaseName   string
	// Gated lists the earlier deployments at their promotion gate that
	// nothing planned in this run promotes.
	Gated []PreviewGate
	// ApprovalDue: the phase requires an approval that is neither recorded
	// nor planned in this run.
	ApprovalDue bool
}

// Clear reports whether no human gate holds the deployment unplanned.
func (p GatePreview) Clear() bool {
	return len(p.Gated) == 0 && !p.ApprovalDue
}

// PreviewPhaseGate is DecidePhaseGate's rule for the human gates, without
// deciding between them: a plan names every gate to open at once.
func PreviewPhaseGate(rel domain.Release, env string, facts GatePreviewFacts, planned PlannedDecisions) GatePreview {
	k := rel.PhaseOf(env)
	if k < 0 {
		return GatePreview{}
	}
	id := rel.ID()
	phase := rel.Phases[k]
	preview := GatePreview{InRelease: true, PhaseNumber: k + 1, PhaseName: phase.Name}
	earlier := classifyEarlierPhases(rel, k, withPlannedGates(rel, facts), planned)
	for _, g := range earlier.gated {
		preview.Gated = append(preview.Gated, PreviewGate{GatedDeployment: g, InThisRun: facts.StopsAtGate[g.Environment]})
	}
	approvalDue := phase.RequiresApproval && !facts.Approved
	preview.ApprovalDue = approvalDue && (planned == nil || !planned.ApprovalPlanned(id, phase.Name))
	return preview
}

// withPlannedGates is the deployments as they will be once the rollouts
// planned in this run have stopped at their promotion gates.
func withPlannedGates(rel domain.Release, facts GatePreviewFacts) map[string]domain.Deployment {
	if len(facts.StopsAtGate) == 0 {
		return facts.Deployments
	}
	byEnv := make(map[string]domain.Deployment, len(facts.Deployments)+len(facts.StopsAtGate))
	for env, d := range facts.Deployments {
		byEnv[env] = d
	}
	for env, stops := range facts.StopsAtGate {
		if !stops {
			continue
		}
		byEnv[env] = domain.Deployment{
			Package:     rel.Package,
			Environment: env,
			Rollout:     &domain.Rollout{Release: rel.ID(), State: domain.RolloutAwaitingPromotion},
		}
	}
	return byEnv
}
