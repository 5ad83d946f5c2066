package rollout

import "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"

// strategyRules is what differs between the strategies; the step loop that
// runs their steps (rollout.go, steps.go) is shared. Each strategy
// lives in one file: direct.go, canary.go and
// bluegreen.go hold its plan, the settings its steps run with, its
// own step behaviour and what its rollback restores.
type strategyRules interface {
	// plan returns the steps of an update, with a release live already,
	// and the reason recorded in the history.
	plan(spec domain.DeploymentSpec) (steps []domain.Step, reason string)
	// pace fills what step i reads at run time (interval, threshold, check
	// set, re-check slot) from spec. Steps of another shape are left alone.
	pace(spec domain.DeploymentSpec, i int, step *domain.Step)
	// RollbackSlot is the slot a rollback restores when step failed (nil:
	// past the end of the plan).
	rollbackSlot(step *domain.Step) string
}

// strategyFor returns the rules of a strategy, or nil for an unknown one.
// An empty strategy is direct, the default.
func strategyFor(s domain.Strategy) strategyRules {
	switch s {
	case domain.StrategyDirect, "":
		return directStrategy{}
	case domain.StrategyCanary:
		return canaryStrategy{}
	case domain.StrategyBlueGreen:
		return blueGreenStrategy{}
	}
	return nil
}

// PaceSteps fills the run-time settings of steps planned by strategy from
// spec. The plan does it for a new rollout; every pass of the state machine
// does it again, because those settings are never stored.
func PaceSteps(strategy domain.Strategy, spec domain.DeploymentSpec, steps []domain.Step) {
	rules := strategyFor(strategy)
	if rules == nil {
		return
	}
	for i := range steps {
		rules.pace(spec, i, &steps[i])
	}
}

// RollbackSlot says what a rollback restores, from the step that failed:
// a canary is withdrawn, a green slot discarded before cutover, traffic
// switched back to blue after it, and a direct deploy replaced by the
// previous release.
func RollbackSlot(strategy domain.Strategy, step *domain.Step) string {
	rules := strategyFor(strategy)
	if rules == nil {
		return domain.SlotStable
	}
	return rules.rollbackSlot(step)
}
