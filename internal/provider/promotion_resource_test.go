package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// promoteAPI is the promotion of the deployment api/prod0 used by most
// tests here: it depends on the deployment through its id.
func promoteAPI(release, extra string) string {
	return promotionConfig("p", "ocuroot_deployment.api.id", release, extra)
}

// TestAccPromotion_blueGreenManual finishes a blue-green rollout held at the
// promotion gate: the promotion cuts over, then drains blue, records its
// note, and the deployment refreshes to api@2 live with nothing pending.
func TestAccPromotion_blueGreenManual(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	promoted := deployConfig(store, url, "2", blueGreenManual) + promoteAPI(`"api@2"`, `note = "ticket-1"`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", blueGreenManual)},
			{
				Config:            deployConfig(store, url, "2", blueGreenManual),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
				Check:             checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green")),
			},
			{
				Config: promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_promotion.p", tfjsonpath.New("id"), knownvalue.StringExact("api/prod0#api@2")),
					statecheck.ExpectKnownValue("ocuroot_promotion.p", tfjsonpath.New("live_release"), knownvalue.StringExact("api@2")),
					statecheck.ExpectKnownValue("ocuroot_promotion.p", tfjsonpath.New("note"), knownvalue.StringExact("ticket-1")),
					statecheck.ExpectKnownValue("ocuroot_promotion.p", tfjsonpath.New("promoted_by"), knownvalue.NotNull()),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100},
						"deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
					checkTarget(target, func(target *demotarget.Target) error {
						cutover, _ := acceptedCall(target, hookreceiver.EventCutover, "")
						drain, _ := acceptedCall(target, hookreceiver.EventBlueDrain, "")
						if !cutover.Time.Before(drain.Time) {
							return fmt.Errorf("blue.drain at %s is not after the cutover at %s", drain.Time, cutover.Time)
						}
						return nil
					}),
				),
			},
			{
				// The refresh brings the promotion's effect into the deployment.
				Config:            promoted + historyOf("api"),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					historyContains("api", "ticket-1"),
					checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
				),
			},
		},
	})
}

// TestAccPromotion_canaryManual holds a canary at its last weight until a
// promotion sends it to 100%.
func TestAccPromotion_canaryManual(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	promoted := deployConfig(store, url, "2", canaryManual) + promoteAPI(`"api@2"`, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", canaryManual)},
			{
				Config: deployConfig(store, url, "2", canaryManual),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("canary 10% bake 5m → canary 50% bake 5m → await promotion → promote to 100% (bakes and delays: 10m0s)")),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 50),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@1", map[string]int{"api@1": 50, "api@2": 50},
						"deploy:100:stable", "canary.weight:10:canary", "canary.weight:50:canary")),
				),
			},
			{
				Config:           promoted,
				ConfigPlanChecks: emptyPlanAfterApply,
				Check: checkTarget(target, served("api@2", map[string]int{"api@2": 100},
					"deploy:100:stable", "canary.weight:10:canary", "canary.weight:50:canary", "promote:100:stable")),
			},
			{
				Config:            promoted,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
			},
		},
	})
}

// TestAccPromotion_releaseNotPending refuses at plan time a promotion of a
// release the deployment is not waiting for.
func TestAccPromotion_releaseNotPending(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", blueGreenManual)},
			{Config: deployConfig(store, url, "2", blueGreenManual)},
			{
				Config:   deployConfig(store, url, "2", blueGreenManual) + promoteAPI(`"api@3"`, ""),
				PlanOnly: true,
				ExpectError: diagPattern(`Release Not Pending Promotion ... release api@3 is not pending promotion in api/prod0 ` +
					`(live: api@1, pending: api@2, status: awaiting_promotion). A promotion only applies to the release waiting at awaiting_promotion; ` +
					`each new release needs its own promotion`),
			},
			{
				// Nothing moved: green still waits for its own promotion.
				Config:           deployConfig(store, url, "2", blueGreenManual),
				ConfigPlanChecks: emptyPlanAfterApply,
				Check:            checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green")),
			},
		},
	})
}

// TestAccPromotion_deploymentNeverReady gives up at the promotion's create
// timeout when the deployment never reaches its gate: here an interrupted
// rollout whose green slot is unhealthy.
func TestAccPromotion_deploymentNeverReady(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	const settings = blueGreenManual + `
  on_timeout = "fail"
  timeouts {
    update = "1s"
  }
`
	// The promotion names the deployment by id without depending on it. The
	// deployment asks for api@2 again: with api@1 configured, the apply would
	// roll the unfinished api@2 back instead (TestAccDeployment_revertAfterInterruptedRollout).
	waiting := deployConfig(store, url, "2", settings) + promotionConfig("p", `"api/prod0"`, `"api@2"`, `
  timeouts {
    create = "2s"
  }
`)
	var started time.Time
	resource.Test(t, resource.TestCase{
		// Real clock: the promotion waits for the deployment until its create
		// timeout, a real deadline.
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock, rolloutsLongerThanTimeouts),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", settings)},
			{
				PreConfig: func() { target.MarkBad("2") },
				Config:    deployConfig(store, url, "2", settings),
				ExpectError: diagPattern(`Deployment Rollout Interrupted ... at the wait for health of green: ` +
					`the operation's timeout was reached (Terraform timeouts block); the last check "health" failed: GET ... status 503, expected 200; body: "{"status":"failing",`),
			},
			{
				PreConfig: func() { started = time.Now() },
				Config:    waiting,
				ExpectError: diagPattern(`Promotion Failed ... gave up waiting for api/prod0 to reach awaiting_promotion for api@2 ` +
					`(api@2 is still rolling out to api/prod0 (currently at the wait for health of green)) (the operation's timeout was reached;`),
			},
			proposedAgain(waiting,
				// Without its timeout the promotion would wait forever.
				returnedWithin(&started, 5*time.Minute),
				plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate),
				planCheckTarget(target, served("api@1", map[string]int{"api@1": 100}, "deploy:100:stable", "green.create:0:green")),
			),
		},
	})
}

// TestAccPromotion_sameApplyAsUpdate creates the promotion in the apply that
// moves the deployment to the release: it runs once the canary has baked
// and stopped at the gate, then promotes.
func TestAccPromotion_sameApplyAsUpdate(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	promoted := deployConfig(store, url, "2", canaryManual) + promoteAPI("ocuroot_release.v2.id", `note = "same apply"`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", canaryManual)},
			{
				Config: promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_promotion.p", tfjsonpath.New("live_release"), knownvalue.StringExact("api@2")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100},
						"deploy:100:stable", "canary.weight:10:canary", "canary.weight:50:canary", "promote:100:stable")),
					checkTarget(target, func(target *demotarget.Target) error {
						// Event times are the engine's clock, the one bakes run on.
						lastWeight := target.HookEvents()[2]
						promote, _ := acceptedCall(target, hookreceiver.EventPromote, "")
						if baked := promote.Event.Time.Sub(lastWeight.Event.Time); baked < 5*time.Minute {
							return fmt.Errorf("promoted %s after the 50%% step, before its 5m bake ended", baked)
						}
						return nil
					}),
				),
			},
			{
				Config:            promoted + historyOf("api"),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check:             historyContains("api", "same apply"),
			},
		},
	})
}

// TestAccPromotion_destroyKeepsTraffic destroys a promotion: traffic stays
// where it is, and the next release stops at the gate again.
func TestAccPromotion_destroyKeepsTraffic(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	promotedEvents := []string{"deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue"}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", blueGreenManual)},
			{
				Config:           deployConfig(store, url, "2", blueGreenManual) + promoteAPI("ocuroot_release.v2.id", ""),
				ConfigPlanChecks: emptyPlanAfterApply,
				Check:            checkTarget(target, expectEvents(promotedEvents...)),
			},
			{
				Config: deployConfig(store, url, "2", blueGreenManual),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionDestroy)},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check:             checkTarget(target, served("api@2", map[string]int{"api@2": 100}, promotedEvents...)),
			},
			{
				// A new release needs a new promotion.
				Config:            deployConfig(store, url, "3", blueGreenManual),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@2", "api@3", 0),
				Check:             checkTarget(target, served("api@2", map[string]int{"api@2": 100}, append(promotedEvents, "green.create:0:green")...)),
			},
		},
	})
}

// TestAccPromotion_postPromotionCheckFails switches traffic back to blue
// when the post-promotion check fails after the cutover.
func TestAccPromotion_postPromotionCheckFails(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	settings := fmt.Sprintf(`
  strategy = "blue_green"
  blue_green {
    manual_promotion = true
    post_promotion_check {
      name = "errors"
      url  = "%s/metrics/{package}/{environment}/{slot}/{version}"
      path = "error_rate"
      max  = 0.1
    }
  }
`, url)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", settings)},
			{
				Config:            deployConfig(store, url, "2", settings),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
			},
			{
				// Green passed its health check in the step before; it goes
				// bad once it takes traffic.
				PreConfig: func() { target.MarkBad("2") },
				Config:    deployConfig(store, url, "2", settings) + promoteAPI(`"api@2"`, ""),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@2 to api/prod0 failed at the post-promotion checks: ` +
					`post-promotion check "errors" failed 3 time(s): ... Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1. ` +
					`Nothing was promoted, and the release no longer waits at its promotion gate: promoting it again on its own is refused ` +
					`(Release Not Pending Promotion). Fix the problem, then apply the deployment's release again: the next plan proposes it, ` +
					`its new rollout stops at the gate, and a promotion of it (in the same apply or a later one) cuts over.`),
			},
			proposedAgain(deployConfig(store, url, "2", settings),
				refreshedValue{"ocuroot_deployment.api", "live_release", "api@1"},
				refreshedValue{"ocuroot_deployment.api", "status", "rolled_back"},
				refreshedValue{"ocuroot_deployment.api", "traffic_percent", 0},
				// As after a rolled-back update, the update is proposed again.
				refreshedValue{"ocuroot_deployment.api", "release", "api@1"},
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				planCheckTarget(target, served("api@1", map[string]int{"api@1": 100},
					"deploy:100:stable", "green.create:0:green", "cutover:100:green", "rollback:0:blue")),
			),
			{
				// Fixed: the same configuration rolls api@2 out again and the
				// promotion, applied again, now passes its check.
				PreConfig: func() { target.MarkGood("2") },
				Config:    deployConfig(store, url, "2", settings) + promoteAPI(`"api@2"`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				Check: checkTarget(target, served("api@2", map[string]int{"api@2": 100},
					"deploy:100:stable", "green.create:0:green", "cutover:100:green", "rollback:0:blue",
					"green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
			},
		},
	})
}

// TestAccPromotion_phaseApproval holds a deployment into a phase that
// requires approval until an ocuroot_promotion approves the phase.
func TestAccPromotion_phaseApproval(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	unapproved := phasedConfig(store, true,
		phasedDeployment("staging", "staging", url, "")+
			phasedDeployment("prod", "prod1", url, `
  depends_on = [ocuroot_deployment.staging]
  timeouts {
    create = "2s"
  }
`))
	approved := phasedConfig(store, true,
		phasedDeployment("staging", "staging", url, "")+
			phasedDeployment("prod", "prod1", url, `
  depends_on = [ocuroot_deployment.staging, ocuroot_promotion.approve_prod]
  timeouts {
    create = "2s"
  }
`)+`
resource "ocuroot_promotion" "approve_prod" {
  release = ocuroot_release.v1.id
  phase   = "prod"
  note    = "CAB-42"
}
`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, rolloutsLongerThanTimeouts),
		Steps: []resource.TestStep{
			{
				Config: unapproved,
				ExpectError: diagPattern(`Deployment Blocked By Phase Order ... nothing in this run approves it, so prod1 cannot start. ` +
					`To approve it, apply an ocuroot_promotion { release = "api@1", phase = "prod" }`),
			},
			proposedAgain(unapproved,
				plancheck.ExpectResourceAction("ocuroot_deployment.prod", plancheck.ResourceActionCreate),
				planCheckTarget(target, servicesSaw(map[string][]string{"staging": {hookreceiver.EventDeploy}, "prod1": nil})),
			),
			{
				Config:           approved,
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.prod", "succeeded", "api@1", "", 100),
					statecheck.ExpectKnownValue("ocuroot_promotion.approve_prod", tfjsonpath.New("id"), knownvalue.StringExact("api@1#prod")),
					statecheck.ExpectKnownValue("ocuroot_promotion.approve_prod", tfjsonpath.New("live_release"), knownvalue.Null())),
				Check: checkTarget(target, servicesSaw(map[string][]string{"staging": {hookreceiver.EventDeploy}, "prod1": {hookreceiver.EventDeploy}})),
			},
		},
	})
}
