package rollout

import (
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// BlockingPart is one step that can hold an apply: a bake or a delay for
// its configured length, or a wait for health bounded by the progress
// deadline.
type BlockingPart struct {
	Step domain.Step
	// Duration is how long the step may block at worst.
	Duration time.Duration
	// CanaryStep is the 0-based canary step of a bake, -1 otherwise.
	CanaryStep int
}

// WorstCaseBlocking is the longest an apply of the rollout can block on
// bakes, delays and waits for health (each bounded by the progress
// deadline, and only when a health check is configured: without one the
// engine does not wait). The apply ends at a promotion gate, so the steps
// after it block the ocuroot_promotion, not the deployment. Hook calls and
// check rounds come on top and are not counted.
func WorstCaseBlocking(resolved domain.ResolvedSpec, hasLiveRelease bool) (time.Duration, []BlockingPart) {
	steps, _ := PlanRollout(resolved, hasLiveRelease)
	return WorstCaseBlockingOf(resolved, steps)
}

// WorstCaseBlockingOf is WorstCaseBlocking of steps already planned from
// resolved.
func WorstCaseBlockingOf(resolved domain.ResolvedSpec, steps []domain.Step) (time.Duration, []BlockingPart) {
	spec := resolved.Spec()
	var total time.Duration
	var parts []BlockingPart
	bakes := 0
	for _, s := range steps {
		part := BlockingPart{Step: s, CanaryStep: -1}
		switch s.Kind {
		case domain.StepGate:
			return total, parts
		case domain.StepBake:
			part.Duration, part.CanaryStep = s.Duration, bakes
			bakes++
		case domain.StepDelay:
			part.Duration = s.Duration
		case domain.StepAwaitHealthy:
			if spec.HealthCheck == nil {
				continue
			}
			part.Duration = spec.ProgressDeadline
		default:
			continue
		}
		if part.Duration > 0 {
			total += part.Duration
			parts = append(parts, part)
		}
	}
	return total, parts
}
