package rollout

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// canaryStrategy moves traffic to the new release in weighted steps:
//
//  1. for each canary step: send canary.weight with the step's weight,
//     then bake at it for the step's duration, running the checks every
//     check_interval; failure_threshold consecutive failed rounds roll back;
//  2. with manual_promotion, stop at awaiting_promotion until an
//     ocuroot_promotion;
//  3. send promote: the new release takes 100% and is live.
//
// A rollback withdraws the canary; 100% goes back to the stable release.
type canaryStrategy struct{}

func (canaryStrategy) plan(spec domain.DeploymentSpec) (steps []domain.Step, reason string) {
	for _, s := range spec.Canary.Steps {
		steps = append(steps,
			domain.Step{Kind: domain.StepHook, Event: domain.EventCanaryWeight, Weight: s.Weight, Slot: domain.SlotCanary},
			domain.Step{Kind: domain.StepBake, Weight: s.Weight, Slot: domain.SlotCanary, Duration: s.Bake},
		)
	}
	if spec.Canary.ManualPromotion {
		steps = append(steps, domain.Step{Kind: domain.StepGate, Weight: lastWeight(steps), Slot: domain.SlotCanary})
	}
	steps = append(steps, domain.Step{Kind: domain.StepHook, Event: domain.EventPromote, Weight: 100, Slot: domain.SlotStable})
	if len(spec.Canary.Steps) == 1 {
		return steps, "canary in 1 step"
	}
	return steps, fmt.Sprintf("canary in %d steps", len(spec.Canary.Steps))
}

func lastWeight(steps []domain.Step) int {
	if len(steps) == 0 {
		return 0
	}
	return steps[len(steps)-1].Weight
}

// pace: a bake checks every check interval (the health check's own, when it
// has one) and rolls back after failure_threshold consecutive failures. A
// hook that moves more traffic to the canary (a later weight, the
// promotion) re-checks the canary first after a resume; the first weight
// has nothing to check yet.
func (canaryStrategy) pace(spec domain.DeploymentSpec, i int, step *domain.Step) {
	switch {
	case step.Kind == domain.StepBake:
		step.Interval, step.FailureThreshold = spec.CheckInterval(), spec.Canary.FailureThreshold
	case step.Kind == domain.StepHook && (step.Event == domain.EventPromote || (step.Event == domain.EventCanaryWeight && i > 0)):
		step.RecheckSlot = domain.SlotCanary
		step.Interval, step.FailureThreshold = spec.CheckInterval(), max(spec.Canary.FailureThreshold, 1)
	}
}

// RollbackSlot: a failure while the canary takes traffic withdraws it; a
// first deployment (direct, on the stable slot) restores stable.
func (canaryStrategy) rollbackSlot(step *domain.Step) string {
	if step != nil && step.Slot == domain.SlotCanary {
		return domain.SlotCanary
	}
	return domain.SlotStable
}

// bake holds the step's weight until its duration was observed with checks
// running; step.FailureThreshold consecutive failed rounds roll back.
func (rc *Pass) bake(ctx context.Context, step *domain.Step) (stepOutcome, error) {
	before := rc.r().StepObserved
	outcome, passed, failed, err := rc.observe(ctx, observation{
		step: step, slot: step.Slot, checks: rc.hasChecks(),
		interval: step.Interval, threshold: step.FailureThreshold,
		during: fmt.Sprintf("while baking at %d%% traffic", step.Weight),
	})
	if outcome.kind == stepDone {
		outcome.detail = fmt.Sprintf("baked %s at %d%%%s: %d check round(s) passed, %d failed%s",
			domain.FormatDuration(step.Duration), step.Weight, observedBefore(before), passed, failed, rc.analysis.suffix())
	}
	return outcome, err
}
