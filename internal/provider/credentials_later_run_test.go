package provider

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// The credentials a deployment uses must be the same in every run: the run
// that starts a rollout, and the later one that promotes it. Every step of
// terraform-plugin-testing is its own terraform command with a new provider
// process, so a promotion in the step after the rollout is a later run.

// Secrets of the tests below. The provider's hook_secret differs from the
// deployment's, so a hook signed with the wrong one is refused by the
// target and shows in its call log.
const (
	paymentsHookSecret = "payments-secret-41d2"
	paymentsHookToken  = "hook-token-77a0"
	providerHookSecret = "provider-default-secret"
)

// startPaymentsTarget runs a target that verifies signatures against the
// deployment's own secret and answers 401 to probes without probeToken.
func startPaymentsTarget(t *testing.T) (*demotarget.Target, string) {
	t.Helper()
	target := demotarget.New(demotarget.Options{
		Secret:              paymentsHookSecret,
		RequireProbeHeaders: map[string]string{"Authorization": probeToken},
	})
	srv := httptest.NewServer(target.Handler())
	t.Cleanup(func() {
		target.Close()
		srv.Close()
	})
	return target, srv.URL
}

// providerBlockWithCredentials configures the store, a default hook secret
// the target does not accept, and the two named credentials.
func providerBlockWithCredentials(store string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
  credentials = {
    metrics  = { headers = { Authorization = %q } }
    payments = { hook_secret = %q, headers = { X-Hook-Token = %q } }
  }
}
`, store, providerHookSecret, probeToken, paymentsHookSecret, paymentsHookToken)
}

// credentialsConfig deploys api@<release> into prod0; hook and checks are
// rendered by the caller (hookAndChecks) and strategy holds the strategy.
func credentialsConfig(providerBlock, release, hookAndChecks, strategy string) string {
	return providerBlock + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

`+apiReleasesInProd0("1", "2")+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%s.id
%s
%s
}
`, release, hookAndChecks, strategy)
}

// namedCredentialBlocks: the hook, the health check and a pre-promotion
// check all name provider credentials.
func namedCredentialBlocks(url string) string {
	return fmt.Sprintf(`
  hook {
    url        = "%[1]s/hooks"
    credential = "payments"
  }
  health_check {
    url        = "%[1]s/health/{package}/{environment}/{slot}/{version}"
    interval   = "15s"
    credential = "metrics"
  }
`, url)
}

const blueGreenManualWithCheck = `
  strategy = "blue_green"
  blue_green {
    manual_promotion = true
    pre_promotion_check {
      name       = "error_rate"
      url        = "%s/metrics/{package}/{environment}/{slot}/{version}"
      path       = "error_rate"
      max        = 0.1
      credential = "metrics"
    }
  }
`

// hooksSignedByTheDeployment checks every hook call: signed with the
// deployment's secret (the target refuses any other), carrying the
// credential's header, and at least one call of each event in want.
func hooksSignedByTheDeployment(want ...string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		seen := map[string]bool{}
		for _, c := range target.Calls() {
			if c.Rejected {
				return fmt.Errorf("hook %s was refused by the target: %s (signed with another secret than the deployment's)", c.Event.Type, c.RejectReason)
			}
			if c.Headers["X-Hook-Token"] == "" {
				return fmt.Errorf("hook %s came without the credential's X-Hook-Token header", c.Event.Type)
			}
			seen[c.Event.Type] = true
		}
		for _, event := range want {
			if !seen[event] {
				return fmt.Errorf("the target saw no %s hook", event)
			}
		}
		return nil
	}
}

// TestAccCredentials_blueGreenPromotionInALaterRun: a blue-green rollout
// stops at its gate in one run; the ocuroot_promotion applied in a later
// run probes green with the metrics token and signs the cutover and the
// drain with the deployment's secret, both from the provider block.
func TestAccCredentials_blueGreenPromotionInALaterRun(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	atGate := credentialsConfig(provider, "2", namedCredentialBlocks(url), strategy)
	promoted := atGate + promoteAPI(`"api@2"`, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: credentialsConfig(provider, "1", namedCredentialBlocks(url), strategy)},
			{
				Config:            atGate,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
				Check:             checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green")),
			},
			{
				Config: promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionNoop)},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100},
						"deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
					checkTarget(target, hooksSignedByTheDeployment("deploy", "green.create", "cutover", "blue.drain")),
					checkTarget(target, probesAuthorized(demotarget.ProbeHealth, demotarget.ProbeMetrics)),
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

// ownSecretBlocks: the hook signs with a write-only secret of its own and
// the health check sends its own headers: values only the applying run has.
func ownSecretBlocks(url string) string {
	return fmt.Sprintf(`
  hook {
    url       = "%[1]s/hooks"
    secret_wo = %[2]q
  }
  health_check {
    url      = "%[1]s/health/{package}/{environment}/{slot}/{version}"
    interval = "15s"
    headers  = { Authorization = %[3]q }
  }
`, url, paymentsHookSecret, probeToken)
}

// TestAccCredentials_ownSecretRefusedInALaterRun: the run opening the gate
// does not have the hook's write-only secret; its promotion refuses before sending or probing anything, leaving the
// deployment at its gate; moving the secret into the provider's credentials
// (applied without a new rollout) lets the next promotion through, signed
// with the deployment's secret.
func TestAccCredentials_ownSecretRefusedInALaterRun(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	atGate := credentialsConfig(provider, "2", ownSecretBlocks(url), strategy)
	callsAtGate := 0
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: credentialsConfig(provider, "1", ownSecretBlocks(url), strategy)},
			{
				Config:            atGate,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green")),
					checkTarget(target, hooksSignedByOwnSecret),
					checkTarget(target, func(target *demotarget.Target) error {
						callsAtGate = len(target.Calls()) + len(target.Probes())
						return nil
					}),
				),
			},
			{
				Config:      atGate + promoteAPI(`"api@2"`, ""),
				ExpectError: regexp.MustCompile(`Deployment Credential Missing(.|\n)*hook block of ocuroot_deployment api/prod0 sets its\s+own secret`),
			},
			{
				// Nothing was sent and nothing moved.
				Config:            atGate,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
				Check: checkTarget(target, func(target *demotarget.Target) error {
					if now := len(target.Calls()) + len(target.Probes()); now != callsAtGate {
						return fmt.Errorf("the refused promotion reached the target: %d calls and probes at the gate, %d now", callsAtGate, now)
					}
					return nil
				}),
			},
			{
				// The fix the error gives: name provider credentials instead.
				Config:           credentialsConfig(provider, "2", namedCredentialBlocks(url), strategy) + promoteAPI(`"api@2"`, ""),
				ConfigPlanChecks: emptyPlanAfterApply,
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100},
						"deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
					checkTarget(target, hooksSignedByOwnSecret),
					checkTarget(target, probesAuthorized(demotarget.ProbeHealth, demotarget.ProbeMetrics)),
				),
			},
		},
	})
}

// hooksSignedByOwnSecret: no hook call was refused for its signature.
func hooksSignedByOwnSecret(target *demotarget.Target) error {
	for _, c := range target.Calls() {
		if c.Rejected {
			return fmt.Errorf("hook %s was refused by the target: %s", c.Event.Type, c.RejectReason)
		}
	}
	return nil
}
