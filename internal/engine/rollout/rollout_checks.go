package rollout

import (
	"context"
	"fmt"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"time"
)

// runChecks evaluates the health check and every metric check once.
func (rc *Pass) runChecks(ctx context.Context, slot string) []domain.CheckResult {
	return rc.runCheckSet(ctx, slot, rc.spec.HealthCheck != nil, rc.creds.MetricChecks("check", rc.spec.Checks))
}

// runCheckSet evaluates the health check (when health is set) and the given
// metric checks (their headers bound, see boundCredentials) once, in that
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
