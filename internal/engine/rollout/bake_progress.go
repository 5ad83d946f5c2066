package rollout

import "time"

// ObservedWait is what is known, at one moment, about a step that must be
// watched for a while: a canary bake, a blue-green promotion delay or a
// scale-down delay. Only time a running engine observed counts: the clock
// gap while the provider was dead (a SIGKILL, a lost CI runner) is never
// added, so a resumed bake still runs the rest of its duration with checks.
type ObservedWait struct {
	// Duration is how long the step must be observed.
	Duration time.Duration
	// Observed is the time observed so far, across every pass of the engine
	// (persisted on the rollout at each check round).
	Observed time.Duration
	// ChecksConfigured is set when health_check or check blocks exist: then
	// the step also needs a passing check round in this pass.
	ChecksConfigured bool
	// RoundsThisPass and PassedThisPass count the check rounds this pass of
	// the engine ran on the step, and how many of them passed.
	RoundsThisPass int
	PassedThisPass int
	// Interval is the time between check rounds.
	Interval time.Duration
}

// Remaining is the part of the duration not observed yet (never negative).
func (w ObservedWait) Remaining() time.Duration {
	return max(w.Duration-w.Observed, 0)
}

// NextObservation decides whether an observed step is done and, when it is
// not, how long to wait before the next check round. Pure, so the rule is
// table-tested:
//
//  1. Done when the whole duration was observed and, if checks are
//     configured, at least one round passed in this pass. A pass resumed
//     after a crash therefore never completes on rounds a dead process ran.
//  2. Otherwise wait one interval, or less when less of the duration
//     remains, so the last round falls exactly at the end of the bake.
//  3. A fully observed step that still needs a passing round checks at once
//     if this pass has not checked yet (a resume right at the end of a
//     bake), and one interval after a failed round otherwise.
//
// Concrete example: an 8s bake checked every 1s, killed after 5s observed.
// The resumed pass waits 1s, 1s, 1s with a round after each; the third
// brings Observed to 8s and, having passed, completes the step. The minutes
// the process was dead add nothing.
func NextObservation(w ObservedWait) (done bool, wait time.Duration) {
	remaining := w.Remaining()
	satisfied := !w.ChecksConfigured || w.PassedThisPass > 0
	switch {
	case remaining == 0 && satisfied:
		return true, 0
	case remaining == 0 && w.RoundsThisPass == 0:
		return false, 0
	case remaining == 0:
		return false, max(w.Interval, 0)
	case w.Interval <= 0:
		return false, remaining
	}
	return false, min(w.Interval, remaining)
}

// ProgressDeadlineExceeded reports whether a step that was observed for
// observed, and plans to take planned, has run past its progress deadline:
// a step may overrun its planned time by deadline. Observed time, not the
// clock since the step started, so a wait resumed after a crash gets the
// rest of its deadline rather than timing out on the gap. A deadline of
// zero or less never expires.
func ProgressDeadlineExceeded(observed, planned, deadline time.Duration) bool {
	if deadline <= 0 {
		return false
	}
	return observed >= planned+deadline
}
