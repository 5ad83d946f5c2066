package rollout

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// withdrawUnfinished rolls back the deployment's unfinished rollout before
// another release is applied: a newer release, or the live release again
// after the config was reverted following an interrupt. Without this, a
// canary killed mid-bake would keep its traffic share forever while
// Terraform reports no changes.
//
// A rollout already rolling back finishes that rollback (same slot, same
// idempotency key) instead of sending a second, different one. The result
// is persisted at once, so a crash right after does not send it again.
func (rc *Pass) withdrawUnfinished(ctx context.Context, next string) error {
	d, r := rc.d, rc.r()
	stoppedAt := rc.StepTitle(r.StepIndex)
	wasRollingBack := r.State == domain.RolloutRollingBack
	reverting := r.PreviousRelease != "" && next == r.PreviousRelease
	slot, key := RollbackSlot(r.Spec.Strategy, r.CurrentStep()), rc.IdempotencyKey("superseded", domain.EventRollback)
	if wasRollingBack {
		slot, key = r.RollbackSlot, rc.IdempotencyKey("rollback", domain.EventRollback)
	} else if reverting {
		r.FailureReason = fmt.Sprintf("the configuration asks for %s again", next)
	} else {
		r.FailureReason = fmt.Sprintf("superseded by %s", next)
	}
	if _, err := rc.SendEvent(ctx, domain.EventRollback, 0, slot, key); err != nil {
		return fmt.Errorf("rolling back the unfinished rollout of %s (stopped at %s) before applying %s: %w", r.Release, stoppedAt, next, err)
	}
	now := rc.m.Clock.Now()
	r.RollbackSlot = slot
	r.FinishedAt = now
	// The rollback restored the previous release, also when the withdrawn
	// one had already taken traffic (after a cutover or a direct deploy):
	// what follows starts from what really serves.
	if d.LiveRelease == r.Release {
		d.LiveRelease = r.PreviousRelease
	}
	d.PendingRelease = ""
	d.TrafficPercent = 0
	status := d.Status
	var reason string
	switch {
	case wasRollingBack || reverting:
		r.State = domain.RolloutRolledBack
		reason = fmt.Sprintf("rolled back the unfinished rollout of %s (stopped at %s, %s slot): %s", r.Release, stoppedAt, slot, r.FailureReason)
	default:
		r.State = domain.RolloutSuperseded
		reason = fmt.Sprintf("rollout of %s superseded by %s and withdrawn (stopped at %s, %s slot)", r.Release, next, stoppedAt, slot)
	}
	if d.LiveRelease == next {
		status = domain.StatusSucceeded
		d.TrafficPercent = 100
		reason += fmt.Sprintf("; %s is live", next)
	}
	d.Record(now, status, r.Release, reason)
	rc.m.Log.Warn(ctx, "ocuroot: withdrew an unfinished rollout", map[string]any{
		"deployment": d.ID(), "release": r.Release, "stopped_at": stoppedAt, "slot": slot, "next": next,
	})
	return rc.Persist(ctx)
}
