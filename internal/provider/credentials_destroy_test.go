package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// A destroy has no configuration: it reads the hook from Terraform state.
// The hook's own secret is in state, its write-only secret is not. The
// provider page's table of which run has which credential says so; these
// tests hold it to that. Each step, and the final destroy, is a run of its
// own.

// hookWithOwnSecret: a direct deployment whose hook signs with a secret of
// its own, as secret (kept in state) or secret_wo (kept nowhere).
func hookWithOwnSecret(url, attribute string) string {
	return fmt.Sprintf(`
  hook {
    url = "%s/hooks"
    %s = %q
  }
`, url, attribute, paymentsHookSecret)
}

// teardownAccepted: the target saw the teardown, signed with the
// deployment's secret (it refuses the provider's default one).
func teardownAccepted(target *demotarget.Target) error {
	for _, c := range target.Calls() {
		if c.Event.Type != "teardown" {
			continue
		}
		if c.Rejected {
			return fmt.Errorf("the teardown was refused by the target: %s (signed with another secret than the deployment's)", c.RejectReason)
		}
		return nil
	}
	return fmt.Errorf("the target saw no teardown")
}

// noTeardown: the target saw no teardown call at all.
func noTeardown(target *demotarget.Target) error {
	for _, c := range target.Calls() {
		if c.Event.Type == "teardown" {
			return fmt.Errorf("a teardown reached the target (rejected: %t)", c.Rejected)
		}
	}
	return nil
}

// TestAccCredentials_destroySignsWithTheSecretInState: a later run's
// destroy signs the teardown with the hook's own secret, read from state.
func TestAccCredentials_destroySignsWithTheSecretInState(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		CheckDestroy:             checkTarget(target, teardownAccepted),
		Steps: []resource.TestStep{
			{
				Config: credentialsConfig(providerBlockWithCredentials(store), "1", hookWithOwnSecret(url, "secret"), ""),
				Check:  checkTarget(target, expectEvents("deploy:100:stable")),
			},
		},
	})
}

// TestAccCredentials_destroyRefusesWithoutTheWriteOnlySecret: a later
// run's destroy does not have the hook's secret_wo; it refuses and sends
// nothing rather than sign with the provider's secret, and the deployment
// stays in state. Once a rollout names a provider credential instead, the
// destroy goes through, signed with it.
func TestAccCredentials_destroyRefusesWithoutTheWriteOnlySecret(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	writeOnly := credentialsConfig(provider, "1", hookWithOwnSecret(url, "secret_wo"), "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		CheckDestroy:             checkTarget(target, teardownAccepted),
		Steps: []resource.TestStep{
			{
				Config: writeOnly,
				Check:  checkTarget(target, expectEvents("deploy:100:stable")),
			},
			{
				Config:      writeOnly,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`Deployment Credential Missing(.|\n)*hook block of ocuroot_deployment api/prod0 sets its\s+own secret(.|\n)*kept in state`),
			},
			{
				// Still deployed, and the refused destroy sent nothing.
				Config:            writeOnly,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
				Check:             checkTarget(target, noTeardown),
			},
			{
				// The next release names the provider's "payments" credential,
				// which signs its rollout and the final destroy.
				Config: credentialsConfig(provider, "2", namedCredentialBlocks(url), ""),
				Check:  checkTarget(target, expectEvents("deploy:100:stable", "deploy:100:stable")),
			},
		},
	})
}
