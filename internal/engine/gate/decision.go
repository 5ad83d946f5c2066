package gate

import (
	"fmt"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// GateVerdict is what phase gating decided for one deployment.
type GateVerdict int

const (
	GateOpen GateVerdict = iota
	// GateWait: earlier phases are still rolling out, or a promotion or
	// approval planned in this run is on its way.
	GateWait
	// GateRefuse: the deployment cannot start as things stand.
	GateRefuse
)

// GateCause says what holds a deployment at its phase gate. Waits and
// refusals read differently for each, and only the human gates can be
// lifted by a promotion or approval planned a moment later in the run.
type GateCause int

const (
	GateCauseNone GateCause = iota
	// GateCauseNotInRelease: the environment is in no phase of the release.
	GateCauseNotInRelease
	// GateCauseEarlierPhaseIdle: an earlier phase lacks the release and
	// nothing is rolling it out there.
	GateCauseEarlierPhaseIdle
	// GateCauseEarlierPhaseRollingOut: an earlier phase is rolling the
	// release out, or waits at a gate a planned promotion will open.
	GateCauseEarlierPhaseRollingOut
	// GateCausePromotionGate: an earlier phase waits at its promotion gate.
	GateCausePromotionGate
	// GateCauseApproval: this deployment's phase requires an approval.
	GateCauseApproval
)

// humanGate reports whether the cause is a decision a person makes: a
// refusal for it turns into a wait once the decision is planned.
func (c GateCause) humanGate() bool {
	return c == GateCausePromotionGate || c == GateCauseApproval
}

// PlannedDecisions is what the current run (one apply of the configuration)
// is going to decide by hand: the promotions and phase approvals that are part of
// it. A deployment waits at a human gate only for a decision that is
// coming; a nil PlannedDecisions means nothing is planned.
type PlannedDecisions interface {
	// PromotionPlanned reports whether a promotion of release in the
	// deployment PACKAGE/ENVIRONMENT is part of this run.
	PromotionPlanned(deploymentID, release string) bool
	// ApprovalPlanned reports whether an approval of the phase of release
	// is part of this run.
	ApprovalPlanned(release, phase string) bool
}

// GateDecision is a verdict with its reasons in domain words and the facts
// behind them, so that a caller can word the advice its own way.
type GateDecision struct {
	Verdict GateVerdict
	Cause   GateCause
	// Reason says what holds the deployment; empty when the gate is open.
	Reason string
	// Advice says what would open a refused gate; empty for waits.
	Advice string

	Release     string // the release id, PACKAGE@VERSION
	Package     string
	Environment string
	// PhaseNumber is the 1-based position of the environment's phase in
	// the release; 0 when the environment is in no phase.
	PhaseNumber int
	PhaseName   string
	// Missing lists the environments of earlier phases that lack the release.
	Missing []string
	// Idle lists the environments of earlier phases where nothing is rolling
	// the release out (GateCauseEarlierPhaseIdle).
	Idle []string
	// Gated lists the earlier deployments stopped at their promotion gate
	// that nothing in this run promotes (GateCausePromotionGate).
	Gated []GatedDeployment
}

// GatedDeployment is a deployment of an earlier phase stopped at its
// promotion gate.
type GatedDeployment struct {
	DeploymentID string
	Environment  string
	PhaseNumber  int // 1-based
	PhaseName    string
}

// Explanation is the reason followed by the advice, as errors and logs
// print it.
func (d GateDecision) Explanation() string {
	if d.Advice == "" {
		return d.Reason
	}
	return d.Reason + ". " + d.Advice
}

// DecidePhaseGate is the pure rule of phase gating. A deployment of release
// rel into env (in phase k) opens when every environment of phases before k
// has rel live and, if phase k requires approval, the phase is approved.
//
//  1. An earlier environment with nothing rolling the release out refuses at
//     once, naming it.
//  2. An earlier environment stopped at its promotion gate refuses at once
//     unless planned says a promotion of it is part of this run: nobody
//     else is going to promote it while this deployment waits.
//  3. A missing approval of phase k refuses the same way unless planned.
//  4. Otherwise earlier environments still rolling out (or about to be
//     promoted) and a planned approval are waited for.
//
// Concrete example: phases canary(canary) → prod(prod). Canary is a
// blue-green update with manual_promotion, stopped at awaiting_promotion.
// Deploying prod when the run plans a promotion of web@2 in web/canary
// waits for its cutover; without one it refuses, naming the deployment to
// promote.
func DecidePhaseGate(rel domain.Release, env string, byEnv map[string]domain.Deployment, approved bool, planned PlannedDecisions) GateDecision {
	id := rel.ID()
	decision := GateDecision{Verdict: GateOpen, Release: id, Package: rel.Package, Environment: env}
	k := rel.PhaseOf(env)
	if k < 0 {
		names := make([]string, 0, len(rel.Phases))
		for _, p := range rel.Phases {
			names = append(names, fmt.Sprintf("%s %v", p.Name, p.Environments))
		}
		decision.Verdict, decision.Cause = GateRefuse, GateCauseNotInRelease
		decision.Reason = fmt.Sprintf("environment %q is in no phase of release %s (phases: %s); add it to a phase of the release or deploy another release there",
			env, id, strings.Join(names, ", "))
		return decision
	}
	phase := rel.Phases[k]
	decision.PhaseNumber, decision.PhaseName = k+1, phase.Name
	earlier := classifyEarlierPhases(rel, k, byEnv, planned)
	decision.Missing = earlier.missing
	approvalDue := phase.RequiresApproval && !approved
	approvalPlanned := approvalDue && planned != nil && planned.ApprovalPlanned(id, phase.Name)
	switch {
	case len(earlier.idle) > 0:
		decision.Verdict, decision.Cause, decision.Idle = GateRefuse, GateCauseEarlierPhaseIdle, earlier.idle
		decision.Reason = fmt.Sprintf("release %s cannot be deployed to %q (phase %d %q) yet: it is not live in %s of earlier phases, and nothing is rolling it out there",
			id, env, k+1, phase.Name, strings.Join(quoteAll(earlier.idle), ", "))
		decision.Advice = "Phases run in order: deploy the release to the earlier phases first, or in the same run before this deployment"
	case len(earlier.gated) > 0:
		decision.Verdict, decision.Cause, decision.Gated = GateRefuse, GateCausePromotionGate, earlier.gated
		decision.Reason = unplannedPromotionReason(id, env, earlier.gated)
		decision.Advice = fmt.Sprintf("Promote it in %s first, or in the same run before this deployment", strings.Join(gatedDeploymentIDs(earlier.gated), " and "))
	case approvalDue && !approvalPlanned:
		decision.Verdict, decision.Cause = GateRefuse, GateCauseApproval
		decision.Reason = fmt.Sprintf("release %s cannot be deployed to %s (phase %d %q): the phase requires approval, none is recorded, and nothing in this run approves it, so %s cannot start",
			id, env, k+1, phase.Name, env)
		decision.Advice = fmt.Sprintf("Approve phase %q of release %s first, or in the same run before this deployment", phase.Name, id)
	case len(earlier.missing) > 0:
		decision.Verdict, decision.Cause = GateWait, GateCauseEarlierPhaseRollingOut
		decision.Reason = "waiting for earlier phases: " + earlier.waitReason(id)
	case approvalDue:
		decision.Verdict, decision.Cause = GateWait, GateCauseApproval
		decision.Reason = fmt.Sprintf("waiting for approval of phase %q of release %s: an approval of it is planned in this run", phase.Name, id)
	}
	return decision
}

// earlierPhases sorts the environments of the phases before a deployment's
// phase that do not run the release yet.
type earlierPhases struct {
	missing  []string          // every one of them, in phase order
	idle     []string          // nothing is rolling the release out there
	rolling  []string          // a rollout of the release is running there
	promoted []string          // at its promotion gate, promoted in this run
	gated    []GatedDeployment // at its promotion gate, nothing in this run promotes it
}

func classifyEarlierPhases(rel domain.Release, k int, byEnv map[string]domain.Deployment, planned PlannedDecisions) earlierPhases {
	id := rel.ID()
	var out earlierPhases
	for j, p := range rel.Phases[:k] {
		for _, e := range p.Environments {
			d, ok := byEnv[e]
			if ok && d.LiveRelease == id && d.Status != domain.StatusTornDown {
				continue
			}
			out.missing = append(out.missing, e)
			ours := ok && d.Rollout != nil && d.Rollout.Release == id
			switch {
			case ours && d.Rollout.State == domain.RolloutRunning:
				out.rolling = append(out.rolling, e)
			case ours && d.Rollout.State == domain.RolloutAwaitingPromotion:
				depID := domain.DeploymentID(d.Package, d.Environment)
				if planned != nil && planned.PromotionPlanned(depID, id) {
					out.promoted = append(out.promoted, e)
					continue
				}
				out.gated = append(out.gated, GatedDeployment{DeploymentID: depID, Environment: e, PhaseNumber: j + 1, PhaseName: p.Name})
			default:
				out.idle = append(out.idle, e)
			}
		}
	}
	return out
}

// waitReason says what a waiting deployment waits for.
func (p earlierPhases) waitReason(release string) string {
	var parts []string
	if len(p.rolling) > 0 {
		parts = append(parts, fmt.Sprintf("release %s is still rolling out to %s", release, strings.Join(quoteAll(p.rolling), ", ")))
	}
	if len(p.promoted) > 0 {
		parts = append(parts, fmt.Sprintf("release %s waits at its promotion gate in %s for the promotion planned in this run",
			release, strings.Join(quoteAll(p.promoted), ", ")))
	}
	return strings.Join(parts, "; ")
}

// unplannedPromotionReason names each promotion gate that holds the
// deployment.
func unplannedPromotionReason(release, env string, gated []GatedDeployment) string {
	places := make([]string, len(gated))
	for i, g := range gated {
		places[i] = fmt.Sprintf("%q (phase %d %q)", g.Environment, g.PhaseNumber, g.PhaseName)
	}
	return fmt.Sprintf("release %s is waiting at its promotion gate in %s: nothing in this run promotes it, so %s cannot start",
		release, strings.Join(places, " and in "), env)
}

func gatedDeploymentIDs(gated []GatedDeployment) []string {
	ids := make([]string, len(gated))
	for i, g := range gated {
		ids[i] = g.DeploymentID
	}
	return ids
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
