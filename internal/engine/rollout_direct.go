package engine

import "fmt"

// directStrategy deploys the new release in one step and waits until it
// is healthy. It is also how every strategy makes a first deployment: with
// nothing live there is nothing to canary against or protect with blue.
type directStrategy struct{}

func (directStrategy) plan(DeploymentSpec) ([]Step, string) {
	return directSteps(), "direct deployment"
}

// pace: a direct deployment's only wait is for health, paced by the
// health_check block itself.
func (directStrategy) pace(DeploymentSpec, int, *Step) {}

// rollbackSlot: a direct deploy is replaced by the previous release.
func (directStrategy) rollbackSlot(*Step) string { return SlotStable }

// planFirstDeployment is the plan of a deployment with nothing live, under
// any strategy; the reason says why a canary or blue-green went direct.
func planFirstDeployment(strategy Strategy) ([]Step, string) {
	if strategy == StrategyDirect || strategy == "" {
		return directSteps(), "direct deployment"
	}
	return directSteps(), fmt.Sprintf("first deployment into an empty environment: nothing to protect with %s, deploying directly", strategy)
}

func directSteps() []Step {
	return []Step{
		{Kind: StepHook, Event: EventDeploy, Weight: 100, Slot: SlotStable},
		{Kind: StepAwaitHealthy, Weight: 100, Slot: SlotStable},
	}
}
