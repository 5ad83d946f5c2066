package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

const canarySettings = `
  strategy = "canary"
  canary {
    check_interval    = "1m"
    failure_threshold = 2
    step {
      weight = 10
      bake   = "5m"
    }
    step {
      weight = 50
      bake   = "5m"
    }
  }
`

func TestAccDeployment_directCreateAndDestroy(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config: deployConfig(store, url, "1", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"), knownvalue.StringExact("deploy → wait until stable is healthy")),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("id"), knownvalue.StringExact("api/prod0")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("status"), knownvalue.StringExact("succeeded")),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("live_release"), knownvalue.StringExact("api@1")),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("traffic_percent"), knownvalue.Int64Exact(100)),
				},
				Check: func(*terraform.State) error {
					if err := expectEvents("deploy:100:stable")(target); err != nil {
						return err
					}
					if target.HealthProbes() == 0 {
						return errorf("the health check was never probed")
					}
					return nil
				},
			},
			{
				ResourceName:            "ocuroot_deployment.api",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"hook", "health_check", "rollout_plan", "timeouts"},
			},
			{
				Config:  deployConfig(store, url, "1", ""),
				Destroy: true,
				Check: func(*terraform.State) error {
					return expectEvents("deploy:100:stable", "teardown:0:")(target)
				},
			},
		},
	})
}

func TestAccDeployment_canaryUpdate(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config: deployConfig(store, url, "1", canarySettings),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("direct (first deployment: nothing to protect yet) → deploy → wait until stable is healthy")),
					},
				},
			},
			{
				Config: deployConfig(store, url, "2", canarySettings),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("canary 10% bake 5m → canary 50% bake 5m → promote to 100% (bakes and delays: 10m0s)")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("status"), knownvalue.StringExact("succeeded")),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("live_release"), knownvalue.StringExact("api@2")),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("traffic_percent"), knownvalue.Int64Exact(100)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "canary.weight:50:canary", "promote:100:stable")),
					checkTarget(target, canaryCheckedDuringEachBake),
				),
			},
		},
	})
}

func TestAccDeployment_canaryRollback(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", canarySettings)},
			{
				PreConfig:   func() { target.MarkBad("2") },
				Config:      deployConfig(store, url, "2", canarySettings),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@2 to api/prod0 failed at canary step 1 of 2 (weight 10%, bake 5m): check "health" failed 2 consecutive time(s) (failure_threshold 2) while baking at 10% traffic; last: GET ... status 503, expected 200; body: "{"status":"failing","version":"2","reason":"version 2 is marked bad"}". Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`),
			},
			// State kept the old release live, so the update is proposed again.
			proposedAgain(deployConfig(store, url, "2", canarySettings),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				planCheckTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "rollback:0:canary")),
			),
		},
	})
}

// canaryCheckedDuringEachBake asserts that the canary slot of api@2 was
// probed while it baked at 10% and again at 50%, before the promotion.
func canaryCheckedDuringEachBake(target *demotarget.Target) error {
	var weights []demotarget.Call
	for _, c := range target.HookEvents() {
		if c.Event.Type == hookreceiver.EventCanaryWeight || c.Event.Type == hookreceiver.EventPromote {
			weights = append(weights, c)
		}
	}
	if len(weights) != 3 {
		return fmt.Errorf("want canary 10%%, canary 50%% and promote, got %d calls", len(weights))
	}
	for i := 0; i < 2; i++ {
		probes := 0
		for _, p := range target.Probes() {
			if p.Slot == "canary" && p.Version == "2" && p.Time.After(weights[i].Time) && p.Time.Before(weights[i+1].Time) {
				probes++
			}
		}
		if probes == 0 {
			return fmt.Errorf("no health probe of the canary while it baked at %d%%", weights[i].Event.Weight)
		}
	}
	return nil
}
