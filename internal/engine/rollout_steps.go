package engine

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// runStep runs one step until it is done, opens a gate, or fails. A
// returned error means the pass was interrupted (context or store), not
// that the step failed: step failures are outcomes.
func (rc *rolloutContext) runStep(ctx context.Context, step *Step) (stepOutcome, error) {
	switch step.Kind {
	case StepHook:
		return rc.runHookStep(ctx, step)
	case StepAwaitHealthy:
		return rc.awaitHealthy(ctx, step)
	case StepBake:
		return rc.bake(ctx, step)
	case StepGate:
		if p := rc.r().Promotion; p != nil && p.Release == rc.r().Release {
			return stepOutcome{done: true, note: fmt.Sprintf("promoted by %s%s", p.By, noteSuffix(p.Note))}, nil
		}
		return stepOutcome{gate: true}, nil
	case StepDelay:
		remaining := rc.r().StepStartedAt.Add(step.Duration).Sub(rc.e.clock.Now())
		rc.e.log.Info(ctx, "ocuroot: waiting", map[string]any{"deployment": rc.d.ID(), "step": rc.stepLabel(rc.r().StepIndex), "remaining": remaining.String()})
		if err := rc.wait(ctx, remaining); err != nil {
			return stepOutcome{}, err
		}
		return stepOutcome{done: true, note: fmt.Sprintf("waited %s", formatDuration(step.Duration))}, nil
	case StepVerify:
		return rc.verify(ctx, step)
	}
	return stepOutcome{}, fmt.Errorf("unknown step kind %q in rollout plan", step.Kind)
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// runHookStep sends the step's event and applies its effect on traffic.
func (rc *rolloutContext) runHookStep(ctx context.Context, step *Step) (stepOutcome, error) {
	r := rc.r()
	res, err := rc.sendEvent(ctx, step.Event, step.Weight, step.Slot, rc.idempotencyKey(fmt.Sprintf("step-%d", r.StepIndex), step.Event))
	if err != nil {
		if ctx.Err() != nil {
			return stepOutcome{}, ctx.Err()
		}
		return stepOutcome{failure: err.Error()}, nil
	}
	rc.applyHookEffect(step)
	if res.Attempts == 0 {
		return stepOutcome{done: true, note: fmt.Sprintf("%s (no hook configured)", DescribeStep(*step))}, nil
	}
	return stepOutcome{done: true, note: fmt.Sprintf("%s: hook %q accepted (HTTP %d after %d attempt(s))", DescribeStep(*step), step.Event, res.StatusCode, res.Attempts)}, nil
}

// applyHookEffect records what an accepted event did to traffic.
func (rc *rolloutContext) applyHookEffect(step *Step) {
	r, d := rc.r(), rc.d
	switch step.Event {
	case EventDeploy, EventPromote, EventCutover:
		d.LiveRelease = r.Release
		d.PendingRelease = ""
		d.TrafficPercent = 100
	case EventCanaryWeight:
		d.PendingRelease = r.Release
		d.TrafficPercent = step.Weight
	case EventGreenCreate:
		d.PendingRelease = r.Release
		d.TrafficPercent = 0
	}
}

func (rc *rolloutContext) idempotencyKey(step, event string) string {
	return fmt.Sprintf("%s/%s/%s/%s", rc.d.ID(), rc.r().ID, step, event)
}

// sendEvent delivers one event; with no hook configured it does nothing.
func (rc *rolloutContext) sendEvent(ctx context.Context, eventType string, weight int, slot, key string) (HookResult, error) {
	if rc.spec.Hook == nil || rc.spec.Hook.URL == "" {
		return HookResult{}, nil
	}
	r := rc.r()
	ev := Event{
		Type: eventType, Package: rc.d.Package, Environment: rc.d.Environment, EnvironmentAttributes: rc.env.Attributes,
		Release: r.Release, Version: rc.version, PreviousRelease: r.PreviousRelease, Weight: weight, Slot: slot,
		Attempt: r.StepAttempt, RolloutID: r.ID, Step: r.StepIndex, Reason: r.FailureReason, Time: rc.e.clock.Now(),
	}
	if ev.EnvironmentAttributes == nil {
		ev.EnvironmentAttributes = map[string]string{}
	}
	rc.e.log.Info(ctx, "ocuroot: sending hook", map[string]any{"deployment": rc.d.ID(), "event": eventType, "release": r.Release, "weight": weight, "slot": slot})
	return rc.e.hooks.Send(ctx, *rc.spec.Hook, key, ev)
}

func (rc *rolloutContext) placeholders(slot string) Placeholders {
	return Placeholders{Package: rc.d.Package, Environment: rc.d.Environment, Version: rc.version, Release: rc.r().Release, Slot: slot}
}

// awaitHealthy polls the health check until it passes or the progress
// deadline passes.
func (rc *rolloutContext) awaitHealthy(ctx context.Context, step *Step) (stepOutcome, error) {
	r := rc.r()
	hc := rc.spec.HealthCheck
	if hc == nil {
		return stepOutcome{done: true, note: "no health_check configured; not waiting"}, nil
	}
	probes := 0
	for {
		res := rc.e.checker.Health(ctx, *hc, rc.placeholders(step.Slot))
		if ctx.Err() != nil {
			return stepOutcome{}, ctx.Err()
		}
		probes++
		if res.OK {
			r.ChecksPassed++
			return stepOutcome{done: true, note: fmt.Sprintf("%s healthy after %d probe(s)", step.Slot, probes)}, nil
		}
		r.ChecksFailed++
		waited := rc.e.clock.Now().Sub(r.StepStartedAt)
		rc.e.log.Info(ctx, "ocuroot: not healthy yet", map[string]any{
			"deployment": rc.d.ID(), "slot": step.Slot, "probes": probes, "waited": waited.String(), "detail": res.Detail,
		})
		if StepTimedOut(r.StepStartedAt, 0, rc.spec.ProgressDeadline, rc.e.clock.Now()) {
			return stepOutcome{timeout: true, failure: fmt.Sprintf(
				"health check of the %s slot did not pass within the progress deadline of %s (%d probes; last: %s)",
				step.Slot, formatDuration(rc.spec.ProgressDeadline), probes, res.Detail)}, nil
		}
		if err := rc.wait(ctx, hc.Interval); err != nil {
			return stepOutcome{}, err
		}
	}
}

// bake holds the step's weight for its duration, running every check each
// interval; failure_threshold consecutive failed rounds roll back.
func (rc *rolloutContext) bake(ctx context.Context, step *Step) (stepOutcome, error) {
	r := rc.r()
	interval := rc.spec.checkInterval()
	threshold := rc.spec.Canary.FailureThreshold
	passed, failed := 0, 0
	for {
		elapsed := rc.e.clock.Now().Sub(r.StepStartedAt)
		remaining := step.Duration - elapsed
		if remaining <= 0 {
			return stepOutcome{done: true, note: fmt.Sprintf("baked %s at %d%%: %d check round(s) passed, %d failed", formatDuration(step.Duration), step.Weight, passed, failed)}, nil
		}
		if err := rc.wait(ctx, min(interval, remaining)); err != nil {
			return stepOutcome{}, err
		}
		results := rc.runChecks(ctx, step.Slot)
		if ctx.Err() != nil {
			return stepOutcome{}, ctx.Err()
		}
		if len(results) == 0 {
			continue
		}
		bad := firstFailed(results)
		if bad == nil {
			passed++
			r.ChecksPassed++
			r.ConsecutiveFailures = 0
		} else {
			failed++
			r.ChecksFailed++
			r.ConsecutiveFailures++
		}
		rc.e.log.Info(ctx, "ocuroot: baking", map[string]any{
			"deployment": rc.d.ID(), "step": rc.stepLabel(r.StepIndex), "weight": step.Weight,
			"bake_elapsed": rc.e.clock.Now().Sub(r.StepStartedAt).Round(time.Millisecond).String(), "bake_total": step.Duration.String(),
			"checks_passed": r.ChecksPassed, "checks_failed": r.ChecksFailed, "consecutive_failures": r.ConsecutiveFailures,
		})
		if bad != nil && r.ConsecutiveFailures >= threshold {
			return stepOutcome{failure: fmt.Sprintf("check %q failed %d consecutive time(s) (failure_threshold %d) while baking at %d%% traffic; last: %s",
				bad.Name, r.ConsecutiveFailures, threshold, step.Weight, bad.Detail)}, nil
		}
	}
}

// runChecks evaluates the health check and every metric check once.
func (rc *rolloutContext) runChecks(ctx context.Context, slot string) []CheckResult {
	vars := rc.placeholders(slot)
	var results []CheckResult
	if rc.spec.HealthCheck != nil {
		results = append(results, rc.e.checker.Health(ctx, *rc.spec.HealthCheck, vars))
	}
	for _, mc := range rc.spec.Checks {
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
// with up to failure_threshold tries an interval apart.
func (rc *rolloutContext) verify(ctx context.Context, step *Step) (stepOutcome, error) {
	checks := rc.spec.BlueGreen.PrePromotionCheck
	if step.CheckSet == CheckSetPostPromotion {
		checks = rc.spec.BlueGreen.PostPromotionCheck
	}
	tries := max(rc.spec.BlueGreen.FailureThreshold, 1)
	var last *CheckResult
	for try := 1; try <= tries; try++ {
		last = nil
		for _, mc := range checks {
			res := rc.e.checker.Metric(ctx, mc, rc.placeholders(step.Slot))
			if ctx.Err() != nil {
				return stepOutcome{}, ctx.Err()
			}
			if !res.OK {
				last = &res
				break
			}
		}
		if last == nil {
			rc.r().ChecksPassed++
			return stepOutcome{done: true, note: fmt.Sprintf("%d %s check(s) passed", len(checks), strings.ReplaceAll(step.CheckSet, "_", "-"))}, nil
		}
		rc.r().ChecksFailed++
		if try < tries {
			if err := rc.wait(ctx, rc.spec.BlueGreen.CheckInterval); err != nil {
				return stepOutcome{}, err
			}
		}
	}
	return stepOutcome{failure: fmt.Sprintf("%s check %q failed %d time(s): %s", strings.ReplaceAll(step.CheckSet, "_", "-"), last.Name, tries, last.Detail)}, nil
}

// wait sleeps for d while keeping the lease alive. A promotion delay, a
// long health wait or a slow check interval can outlast the lease TTL, and
// an expired lease would let a second run interleave with this one, so the
// wait is cut into pieces of a third of the TTL with a renewal after each.
func (rc *rolloutContext) wait(ctx context.Context, d time.Duration) error {
	piece := max(rc.e.leaseTTL/3, time.Millisecond)
	for d > 0 {
		nap := min(d, piece)
		if err := sleep(ctx, rc.e.clock, nap); err != nil {
			return err
		}
		d -= nap
		if err := rc.lease.renew(ctx); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// StepTimedOut reports whether a step that started at startedAt and plans
// to take planned has exceeded its progress deadline at now. Pure, so the
// rule is table-tested: a step may overrun its planned time by deadline.
func StepTimedOut(startedAt time.Time, planned, deadline time.Duration, now time.Time) bool {
	if deadline <= 0 {
		return false
	}
	return now.Sub(startedAt) >= planned+deadline
}
