package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// A store that stops answering in the middle of a rollout must not leave
// the new release unwatched. The rollout rides the outage out, for a
// bounded time:
//
//  1. A save or a lease renewal that fails because the store could not be
//     reached (ErrStoreUnavailable) starts an outage. It is not a lost
//     lease: a lease is lost only when its record changed hands, and an
//     unchanged record is still this run's, even past its expiry.
//  2. A step that observes (a bake, a delay, a wait for health) keeps its
//     check rounds on schedule, and its failure threshold still starts the
//     failure path. Its progress goes to the store with the next save
//     that lands.
//  3. Nothing moves traffic while the store does not answer: another run
//     that can reach it may take the lease once its TTL has passed. Before
//     the next step, the rollout holds where it is, probing the slot that
//     carries the new release, and tries the store again with backoff
//     until the lease is renewed and the position saved.
//  4. If the store stays away for StoreOutageBound, the rollout ends as a
//     timeout does: on_timeout = "rollback" sends the rollback hook anyway
//     (withdrawing the new release needs no store), "fail" leaves traffic
//     where it is. The error says what the store could not record, and the
//     next apply reconciles it.

// StoreOutageBound is how long a rollout holds traffic and keeps checking
// while the store cannot be reached: six lease TTLs, long enough for a
// database restart or failover, short enough that traffic is not left for
// long on a lease nobody can renew. The operation's own timeout ends the
// wait sooner when it comes first.
const StoreOutageBound = 2 * time.Minute

// The store is tried again after storeRetryFirst, then after twice the
// previous pause, up to storeRetryMax.
const (
	storeRetryFirst = time.Second
	storeRetryMax   = 15 * time.Second
)

// StoreRetryPause is the pause before the next try of the store, after a
// pause of previous (0 before the first).
func StoreRetryPause(previous time.Duration) time.Duration {
	if previous <= 0 {
		return storeRetryFirst
	}
	return min(2*previous, storeRetryMax)
}

// storeOutage is what a rollout knows of a store it cannot reach.
type storeOutage struct {
	// since is when the first call of this outage failed; zero while the
	// store answers.
	since   time.Time
	lastErr error
	// rounds and failedRounds count the check rounds run meanwhile.
	rounds, failedRounds int
	// lostAnswers are the UpdatedAt stamps of saves whose answer never
	// came: one of them may have landed (see adoptLandedSave).
	lostAnswers []time.Time
}

func (o *storeOutage) active() bool { return !o.since.IsZero() }

// savedPosition is where the store last acknowledged the rollout.
type savedPosition struct {
	known   bool
	state   domain.RolloutState
	step    int
	traffic int
}

// storeUnreachable reports whether err says the store could not be
// reached while ctx is still alive, and notes the outage if so. An ended
// context is an interruption, never an outage.
func (rc *Pass) storeUnreachable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || !errors.Is(err, records.ErrStoreUnavailable) {
		return false
	}
	o := &rc.outage
	o.lastErr = err
	if !o.active() {
		o.since = rc.m.Clock.Now()
		rc.m.Log.Warn(ctx, "ocuroot: the store cannot be reached; holding traffic where it is and checking on", map[string]any{
			"deployment": rc.d.ID(), "step": rc.StepTitle(rc.r().StepIndex), "step_index": rc.stepIndex(rc.r().StepIndex), "traffic_percent": rc.d.TrafficPercent,
			"gives_up_after": StoreOutageBound.String(), "error": err.Error(),
		})
	}
	return true
}

// outageLeft is how much longer the rollout waits for the store.
func (rc *Pass) outageLeft() time.Duration {
	return StoreOutageBound - rc.m.Clock.Now().Sub(rc.outage.since)
}

// countOutageRound notes a check round run while the store is away.
func (rc *Pass) countOutageRound(failed bool) {
	if !rc.outage.active() {
		return
	}
	rc.outage.rounds++
	if failed {
		rc.outage.failedRounds++
	}
}

// storeAnswered ends an outage after a save landed: the history says how
// long the store was away and what was watched meanwhile. It reports
// whether it noted that in the history (a lost answer with the store back
// at once is not worth an entry).
func (rc *Pass) storeAnswered(ctx context.Context) bool {
	o := rc.outage
	if !o.active() {
		return false
	}
	rc.outage = storeOutage{}
	r, now := rc.r(), rc.m.Clock.Now()
	away := now.Sub(o.since).Round(time.Millisecond)
	if away == 0 && o.rounds == 0 {
		return false
	}
	stage := rc.stepStage(r.StepIndex)
	rc.d.AddTransition(domain.Transition{Time: now, From: stage, To: stage, Release: r.Release, Reason: fmt.Sprintf(
		"the store could not be reached for %s; traffic was held at %d%% and %d check round(s) ran meanwhile (%d failed)",
		away, rc.d.TrafficPercent, o.rounds, o.failedRounds)})
	rc.m.Log.Info(ctx, "ocuroot: the store answers again", map[string]any{"deployment": rc.d.ID(), "away": away.String(), "check_rounds": o.rounds})
	return true
}

// outageOutcome ends a rollout whose store stayed away too long; it is a
// timeout, so on_timeout decides between rolling back and leaving traffic.
func (rc *Pass) outageOutcome(during string) stepOutcome {
	return stepOutcome{kind: stepTimedOut, detail: fmt.Sprintf(
		"the store could not be reached for %s %s (a rollout holds traffic without its store for at most %s); last error: %v",
		rc.m.Clock.Now().Sub(rc.outage.since).Round(time.Second), during, StoreOutageBound, rc.outage.lastErr)}
}

// holding describes a hold for a failure reason.
func (rc *Pass) holding() string {
	return fmt.Sprintf("while holding %d%% of traffic on %s", rc.d.TrafficPercent, rc.r().Release)
}

// holdWatch is what a hold probes before step runs: the slot that carries
// the new release at this position, paced like the step. An empty slot
// means nothing to probe: no checks are configured, nothing takes traffic
// yet, the scale-down delay only keeps blue around, or the rollout is done.
// A zero threshold (a wait for health, a gate) probes without failing.
func (rc *Pass) holdWatch(step *domain.Step) (slot string, interval time.Duration, threshold int) {
	if step == nil || !rc.hasChecks() {
		return "", 0, 0
	}
	switch {
	case step.Kind == domain.StepHook:
		slot = step.RecheckSlot
	case step.Kind == domain.StepDelay && step.AfterCutover:
		slot = ""
	default:
		slot = step.Slot
	}
	interval = step.Interval
	if interval <= 0 {
		interval = rc.spec.CheckInterval()
	}
	// A zero interval would probe without a pause between rounds.
	return slot, max(interval, storeRetryFirst), step.FailureThreshold
}

// holdForStore keeps traffic where it is until the store answers again:
// the lease renewed and the record saved. Meanwhile it probes the slot
// holdWatch names every interval, and tries the store with backoff. It
// ends with stepDone when the store is back, stepFailed when the checks
// reached their threshold, or stepTimedOut when StoreOutageBound passed.
func (rc *Pass) holdForStore(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	r := rc.r()
	slot, interval, threshold := rc.holdWatch(step)
	nextRound := rc.m.Clock.Now().Add(interval)
	var pause time.Duration
	for {
		err := rc.lease.Renew(ctx)
		if err == nil {
			err = rc.Persist(ctx)
		}
		if err == nil {
			return stepOutcome{kind: stepDone}, nil
		}
		if !rc.storeUnreachable(ctx, err) {
			return stepOutcome{}, err
		}
		left := rc.outageLeft()
		if left <= 0 {
			return rc.outageOutcome(rc.holding()), nil
		}
		pause = StoreRetryPause(pause)
		nap := min(pause, left)
		if slot != "" {
			nap = min(nap, max(nextRound.Sub(rc.m.Clock.Now()), 0))
		}
		if err := domain.Sleep(ctx, rc.m.Clock, nap); err != nil {
			return stepOutcome{}, err
		}
		if slot == "" || rc.m.Clock.Now().Before(nextRound) {
			continue
		}
		nextRound = rc.m.Clock.Now().Add(interval)
		bad := firstFailed(rc.runChecks(ctx, slot))
		if ctx.Err() != nil {
			return stepOutcome{}, ctx.Err()
		}
		rc.countOutageRound(bad != nil)
		if bad == nil {
			rc.recordPass()
			continue
		}
		r.ChecksFailed++
		r.ConsecutiveFailures++
		rc.m.Log.Info(ctx, "ocuroot: check failed while the store cannot be reached", map[string]any{
			"deployment": rc.d.ID(), "slot": slot, "check": bad.Name, "consecutive_failures": r.ConsecutiveFailures, "detail": bad.Detail})
		if threshold > 0 && r.ConsecutiveFailures >= threshold {
			return stepOutcome{kind: stepFailed, detail: fmt.Sprintf("check %q failed %d consecutive time(s) (failure_threshold %d) %s, while the store could not be reached; last: %s",
				bad.Name, r.ConsecutiveFailures, threshold, rc.holding(), bad.Detail)}, nil
		}
	}
}

// persistWithin saves the record, trying again with backoff while the
// store cannot be reached and the outage bound has time left. It is for
// the saves that end a pass (complete, the gate, a failure, a rollback):
// after them there is nothing left to watch, only something to record.
func (rc *Pass) persistWithin(ctx context.Context) error {
	var pause time.Duration
	for {
		err := rc.Persist(ctx)
		if err == nil || !rc.storeUnreachable(ctx, err) {
			return err
		}
		left := rc.outageLeft()
		if left <= 0 {
			return err
		}
		pause = StoreRetryPause(pause)
		if domain.Sleep(ctx, rc.m.Clock, min(pause, left)) != nil {
			return err
		}
	}
}

// adoptLandedSave handles a conflict on the first save after saves whose
// answer was lost: one of them may have landed. If the stored record is
// that save (same rollout, an UpdatedAt this pass wrote), the record takes
// its revision and drops the history entries it logged; the caller saves
// again. It reports whether it adopted the stored record.
func (rc *Pass) adoptLandedSave(ctx context.Context) bool {
	stored, err := rc.m.Store.GetDeployment(ctx, rc.d.ID())
	if err != nil || stored.Rollout == nil || rc.d.Rollout == nil || stored.Rollout.ID != rc.d.Rollout.ID {
		return false
	}
	ours := false
	for _, stamp := range rc.outage.lostAnswers {
		ours = ours || stamp.Equal(stored.UpdatedAt)
	}
	logged := int(stored.HistorySeq - rc.d.HistorySeq)
	if !ours || logged < 0 || logged > len(rc.d.InlineHistory) {
		return false
	}
	rc.d.InlineHistory = rc.d.InlineHistory[logged:]
	rc.d.HistorySeq, rc.d.Revision = stored.HistorySeq, stored.Revision
	rc.outage.lostAnswers = nil
	rc.m.Log.Info(ctx, "ocuroot: a save whose answer was lost had landed; continuing from it", map[string]any{"deployment": rc.d.ID()})
	return true
}

// describeSaved says what the store still shows of the rollout.
func (rc *Pass) describeSaved() string {
	s := rc.saved
	if !s.known {
		return "the position it last saved"
	}
	return fmt.Sprintf("the rollout %s at %s with %d%% of traffic", s.state, rc.StepTitle(s.step), s.traffic)
}

// unrecorded builds the part of an error that says what the store could
// not record: done happened, the store still shows its last saved position,
// and nextApply says how the next apply reconciles.
func (rc *Pass) unrecorded(done, nextApply string) *domain.UnrecordedError {
	return &domain.UnrecordedError{Deployment: rc.d.ID(), Done: done, StoreShows: rc.describeSaved(), NextApply: nextApply, Err: rc.outage.lastErr}
}
