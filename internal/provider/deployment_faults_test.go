package provider

import (
	"fmt"
	"os"
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

// TestAccDeployment_progressDeadline sends a release whose health check
// never passes: past the progress deadline it is rolled back by default,
// and with on_timeout = "fail" traffic is left on it and nothing is rolled
// back. Either way the next plan proposes the update again.
func TestAccDeployment_progressDeadline(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	const deadline = `progress_deadline = "2m"`
	const deadlineFail = `
  progress_deadline = "2m"
  on_timeout        = "fail"
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", deadline)},
			{
				PreConfig: func() { target.MarkBad("2") },
				Config:    deployConfig(store, url, "2", deadline),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@2 to api/prod0 failed at the wait for health of stable: ` +
					`health check of the stable slot did not pass within the progress deadline of 2m ... ` +
					`last: GET ... status 503, expected 200; body: "{"status":"failing", ... ` +
					`Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`),
			},
			proposedAgain(deployConfig(store, url, "2", deadline),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				refreshedValue{"ocuroot_deployment.api", "status", "rolled_back"},
				refreshedValue{"ocuroot_deployment.api", "live_release", "api@1"},
				refreshedValue{"ocuroot_deployment.api", "release", "api@1"},
				planCheckTarget(target, served("api@1", map[string]int{"api@1": 100},
					"deploy:100:stable", "deploy:100:stable", "rollback:0:stable")),
			),
			{
				Config: deployConfig(store, url, "2", deadlineFail),
				ExpectError: diagPattern(`Deployment Rollout Failed ... rollout of api@2 to api/prod0 failed at the wait for health of stable: ` +
					`health check of the stable slot did not pass within the progress deadline of 2m ... ` +
					`Traffic was left as it is (on_timeout = "fail" or nothing to restore).`),
			},
			proposedAgain(deployConfig(store, url, "2", deadlineFail),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				refreshedValue{"ocuroot_deployment.api", "status", "failed"},
				refreshedValue{"ocuroot_deployment.api", "live_release", "api@2"},
				refreshedValue{"ocuroot_deployment.api", "traffic_percent", 100},
				// No rollback this time: api@2 keeps the traffic it was given.
				planCheckTarget(target, served("api@2", map[string]int{"api@2": 100},
					"deploy:100:stable", "deploy:100:stable", "rollback:0:stable", "deploy:100:stable")),
			),
			{
				// Still unhealthy: the next apply must not declare api@2 live
				// without its health check passing.
				Config:      deployConfig(store, url, "2", deadlineFail),
				ExpectError: diagPattern(`Deployment Rollout Failed ... did not pass within the progress deadline of 2m`),
			},
			{
				// Once healthy, the update completes.
				PreConfig:        func() { target.MarkGood("2") },
				Config:           deployConfig(store, url, "2", deadlineFail),
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("release"), knownvalue.StringExact("api@2"))),
				// Each retry is a full rollout: deploy, then wait for health.
				Check: checkTarget(target, served("api@2", map[string]int{"api@2": 100}, "deploy:100:stable", "deploy:100:stable",
					"rollback:0:stable", "deploy:100:stable", "deploy:100:stable", "deploy:100:stable")),
			},
		},
	})
}

// TestAccDeployment_terraformTimeout interrupts a 1h canary bake with a 2s
// update timeout: the apply returns promptly with a clear error, rolls the
// canary back, and leaves state so that the update is proposed again and
// succeeds once the bake fits.
func TestAccDeployment_terraformTimeout(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	canaryWithBake := func(bake string) string {
		return fmt.Sprintf(`
  strategy = "canary"
  canary {
    check_interval = "200ms"
    step {
      weight = 10
      bake   = %q
    }
  }
  timeouts {
    update = "2s"
  }
`, bake)
	}
	var started time.Time
	resource.Test(t, resource.TestCase{
		// Real clock: the bake races the update timeout, a real deadline.
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock, rolloutsLongerThanTimeouts),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", canaryWithBake("1h"))},
			{
				PreConfig: func() { started = time.Now() },
				Config:    deployConfig(store, url, "2", canaryWithBake("1h")),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@2 to api/prod0 was interrupted at canary step 1 of 1 (weight 10%, bake 1h): ` +
					`the operation's timeout was reached (Terraform timeouts block). Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`),
			},
			proposedAgain(deployConfig(store, url, "2", canaryWithBake("1h")),
				returnedWithin(&started, 5*time.Minute),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				refreshedValue{"ocuroot_deployment.api", "live_release", "api@1"},
				refreshedValue{"ocuroot_deployment.api", "status", "rolled_back"},
				planCheckTarget(target, served("api@1", map[string]int{"api@1": 100},
					"deploy:100:stable", "canary.weight:10:canary", "rollback:0:canary")),
			),
			{
				Config:            deployConfig(store, url, "2", canaryWithBake("300ms")),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "rollback:0:canary",
					"canary.weight:10:canary", "promote:100:stable")),
			},
		},
	})
}

// TestAccDeployment_terraformTimeoutFail interrupts a bake with
// on_timeout = "fail": nothing is rolled back, the canary keeps its weight,
// and the error says the next apply continues.
func TestAccDeployment_terraformTimeoutFail(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	const settings = `
  strategy   = "canary"
  on_timeout = "fail"
  canary {
    check_interval = "200ms"
    step {
      weight = 20
      bake   = "1h"
    }
  }
  timeouts {
    update = "2s"
  }
`
	resource.Test(t, resource.TestCase{
		// Real clock: the bake races the update timeout, a real deadline.
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock, rolloutsLongerThanTimeouts),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", settings)},
			{
				Config: deployConfig(store, url, "2", settings),
				ExpectError: diagPattern(`Deployment Rollout Interrupted ... rollout of api@2 to api/prod0 was interrupted at canary step 1 of 1 (weight 20%, bake 1h): ` +
					`the operation's timeout was reached (Terraform timeouts block). Nothing was rolled back; the rollout's position is saved and the next apply continues from this step.`),
			},
			proposedAgain(deployConfig(store, url, "2", settings),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				refreshedValue{"ocuroot_deployment.api", "pending_release", "api@2"},
				refreshedValue{"ocuroot_deployment.api", "traffic_percent", 20},
				refreshedValue{"ocuroot_deployment.api", "status", "in_progress"},
				planCheckTarget(target, served("api@1", map[string]int{"api@1": 80, "api@2": 20},
					"deploy:100:stable", "canary.weight:20:canary")),
			),
		},
	})
}

// TestAccDeployment_hookRetriedOn5xx delivers a deploy that fails twice with
// 503: the create succeeds on the third delivery, and all three carry one
// Idempotency-Key and attempts 1, 2, 3.
func TestAccDeployment_hookRetriedOn5xx(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { target.FailHook(hookreceiver.EventDeploy, 503, 503) },
				Config:            deployConfig(store, url, "1", "") + historyOf("api"),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable")),
					checkTarget(target, deliveries(hookreceiver.EventDeploy, 503, 503, 200)),
					historyContains("api", `hook "deploy" accepted (HTTP 200 after 3 attempt(s))`),
				),
			},
		},
	})
}

// deliveries checks every delivery of one event: one Idempotency-Key,
// attempts numbered 1, 2, … and the statuses answered in order (0 for a
// delivery held without an answer).
func deliveries(eventType string, statuses ...int) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error { return expectDeliveries(target, eventType, statuses) }
}

func expectDeliveries(target *demotarget.Target, eventType string, statuses []int) error {
	calls := callsOf(target, eventType)
	if len(calls) != len(statuses) {
		return fmt.Errorf("target saw %d deliveries of %s, want %d: %+v", len(calls), eventType, len(statuses), calls)
	}
	for i, c := range calls {
		if c.IdempotencyKey == "" || c.IdempotencyKey != calls[0].IdempotencyKey {
			return fmt.Errorf("delivery %d of %s has Idempotency-Key %q, want the first delivery's %q", i+1, eventType, c.IdempotencyKey, calls[0].IdempotencyKey)
		}
		if c.DeliveryAttempt != i+1 {
			return fmt.Errorf("delivery %d of %s says attempt %d", i+1, eventType, c.DeliveryAttempt)
		}
		if c.Status != statuses[i] {
			return fmt.Errorf("delivery %d of %s was answered %d, want %d", i+1, eventType, c.Status, statuses[i])
		}
	}
	return nil
}

// TestAccDeployment_hookRejectedWith4xx fails at once on a 400: one
// delivery, and the diagnostic quotes what the receiver said.
func TestAccDeployment_hookRejectedWith4xx(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { target.FailHook(hookreceiver.EventDeploy, 400) },
				Config:    deployConfig(store, url, "1", ""),
				ExpectError: diagPattern(`Deployment Rollout Failed ... rollout of api@1 to api/prod0 failed at the deploy: hook "deploy" to ` +
					url + `/hooks failed after 1 attempt: HTTP 400 Bad Request: {"error":"injected failure for deploy"}`),
			},
			// The failed create left a tainted resource that is replaced.
			proposedAgain(deployConfig(store, url, "1", ""),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionReplace),
				planCheckTarget(target, deliveries(hookreceiver.EventDeploy, 400)),
			),
		},
	})
}

// TestAccDeployment_hookTimesOut holds every deploy delivery without an
// answer: with a 300ms request timeout and 2 attempts the create gives up
// after two deliveries and says the hook timed out.
func TestAccDeployment_hookTimesOut(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	const hook = `
    timeout = "300ms"
    retry {
      attempts = 2
      min_wait = "10ms"
      max_wait = "20ms"
    }
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				PreConfig: func() { target.FailHook(hookreceiver.EventDeploy, 0, 0, 0) },
				Config:    deployConfigHook(t, store, url, "1", hook, ""),
				ExpectError: diagPattern(`Deployment Rollout Failed ... hook "deploy" to ` + url +
					`/hooks timed out after 2 attempts (per-request timeout 300ms)`),
			},
			proposedAgain(deployConfigHook(t, store, url, "1", hook, ""),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionReplace),
				planCheckTarget(target, deliveries(hookreceiver.EventDeploy, 0, 0)),
			),
		},
	})
}

// TestAccDeployment_freshRunner loses the embedded store between applies,
// as an ephemeral CI worker does: the next plan is empty, nothing is
// redeployed, and a later update still canaries against the live release.
func TestAccDeployment_freshRunner(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	const canary = `
  strategy = "canary"
  canary {
    check_interval = "1m"
    step {
      weight = 25
      bake   = "5m"
    }
  }
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           deployConfig(store, url, "1", canary),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() {
					for _, p := range []string{store, store + ".lock"} {
						if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
							t.Fatalf("remove %s: %v", p, err)
						}
					}
				},
				Config: deployConfig(store, url, "1", canary),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
				Check:             checkTarget(target, expectEvents("deploy:100:stable")),
			},
			{
				Config:            deployConfig(store, url, "2", canary) + historyOf("api"),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:25:canary", "promote:100:stable")),
					historyContains("api", "restored from Terraform state"),
				),
			},
		},
	})
}
