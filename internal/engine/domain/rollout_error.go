package domain

import (
	"fmt"
	"strings"
)

// RolloutError is a failed or interrupted rollout, with everything a
// diagnostic needs: where it stopped, why, and what was done about it.
type RolloutError struct {
	Deployment string
	Release    string
	// Step names where the rollout stopped as the user configured it:
	// "canary step 2 of 2 (weight 50%, bake 2s)", "the cutover"; empty
	// when the failure came before any step.
	Step string
	// Reason says what failed: the hook, the check and how often.
	Reason string
	// LastCheck, for a rollout interrupted while it waited on checks, is
	// the last answer a probe gave before the interrupt:
	// `check "health" failed: GET …: status 503, expected 200; body: "warming up"`.
	LastCheck string
	// Timeout is set when the progress deadline or the caller's deadline
	// was exceeded; Interrupted when the caller's context ended.
	Timeout     bool
	Interrupted bool
	// RolledBack is set when the previous release was restored.
	RolledBack      bool
	RestoredRelease string
	// RollbackErr is set when restoring failed too.
	RollbackErr error
	// Resumable: the rollout was left in place and the next apply continues.
	Resumable bool
	// Unrecorded is set when the store could not be reached to record the
	// outcome: it says what the store still shows and how the next apply
	// reconciles.
	Unrecorded *UnrecordedError
}

func (r *RolloutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout of %s to %s", r.Release, r.Deployment)
	switch {
	case r.Interrupted:
		b.WriteString(" was interrupted")
	default:
		b.WriteString(" failed")
	}
	if r.Step != "" {
		fmt.Fprintf(&b, " at %s", r.Step)
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, ": %s", r.Reason)
	}
	if r.LastCheck != "" {
		fmt.Fprintf(&b, "; the last %s", r.LastCheck)
	}
	b.WriteString(". ")
	switch {
	case r.RolledBack && r.RestoredRelease != "":
		fmt.Fprintf(&b, "Rolled back: the rollback hook was accepted and 100%% of traffic is back on %s.", r.RestoredRelease)
	case r.RolledBack:
		b.WriteString("Rolled back: the new release was withdrawn.")
	case r.RollbackErr != nil:
		fmt.Fprintf(&b, "Rolling back also failed: %v. Traffic may still reach %s; check the target and re-run the apply.", r.RollbackErr, r.Release)
	case r.Resumable:
		b.WriteString("Nothing was rolled back; the rollout's position is saved and the next apply continues from this step.")
	default:
		b.WriteString("Traffic was left as it is (on_timeout = \"fail\" or nothing to restore).")
	}
	if r.Unrecorded != nil {
		b.WriteString(" " + r.Unrecorded.Error())
	}
	return b.String()
}

// Unwrap gives errors.As the UnrecordedError, when there is one.
func (r *RolloutError) Unwrap() error {
	if r.Unrecorded == nil {
		return nil
	}
	return r.Unrecorded
}
