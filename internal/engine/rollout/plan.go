package rollout

import (
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// PlanRollout returns the steps that move a deployment to a new release.
// It is a pure function of the spec and of whether a release is live
// already, so the same plan is shown at plan time and run at apply time.
// Each strategy plans its own steps (direct.go, canary.go,
// bluegreen.go).
//
// A first deployment (nothing live) has nothing to canary or to protect
// with a blue slot: every strategy deploys directly.
func PlanRollout(resolved domain.ResolvedSpec, hasLiveRelease bool) (steps []domain.Step, reason string) {
	spec := resolved.Spec()
	if !hasLiveRelease {
		steps, reason = planFirstDeployment(spec.Strategy)
	} else {
		rules := strategyFor(spec.Strategy)
		if rules == nil {
			return nil, ""
		}
		steps, reason = rules.plan(spec)
	}
	PaceSteps(spec.Strategy, spec, steps)
	return steps, reason
}

// RolloutSummary is the one-line preview of what the next rollout will do
// and how long its bakes and delays block, shown at plan time, e.g.
// "canary 10% bake 5m → canary 50% bake 5m → promote to 100% (bakes and
// delays: 10m0s)". A first deployment under a non-direct strategy says why
// it goes directly.
func RolloutSummary(resolved domain.ResolvedSpec, hasLiveRelease bool) string {
	steps, _ := PlanRollout(resolved, hasLiveRelease)
	return SummarizeRollout(resolved, steps, hasLiveRelease)
}

// SummarizeRollout is RolloutSummary of steps already planned from
// resolved, for a caller that uses the steps for more than the summary.
func SummarizeRollout(resolved domain.ResolvedSpec, steps []domain.Step, hasLiveRelease bool) string {
	spec := resolved.Spec()
	text := domain.DescribeRolloutWith(steps, analysisOf(spec))
	if !hasLiveRelease && spec.Strategy != "" && spec.Strategy != domain.StrategyDirect {
		text = "direct (first deployment: nothing to protect yet) → " + text
	}
	if wait := domain.PlannedWait(steps); wait > 0 {
		text += fmt.Sprintf(" (bakes and delays: %s)", wait)
	}
	return text
}
