package rollout

import (
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// directStrategy deploys the new release in one step and waits until it
// is healthy. It is also how every strategy makes a first deployment: with
// nothing live there is nothing to canary against or protect with blue.
type directStrategy struct{}

func (directStrategy) plan(domain.DeploymentSpec) ([]domain.Step, string) {
	return directSteps(), "direct deployment"
}

// pace: a direct deployment's only wait is for health, paced by the
// health_check block itself.
func (directStrategy) pace(domain.DeploymentSpec, int, *domain.Step) {}

// RollbackSlot: a direct deploy is replaced by the previous release.
func (directStrategy) rollbackSlot(*domain.Step) string { return domain.SlotStable }

// planFirstDeployment is the plan of a deployment with nothing live, under
// any strategy; the reason says why a canary or blue-green went direct.
func planFirstDeployment(strategy domain.Strategy) ([]domain.Step, string) {
	if strategy == domain.StrategyDirect || strategy == "" {
		return directSteps(), "direct deployment"
	}
	return directSteps(), fmt.Sprintf("first deployment into an empty environment: nothing to protect with %s, deploying directly", strategy)
}

func directSteps() []domain.Step {
	return []domain.Step{
		{Kind: domain.StepHook, Event: domain.EventDeploy, Weight: 100, Slot: domain.SlotStable},
		{Kind: domain.StepAwaitHealthy, Weight: 100, Slot: domain.SlotStable},
	}
}
