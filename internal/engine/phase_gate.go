package engine

import (
	"fmt"
	"strings"
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

// PlannedDecisions is what the current run (one terraform apply) is going
// to decide by hand: the promotions and phase approvals that are part of
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

// GateDecision explains a verdict in words fit for logs and diagnostics.
type GateDecision struct {
	Verdict GateVerdict
	Cause   GateCause
	Reason  string
	// Missing lists the environments of earlier phases that lack the release.
	Missing []string
}

// DecidePhaseGate is the pure rule of phase gating. A deployment of release
// rel into env (in phase k) opens when every environment of phases before k
// has rel live and, if phase k requires approval, the phase is approved.
//
//  1. An earlier environment with nothing rolling the release out refuses at
//     once, naming it and how to order the resources.
//  2. An earlier environment stopped at its promotion gate refuses at once
//     unless planned says a promotion of it is part of this run: nobody
//     else is going to promote it while this deployment waits.
//  3. A missing approval of phase k refuses the same way unless planned.
//  4. Otherwise earlier environments still rolling out (or about to be
//     promoted) and a planned approval are waited for.
//
// Concrete example: phases canary(canary) → prod(prod). Canary is a
// blue-green update with manual_promotion, stopped at awaiting_promotion.
// Deploying prod when the run holds an ocuroot_promotion of web/canary
// waits for its cutover; without one it refuses, naming the promotion to
// apply.
func DecidePhaseGate(rel Release, env string, byEnv map[string]Deployment, approved bool, planned PlannedDecisions) GateDecision {
	k := rel.PhaseOf(env)
	if k < 0 {
		names := make([]string, 0, len(rel.Phases))
		for _, p := range rel.Phases {
			names = append(names, fmt.Sprintf("%s %v", p.Name, p.Environments))
		}
		return GateDecision{Verdict: GateRefuse, Cause: GateCauseNotInRelease, Reason: fmt.Sprintf(
			"environment %q is in no phase of release %s (phases: %s); add it to a phase of the release or deploy another release there",
			env, rel.ID(), strings.Join(names, ", "))}
	}
	id := rel.ID()
	earlier := classifyEarlierPhases(rel, k, byEnv, planned)
	phase := rel.Phases[k]
	approvalDue := phase.RequiresApproval && !approved
	approvalPlanned := approvalDue && planned != nil && planned.ApprovalPlanned(id, phase.Name)
	switch {
	case len(earlier.idle) > 0:
		return GateDecision{Verdict: GateRefuse, Cause: GateCauseEarlierPhaseIdle, Missing: earlier.missing, Reason: fmt.Sprintf(
			"release %s cannot be deployed to %q (phase %d %q) yet: it is not live in %s of earlier phases, and nothing is rolling it out there. "+
				"Phases run in order: make this deployment depend on the deployments of the earlier phase (depends_on = [ocuroot_deployment.<earlier phase>]) "+
				"or declare one ocuroot_deployment resource block per phase, each depending on the one before",
			id, env, k+1, phase.Name, strings.Join(quoteAll(earlier.idle), ", "))}
	case len(earlier.gated) > 0:
		return GateDecision{Verdict: GateRefuse, Cause: GateCausePromotionGate, Missing: earlier.missing,
			Reason: unplannedPromotionReason(rel, env, earlier.gated)}
	case approvalDue && !approvalPlanned:
		return GateDecision{Verdict: GateRefuse, Cause: GateCauseApproval, Missing: earlier.missing, Reason: fmt.Sprintf(
			"release %s cannot be deployed to %s (phase %d %q): the phase requires approval, none is recorded, and nothing in this run approves it, so %s cannot start. "+
				"To approve it, apply an ocuroot_promotion { release = %q, phase = %q } first, or in the same run with depends_on on this deployment",
			id, env, k+1, phase.Name, env, id, phase.Name)}
	case len(earlier.missing) > 0:
		return GateDecision{Verdict: GateWait, Cause: GateCauseEarlierPhaseRollingOut, Missing: earlier.missing,
			Reason: "waiting for earlier phases: " + earlier.waitReason(id)}
	case approvalDue:
		return GateDecision{Verdict: GateWait, Cause: GateCauseApproval, Reason: fmt.Sprintf(
			"waiting for approval of phase %q of release %s: the ocuroot_promotion { release = %q, phase = %q } of this run approves it",
			phase.Name, id, id, phase.Name)}
	}
	return GateDecision{Verdict: GateOpen}
}

// earlierPhases sorts the environments of the phases before a deployment's
// phase that do not run the release yet.
type earlierPhases struct {
	missing  []string  // every one of them, in phase order
	idle     []string  // nothing is rolling the release out there
	rolling  []string  // a rollout of the release is running there
	promoted []string  // at its promotion gate, promoted in this run
	gated    []gatedAt // at its promotion gate, nothing in this run promotes it
}

// gatedAt is an earlier deployment stopped at its promotion gate.
type gatedAt struct {
	deploymentID string
	environment  string
	phaseIndex   int // 0-based
	phaseName    string
}

func classifyEarlierPhases(rel Release, k int, byEnv map[string]Deployment, planned PlannedDecisions) earlierPhases {
	id := rel.ID()
	var out earlierPhases
	for j, p := range rel.Phases[:k] {
		for _, e := range p.Environments {
			d, ok := byEnv[e]
			if ok && d.LiveRelease == id && d.Status != StatusTornDown {
				continue
			}
			out.missing = append(out.missing, e)
			ours := ok && d.Rollout != nil && d.Rollout.Release == id
			switch {
			case ours && d.Rollout.State == RolloutRunning:
				out.rolling = append(out.rolling, e)
			case ours && d.Rollout.State == RolloutAwaitingPromotion:
				depID := DeploymentID(d.Package, d.Environment)
				if planned != nil && planned.PromotionPlanned(depID, id) {
					out.promoted = append(out.promoted, e)
					continue
				}
				out.gated = append(out.gated, gatedAt{deploymentID: depID, environment: e, phaseIndex: j, phaseName: p.Name})
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
		parts = append(parts, fmt.Sprintf("release %s waits at its promotion gate in %s for the ocuroot_promotion of this run",
			release, strings.Join(quoteAll(p.promoted), ", ")))
	}
	return strings.Join(parts, "; ")
}

// unplannedPromotionReason names each gate and the exact ocuroot_promotion
// that opens it, ready to paste into the configuration.
func unplannedPromotionReason(rel Release, env string, gated []gatedAt) string {
	places := make([]string, len(gated))
	blocks := make([]string, len(gated))
	refs := make([]string, len(gated))
	for i, g := range gated {
		places[i] = fmt.Sprintf("%q (phase %d %q)", g.environment, g.phaseIndex+1, g.phaseName)
		name := PromotionResourceName(rel.Package, g.environment)
		blocks[i] = fmt.Sprintf("resource \"ocuroot_promotion\" %q { deployment = %q, release = %q }", name, g.deploymentID, rel.ID())
		refs[i] = "ocuroot_promotion." + name
	}
	return fmt.Sprintf("release %s is waiting at its promotion gate in %s: nothing in this run promotes it, so %s cannot start. "+
		"Apply %s first, or in the same run with depends_on = [%s] on this deployment",
		rel.ID(), strings.Join(places, " and in "), env, strings.Join(blocks, " and "), strings.Join(refs, ", "))
}

// PromotionResourceName suggests a Terraform resource name for the
// promotion of a package in an environment: "web_canary". Environment
// names may hold dots, which resource names may not.
func PromotionResourceName(pkg, env string) string {
	name := []byte(pkg + "_" + env)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			name[i] = '_'
		}
	}
	if c := name[0]; c >= '0' && c <= '9' || c == '-' {
		return "promote_" + string(name)
	}
	return string(name)
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
