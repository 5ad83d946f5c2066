package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
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

// runChecks evaluates the health check and every metric check once.
func (rc *Pass) runChecks(ctx context.Context, slot string) []domain.CheckResult {
	return rc.runCheckSet(ctx, slot, rc.spec.HealthCheck != nil, rc.creds.MetricChecks("check", rc.spec.Checks))
}

// runCheckSet evaluates the health check (when health is set) and the given
// metric checks (their headers bound, see BoundCredentials) once, in that
// order.
func (rc *Pass) runCheckSet(ctx context.Context, slot string, health bool, metrics []domain.MetricCheck) []domain.CheckResult {
	vars := rc.placeholders(slot)
	var results []domain.CheckResult
	if health && rc.spec.HealthCheck != nil {
		results = append(results, rc.m.Checker.Health(ctx, rc.creds.healthCheck(*rc.spec.HealthCheck), vars))
	}
	for _, mc := range metrics {
		if mc.IsPromQL() {
			results = append(results, rc.queryCheck(ctx, mc, slot))
			continue
		}
		results = append(results, rc.m.Checker.Metric(ctx, mc, vars))
	}
	for _, res := range results {
		rc.m.Log.Debug(ctx, "ocuroot: probe", map[string]any{
			"deployment": rc.d.ID(), "step": rc.StepTitle(rc.r().StepIndex), "slot": slot, "check": res.Name, "ok": res.OK, "detail": res.Detail,
		})
	}
	return results
}

// saw keeps what a round of probes answered for a later timeout or
// interrupt to quote: the first failed check, or the first check when all
// passed.
func (rc *Pass) saw(results []domain.CheckResult) {
	if len(results) == 0 {
		return
	}
	seen := results[0]
	if bad := firstFailed(results); bad != nil {
		seen = *bad
	}
	rc.lastCheck = &seen
}

// describeLastCheck renders a check result for an interrupted rollout:
// `check "health" failed: GET …: status 503, expected 200; body: "warming up"`.
func describeLastCheck(res *domain.CheckResult) string {
	if res == nil {
		return ""
	}
	verdict := "failed"
	switch {
	case res.OK:
		verdict = "passed"
	case res.Inconclusive:
		verdict = "was inconclusive"
	}
	return fmt.Sprintf("check %q %s: %s", res.Name, verdict, res.Detail)
}

func firstFailed(results []domain.CheckResult) *domain.CheckResult {
	for i := range results {
		if !results[i].OK {
			return &results[i]
		}
	}
	return nil
}

// tryChecks runs a check set up to tries times, interval apart, until a
// round passes. An inconclusive round (no data under the inconclusive
// policy) uses no try; a check's inconclusive_limit bounds how many come in
// a row. It returns the tries used and the failed check of the last round,
// or nil when a round passed.
func (rc *Pass) tryChecks(ctx context.Context, slot string, health bool, metrics []domain.MetricCheck, tries int, interval time.Duration) (int, *domain.CheckResult, error) {
	var last *domain.CheckResult
	for try := 1; try <= tries; {
		results := rc.runCheckSet(ctx, slot, health, metrics)
		if ctx.Err() != nil {
			return try, nil, ctx.Err()
		}
		verdict, decided := rc.countRound(results)
		switch verdict {
		case roundPassed:
			return try, nil, nil
		case roundFailed:
			last = decided
			if try == tries {
				return tries, last, nil
			}
			try++
		}
		if err := rc.wait(ctx, interval); err != nil {
			return try, last, err
		}
	}
	return tries, last, nil
}

// countRound judges a round of results (judgeRound), keeps it for a later
// timeout or interrupt to quote, and counts it on the rollout: a pass
// resets the failures in a row, a failure adds one, an inconclusive round
// leaves both alone. It returns the verdict and the result that decided
// it.
func (rc *Pass) countRound(results []domain.CheckResult) (roundVerdict, *domain.CheckResult) {
	r := rc.r()
	verdict, decided := judgeRound(results, r.ConsecutiveInconclusive)
	rc.saw(results)
	rc.analysis.note(results, verdict)
	switch verdict {
	case roundPassed:
		rc.recordPass()
	case roundFailed:
		r.ChecksFailed++
		r.ConsecutiveFailures++
		r.ConsecutiveInconclusive = 0
	case roundInconclusive:
		r.ChecksInconclusive++
		r.ConsecutiveInconclusive++
	}
	return verdict, decided
}

// recheckBeforeTraffic makes sure that, after a resume, a guarded hook
// follows a passing check round of this pass. A rollout resumed after a
// crash may sit right before its promotion or cutover, with every check
// that allowed it run by a process that is gone, so the slot the strategy
// named (step.RecheckSlot) is checked first, with up to failure_threshold
// tries. It returns a note for the history, or the failure that stops the
// rollout.
func (rc *Pass) recheckBeforeTraffic(ctx context.Context, step *domain.Step) (note, failure string, err error) {
	if !rc.resumed || rc.passedThisPass {
		return "", "", nil
	}
	slot := step.RecheckSlot
	if slot == "" || (!rc.hasChecks() && len(step.Checks) == 0) {
		return "", "", nil
	}
	metrics := append(rc.creds.MetricChecks("check", rc.spec.Checks), rc.creds.MetricChecks(stepCheckBlock(*step), step.Checks)...)
	n, last, err := rc.tryChecks(ctx, slot, true, metrics, step.FailureThreshold, step.Interval)
	if err != nil {
		return "", "", err
	}
	if last != nil {
		return "", fmt.Sprintf("re-check of the %s slot before %s failed %d time(s) after the rollout resumed; check %q: %s",
			slot, rc.StepTitle(rc.r().StepIndex), n, last.Name, last.Detail), nil
	}
	rc.m.Log.Info(ctx, "ocuroot: re-checked before moving traffic", map[string]any{
		"deployment": rc.d.ID(), "step": rc.StepTitle(rc.r().StepIndex), "step_index": rc.stepIndex(rc.r().StepIndex), "slot": slot, "tries": n})
	return fmt.Sprintf("; %s slot re-checked first after the resume (passed after %d try(s))", slot, n), "", nil
}
