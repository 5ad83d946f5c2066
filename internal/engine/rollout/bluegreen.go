package rollout

import (
	"context"
	"fmt"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// blueGreenStrategy brings the new release up beside the live one (blue)
// in a green slot with no traffic, then switches all traffic at once:
//
//  1. green.create, then wait until green is healthy;
//  2. with manual_promotion, stop at awaiting_promotion until an
//     ocuroot_promotion;
//  3. the promotion delay: green must stay healthy this long;
//  4. the pre-promotion checks, then cutover: green takes 100% before blue
//     drains, so there is never a moment without a serving slot;
//  5. the post-promotion checks, the scale-down delay, then blue.drain.
//
// A failure before the cutover discards green; after it, traffic switches
// back to blue.
type blueGreenStrategy struct{}

func (blueGreenStrategy) plan(spec domain.DeploymentSpec) (steps []domain.Step, reason string) {
	bg := spec.BlueGreen
	steps = append(steps,
		domain.Step{Kind: domain.StepHook, Event: domain.EventGreenCreate, Weight: 0, Slot: domain.SlotGreen},
		domain.Step{Kind: domain.StepAwaitHealthy, Weight: 0, Slot: domain.SlotGreen},
	)
	if bg.ManualPromotion {
		steps = append(steps, domain.Step{Kind: domain.StepGate, Weight: 0, Slot: domain.SlotGreen})
	}
	if bg.PromotionDelay > 0 {
		steps = append(steps, domain.Step{Kind: domain.StepDelay, Weight: 0, Slot: domain.SlotGreen, Duration: bg.PromotionDelay})
	}
	if len(bg.PrePromotionCheck) > 0 {
		steps = append(steps, domain.Step{Kind: domain.StepVerify, Weight: 0, Slot: domain.SlotGreen, CheckSet: domain.CheckSetPrePromotion})
	}
	steps = append(steps, domain.Step{Kind: domain.StepHook, Event: domain.EventCutover, Weight: 100, Slot: domain.SlotGreen})
	if len(bg.PostPromotionCheck) > 0 {
		steps = append(steps, domain.Step{Kind: domain.StepVerify, Weight: 100, Slot: domain.SlotGreen, CheckSet: domain.CheckSetPostPromotion, AfterCutover: true})
	}
	if bg.ScaleDownDelay > 0 {
		steps = append(steps, domain.Step{Kind: domain.StepDelay, Weight: 100, Slot: domain.SlotBlue, Duration: bg.ScaleDownDelay, AfterCutover: true})
	}
	steps = append(steps, domain.Step{Kind: domain.StepHook, Event: domain.EventBlueDrain, Weight: 100, Slot: domain.SlotBlue, AfterCutover: true})
	return steps, "blue-green"
}

// pace: delays and the pre- and post-promotion checks are paced by the
// blue_green settings. The cutover re-checks green with the pre-promotion
// checks after a resume, and draining blue with the post-promotion ones,
// since the checks that allowed them may have run in a process that is gone.
func (blueGreenStrategy) pace(spec domain.DeploymentSpec, _ int, step *domain.Step) {
	bg := spec.BlueGreen
	paced := func() { step.Interval, step.FailureThreshold = bg.CheckInterval, max(bg.FailureThreshold, 1) }
	switch {
	case step.Kind == domain.StepDelay:
		paced()
	case step.Kind == domain.StepVerify && step.CheckSet == domain.CheckSetPostPromotion:
		paced()
		step.Checks = bg.PostPromotionCheck
	case step.Kind == domain.StepVerify:
		paced()
		step.Checks = bg.PrePromotionCheck
	case step.Kind == domain.StepHook && step.Event == domain.EventCutover:
		paced()
		step.RecheckSlot, step.Checks = domain.SlotGreen, bg.PrePromotionCheck
	case step.Kind == domain.StepHook && step.Event == domain.EventBlueDrain:
		paced()
		step.RecheckSlot, step.Checks = domain.SlotGreen, bg.PostPromotionCheck
	}
}

// RollbackSlot: after the cutover, traffic switches back to blue; before
// it, green is discarded; a first deployment (direct) restores stable.
func (blueGreenStrategy) rollbackSlot(step *domain.Step) string {
	switch {
	case step != nil && step.AfterCutover:
		return domain.SlotBlue
	case step != nil && step.Slot == domain.SlotGreen:
		return domain.SlotGreen
	}
	return domain.SlotStable
}

// delay runs a blue-green delay on observed time. The promotion delay means
// "green healthy for this long", so it checks green every interval and
// fails like a bake; the scale-down delay only keeps blue around, so it
// counts observed time without checks.
func (rc *Pass) delay(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	before := rc.r().StepObserved
	promotionDelay := !step.AfterCutover
	o := observation{step: step, slot: step.Slot, interval: step.Interval, threshold: step.FailureThreshold}
	if promotionDelay {
		o.checks = rc.hasChecks()
		o.during = fmt.Sprintf("during the promotion delay of the %s slot", step.Slot)
	}
	outcome, passed, failed, err := rc.observe(ctx, o)
	switch {
	case outcome.kind != stepDone:
	case promotionDelay && o.checks:
		outcome.detail = fmt.Sprintf("%s healthy for %s%s: %d check round(s) passed, %d failed%s",
			step.Slot, domain.FormatDuration(step.Duration), observedBefore(before), passed, failed, rc.analysis.suffix())
	default:
		outcome.detail = fmt.Sprintf("waited %s%s", domain.FormatDuration(step.Duration), observedBefore(before))
	}
	return outcome, err
}

// verify runs a pre- or post-promotion check set: every check must pass,
// with up to step.FailureThreshold tries an interval apart. It keeps no
// progress: a verify resumed after a crash runs again and must pass again.
func (rc *Pass) verify(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	label := strings.ReplaceAll(step.CheckSet, "_", "-")
	tries, last, err := rc.tryChecks(ctx, step.Slot, false, rc.creds.MetricChecks(stepCheckBlock(*step), step.Checks), step.FailureThreshold, step.Interval)
	switch {
	case err != nil:
		return stepOutcome{}, err
	case last == nil:
		return stepOutcome{kind: stepDone, detail: fmt.Sprintf("%d %s check(s) passed%s", len(step.Checks), label, rc.analysis.suffix())}, nil
	}
	return stepOutcome{kind: stepFailed, detail: fmt.Sprintf("%s check %q failed %d time(s): %s", label, last.Name, tries, last.Detail)}, nil
}
