package engine

import (
	"context"
	"fmt"
)

// DeployRequest asks the engine to make Spec.Release live in a deployment.
type DeployRequest struct {
	Spec DeploymentSpec
	// KnownLiveRelease is what Terraform state says is live. It seeds the
	// record when the store has none (a fresh runner with an empty
	// embedded store), so an update still canaries against it.
	KnownLiveRelease string
	// Planned is what the run will promote or approve; nil: nothing.
	Planned PlannedDecisions
	// UnrecordedRollback is a rollback an earlier run sent while the store
	// could not record it (UnrecordedError.Rollback). Deploy records it
	// first, sending the same event again under the same idempotency key,
	// then goes on as usual.
	UnrecordedRollback *UnrecordedRollback
}

// Deploy moves a deployment to the requested release through its strategy
// and blocks until the rollout succeeds, stops at a promotion gate, fails
// or is interrupted. Re-running it after an interruption resumes from the
// last persisted step.
//
// Order of decisions: validate → release and environment exist → phase gate
// → lease → load or seed the record → resume, supersede, no-op or start a
// rollout → run the state machine.
func (e *Engine) Deploy(ctx context.Context, req DeployRequest) (_ *Deployment, err error) {
	resolved, err := Resolve(req.Spec)
	if err != nil {
		return nil, err
	}
	spec := resolved.Spec()
	id := DeploymentID(spec.Package, spec.Environment)
	rel, err := e.store.GetRelease(ctx, spec.Release)
	if IsNotFound(err) {
		return nil, &NotRegisteredError{Kind: KindRelease, Name: spec.Release}
	} else if err != nil {
		return nil, fmt.Errorf("reading release %s: %w", spec.Release, err)
	}
	if rel.Package != spec.Package {
		return nil, fmt.Errorf("release %s belongs to package %q, not %q", rel.ID(), rel.Package, spec.Package)
	}
	env, err := e.store.GetEnvironment(ctx, spec.Environment)
	if IsNotFound(err) {
		return nil, &NotRegisteredError{Kind: KindEnvironment, Name: spec.Environment}
	} else if err != nil {
		return nil, fmt.Errorf("reading environment %q: %w", spec.Environment, err)
	}
	if spec.Hook != nil {
		e.RememberHook(id, *spec.Hook)
	}
	e.RememberCheckHeaders(id, spec)

	d, err := e.loadOrSeed(ctx, id, spec, req.KnownLiveRelease)
	if err != nil {
		return nil, err
	}
	// A release that is already live, or a rollout of it that is resuming,
	// passed its phase gate before; only a new rollout is gated.
	resuming := d.Rollout != nil && d.Rollout.Release == spec.Release && d.Rollout.State.Active()
	if !resuming && d.LiveRelease != spec.Release {
		if err := e.awaitPhaseGate(ctx, rel, spec.Environment, req.Planned); err != nil {
			return nil, err
		}
	}

	lease, err := e.acquireLease(ctx, id, "deploy "+spec.Release)
	if err != nil {
		return nil, err
	}
	defer lease.releaseInto(ctx, &err)
	// Re-read under the lease: another run may have moved it meanwhile.
	if d, err = e.loadOrSeed(ctx, id, spec, req.KnownLiveRelease); err != nil {
		return nil, err
	}
	steps := []Step(nil)
	if d.Rollout != nil {
		steps = d.Rollout.Steps
	}
	creds, err := e.rollouts.bindCredentials(id, spec, steps)
	if err != nil {
		return d, err
	}
	rc := &rolloutContext{m: e.rollouts, d: d, spec: spec, creds: creds, env: env, lease: lease}
	if req.UnrecordedRollback != nil {
		if err := rc.recordUnrecordedRollback(ctx, *req.UnrecordedRollback); err != nil {
			return nil, err
		}
		rc = &rolloutContext{m: e.rollouts, d: d, spec: spec, creds: creds, env: env, lease: lease}
	}
	if started, err := e.prepareRollout(ctx, rc, resolved); err != nil || !started {
		return d, err
	}
	return rc.run(ctx)
}

// loadOrSeed reads the deployment, or builds a new record. A record left by
// a teardown starts over empty.
func (e *Engine) loadOrSeed(ctx context.Context, id string, spec DeploymentSpec, knownLive string) (*Deployment, error) {
	d, err := e.store.GetDeployment(ctx, id)
	if err != nil && !IsNotFound(err) {
		return nil, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	now := e.clock.Now()
	if d == nil {
		d = &Deployment{Package: spec.Package, Environment: spec.Environment, Status: StatusPending, CreatedAt: now, UpdatedAt: now}
		if knownLive != "" {
			d.LiveRelease = knownLive
			d.TrafficPercent = 100
			d.record(now, StatusSucceeded, knownLive, "restored from Terraform state: the store had no record of this deployment")
		}
	}
	if d.Status == StatusTornDown {
		d.LiveRelease, d.PendingRelease, d.TrafficPercent, d.Rollout = "", "", 0, nil
	}
	return d, nil
}

// prepareRollout decides what this Deploy call does and persists the
// decision: resume the rollout in flight, supersede one for another
// release, do nothing, or start a new one. It reports whether the state
// machine should run.
func (e *Engine) prepareRollout(ctx context.Context, rc *rolloutContext, resolved ResolvedSpec) (bool, error) {
	d, spec := rc.d, rc.spec
	now := e.clock.Now()
	withdrew := false
	if r := d.Rollout; r != nil && r.State.Active() {
		if r.Release == spec.Release {
			if r.State == RolloutAwaitingPromotion {
				return false, nil // the gate is open; a promotion continues it
			}
			r.StepAttempt++
			// The hook secret and other live settings come from the new
			// request; the plan itself is kept so no step is repeated.
			d.addTransition(Transition{Time: now, From: string(r.State), To: string(r.State), Release: r.Release,
				Reason: fmt.Sprintf("resumed at %s (attempt %d)", rc.stepTitle(r.StepIndex), r.StepAttempt)})
			e.log.Info(ctx, "ocuroot: resuming rollout", map[string]any{"deployment": d.ID(), "release": r.Release,
				"step": rc.stepTitle(r.StepIndex), "step_index": rc.stepIndex(r.StepIndex)})
			return true, rc.persist(ctx)
		}
		// Another release replaces one that never finished (a newer one, or
		// the live one again after an interrupt): withdraw it first so its
		// canary or green slot does not linger.
		if err := rc.withdrawUnfinished(ctx, spec.Release); err != nil {
			return false, err
		}
		withdrew = true
	}
	// A rollout of this release that failed with traffic left on it (on_timeout
	// = "fail") is retried in full against the release it replaced, rather
	// than declared live because its hook once went through.
	previous := d.LiveRelease
	retryingFailed := d.Rollout != nil && d.Rollout.Release == spec.Release && d.Rollout.State == RolloutFailed
	if retryingFailed {
		previous = d.Rollout.PreviousRelease
	}
	if d.LiveRelease == spec.Release && !retryingFailed {
		if d.Status != StatusSucceeded || withdrew {
			if d.Status != StatusSucceeded {
				d.record(now, StatusSucceeded, spec.Release, spec.Release+" is already live")
			}
			d.PendingRelease, d.TrafficPercent = "", 100
			return false, rc.persist(ctx)
		}
		return false, nil
	}
	steps, reason := PlanRollout(resolved, previous != "")
	d.RolloutCount++
	d.TrafficPercent = 0 // the share of the new release, which has none yet
	d.Rollout = &Rollout{
		ID: newRolloutID(spec.Release, d.RolloutCount), Release: spec.Release, PreviousRelease: previous,
		Spec: spec.withoutSecrets(), Steps: steps, StepIndex: 0, StepStartedAt: now, StepAttempt: 1, StartedAt: now,
	}
	d.moveRollout(now, RolloutRunning, fmt.Sprintf("%s: %s", reason, DescribeRollout(steps)))
	e.log.Info(ctx, "ocuroot: starting rollout", map[string]any{"deployment": d.ID(), "release": spec.Release, "previous": OrNone(d.Rollout.PreviousRelease), "plan": DescribeRollout(steps)})
	return true, rc.persist(ctx)
}

// GetDeployment returns a deployment record or ErrNotFound.
func (e *Engine) GetDeployment(ctx context.Context, id string) (*Deployment, error) {
	return e.store.GetDeployment(ctx, id)
}

// Kinds of registered things a deployment names.
const (
	KindRelease     = "release"
	KindEnvironment = "environment"
)

// NotRegisteredError refuses a deployment naming a release or environment
// the store does not hold. Kind is KindRelease or KindEnvironment; Name is
// the release id or the environment name.
type NotRegisteredError struct {
	Kind string
	Name string
}

func (n *NotRegisteredError) Error() string {
	if n.Kind == KindEnvironment {
		return fmt.Sprintf("environment %q is not registered", n.Name)
	}
	return fmt.Sprintf("%s %s is not registered", n.Kind, n.Name)
}
