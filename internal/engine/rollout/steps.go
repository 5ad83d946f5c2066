package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// runStep runs one step until it is done, opens a gate, or fails. A
// returned error means the pass was interrupted (context or store), not
// that the step failed: step failures are outcomes.
func (rc *Pass) runStep(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	switch step.Kind {
	case domain.StepHook:
		return rc.runHookStep(ctx, step)
	case domain.StepAwaitHealthy:
		return rc.awaitHealthy(ctx, step)
	case domain.StepBake:
		return rc.bake(ctx, step)
	case domain.StepGate:
		if p := rc.r().Promotion; p != nil && p.Release == rc.r().Release {
			return stepOutcome{kind: stepDone, detail: fmt.Sprintf("promoted by %s%s", p.By, NoteSuffix(p.Note))}, nil
		}
		return stepOutcome{kind: stepAtGate}, nil
	case domain.StepDelay:
		return rc.delay(ctx, step)
	case domain.StepVerify:
		return rc.verify(ctx, step)
	}
	return stepOutcome{}, fmt.Errorf("unknown step kind %q in rollout plan", step.Kind)
}

// NoteSuffix is note as the tail of a history reason: ": note", or
// nothing for an empty note.
func NoteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// runHookStep sends the step's event and applies its effect on traffic.
func (rc *Pass) runHookStep(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	r := rc.r()
	rechecked, failure, err := rc.recheckBeforeTraffic(ctx, step)
	if err != nil {
		return stepOutcome{}, err
	}
	if failure != "" {
		return stepOutcome{kind: stepFailed, detail: failure}, nil
	}
	if rc.outage.active() {
		return stepOutcome{kind: stepHeld}, nil // the store went away during the re-check
	}
	res, err := rc.SendEvent(ctx, step.Event, step.Weight, step.Slot, rc.IdempotencyKey(fmt.Sprintf("step-%d", r.StepIndex), step.Event))
	if err != nil {
		if ctx.Err() != nil {
			return stepOutcome{}, ctx.Err()
		}
		return stepOutcome{kind: stepFailed, detail: err.Error()}, nil
	}
	rc.applyHookEffect(step)
	if res.Attempts == 0 {
		return stepOutcome{kind: stepDone, detail: fmt.Sprintf("%s (no hook configured)%s", domain.DescribeStep(*step), rechecked)}, nil
	}
	return stepOutcome{kind: stepDone, detail: fmt.Sprintf("%s: hook %q accepted (HTTP %d after %d attempt(s))%s", domain.DescribeStep(*step), step.Event, res.StatusCode, res.Attempts, rechecked)}, nil
}

// applyHookEffect records what an accepted event did to traffic.
func (rc *Pass) applyHookEffect(step *domain.Step) {
	r, d := rc.r(), rc.d
	switch step.Event {
	case domain.EventDeploy, domain.EventPromote, domain.EventCutover:
		d.LiveRelease = r.Release
		d.PendingRelease = ""
		d.TrafficPercent = 100
	case domain.EventCanaryWeight:
		d.PendingRelease = r.Release
		d.TrafficPercent = step.Weight
	case domain.EventGreenCreate:
		d.PendingRelease = r.Release
		d.TrafficPercent = 0
	}
}

// IdempotencyKey is the Idempotency-Key of the event sent at step:
// <package>/<environment>/<rollout id>/<step>/<event>, the same on every
// retry and resume of that step.
func (rc *Pass) IdempotencyKey(step, event string) string {
	return fmt.Sprintf("%s/%s/%s/%s", rc.d.ID(), rc.r().ID, step, event)
}

// SendEvent delivers one event; with no hook configured it does nothing.
// It signs with the credentials bound for this pass: the deployment's own
// secret, its named credential's, or the engine's default, in that order.
func (rc *Pass) SendEvent(ctx context.Context, eventType string, weight int, slot, key string) (domain.HookResult, error) {
	if rc.spec.Hook == nil || rc.spec.Hook.URL == "" {
		return domain.HookResult{}, nil
	}
	r := rc.r()
	ev := domain.Event{
		Type: eventType, Package: rc.d.Package, Environment: rc.d.Environment, EnvironmentAttributes: rc.env.Attributes,
		Release: r.Release, Version: rc.version(), PreviousRelease: r.PreviousRelease, Weight: weight, Slot: slot,
		Attempt: r.StepAttempt, RolloutID: r.ID, Step: r.StepIndex, Reason: r.FailureReason, Time: rc.m.Clock.Now(),
	}
	if ev.EnvironmentAttributes == nil {
		ev.EnvironmentAttributes = map[string]string{}
	}
	hook := rc.creds.hook
	if hook == nil {
		// Every rollout context binds its credentials before it runs; a
		// hook without them would go out unsigned.
		return domain.HookResult{}, fmt.Errorf("internal error: the hook of %s has no bound credentials; nothing was sent", rc.d.ID())
	}
	rc.m.Log.Debug(ctx, "ocuroot: sending hook", map[string]any{"deployment": rc.d.ID(), "event": eventType, "release": r.Release, "weight": weight, "slot": slot})
	return rc.m.Hooks.Send(ctx, *hook, key, ev)
}

func (rc *Pass) placeholders(slot string) domain.Placeholders {
	return domain.Placeholders{Package: rc.d.Package, Environment: rc.d.Environment, Version: rc.version(), Release: rc.r().Release, Slot: slot}
}

// wait sleeps for d while keeping the lease alive. A promotion delay, a
// long health wait or a slow check interval can outlast the lease TTL, and
// an expired lease would let a second run interleave with this one, so the
// wait is cut into pieces of a third of the TTL with a renewal after each.
// A renewal the store could not answer does not end the wait: the checks
// go on, and nothing moves traffic until the store is back (see
// store_outage.go).
func (rc *Pass) wait(ctx context.Context, d time.Duration) error {
	piece := max(rc.m.LeaseTTL/3, time.Millisecond)
	for d > 0 {
		nap := min(d, piece)
		if err := domain.Sleep(ctx, rc.m.Clock, nap); err != nil {
			return err
		}
		d -= nap
		if err := rc.lease.Renew(ctx); err != nil && !rc.storeUnreachable(ctx, err) {
			return err
		}
	}
	return ctx.Err()
}
