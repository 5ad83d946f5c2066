package engine

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Teardown sends the teardown event (the Ocuroot "down") and marks the
// deployment torn down. The record is kept for its history.
func (e *Engine) Teardown(ctx context.Context, pkg, env string, hook *domain.HookConfig) (err error) {
	id := domain.DeploymentID(pkg, env)
	// The hook goes through the same defaults and validation as a deploy's.
	resolved, err := domain.Resolve(domain.DeploymentSpec{Package: pkg, Environment: env, Hook: hook})
	if err != nil {
		return fmt.Errorf("tearing down %s: %w", id, err)
	}
	spec := resolved.Spec()
	lease, err := e.acquireLease(ctx, id, "teardown")
	if err != nil {
		return err
	}
	defer lease.ReleaseInto(ctx, &err)
	d, err := e.store.GetDeployment(ctx, id)
	if records.IsNotFound(err) {
		d = &domain.Deployment{Package: pkg, Environment: env, CreatedAt: e.clock.Now()}
	} else if err != nil {
		return fmt.Errorf("reading deployment %s: %w", id, err)
	}
	environment, err := e.store.GetEnvironment(ctx, env)
	if err != nil && !records.IsNotFound(err) {
		return fmt.Errorf("reading environment %q: %w", env, err)
	}
	release := d.LiveRelease
	if release == "" && d.Rollout != nil {
		release = d.Rollout.Release
	}
	// The teardown event is sent through a short-lived rollout so it carries
	// the same identity fields (rollout id, attempt, idempotency key) as any
	// other event; the deployment's own last rollout is put back after. Its
	// id has a random part like any rollout's, so a teardown after a lost
	// store never repeats the key of an earlier one.
	rollout := &domain.Rollout{ID: domain.NewRolloutID("teardown", d.RolloutCount), Release: release, StepAttempt: 1}
	saved := d.Rollout
	d.Rollout = rollout
	// State may lack the deployment's own hook secret (secret_wo is never
	// stored there); the stored record says whether there was one, so the
	// teardown refuses rather than signing with another secret.
	if spec.Hook != nil && saved != nil && saved.Spec.Hook != nil && saved.Spec.Hook.URL == spec.Hook.URL {
		hook := *spec.Hook
		hook.Own = saved.Spec.Hook.Own
		spec.Hook = &hook
	}
	creds, err := e.rollouts.BindCredentials(id, domain.DeploymentSpec{Hook: spec.Hook}, nil)
	if err != nil {
		d.Rollout = saved
		return err
	}
	rc := e.rollouts.NewPass(d, spec, creds, environment, lease)
	if _, err := rc.SendEvent(ctx, domain.EventTeardown, 0, "", rc.IdempotencyKey("teardown", domain.EventTeardown)); err != nil {
		return fmt.Errorf("tearing down %s: %w", id, err)
	}
	d.Rollout = saved
	if d.Rollout != nil && d.Rollout.State.Active() {
		d.Rollout.State = domain.RolloutSuperseded
	}
	d.LiveRelease, d.PendingRelease, d.TrafficPercent = "", "", 0
	d.Record(e.clock.Now(), domain.StatusTornDown, release, "teardown event accepted; deployment destroyed")
	return rc.Persist(ctx)
}
