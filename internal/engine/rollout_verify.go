package engine

import (
	"context"
	"fmt"
	"strings"
)

// runChecks evaluates the health check and every metric check once.
func (rc *rolloutContext) runChecks(ctx context.Context, slot string) []CheckResult {
	return rc.runCheckSet(ctx, slot, rc.spec.HealthCheck != nil, rc.spec.Checks)
}

// runCheckSet evaluates the health check (when health is set) and the given
// metric checks once, in that order.
func (rc *rolloutContext) runCheckSet(ctx context.Context, slot string, health bool, metrics []MetricCheck) []CheckResult {
	vars := rc.placeholders(slot)
	var results []CheckResult
	if health && rc.spec.HealthCheck != nil {
		results = append(results, rc.e.checker.Health(ctx, *rc.spec.HealthCheck, vars))
	}
	for _, mc := range metrics {
		results = append(results, rc.e.checker.Metric(ctx, mc, vars))
	}
	return results
}

func firstFailed(results []CheckResult) *CheckResult {
	for i := range results {
		if !results[i].OK {
			return &results[i]
		}
	}
	return nil
}

// verify runs a pre- or post-promotion check set: every check must pass,
// with up to failure_threshold tries an interval apart. It keeps no
// progress: a verify resumed after a crash runs again and must pass again.
func (rc *rolloutContext) verify(ctx context.Context, step *Step) (stepOutcome, error) {
	checks := rc.spec.BlueGreen.PrePromotionCheck
	if step.CheckSet == CheckSetPostPromotion {
		checks = rc.spec.BlueGreen.PostPromotionCheck
	}
	label := strings.ReplaceAll(step.CheckSet, "_", "-")
	tries, last, err := rc.tryChecks(ctx, step.Slot, false, checks, max(rc.spec.BlueGreen.FailureThreshold, 1), rc.spec.BlueGreen)
	switch {
	case err != nil:
		return stepOutcome{}, err
	case last == nil:
		return stepOutcome{done: true, note: fmt.Sprintf("%d %s check(s) passed", len(checks), label)}, nil
	}
	return stepOutcome{failure: fmt.Sprintf("%s check %q failed %d time(s): %s", label, last.Name, tries, last.Detail)}, nil
}

// tryChecks runs a check set up to tries times, pace.CheckInterval apart,
// until a round passes. It returns the rounds run and the failed check of
// the last round, or nil when a round passed.
func (rc *rolloutContext) tryChecks(ctx context.Context, slot string, health bool, metrics []MetricCheck, tries int, pace BlueGreenSpec) (int, *CheckResult, error) {
	var last *CheckResult
	for try := 1; try <= tries; try++ {
		results := rc.runCheckSet(ctx, slot, health, metrics)
		if ctx.Err() != nil {
			return try, nil, ctx.Err()
		}
		if last = firstFailed(results); last == nil {
			rc.recordPass()
			return try, nil, nil
		}
		rc.r().ChecksFailed++
		if try < tries {
			if err := rc.wait(ctx, pace.CheckInterval); err != nil {
				return try, last, err
			}
		}
	}
	return tries, last, nil
}

// recheckTarget says which slot must be checked before a hook step, and
// with which checks beyond health_check and check blocks. A hook that moves
// more traffic to the new release (a later canary weight, the promotion,
// the cutover) or removes the fallback (draining blue) is guarded; the
// first hook of a rollout has nothing to check yet.
func recheckTarget(step *Step, stepIndex int, bg BlueGreenSpec) (slot string, extra []MetricCheck, guarded bool) {
	switch step.Event {
	case EventCanaryWeight:
		if stepIndex == 0 {
			return "", nil, false
		}
		return SlotCanary, nil, true
	case EventPromote:
		return SlotCanary, nil, true
	case EventCutover:
		return SlotGreen, bg.PrePromotionCheck, true
	case EventBlueDrain:
		return SlotGreen, bg.PostPromotionCheck, true
	}
	return "", nil, false
}

// recheckBeforeTraffic makes sure that, after a resume, a guarded hook
// follows a passing check round of this pass. A rollout resumed after a
// crash may sit right before its promotion or cutover, with every check
// that allowed it run by a process that is gone, so the slot is checked
// first, with up to failure_threshold tries. It returns a note for the
// history, or the failure that stops the rollout.
func (rc *rolloutContext) recheckBeforeTraffic(ctx context.Context, step *Step) (note, failure string, err error) {
	if !rc.resumed || rc.passedThisPass {
		return "", "", nil
	}
	slot, extra, guarded := recheckTarget(step, rc.r().StepIndex, rc.spec.BlueGreen)
	if !guarded || (!rc.hasChecks() && len(extra) == 0) {
		return "", "", nil
	}
	pace, tries := rc.spec.BlueGreen, max(rc.spec.BlueGreen.FailureThreshold, 1)
	if rc.spec.Strategy == StrategyCanary {
		pace.CheckInterval, tries = rc.spec.checkInterval(), max(rc.spec.Canary.FailureThreshold, 1)
	}
	metrics := append(append([]MetricCheck(nil), rc.spec.Checks...), extra...)
	n, last, err := rc.tryChecks(ctx, slot, true, metrics, tries, pace)
	if err != nil {
		return "", "", err
	}
	if last != nil {
		return "", fmt.Sprintf("re-check of the %s slot before %s failed %d time(s) after the rollout resumed; check %q: %s",
			slot, DescribeStep(*step), n, last.Name, last.Detail), nil
	}
	rc.e.log.Info(ctx, "ocuroot: re-checked before moving traffic", map[string]any{"deployment": rc.d.ID(), "step": rc.stepLabel(rc.r().StepIndex), "slot": slot, "tries": n})
	return fmt.Sprintf("; %s slot re-checked first after the resume (passed after %d try(s))", slot, n), "", nil
}
