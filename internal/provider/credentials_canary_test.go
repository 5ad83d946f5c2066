package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// canaryManualWithCheck is a one-step canary that stops at its promotion
// gate; its metric check reads the target's metrics with the metrics
// credential (the target answers 401 without it).
const canaryManualWithCheck = `
  strategy = "canary"
  canary {
    check_interval   = "1m"
    manual_promotion = true
    step {
      weight = 50
      bake   = "5m"
    }
  }
  check {
    name       = "error_rate"
    url        = "%s/metrics/{package}/{environment}/{slot}/{version}"
    path       = "error_rate"
    max        = 0.1
    credential = "metrics"
  }
`

// TestAccCredentials_canaryPromotionInALaterRun: a canary whose health
// check and metric check need the metrics token, and whose hook names the
// payments credential, reaches its gate in one run; the ocuroot_promotion
// applied in a later run (a new provider process) signs the promote hook
// with the payments secret and sends its X-Hook-Token header.
func TestAccCredentials_canaryPromotionInALaterRun(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	strategy := fmt.Sprintf(canaryManualWithCheck, url)
	atGate := credentialsConfig(provider, "2", namedCredentialBlocks(url), strategy)
	promoted := atGate + promoteAPI(`"api@2"`, "")
	var start, gate targetMark
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           credentialsConfig(provider, "1", namedCredentialBlocks(url), strategy),
				ConfigPlanChecks: emptyPlanAfterApply,
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, sentWithCredentials(&start, []string{"deploy:100:stable"}, demotarget.ProbeHealth)),
					checkTarget(target, setMark(&start)),
				),
			},
			{
				Config:            atGate,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 50),
				Check: resource.ComposeAggregateTestCheckFunc(
					// The bake probed the canary with the metrics token.
					checkTarget(target, sentWithCredentials(&start, []string{"canary.weight:50:canary"}, demotarget.ProbeHealth, demotarget.ProbeMetrics)),
					checkTarget(target, setMark(&gate)),
				),
			},
			{
				Config: promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				// A canary promoted from its gate sends the promote hook
				// and nothing else: it re-checks only after a resume.
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, sentWithCredentials(&gate, []string{"promote:100:stable"})),
					checkTarget(target, func(target *demotarget.Target) error {
						return expectLive(target, "api", "prod0", "api@2", map[string]int{"api@2": 100})
					}),
				),
			},
			{
				// The refresh brings the promotion's effect into the deployment.
				Config:            promoted,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
			},
		},
	})
}
