package rollout

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Prepare decides what this Deploy call does and persists the
// decision: resume the rollout in flight, supersede one for another
// release, do nothing, or start a new one. It reports whether the state
// machine should run.
func (rc *Pass) Prepare(ctx context.Context, resolved domain.ResolvedSpec) (bool, error) {
	d, spec := rc.d, rc.spec
	now := rc.m.Clock.Now()
	withdrew := false
	if r := d.Rollout; r != nil && r.State.Active() {
		if r.Release == spec.Release {
			if r.State == domain.RolloutAwaitingPromotion {
				return false, nil // the gate is open; a promotion continues it
			}
			r.StepAttempt++
			// The hook secret and other live settings come from the new
			// request; the plan itself is kept so no step is repeated.
			d.AddTransition(domain.Transition{Time: now, From: string(r.State), To: string(r.State), Release: r.Release,
				Reason: fmt.Sprintf("resumed at %s (attempt %d)", rc.StepTitle(r.StepIndex), r.StepAttempt)})
			rc.m.Log.Info(ctx, "ocuroot: resuming rollout", map[string]any{"deployment": d.ID(), "release": r.Release,
				"step": rc.StepTitle(r.StepIndex), "step_index": rc.stepIndex(r.StepIndex)})
			return true, rc.Persist(ctx)
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
	retryingFailed := d.Rollout != nil && d.Rollout.Release == spec.Release && d.Rollout.State == domain.RolloutFailed
	if retryingFailed {
		previous = d.Rollout.PreviousRelease
	}
	if d.LiveRelease == spec.Release && !retryingFailed {
		if d.Status != domain.StatusSucceeded || withdrew {
			if d.Status != domain.StatusSucceeded {
				d.Record(now, domain.StatusSucceeded, spec.Release, spec.Release+" is already live")
			}
			d.PendingRelease, d.TrafficPercent = "", 100
			return false, rc.Persist(ctx)
		}
		return false, nil
	}
	steps, reason := PlanRollout(resolved, previous != "")
	d.RolloutCount++
	d.TrafficPercent = 0 // the share of the new release, which has none yet
	d.Rollout = &domain.Rollout{
		ID: domain.NewRolloutID(spec.Release, d.RolloutCount), Release: spec.Release, PreviousRelease: previous,
		Spec: spec.WithoutSecrets(), Steps: steps, StepIndex: 0, StepStartedAt: now, StepAttempt: 1, StartedAt: now,
	}
	d.MoveRollout(now, domain.RolloutRunning, fmt.Sprintf("%s: %s", reason, domain.DescribeRollout(steps)))
	rc.m.Log.Info(ctx, "ocuroot: starting rollout", map[string]any{"deployment": d.ID(), "release": spec.Release, "previous": domain.OrNone(d.Rollout.PreviousRelease), "plan": domain.DescribeRollout(steps)})
	return true, rc.Persist(ctx)
}
