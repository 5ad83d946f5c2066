package engine

import (
	"context"
	"fmt"
	"strings"
)

// GateVerdict is what phase gating decided for one deployment.
type GateVerdict int

const (
	GateOpen GateVerdict = iota
	// GateWait: earlier phases are still rolling out, or an approval is due.
	GateWait
	// GateRefuse: the deployment can never start as things stand.
	GateRefuse
)

// GateDecision explains a verdict in words fit for logs and diagnostics.
type GateDecision struct {
	Verdict GateVerdict
	Reason  string
	// Missing lists the environments of earlier phases that lack the release.
	Missing []string
}

// DecidePhaseGate is the pure rule of phase gating. A deployment of release
// rel into env (in phase k) opens when every environment of phases before k
// has rel live and, if phase k requires approval, the phase is approved.
// While the missing environments are being rolled out it waits; when
// nothing is rolling them out it refuses at once, naming them.
//
// Concrete example: phases staging → prod_canary(prod0) → prod(prod1, prod2).
// Deploying to prod1 while prod0 still bakes the release waits; deploying
// to prod1 when prod0 runs the old release and no rollout is active refuses,
// naming prod0 and suggesting depends_on.
func DecidePhaseGate(rel Release, env string, byEnv map[string]Deployment, approved bool) GateDecision {
	k := rel.PhaseOf(env)
	if k < 0 {
		names := make([]string, 0, len(rel.Phases))
		for _, p := range rel.Phases {
			names = append(names, fmt.Sprintf("%s %v", p.Name, p.Environments))
		}
		return GateDecision{Verdict: GateRefuse, Reason: fmt.Sprintf(
			"environment %q is in no phase of release %s (phases: %s); add it to a phase of the release or deploy another release there",
			env, rel.ID(), strings.Join(names, ", "))}
	}
	id := rel.ID()
	var missing, idle []string
	for _, p := range rel.Phases[:k] {
		for _, e := range p.Environments {
			d, ok := byEnv[e]
			if ok && d.LiveRelease == id && d.Status != StatusTornDown {
				continue
			}
			missing = append(missing, e)
			rollingOut := ok && d.Rollout != nil && d.Rollout.Release == id &&
				(d.Rollout.State == RolloutRunning || d.Rollout.State == RolloutAwaitingPromotion)
			if !rollingOut {
				idle = append(idle, e)
			}
		}
	}
	phase := rel.Phases[k]
	switch {
	case len(idle) > 0:
		return GateDecision{Verdict: GateRefuse, Missing: missing, Reason: fmt.Sprintf(
			"release %s cannot be deployed to %q (phase %d %q) yet: it is not live in %s of earlier phases, and nothing is rolling it out there. "+
				"Phases run in order: make this deployment depend on the deployments of the earlier phase (depends_on = [ocuroot_deployment.<earlier phase>]) "+
				"or declare one ocuroot_deployment resource block per phase, each depending on the one before",
			id, env, k+1, phase.Name, strings.Join(quoteAll(idle), ", "))}
	case len(missing) > 0:
		return GateDecision{Verdict: GateWait, Missing: missing, Reason: fmt.Sprintf(
			"waiting for earlier phases: release %s is still rolling out to %s", id, strings.Join(quoteAll(missing), ", "))}
	case phase.RequiresApproval && !approved:
		return GateDecision{Verdict: GateWait, Reason: fmt.Sprintf(
			"waiting for approval of phase %q of release %s: apply an ocuroot_promotion { release = %q, phase = %q }",
			phase.Name, id, id, phase.Name)}
	}
	return GateDecision{Verdict: GateOpen}
}

func quoteAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// awaitPhaseGate waits until the gate opens, the gate refuses, or ctx ends.
func (e *Engine) awaitPhaseGate(ctx context.Context, rel Release, env string) error {
	logged := ""
	for {
		decision, err := e.phaseGate(ctx, rel, env)
		if err != nil {
			return err
		}
		switch decision.Verdict {
		case GateOpen:
			return nil
		case GateRefuse:
			return &GateError{Reason: decision.Reason}
		}
		if decision.Reason != logged {
			e.log.Info(ctx, "ocuroot: "+decision.Reason, map[string]any{"release": rel.ID(), "environment": env})
			logged = decision.Reason
		}
		if err := sleep(ctx, e.clock, e.pollInterval); err != nil {
			return &GateError{Reason: decision.Reason, Waited: true, Err: err}
		}
	}
}

func (e *Engine) phaseGate(ctx context.Context, rel Release, env string) (GateDecision, error) {
	k := rel.PhaseOf(env)
	byEnv := map[string]Deployment{}
	// Only earlier phases matter: the first phase (and an environment in no
	// phase) is decided without reading every deployment of the store.
	if k > 0 {
		all, err := e.store.ListDeployments(ctx)
		if err != nil {
			return GateDecision{}, fmt.Errorf("listing deployments for phase gating: %w", err)
		}
		for _, d := range all {
			if d.Package == rel.Package {
				byEnv[d.Environment] = d
			}
		}
	}
	approved := false
	if k >= 0 && rel.Phases[k].RequiresApproval {
		_, err := e.store.GetApproval(ctx, rel.ID(), rel.Phases[k].Name)
		switch {
		case err == nil:
			approved = true
		case !IsNotFound(err):
			return GateDecision{}, fmt.Errorf("reading approval: %w", err)
		}
	}
	return DecidePhaseGate(rel, env, byEnv, approved), nil
}

// GateError is returned when phase gating refuses or a wait for it ends.
type GateError struct {
	Reason string
	Waited bool  // the context ended while waiting
	Err    error // the context's error when Waited
}

func (g *GateError) Error() string {
	if g.Waited {
		return fmt.Sprintf("gave up %s (%v)", g.Reason, g.Err)
	}
	return g.Reason
}

func (g *GateError) Unwrap() error { return g.Err }
