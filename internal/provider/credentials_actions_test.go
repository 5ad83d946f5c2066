package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// credentialActionBlocks are the day-2 actions on api/prod0, invoked in
// runs of their own with terraform apply -invoke (Terraform 1.14+).
var credentialActionBlocks = actionBlock("ocuroot_promote", "api", `    deployment = "api/prod0"
    release    = "api@2"
    note       = "CHG-17"`) + actionBlock("ocuroot_rollback", "api", `    deployment = "api/prod0"
    note       = "INC-17"`)

// paymentsCredentialMissing is the refusal of a run whose provider block
// lacks the credential the deployment's hook names. Terraform shows an
// action's diagnostic as "Error when invoking action", summary and detail
// following.
var paymentsCredentialMissing = diagPattern(`Error: Error when invoking action ... Deployment Credential Missing: ` +
	`The hook block of ocuroot_deployment api/prod0 names credential "payments", which this run's provider "ocuroot" block does not define. ` +
	`Nothing was sent and no traffic moved`)

// TestAccCredentials_actionsInLaterRuns: the ocuroot_promote and
// ocuroot_rollback actions, each invoked in a run of its own after the
// apply that left a blue-green deployment at its gate, sign their hooks
// with the payments credential and probe with the metrics one. Invoked
// with a provider block that lacks the payments credential, each refuses
// before sending anything and leaves the deployment as it was.
func TestAccCredentials_actionsInLaterRuns(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_14_0)
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	configWith := func(provider, release string) string {
		return credentialsConfig(provider, release, namedCredentialBlocks(url), strategy) + credentialActionBlocks
	}
	withCredentials, withoutPayments := providerBlockWithCredentials(store), providerBlockWithoutPayments(store)
	gate, _ := bringAPIToTheGate(t, w, target, func(release string) string { return configWith(withCredentials, release) })

	// Promote, in a run whose provider block dropped the payments credential.
	w.configure(configWith(withoutPayments, "2"))
	out, ok := w.apply("-invoke=action.ocuroot_promote.api")
	if ok {
		t.Fatalf("the promotion without the payments credential succeeded; want it refused:\n%s", out)
	}
	if !paymentsCredentialMissing.MatchString(out) {
		t.Errorf("the refused promotion does not explain itself; want %s in:\n%s", paymentsCredentialMissing, out)
	}
	checkNow(t, target, "the refused promotion", nothingSentSince(&gate))
	expectStoredDeployment(t, store, domain.StatusAwaitingPromotion, "api@2")

	// Promote, with the credentials.
	w.configure(configWith(withCredentials, "2"))
	if out, ok := w.apply("-invoke=action.ocuroot_promote.api"); !ok || !strings.Contains(out, "api/prod0 promoted: api@2 is live") {
		t.Fatalf("invoking the promotion failed:\n%s", out)
	}
	checkNow(t, target, "the promote action",
		sentWithCredentials(&gate, []string{"cutover:100:green", "blue.drain:100:blue"}, demotarget.ProbeMetrics))
	expectStoredDeployment(t, store, domain.StatusSucceeded, "")
	if plan := w.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the promotion is not empty:\n%s", plan)
	}

	// Roll back, without and then with the payments credential.
	promoted := markTarget(target)
	w.configure(configWith(withoutPayments, "2"))
	out, ok = w.apply("-invoke=action.ocuroot_rollback.api")
	if ok {
		t.Fatalf("the rollback without the payments credential succeeded; want it refused:\n%s", out)
	}
	if !paymentsCredentialMissing.MatchString(out) {
		t.Errorf("the refused rollback does not explain itself; want %s in:\n%s", paymentsCredentialMissing, out)
	}
	checkNow(t, target, "the refused rollback", nothingSentSince(&promoted))
	expectStoredDeployment(t, store, domain.StatusSucceeded, "")

	w.configure(configWith(withCredentials, "2"))
	if out, ok := w.apply("-invoke=action.ocuroot_rollback.api"); !ok || !strings.Contains(out, "api/prod0 rolled back: api@1 is live again") {
		t.Fatalf("invoking the rollback failed:\n%s", out)
	}
	checkNow(t, target, "the rollback action", sentWithCredentials(&promoted, []string{"rollback:0:stable"}))
	if err := expectLive(target, "api", "prod0", "api@1", map[string]int{"api@1": 100}); err != nil {
		t.Error(err)
	}
	// The configuration follows the rollback: nothing left to change.
	w.configure(configWith(withCredentials, "1"))
	if plan := w.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the rollback, configured with api@1, is not empty:\n%s", plan)
	}
}
