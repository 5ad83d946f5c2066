package provider

import (
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// A Terraform Cloud run, or a CI job, starts on a machine that has only the
// configuration and Terraform state: nothing from the run that stopped the
// rollout at its gate, not even the embedded store file. The credentials
// still come from the provider block, the rest from a shared PostgreSQL
// store, or from state when the embedded store is gone.

// postgresProviderBlockWithCredentials is providerBlockWithCredentials on
// the PostgreSQL store at storeURL.
func postgresProviderBlockWithCredentials(storeURL string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = %q
  hook_secret = %q
  credentials = {
    metrics  = { headers = { Authorization = %q } }
    payments = { hook_secret = %q, headers = { X-Hook-Token = %q } }
  }
}
`, storeURL, providerHookSecret, probeToken, paymentsHookSecret, paymentsHookToken)
}

// TestAccCredentials_promotionOnPostgresInALaterRun: the rollout stops at
// its blue-green gate with its record in PostgreSQL; the promotion applied
// in a later run (a new provider process that shares only the store) signs
// the cutover and drain with the payments secret and reads green's metrics
// with the metrics token.
func TestAccCredentials_promotionOnPostgresInALaterRun(t *testing.T) {
	t.Parallel()
	if os.Getenv(resource.EnvTfAcc) == "" {
		// resource.Test would skip too, but only after a server was started.
		t.Skipf("acceptance tests are skipped unless %s is set", resource.EnvTfAcc)
	}
	storeURL := enginetest.StartPostgres(t)
	target, url := startPaymentsTarget(t)
	provider := postgresProviderBlockWithCredentials(storeURL)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	atGate := credentialsConfig(provider, "2", namedCredentialBlocks(url), strategy)
	promoted := atGate + promoteAPI(`"api@2"`, "")
	var gate targetMark
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, storeURL),
		Steps: []resource.TestStep{
			{Config: credentialsConfig(provider, "1", namedCredentialBlocks(url), strategy)},
			{
				Config:            atGate,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green")),
					checkTarget(target, setMark(&gate)),
				),
			},
			{
				Config: promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				Check: checkTarget(target, sentWithCredentials(&gate, []string{"cutover:100:green", "blue.drain:100:blue"}, demotarget.ProbeMetrics)),
			},
			{
				Config:            promoted,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
			},
		},
	})
}

// TestAccCredentials_promotionAfterTheEmbeddedStoreWasLost: the embedded
// store file is gone before the run that promotes (a fresh runner). The
// refresh restores the gate from Terraform state, which names the
// credentials but holds none of their values; the promotion signs and
// probes with the provider block's.
func TestAccCredentials_promotionAfterTheEmbeddedStoreWasLost(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	atGate := credentialsConfig(provider, "2", namedCredentialBlocks(url), strategy)
	promoted := atGate + promoteAPI(`"api@2"`, "")
	var gate targetMark
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: credentialsConfig(provider, "1", namedCredentialBlocks(url), strategy)},
			{
				Config:            atGate,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
				Check:             checkTarget(target, setMark(&gate)),
			},
			{
				PreConfig: func() { removeStoreFiles(t, store) },
				Config:    promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				Check: checkTarget(target, sentWithCredentials(&gate, []string{"cutover:100:green", "blue.drain:100:blue"}, demotarget.ProbeMetrics)),
			},
			{
				Config:            promoted,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
			},
		},
	})
}
