package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// A credential a deployment names but the provider block does not define
// is refused: at plan time when the deployment is planned, and before
// anything is sent when only the stored rollout names it.

// unknownCredentialBlocks: hook, health check and metric check each name a
// credential of their own, given by the caller.
func unknownCredentialBlocks(url, hook, health, check string) string {
	return fmt.Sprintf(`
  hook {
    url        = "%[1]s/hooks"
    credential = %[2]q
  }
  health_check {
    url        = "%[1]s/health/{package}/{environment}/{slot}/{version}"
    interval   = "15s"
    credential = %[3]q
  }
  check {
    name       = "error_rate"
    url        = "%[1]s/metrics/{package}/{environment}/{slot}/{version}"
    path       = "error_rate"
    max        = 0.1
    credential = %[4]q
  }
`, url, hook, health, check)
}

// TestAccCredentials_unknownCredentialRefusedAtPlan: each block naming a
// credential the provider block does not define gets an Unknown Credential
// error at plan time, shown on its own credential line. Nothing is sent
// and nothing stored; with the names fixed the deployment applies.
func TestAccCredentials_unknownCredentialRefusedAtPlan(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_11_0)
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	provider := providerBlockWithCredentials(store)
	w.configure(credentialsConfig(provider, "1", unknownCredentialBlocks(url, "nope-hook", "nope-health", "nope-check"), oneStepCanary))
	w.must("init", "-input=false", "-no-color")
	out, ok := w.run("plan", "-input=false", "-no-color")
	if ok {
		t.Fatalf("the plan naming undefined credentials succeeded:\n%s", out)
	}
	for _, name := range []string{"nope-hook", "nope-health", "nope-check"} {
		// The snippet Terraform shows is the attribute the error is on.
		want := diagPattern(fmt.Sprintf(`Error: Unknown Credential ... credential = %q No credential %q is defined in the provider block (defined: "metrics", "payments")`, name, name))
		if !want.MatchString(out) {
			t.Errorf("the plan does not refuse %s on its credential attribute; want %s in:\n%s", name, want, out)
		}
	}
	checkNow(t, target, "the refused plan", nothingSentSince(&targetMark{}))
	if err := storeHoldsNoRecords(store); err != nil {
		t.Errorf("after the refused plan: %v", err)
	}

	w.configure(credentialsConfig(provider, "1", unknownCredentialBlocks(url, "payments", "metrics", "metrics"), oneStepCanary))
	if out, ok := w.apply(); !ok {
		t.Fatalf("the apply with the names fixed failed:\n%s", out)
	}
	checkNow(t, target, "the apply", sentWithCredentials(&targetMark{}, []string{"deploy:100:stable"}))
	if plan := w.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the apply is not empty:\n%s", plan)
	}
}

// TestAccCredentials_droppedCredentialRefusedByLaterRuns: a blue-green
// rollout waits at its gate, its hook naming the payments credential. A
// later run of the same configuration whose provider block dropped the
// credential is refused at plan time on hook.credential. A release
// pipeline's own workspace (another directory and state, sharing the
// store) promotes by id without planning the deployment: its run is
// refused by the engine, "Deployment Credential Missing", before anything
// is sent. In both cases the deployment stays at its gate; with the
// credential back, the pipeline's promotion signs with it.
func TestAccCredentials_droppedCredentialRefusedByLaterRuns(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_11_0)
	store := newTestStorePath(t)
	target, url := startPaymentsTarget(t)
	strategy := fmt.Sprintf(blueGreenManualWithCheck, url)
	configWith := func(provider, release string) string {
		return credentialsConfig(provider, release, namedCredentialBlocks(url), strategy)
	}
	gate, _ := bringAPIToTheGate(t, w, target, func(release string) string {
		return configWith(providerBlockWithCredentials(store), release)
	})

	w.configure(configWith(providerBlockWithoutPayments(store), "2") + promoteAPI(`"api@2"`, ""))
	out, ok := w.apply()
	if ok {
		t.Fatalf("the promotion without the payments credential succeeded:\n%s", out)
	}
	if want := diagPattern(`Error: Unknown Credential ... credential = "payments" No credential "payments" is defined in the provider block (defined: "metrics")`); !want.MatchString(out) {
		t.Errorf("the later run is not refused on hook.credential; want %s in:\n%s", want, out)
	}
	checkNow(t, target, "the run refused at plan time", nothingSentSince(&gate))
	expectStoredDeployment(t, store, domain.StatusAwaitingPromotion, "api@2")

	pipeline := newTFWorkspace(t, tfversion.Version1_11_0)
	promoteByID := promotionConfig("p", `"api/prod0"`, `"api@2"`, `note = "release pipeline"`)
	pipeline.configure(providerBlockWithoutPayments(store) + promoteByID)
	pipeline.must("init", "-input=false", "-no-color")
	out, ok = pipeline.apply()
	if ok {
		t.Fatalf("the pipeline's promotion without the payments credential succeeded:\n%s", out)
	}
	if !diagnosticRegexp("Deployment Credential Missing",
		`The hook block of ocuroot_deployment api/prod0 names credential "payments", which this run's provider "ocuroot" block does not define`,
		"Nothing was sent and no traffic moved").MatchString(out) {
		t.Errorf("the pipeline's promotion does not explain its refusal:\n%s", out)
	}
	checkNow(t, target, "the pipeline's refused promotion", nothingSentSince(&gate))
	expectStoredDeployment(t, store, domain.StatusAwaitingPromotion, "api@2")

	pipeline.configure(providerBlockWithCredentials(store) + promoteByID)
	if out, ok := pipeline.apply(); !ok {
		t.Fatalf("the pipeline's promotion with the credential failed:\n%s", out)
	}
	checkNow(t, target, "the pipeline's promotion",
		sentWithCredentials(&gate, []string{"cutover:100:green", "blue.drain:100:blue"}, demotarget.ProbeMetrics))
	expectStoredDeployment(t, store, domain.StatusSucceeded, "")
	w.configure(configWith(providerBlockWithCredentials(store), "2"))
	for name, ws := range map[string]*tfWorkspace{"pipeline": pipeline, "deployment": w} {
		if plan := ws.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
			t.Errorf("the %s workspace's plan after the promotion is not empty:\n%s", name, plan)
		}
	}
}
