package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// TestAccDeployment_blueGreenAutomatic updates a direct deployment to a
// blue-green one: green is created and probed without traffic, cut over,
// and only then is blue drained.
func TestAccDeployment_blueGreenAutomatic(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           deployConfig(store, url, "1", ""),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				Config: deployConfig(store, url, "2", blueGreenAutomatic),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("create green → wait until green is healthy → cutover to green → drain blue")),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100},
						"deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
					checkTarget(target, greenProbedBeforeCutover),
				),
			},
		},
	})
}

// greenProbedBeforeCutover checks the state machine's order on the wire:
// the green slot is health-checked after it was created and before it
// takes traffic, and blue drains strictly after the cutover.
func greenProbedBeforeCutover(target *demotarget.Target) error {
	created, ok := acceptedCall(target, hookreceiver.EventGreenCreate, "prod0")
	if !ok {
		return errorf("no green.create was accepted")
	}
	cutover, ok := acceptedCall(target, hookreceiver.EventCutover, "prod0")
	if !ok {
		return errorf("no cutover was accepted")
	}
	drain, ok := acceptedCall(target, hookreceiver.EventBlueDrain, "prod0")
	if !ok {
		return errorf("no blue.drain was accepted")
	}
	greenProbes := 0
	for _, p := range target.Probes() {
		if p.Kind != demotarget.ProbeHealth || p.Slot != hookreceiver.SlotGreen {
			continue
		}
		if p.Version != "2" {
			return errorf("green probe of version %q, want 2", p.Version)
		}
		if p.Time.Before(created.Time) || !p.Time.Before(cutover.Time) {
			return errorf("green probe at %s is outside green.create (%s) … cutover (%s)", p.Time, created.Time, cutover.Time)
		}
		greenProbes++
	}
	if greenProbes == 0 {
		return errorf("the green slot was never health-checked before the cutover")
	}
	if !cutover.Time.Before(drain.Time) {
		return errorf("blue.drain at %s is not after the cutover at %s", drain.Time, cutover.Time)
	}
	return nil
}

// TestAccDeployment_blueGreenManual stops a blue-green update at the
// promotion gate: the apply succeeds with blue still serving and green
// pending without traffic, and a refresh plans nothing.
func TestAccDeployment_blueGreenManual(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", blueGreenManual)},
			{
				Config: deployConfig(store, url, "2", blueGreenManual) + historyOf("api"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("create green → wait until green is healthy → await promotion → cutover to green → drain blue")),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("release"), knownvalue.StringExact("api@2"))),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@1", map[string]int{"api@1": 100}, "deploy:100:stable", "green.create:0:green")),
					checkTarget(target, func(target *demotarget.Target) error {
						state, _ := target.State("api", "prod0")
						if state.Green != "api@2" || state.Pending != "api@2" {
							return fmt.Errorf("target green = %q pending = %q, want api@2 waiting without traffic", state.Green, state.Pending)
						}
						return nil
					}),
					historyContains("api", "waiting to be promoted"),
				),
			},
		},
	})
}

// TestAccDeployment_planTimeValidation refuses inconsistent strategy, retry
// and check settings at plan time, each naming what to fix.
func TestAccDeployment_planTimeValidation(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	_, url := startTarget(t)
	planError := func(cfg, words string) resource.TestStep {
		return resource.TestStep{Config: cfg, PlanOnly: true, ExpectError: diagPattern(words)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			planError(deployConfig(store, url, "1", `strategy = "canary"`),
				`Canary Steps Missing ... strategy = "canary" needs a canary block with at least one step`),
			planError(deployConfig(store, url, "1", `
  strategy = "canary"
  canary {}
`), `Canary Steps Missing`),
			planError(deployConfig(store, url, "1", `
  strategy = "canary"
  canary {
    step {
      weight = 50
      bake   = "1s"
    }
    step {
      weight = 10
      bake   = "1s"
    }
  }
`), `Canary Weights Decrease ... weight = 10 ... Step 2 has weight 10, lower than the 50 of the step before`),
			planError(deployConfigHook(t, store, url, "1", `
    retry {
      min_wait = "2s"
      max_wait = "100ms"
    }
`, ""), `Retry Waits Inverted ... max_wait = "100ms" ... max_wait (100ms) must be at least min_wait (2s)`),
			planError(deployConfig(store, url, "1", fmt.Sprintf(`
  check {
    name = "errors"
    url  = "%s/metrics/{environment}/{version}"
    path = "error_rate"
    min  = 0.5
    max  = 0.1
  }
`, url)), `Check Bounds Inverted ... max = 0.1 ... max (0.1) is below min (0.5)`),
		},
	})
}
