package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// PlannedDecisionGrace is how long a deployment held at a human gate keeps
// looking for a promotion or approval planned in the same run before it
// refuses. Terraform starts sibling resources in any order and plans each
// one right before applying it, so a promotion that becomes ready together
// with this deployment may be noted a moment after this deployment starts.
const PlannedDecisionGrace = 2 * time.Second

// Watch reads the store to decide a release's phase gate, and waits
// for it to open.
type Watch struct {
	Store *records.Store
	Clock domain.Clock
	Log   domain.Logger
	// Poll is how often a closed gate is looked at again.
	Poll time.Duration
}

// Await waits until the gate opens, the gate refuses, or ctx ends.
// A refusal at a human gate is only final once it has held for
// PlannedDecisionGrace on the engine clock.
func (g *Watch) Await(ctx context.Context, rel domain.Release, env string, planned PlannedDecisions) error {
	logged := ""
	var refusingSince time.Time // when a refusal that a late plan could lift was first seen
	for {
		decision, err := g.decide(ctx, rel, env, planned)
		if err != nil {
			if ctx.Err() != nil {
				checking := GateDecision{Verdict: GateWait, Release: rel.ID(), Package: rel.Package, Environment: env,
					Reason: fmt.Sprintf("checking the earlier phases of release %s", rel.ID())}
				return &GateError{GateDecision: checking, Waited: true, Err: ctx.Err()}
			}
			return err
		}
		wait := g.Poll
		switch decision.Verdict {
		case GateOpen:
			return nil
		case GateRefuse:
			if !decision.Cause.humanGate() {
				return &GateError{GateDecision: decision}
			}
			now := g.Clock.Now()
			if refusingSince.IsZero() {
				refusingSince = now
			}
			remaining := PlannedDecisionGrace - now.Sub(refusingSince)
			if remaining <= 0 {
				return &GateError{GateDecision: decision}
			}
			wait = min(wait, remaining)
		case GateWait:
			refusingSince = time.Time{}
			if decision.Reason != logged {
				g.Log.Info(ctx, "ocuroot: "+decision.Reason, map[string]any{"release": rel.ID(), "environment": env})
				logged = decision.Reason
			}
		}
		if err := domain.Sleep(ctx, g.Clock, wait); err != nil {
			if decision.Verdict == GateRefuse {
				// Interrupted during the grace: the refusal stands.
				return &GateError{GateDecision: decision}
			}
			return &GateError{GateDecision: decision, Waited: true, Err: err}
		}
	}
}

// decide reads what the gate of rel's phase for env depends on (the earlier
// phases' deployments, the approvals) and decides it.
func (g *Watch) decide(ctx context.Context, rel domain.Release, env string, planned PlannedDecisions) (GateDecision, error) {
	k := rel.PhaseOf(env)
	byEnv := map[string]domain.Deployment{}
	// Only earlier phases matter: the first phase (and an environment in no
	// phase) is decided without reading the package's deployments.
	if k > 0 {
		deployments, err := g.Store.ListPackageDeployments(ctx, rel.Package)
		if err != nil {
			return GateDecision{}, fmt.Errorf("listing deployments for phase gating: %w", err)
		}
		for _, d := range deployments {
			byEnv[d.Environment] = d
		}
	}
	approved := false
	if k >= 0 && rel.Phases[k].RequiresApproval {
		_, err := g.Store.GetApproval(ctx, rel.ID(), rel.Phases[k].Name)
		switch {
		case err == nil:
			approved = true
		case !records.IsNotFound(err):
			return GateDecision{}, fmt.Errorf("reading approval: %w", err)
		}
	}
	return DecidePhaseGate(rel, env, byEnv, approved, planned), nil
}

// GateError is returned when phase gating refuses or a wait for it ends.
// The decision it carries holds the facts (release, environment, phase, the
// deployments in the way) for callers that explain it in their own words.
type GateError struct {
	GateDecision
	Waited bool  // the context ended while waiting
	Err    error // the context's error when Waited
}

// Error says in words why the gate refused or why a wait ended: users read
// "the operation's timeout was reached", never Go's "context deadline
// exceeded".
func (g *GateError) Error() string {
	if g.Waited {
		return (&WaitEndedError{Waiting: g.Reason, Err: g.Err}).Error()
	}
	return g.Explanation()
}

func (g *GateError) Unwrap() error { return g.Err }

// WaitEndedError is a wait given up because its operation's context ended.
// It wraps the context's error for errors.Is but never prints it.
type WaitEndedError struct {
	Waiting string // what was waited for, "waiting for …"
	Err     error  // the context's error
}

func (w *WaitEndedError) Error() string {
	return fmt.Sprintf("gave up %s (%s)", w.Waiting, WhyContextEnded(w.Err))
}

func (w *WaitEndedError) Unwrap() error { return w.Err }

// WhyContextEnded puts the end of an operation's context into words.
func WhyContextEnded(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the operation's timeout was reached"
	case errors.Is(err, context.Canceled):
		return "the operation was cancelled"
	case err == nil:
		return "the operation ended"
	}
	return err.Error()
}
