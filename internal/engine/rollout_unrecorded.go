package engine

import (
	"context"
	"errors"
	"fmt"
)

// UnrecordedError says what a rollout did that the store could not record
// because it could not be reached (see rollout_store_outage.go). The store
// still shows an earlier position; the next apply reconciles the two. It
// stands alone when the rollout succeeded or reached its gate, and sits in
// RolloutError.Unrecorded when it failed or rolled back.
type UnrecordedError struct {
	Deployment string
	// Done is what happened, for a rollout that did not fail: "api@2 is
	// live". Empty inside a RolloutError, which says it itself.
	Done string
	// StoreShows is what the store still holds: "the rollout running at
	// canary step 1 of 2 (weight 10%, bake 5m) with 10% of traffic".
	StoreShows string
	// NextApply says how the next apply reconciles.
	NextApply string
	// Rollback is set when the rollback was sent before the store recorded
	// the decision to roll back: the store shows nothing of it. A later
	// Deploy given it (DeployRequest.UnrecordedRollback) records it.
	Rollback *UnrecordedRollback
	// Err is the store's last error.
	Err error
}

func (u *UnrecordedError) Error() string {
	if u.Done == "" {
		return u.sentence("this")
	}
	return fmt.Sprintf("%s. %s", u.Done, u.sentence("it"))
}

// sentence is "The store could not record <what> (error): it still shows
// …. <how the next apply reconciles>."
func (u *UnrecordedError) sentence(what string) string {
	return fmt.Sprintf("The store could not record %s (%v): it still shows %s. %s.", what, u.Err, u.StoreShows, u.NextApply)
}

func (u *UnrecordedError) Unwrap() error { return u.Err }

// UnrecordedRollback is a rollback hook a run sent while the store could
// not record the decision to roll back. It carries what the event was made
// of, so a later run sends the very same event under the same idempotency
// key (a repeat the target can recognise) and records the rollback.
type UnrecordedRollback struct {
	RolloutID string `json:"rollout_id"`
	// Step is the index of the step the rollout stopped at (the event's
	// step); KeyStep the step part of its idempotency key.
	Step    int    `json:"step"`
	KeyStep string `json:"key_step"`
	Slot    string `json:"slot"`
	Reason  string `json:"reason"`
}

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

// recordUnrecordedRollback records a rollback an earlier run sent while the
// store could not be reached. If the store still shows that rollout where
// the earlier run left it, the same event is sent again under the same key
// and the rollback is recorded; if the store moved on since (another run
// finished or withdrew the rollout), there is nothing to record.
func (rc *Pass) recordUnrecordedRollback(ctx context.Context, u UnrecordedRollback) error {
	r := rc.r()
	if r == nil || r.ID != u.RolloutID || (r.State != RolloutRunning && r.State != RolloutAwaitingPromotion) {
		rc.m.log.Info(ctx, "ocuroot: the unrecorded rollback needs no recording: the store moved on", map[string]any{"deployment": rc.d.ID(), "rollout": u.RolloutID})
		return nil
	}
	if u.Step >= 0 && u.Step < len(r.Steps) {
		r.StepIndex = u.Step
	}
	r.State, r.FailureReason, r.RollbackSlot = RolloutRollingBack, u.Reason, u.Slot
	rc.unrecordedRollbackKey = u.KeyStep
	rc.d.addTransition(Transition{Time: rc.m.clock.Now(), From: rc.stepStage(r.StepIndex), To: string(RolloutRollingBack), Release: r.Release,
		Reason: "recording the rollback an earlier run sent while the store could not be reached: " + u.Reason})
	rc.m.log.Warn(ctx, "ocuroot: recording a rollback the store could not record before", map[string]any{"deployment": rc.d.ID(), "rollout": u.RolloutID})
	err := rc.finishRollback(ctx, &RolloutError{Deployment: rc.d.ID(), Release: r.Release, Reason: u.Reason})
	var rerr *RolloutError
	if errors.As(err, &rerr) && rerr.RolledBack && rerr.Unrecorded == nil {
		return nil
	}
	return err
}
