package domain

import (
	"fmt"
)

// UnrecordedError says what a rollout did that the store could not record
// because it could not be reached (see rollout/store_outage.go). The store
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
