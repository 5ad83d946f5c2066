package engine

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// DeployRequest asks the engine to make Spec.Release live in a deployment.
type DeployRequest struct {
	Spec domain.DeploymentSpec
	// KnownLiveRelease is what Terraform state says is live. It seeds the
	// record when the store has none (a fresh runner with an empty
	// embedded store), so an update still canaries against it.
	KnownLiveRelease string
	// Planned is what the run will promote or approve; nil: nothing.
	Planned gate.PlannedDecisions
	// UnrecordedRollback is a rollback an earlier run sent while the store
	// could not record it (UnrecordedError.Rollback). Deploy records it
	// first, sending the same event again under the same idempotency key,
	// then goes on as usual.
	UnrecordedRollback *domain.UnrecordedRollback
}

// Deploy moves a deployment to the requested release through its strategy
// and blocks until the rollout succeeds, stops at a promotion gate, fails
// or is interrupted. Re-running it after an interruption resumes from the
// last persisted step.
//
// Order of decisions: validate → release and environment exist → phase gate
// → lease → load or seed the record → resume, supersede, no-op or start a
// rollout → run the state machine.
func (e *Engine) Deploy(ctx context.Context, req DeployRequest) (_ *domain.Deployment, err error) {
	resolved, err := domain.Resolve(req.Spec)
	if err != nil {
		return nil, err
	}
	spec := resolved.Spec()
	id := domain.DeploymentID(spec.Package, spec.Environment)
	rel, err := e.store.GetRelease(ctx, spec.Release)
	if records.IsNotFound(err) {
		return nil, &NotRegisteredError{Kind: KindRelease, Name: spec.Release}
	} else if err != nil {
		return nil, fmt.Errorf("reading release %s: %w", spec.Release, err)
	}
	if rel.Package != spec.Package {
		return nil, fmt.Errorf("release %s belongs to package %q, not %q", rel.ID(), rel.Package, spec.Package)
	}
	env, err := e.store.GetEnvironment(ctx, spec.Environment)
	if records.IsNotFound(err) {
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
	defer lease.ReleaseInto(ctx, &err)
	// Re-read under the lease: another run may have moved it meanwhile.
	if d, err = e.loadOrSeed(ctx, id, spec, req.KnownLiveRelease); err != nil {
		return nil, err
	}
	steps := []domain.Step(nil)
	if d.Rollout != nil {
		steps = d.Rollout.Steps
	}
	creds, err := e.rollouts.BindCredentials(id, spec, steps)
	if err != nil {
		return d, err
	}
	rc := e.rollouts.NewPass(d, spec, creds, env, lease)
	if req.UnrecordedRollback != nil {
		if err := rc.RecordUnrecordedRollback(ctx, *req.UnrecordedRollback); err != nil {
			return nil, err
		}
		rc = e.rollouts.NewPass(d, spec, creds, env, lease)
	}
	if started, err := rc.Prepare(ctx, resolved); err != nil || !started {
		return d, err
	}
	return rc.Run(ctx)
}

// loadOrSeed reads the deployment, or builds a new record. A record left by
// a teardown starts over empty.
func (e *Engine) loadOrSeed(ctx context.Context, id string, spec domain.DeploymentSpec, knownLive string) (*domain.Deployment, error) {
	d, err := e.store.GetDeployment(ctx, id)
	if err != nil && !records.IsNotFound(err) {
		return nil, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	now := e.clock.Now()
	if d == nil {
		d = &domain.Deployment{Package: spec.Package, Environment: spec.Environment, Status: domain.StatusPending, CreatedAt: now, UpdatedAt: now}
		if knownLive != "" {
			d.LiveRelease = knownLive
			d.TrafficPercent = 100
			d.Record(now, domain.StatusSucceeded, knownLive, "restored from Terraform state: the store had no record of this deployment")
		}
	}
	if d.Status == domain.StatusTornDown {
		d.LiveRelease, d.PendingRelease, d.TrafficPercent, d.Rollout = "", "", 0, nil
	}
	return d, nil
}

// GetDeployment returns a deployment record or ErrNotFound.
func (e *Engine) GetDeployment(ctx context.Context, id string) (*domain.Deployment, error) {
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
