package engine

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// PromoteRequest asks to move traffic to a release waiting at a gate.
type PromoteRequest struct {
	Deployment string // PACKAGE/ENVIRONMENT
	Release    string
	Note       string
	By         string
	// Hook is used when this process never saw the deployment's hook
	// configuration (its URL is otherwise taken from the store).
	Hook *domain.HookConfig
}

// PromotionRefusedError says why a release cannot be promoted now.
type PromotionRefusedError struct{ Reason string }

func (p *PromotionRefusedError) Error() string { return p.Reason }

// PromotionReadiness is what a promotion of a release can do now.
type PromotionReadiness int

const (
	// PromotionRefused: the release is not pending promotion; waiting will
	// not change that.
	PromotionRefused PromotionReadiness = iota
	// PromotionReady: the release waits at its gate, or a promotion of it
	// stopped part-way and can continue.
	PromotionReady
	// PromotionNotYet: the release is still rolling out towards its gate.
	PromotionNotYet
)

func (p PromotionReadiness) String() string {
	switch p {
	case PromotionReady:
		return "ready"
	case PromotionNotYet:
		return "not yet"
	}
	return "refused"
}

// PromotionCheck is the pure rule of Promote: whether d is waiting for
// release at a gate (ready), still on its way there (not yet), or neither
// (refused, with the reason). A rollout that was promoted but whose run
// stopped before it finished (a killed process, an interrupt) is ready too:
// promoting again continues it.
func PromotionCheck(d *domain.Deployment, release string) (PromotionReadiness, string) {
	r := d.Rollout
	switch {
	case r != nil && r.Release == release && r.State == domain.RolloutAwaitingPromotion:
		return PromotionReady, ""
	case r != nil && r.Release == release && promotionInFlight(r):
		return PromotionReady, ""
	case r != nil && r.Release == release && r.State == domain.RolloutRunning && hasGateAhead(r):
		return PromotionNotYet, fmt.Sprintf("%s is still rolling out to %s (currently at %s)", release, d.ID(), domain.StepTitle(r.Steps, r.StepIndex))
	}
	return PromotionRefused, fmt.Sprintf("release %s is not pending promotion in %s (live: %s, pending: %s, status: %s). "+
		"A promotion only applies to the release waiting at awaiting_promotion; each new release needs its own promotion",
		release, d.ID(), domain.OrNone(d.LiveRelease), domain.OrNone(d.PendingRelease), d.Status)
}

// promotionInFlight reports whether r was promoted and still has work left:
// its cutover, checks, drain or rollback.
func promotionInFlight(r *domain.Rollout) bool {
	return r.Promotion != nil && r.Promotion.Release == r.Release &&
		(r.State == domain.RolloutRunning || r.State == domain.RolloutRollingBack)
}

func hasGateAhead(r *domain.Rollout) bool {
	for _, s := range r.Steps[r.StepIndex:] {
		if s.Kind == domain.StepGate {
			return true
		}
	}
	return false
}

// CanPromote reports, without waiting, whether a promotion of release would
// be refused; used at plan time when the store can tell.
func (e *Engine) CanPromote(ctx context.Context, deploymentID, release string) error {
	d, err := e.store.GetDeployment(ctx, deploymentID)
	if err != nil {
		return err
	}
	if readiness, reason := PromotionCheck(d, release); readiness == PromotionRefused {
		return &PromotionRefusedError{Reason: reason}
	}
	return nil
}

// Promote waits (within ctx) until the deployment reaches
// awaiting_promotion for the release, records the promotion, and runs the
// rest of the rollout: the blue-green cutover, post-promotion check,
// scale-down delay and drain, or the canary's final promotion.
func (e *Engine) Promote(ctx context.Context, req PromoteRequest) (_ *domain.Deployment, err error) {
	logged := ""
	for {
		d, err := e.store.GetDeployment(ctx, req.Deployment)
		if records.IsNotFound(err) {
			return nil, &PromotionRefusedError{Reason: fmt.Sprintf("deployment %s does not exist in the store; nothing to promote", req.Deployment)}
		} else if err != nil {
			return nil, fmt.Errorf("reading deployment %s: %w", req.Deployment, err)
		}
		readiness, reason := PromotionCheck(d, req.Release)
		if readiness == PromotionReady {
			break
		}
		if readiness == PromotionRefused {
			return d, &PromotionRefusedError{Reason: reason}
		}
		if reason != logged {
			e.log.Info(ctx, "ocuroot: promotion waiting: "+reason, map[string]any{"deployment": req.Deployment, "release": req.Release})
			logged = reason
		}
		if err := domain.Sleep(ctx, e.clock, e.pollInterval); err != nil {
			return d, &gate.WaitEndedError{Waiting: fmt.Sprintf("waiting for %s to reach awaiting_promotion for %s (%s)", req.Deployment, req.Release, reason), Err: err}
		}
	}

	lease, err := e.acquireLease(ctx, req.Deployment, "promote "+req.Release)
	if err != nil {
		return nil, err
	}
	defer lease.ReleaseInto(ctx, &err)
	d, err := e.store.GetDeployment(ctx, req.Deployment)
	if err != nil {
		return nil, fmt.Errorf("reading deployment %s: %w", req.Deployment, err)
	}
	if readiness, reason := PromotionCheck(d, req.Release); readiness != PromotionReady {
		return d, &PromotionRefusedError{Reason: reason}
	}
	rc, err := e.resumeContext(ctx, d, req.Hook, lease)
	if err != nil {
		return d, err
	}
	r := d.Rollout
	now := e.clock.Now()
	if r.State == domain.RolloutAwaitingPromotion {
		r.Promotion = &domain.Promotion{Release: req.Release, Note: req.Note, By: req.By, PromotedAt: now}
		d.MoveRollout(now, domain.RolloutRunning, fmt.Sprintf("promoted by %s%s", req.By, rollout.NoteSuffix(req.Note)))
	} else {
		// An earlier promotion's run stopped part-way: continue it at the
		// saved step, keeping the original promotion record.
		r.StepAttempt++
		d.AddTransition(domain.Transition{Time: now, From: string(r.State), To: string(r.State), Release: r.Release,
			Reason: fmt.Sprintf("promotion by %s resumed at %s (attempt %d)", r.Promotion.By, rc.StepTitle(r.StepIndex), r.StepAttempt)})
	}
	if err := rc.Persist(ctx); err != nil {
		return d, err
	}
	return rc.Run(ctx)
}

// resumeContext rebuilds a rollout context from the store for a process
// that did not start the rollout. The stored spec names the credentials the
// deployment uses and notes which secrets and headers it set itself; the
// named ones come from the provider configuration, its own ones from this
// process's memory (the run that applied the configuration), and when one
// is missing the context is refused before anything is sent. hook, when
// set, supplies a hook for a record that stored none.
func (e *Engine) resumeContext(ctx context.Context, d *domain.Deployment, hook *domain.HookConfig, lease *lease.Held) (*rollout.Pass, error) {
	r := d.Rollout
	spec := r.Spec
	if spec.Hook == nil && hook != nil {
		spec.Hook = hook
	}
	resolved, err := domain.Resolve(spec)
	if err != nil {
		return nil, fmt.Errorf("the stored configuration of %s: %w", d.ID(), err)
	}
	spec = resolved.Spec()
	creds, err := e.rollouts.BindCredentials(d.ID(), spec, r.Steps)
	if err != nil {
		return nil, err
	}
	env, err := e.store.GetEnvironment(ctx, d.Environment)
	if err != nil && !records.IsNotFound(err) {
		return nil, fmt.Errorf("reading environment %q: %w", d.Environment, err)
	}
	return e.rollouts.NewPass(d, spec, creds, env, lease), nil
}
