package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// ownHookHeaderBlocks: the hook signs with the payments credential and also
// sends a header of its own, set in the block (not write-only, so Terraform
// state holds it, but the engine's store does not).
func ownHookHeaderBlocks(url string) string {
	return fmt.Sprintf(`
  hook {
    url        = "%[1]s/hooks"
    credential = "payments"
    headers    = { X-Deploy-Team = "payments" }
  }
  health_check {
    url        = "%[1]s/health/{package}/{environment}/{slot}/{version}"
    interval   = "15s"
    credential = "metrics"
  }
`, url)
}

// providerBlockWithTeamHeader is providerBlockWithCredentials whose
// payments credential also carries the header the hook used to set itself:
// the fix the refusal names.
func providerBlockWithTeamHeader(store string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
  credentials = {
    metrics  = { headers = { Authorization = %q } }
    payments = { hook_secret = %q, headers = { X-Hook-Token = %q, X-Deploy-Team = "payments" } }
  }
}
`, store, providerHookSecret, probeToken, paymentsHookSecret, paymentsHookToken)
}

// TestAccCredentials_ownHookHeadersRefusedInLaterRuns: a hook with headers
// of its own (plain headers, not headers_wo) stops at a blue-green gate.
// The run that stops there warns on hook.headers. A later run's promotion
// refuses before sending or probing anything, with -refresh=false and also
// after a refresh: the engine never takes a block's own values from
// Terraform state, and a refresh runs in another provider instance than the
// apply anyway. The deployment stays at its gate. Moving the header into the
// provider's payments credential (a settings-only update the waiting
// rollout adopts) lets the promotion through, every hook carrying it.
func TestAccCredentials_ownHookHeadersRefusedInLaterRuns(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_11_0)
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	configFor := func(release string) string {
		return credentialsConfig(providerBlockWithCredentials(store), release, ownHookHeaderBlocks(url), strategy)
	}
	gate, gateRun := bringAPIToTheGate(t, w, target, configFor)
	if !diagPattern("Warning: Credential Not Available To A Later Run ... headers = { X-Deploy-Team ... This rollout stops at a promotion gate").MatchString(gateRun) {
		t.Errorf("the run that stopped at the gate did not warn on hook.headers:\n%s", gateRun)
	}

	refused := diagnosticRegexp("Deployment Credential Missing",
		"The hook block of ocuroot_deployment api/prod0 sets its own headers (X-Deploy-Team), and this run does not have it",
		"Nothing was sent and no traffic moved")
	w.configure(configFor("2") + promoteAPI(`"api@2"`, ""))
	for _, run := range [][]string{{"-refresh=false"}, nil} {
		what := "the promotion applied with " + strings.Join(append([]string{"apply"}, run...), " ")
		out, ok := w.apply(run...)
		if ok {
			t.Fatalf("%s succeeded without the hook's own headers; want it refused:\n%s", what, out)
		}
		if !refused.MatchString(out) {
			t.Errorf("%s does not explain its refusal; want %s in:\n%s", what, refused, out)
		}
		checkNow(t, target, what, nothingSentSince(&gate))
		expectStoredDeployment(t, store, domain.StatusAwaitingPromotion, "api@2")
	}

	w.configure(credentialsConfig(providerBlockWithTeamHeader(store), "2", namedCredentialBlocks(url), strategy) + promoteAPI(`"api@2"`, ""))
	if out, ok := w.apply(); !ok {
		t.Fatalf("the promotion after the header moved to the provider block failed:\n%s", out)
	}
	checkNow(t, target, "the promotion with the header in the provider block",
		sentWithCredentials(&gate, []string{"cutover:100:green", "blue.drain:100:blue"}, demotarget.ProbeMetrics))
	for _, c := range gate.callsSince(target) {
		if got := c.Headers["X-Deploy-Team"]; got != "payments" {
			t.Errorf("the %s hook carried X-Deploy-Team %q, want the payments credential's", c.Event.Type, got)
		}
	}
	expectStoredDeployment(t, store, domain.StatusSucceeded, "")
	if plan := w.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the promotion is not empty:\n%s", plan)
	}
}
