package rollout

import (
	"context"
	"fmt"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"time"
)

// observation configures one observed wait of a step: what to probe, how
// often, and how to describe it.
type observation struct {
	step *domain.Step
	// slot is what the check rounds probe.
	slot string
	// checks runs health_check and check blocks each round; without them
	// the step is plain observed time (a scale-down delay).
	checks    bool
	interval  time.Duration
	threshold int
	// during names the wait in a failure: "while baking at 10% traffic".
	during string
}

// observe watches the current step until its whole duration was observed
// (see NextObservation) or threshold consecutive check rounds fail. After
// every round the observed time and the counters are persisted, so a
// killed process resumes with what it had really watched, and nothing more.
func (rc *Pass) observe(ctx context.Context, o observation) (outcome stepOutcome, passed, failed int, err error) {
	r := rc.r()
	rounds := 0
	for {
		done, wait := NextObservation(ObservedWait{Duration: o.step.Duration, Observed: r.StepObserved, ChecksConfigured: o.checks,
			RoundsThisPass: rounds, PassedThisPass: passed, Interval: o.interval})
		if done {
			return stepOutcome{kind: stepDone}, passed, failed, nil
		}
		mark := rc.m.Clock.Now()
		if err := rc.wait(ctx, wait); err != nil {
			return stepOutcome{}, passed, failed, err
		}
		var bad *domain.CheckResult
		if o.checks {
			results := rc.runChecks(ctx, o.slot)
			if ctx.Err() != nil {
				return stepOutcome{}, passed, failed, ctx.Err()
			}
			rounds++
			verdict, decided := rc.countRound(results)
			rc.countOutageRound(verdict == roundFailed)
			switch verdict {
			case roundPassed:
				passed++
			case roundFailed:
				failed++
				bad = decided
			}
		}
		r.StepObserved += max(rc.m.Clock.Now().Sub(mark), 0)
		if o.checks { // without checks, the step done line says it all
			rc.m.Log.Info(ctx, "ocuroot: check round", map[string]any{
				"deployment": rc.d.ID(), "step": rc.StepTitle(r.StepIndex), "step_index": rc.stepIndex(r.StepIndex), "weight": o.step.Weight, "slot": o.slot,
				"bake_elapsed": r.StepObserved.Round(time.Millisecond), "bake_total": o.step.Duration,
				"checks_passed": r.ChecksPassed, "checks_failed": r.ChecksFailed, "consecutive_failures": r.ConsecutiveFailures,
			})
		}
		// While the store cannot be reached the rounds go on; the next
		// save that lands takes what they observed.
		if err := rc.Persist(ctx); err != nil && !rc.storeUnreachable(ctx, err) {
			return stepOutcome{}, passed, failed, err
		}
		if bad != nil && r.ConsecutiveFailures >= o.threshold {
			return stepOutcome{kind: stepFailed, detail: fmt.Sprintf("check %q failed %d consecutive time(s) (failure_threshold %d) %s; last: %s",
				bad.Name, r.ConsecutiveFailures, o.threshold, o.during, bad.Detail)}, passed, failed, nil
		}
		if rc.outage.active() && rc.outageLeft() <= 0 {
			return rc.outageOutcome(o.during), passed, failed, nil
		}
	}
}

// recordPass counts a passing check round, for the rollout and this pass.
func (rc *Pass) recordPass() {
	r := rc.r()
	r.ChecksPassed++
	r.ConsecutiveFailures = 0
	r.ConsecutiveInconclusive = 0
	rc.passedThisPass = true
}

// hasChecks reports whether health_check or check blocks are configured.
func (rc *Pass) hasChecks() bool {
	return rc.spec.HealthCheck != nil || len(rc.spec.Checks) > 0
}

// observedBefore notes the part of a step observed before a resume.
func observedBefore(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%s of it observed before a resume)", d.Round(time.Millisecond))
}

// awaitHealthy polls the health check until it passes or the step has been
// observed for longer than the progress deadline. The deadline counts
// observed time, persisted after every failed probe, so a run resumed after
// a crash neither times out on the gap nor starts the deadline over.
func (rc *Pass) awaitHealthy(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	r := rc.r()
	hc := rc.spec.HealthCheck
	if hc == nil {
		return stepOutcome{kind: stepDone, detail: "no health_check configured; not waiting"}, nil
	}
	probes := 0
	mark := rc.m.Clock.Now()
	for {
		res := rc.m.Checker.Health(ctx, rc.creds.healthCheck(*hc), rc.placeholders(step.Slot))
		if ctx.Err() != nil {
			// This probe was cut short by the interrupt; the one before
			// it (rc.lastCheck) is what the error quotes.
			return stepOutcome{}, ctx.Err()
		}
		rc.saw([]domain.CheckResult{res})
		probes++
		now := rc.m.Clock.Now()
		r.StepObserved += max(now.Sub(mark), 0)
		mark = now
		if res.OK {
			rc.recordPass()
			return stepOutcome{kind: stepDone, detail: fmt.Sprintf("%s healthy after %d probe(s)", step.Slot, probes)}, nil
		}
		r.ChecksFailed++
		rc.m.Log.Debug(ctx, "ocuroot: not healthy yet", map[string]any{
			"deployment": rc.d.ID(), "slot": step.Slot, "probes": probes, "waited": r.StepObserved.Round(time.Millisecond).String(), "detail": res.Detail,
		})
		if ProgressDeadlineExceeded(r.StepObserved, 0, rc.spec.ProgressDeadline) {
			return stepOutcome{kind: stepTimedOut, detail: fmt.Sprintf(
				"health check of the %s slot did not pass within the progress deadline of %s (%d probes; last: %s)",
				step.Slot, domain.FormatDuration(rc.spec.ProgressDeadline), probes, res.Detail)}, nil
		}
		if err := rc.Persist(ctx); err != nil && !rc.storeUnreachable(ctx, err) {
			return stepOutcome{}, err
		}
		if rc.outage.active() && rc.outageLeft() <= 0 {
			return rc.outageOutcome(fmt.Sprintf("while waiting for the %s slot to be healthy", step.Slot)), nil
		}
		if err := rc.wait(ctx, hc.Interval); err != nil {
			return stepOutcome{}, err
		}
	}
}
