package engine

import (
	"context"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// SeedRequest describes a deployment as Terraform state knows it, for a
// store that has no record of it (a fresh runner).
type SeedRequest struct {
	// Spec is the configuration in state: package, environment, strategy
	// and the hook (whose secret is remembered in process, never saved).
	Spec           domain.DeploymentSpec
	LiveRelease    string
	PendingRelease string
	TrafficPercent int
	Status         domain.Status
}

// SeedDeployment restores a deployment that Terraform state knows but the
// store does not, without sending anything and without writing: the record
// is kept beside the store until an apply writes (see records/restore.go). A
// release that state shows waiting at a promotion gate is restored at that
// gate, so the promotion still works on a fresh runner.
func (e *Engine) SeedDeployment(ctx context.Context, req SeedRequest) (*domain.Deployment, error) {
	resolved, err := domain.Resolve(req.Spec)
	if err != nil {
		return nil, err
	}
	spec := resolved.Spec()
	id := domain.DeploymentID(spec.Package, spec.Environment)
	if spec.Hook != nil {
		e.RememberHook(id, *spec.Hook)
	}
	e.RememberCheckHeaders(id, spec)
	d, err := e.store.GetDeployment(ctx, id)
	if err == nil || !records.IsNotFound(err) {
		return d, err
	}
	// Read again: another run may have stored the record meanwhile. A store
	// that fails now fails the seeding; nothing is kept.
	if d, err = e.loadOrSeed(ctx, id, spec, req.LiveRelease); err != nil {
		return nil, err
	}
	if req.Status == domain.StatusAwaitingPromotion && req.PendingRelease != "" {
		e.seedAtGate(d, resolved, req)
	}
	// Kept beside the store until an apply writes: a refresh never writes.
	if err := e.store.RestoreDeployment(d); err != nil {
		return nil, err
	}
	return e.store.GetDeployment(ctx, id)
}

// seedAtGate rebuilds a rollout stopped at its promotion gate from the
// configuration: the plan is a pure function of it, so the steps after the
// gate (cutover, checks, drain) are the ones the original run would take.
func (e *Engine) seedAtGate(d *domain.Deployment, resolved domain.ResolvedSpec, req SeedRequest) {
	spec := resolved.Spec()
	steps, _ := rollout.PlanRollout(resolved, req.LiveRelease != "")
	gate := -1
	for i, s := range steps {
		if s.Kind == domain.StepGate {
			gate = i
		}
	}
	if gate < 0 {
		return // the configuration has no gate any more: nothing to wait for
	}
	now := e.clock.Now()
	d.RolloutCount++
	d.Rollout = &domain.Rollout{
		ID: domain.NewRolloutID(req.PendingRelease, d.RolloutCount), Release: req.PendingRelease, PreviousRelease: req.LiveRelease,
		Spec: spec.WithoutSecrets(), Steps: steps, StepIndex: gate, StepStartedAt: now, StepAttempt: 1, StartedAt: now,
	}
	d.PendingRelease = req.PendingRelease
	d.TrafficPercent = req.TrafficPercent
	d.MoveRollout(now, domain.RolloutAwaitingPromotion, "restored from Terraform state: "+req.PendingRelease+" waits at its promotion gate")
}
