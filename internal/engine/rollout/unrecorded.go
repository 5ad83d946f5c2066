package rollout

import (
	"context"
	"errors"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Sentences of NextApply.
const (
	nextApplyResumes        = "The next apply continues from that position"
	nextApplyResendsStep    = "The next apply continues from there: it sends that step's hook again with the same Idempotency-Key, so the target can tell it is a repeat, and records it"
	nextApplyResendsRollbck = "The next apply sends the same rollback hook again, with the same Idempotency-Key so the target can tell it is a repeat, and records the rollback"
)

// rollbackKeyStep is the step part of the rollback hook's idempotency key:
// "rollback", or a key of its own for a rollback whose decision the store
// never recorded. A later run that knows nothing of that rollback may roll
// the rollout back for another reason, and must not reuse its key for a
// different event.
func (rc *Pass) rollbackKeyStep() string {
	if rc.unrecordedRollbackKey != "" {
		return rc.unrecordedRollbackKey
	}
	return "rollback"
}

// RecordUnrecordedRollback records a rollback an earlier run sent while the
// store could not be reached. If the store still shows that rollout where
// the earlier run left it, the same event is sent again under the same key
// and the rollback is recorded; if the store moved on since (another run
// finished or withdrew the rollout), there is nothing to record.
func (rc *Pass) RecordUnrecordedRollback(ctx context.Context, u domain.UnrecordedRollback) error {
	r := rc.r()
	if r == nil || r.ID != u.RolloutID || (r.State != domain.RolloutRunning && r.State != domain.RolloutAwaitingPromotion) {
		rc.m.Log.Info(ctx, "ocuroot: the unrecorded rollback needs no recording: the store moved on", map[string]any{"deployment": rc.d.ID(), "rollout": u.RolloutID})
		return nil
	}
	if u.Step >= 0 && u.Step < len(r.Steps) {
		r.StepIndex = u.Step
	}
	r.State, r.FailureReason, r.RollbackSlot = domain.RolloutRollingBack, u.Reason, u.Slot
	rc.unrecordedRollbackKey = u.KeyStep
	rc.d.AddTransition(domain.Transition{Time: rc.m.Clock.Now(), From: rc.stepStage(r.StepIndex), To: string(domain.RolloutRollingBack), Release: r.Release,
		Reason: "recording the rollback an earlier run sent while the store could not be reached: " + u.Reason})
	rc.m.Log.Warn(ctx, "ocuroot: recording a rollback the store could not record before", map[string]any{"deployment": rc.d.ID(), "rollout": u.RolloutID})
	err := rc.FinishRollback(ctx, &domain.RolloutError{Deployment: rc.d.ID(), Release: r.Release, Reason: u.Reason})
	var rerr *domain.RolloutError
	if errors.As(err, &rerr) && rerr.RolledBack && rerr.Unrecorded == nil {
		return nil
	}
	return err
}
