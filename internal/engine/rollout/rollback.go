package rollout

import (
	"context"
	"errors"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// startRollback records the decision to roll back, then carries it out.
// With nothing to restore (a first deployment) it marks the rollout failed.
func (rc *Pass) startRollback(ctx context.Context, rerr *domain.RolloutError) error {
	r := rc.r()
	if r.PreviousRelease == "" {
		rerr.Reason += "; nothing to roll back to (first deployment into this environment)"
		return rc.markFailed(ctx, rerr)
	}
	r.State = domain.RolloutRollingBack
	r.FailureReason = rerr.Reason
	r.RollbackSlot = RollbackSlot(r.Spec.Strategy, r.CurrentStep())
	now := rc.m.Clock.Now()
	rc.d.AddTransition(domain.Transition{Time: now, From: rc.stepStage(r.StepIndex), To: "rolling_back", Release: r.Release, Reason: rerr.Reason})
	rc.m.Log.Warn(ctx, "ocuroot: rolling back", map[string]any{"deployment": rc.d.ID(), "release": r.Release, "restore": r.PreviousRelease, "reason": rerr.Reason})
	if err := rc.Persist(ctx); err != nil {
		if !rc.storeUnreachable(ctx, err) {
			return errors.Join(rerr, err)
		}
		// The store cannot be reached: withdrawing the new release needs
		// none, and waiting for it would leave that release taking traffic
		// unwatched. The rollback gets a key of its own (rollbackKeyStep).
		rc.unrecordedRollbackKey = "rollback-" + domain.RandomID()
	}
	return rc.FinishRollback(ctx, rerr)
}

// FinishRollback sends the rollback event and records the outcome. It is also the
// resume point for a rollout saved in the rolling_back state.
func (rc *Pass) FinishRollback(ctx context.Context, rerr *domain.RolloutError) error {
	r := rc.r()
	if rerr.Step == "" {
		rerr.Step = rc.StepTitle(r.StepIndex)
	}
	_, err := rc.SendEvent(ctx, domain.EventRollback, 0, r.RollbackSlot, rc.IdempotencyKey(rc.rollbackKeyStep(), domain.EventRollback))
	now := rc.m.Clock.Now()
	if err != nil {
		rerr.RollbackErr = err
		r.FinishedAt = now
		rc.d.MoveRollout(now, domain.RolloutFailed, fmt.Sprintf("rollback to %s failed: %v", r.PreviousRelease, err))
		return errors.Join(rerr, rc.saveRollbackOutcome(ctx, rerr, nextApplyResumes))
	}
	r.FinishedAt = now
	rc.d.LiveRelease = r.PreviousRelease
	rc.d.PendingRelease = ""
	rc.d.TrafficPercent = 0
	rc.d.MoveRollout(now, domain.RolloutRolledBack, fmt.Sprintf("rolled back to %s (%s slot): %s", r.PreviousRelease, r.RollbackSlot, r.FailureReason))
	rerr.RolledBack = true
	rerr.RestoredRelease = r.PreviousRelease
	rc.m.Log.Warn(ctx, "ocuroot: rolled back", map[string]any{"deployment": rc.d.ID(), "restored": r.PreviousRelease})
	if err := rc.saveRollbackOutcome(ctx, rerr, nextApplyResendsRollbck); err != nil {
		return errors.Join(rerr, err)
	}
	return rerr
}

// saveRollbackOutcome saves the outcome of a rollback, trying again while
// the store cannot be reached and the outage bound has time left. If the
// store stays away, rerr says what it still shows, and, when even the
// decision to roll back went unrecorded, carries the rollback so that a
// later run can record it (UnrecordedError.Rollback). It returns any other
// error of the save.
func (rc *Pass) saveRollbackOutcome(ctx context.Context, rerr *domain.RolloutError, nextApply string) error {
	err := rc.persistWithin(ctx)
	if err == nil || !rc.storeUnreachable(ctx, err) {
		return err
	}
	r := rc.r()
	rerr.Unrecorded = rc.unrecorded("", nextApply)
	if rc.saved.state != domain.RolloutRollingBack {
		rerr.Unrecorded.Rollback = &domain.UnrecordedRollback{RolloutID: r.ID, Step: r.StepIndex, KeyStep: rc.rollbackKeyStep(), Slot: r.RollbackSlot, Reason: r.FailureReason}
	}
	rc.m.Log.Warn(ctx, "ocuroot: the store could not record the rollback", map[string]any{"deployment": rc.d.ID(), "error": err.Error()})
	return nil
}
