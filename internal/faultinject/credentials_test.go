//go:build linux

package faultinject

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Credentials of the test below. The target verifies hooks against the
// payments secret, not the provider's default hook_secret, and answers 401
// to a probe without the metrics token, so a run that signed or probed
// with anything else shows in its call log.
const (
	paymentsSecret = "faultinject-payments-secret"
	paymentsToken  = "faultinject-hook-token"
	metricsToken   = "Bearer faultinject-metrics-token"
)

// credentialsConfig renders a blue-green deployment of release ("1" or
// "2") that stops at its gate, whose hook names the payments credential and
// whose health and pre-promotion checks name the metrics one, and the
// ocuroot_promote action that opens the gate.
func credentialsConfig(storePath, targetURL, release string) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    ocuroot = { source = "ocuroot/ocuroot" }
  }
}

provider "ocuroot" {
  store       = "file://%[1]s"
  hook_secret = %[2]q
  credentials = {
    metrics  = { headers = { Authorization = %[3]q } }
    payments = { hook_secret = %[4]q, headers = { X-Hook-Token = %[5]q } }
  }
}

resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

`+apiReleases+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%[6]s.id
  strategy    = "blue_green"
  hook {
    url        = "%[7]s/hooks"
    credential = "payments"
    # Long enough that the hung cutover is still in flight when the test
    # kills the provider.
    timeout = "60s"
    retry {
      attempts = 2
      min_wait = "50ms"
      max_wait = "200ms"
    }
  }
  health_check {
    url        = "%[7]s/health/{package}/{environment}/{slot}/{version}"
    interval   = "1s"
    credential = "metrics"
  }
  blue_green {
    manual_promotion = true
    check_interval   = "1s"
    pre_promotion_check {
      name       = "error_rate"
      url        = "%[7]s/metrics/{package}/{environment}/{slot}/{version}"
      path       = "error_rate"
      max        = 0.1
      credential = "metrics"
    }
  }
}

action "ocuroot_promote" "api" {
  config {
    deployment = "api/prod0"
    release    = "api@2"
    note       = "CHG-17"
    timeout    = "3m"
  }
}
`, storePath, hookSecret, metricsToken, paymentsSecret, paymentsToken, release, targetURL)
}

// requireTerraform skips a test that needs a newer terraform than the
// suite's.
func requireTerraform(t *testing.T, minimum string) {
	t.Helper()
	requireSuite(t)
	out, err := exec.Command(suite.terraform, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", suite.terraform, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("reading terraform's version: %v", err)
	}
	if version.Must(version.NewVersion(v.Version)).LessThan(version.Must(version.NewVersion(minimum))) {
		t.Skipf("needs terraform %s or newer; %s is %s", minimum, suite.terraform, v.Version)
	}
}

// waitForHungCall returns the injected (held) call of eventType once the
// target has it: the provider is then waiting inside that hook.
func (w *workspace) waitForHungCall(run *tfRun, eventType string) demotarget.Call {
	w.t.Helper()
	deadline := time.Now().Add(eventWait)
	for {
		for _, c := range w.target.Calls() {
			if c.Event.Type == eventType && c.Injected {
				return c
			}
		}
		if run.exited() || time.Now().After(deadline) {
			w.t.Fatalf("no %s call reached the target (terraform exited: %v); events: %v\n%s", eventType, run.exited(), w.events(), run.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A promotion whose provider was killed in the middle of the cutover leaves
// the rollout promoted but unfinished. The ocuroot_promote action, invoked
// in a later run (a new provider process that never saw the deployment's
// configuration), continues it: it re-checks green with the metrics token,
// then sends the same cutover (same Idempotency-Key) and the drain, signed
// with the payments secret and carrying its header.
func TestPromoteActionContinuesAPromotionKilledMidCutover(t *testing.T) {
	t.Parallel()
	requireTerraform(t, "1.14.0")
	w := newWorkspaceWithTarget(t, demotarget.Options{
		Secret:              paymentsSecret,
		RequireProbeHeaders: map[string]string{"Authorization": metricsToken},
	})
	w.writeConfig(credentialsConfig(w.storePath, w.targetURL, "1"))
	w.apply()
	w.writeConfig(credentialsConfig(w.storePath, w.targetURL, "2"))
	if out := w.apply().output(); !strings.Contains(out, "Deployment Awaiting Promotion") {
		t.Fatalf("the apply of api@2 did not stop at its gate:\n%s", out)
	}

	invoke := append(applyArgs[:len(applyArgs):len(applyArgs)], "-invoke=action.ocuroot_promote.api")
	w.target.FailHook(hookreceiver.EventCutover, 0) // the cutover hangs
	killedRun := w.start(invoke...)
	hung := w.waitForHungCall(killedRun, hookreceiver.EventCutover)
	// Found only now: terraform ran other provider processes before the
	// one invoking the action.
	crashedRun(t, killedRun, killedRun.provider())

	d := w.deployment()
	if readiness, reason := engine.PromotionCheck(d, "api@2"); readiness != engine.PromotionReady || d.Rollout.Promotion == nil {
		t.Fatalf("after the kill the promotion of api@2 is %s (%s), recorded %v; want a promotion in flight", readiness, reason, d.Rollout.Promotion)
	}
	if d.LiveRelease != "api@1" {
		t.Fatalf("after the kill api@1 is no longer live: %+v", d)
	}
	calls, probes := len(w.target.Calls()), len(w.target.Probes())

	resumed := w.run(invoke...)
	if resumed.exitCode != 0 || !strings.Contains(resumed.output(), "api/prod0 promoted: api@2 is live") {
		t.Fatalf("the promote action after the kill exited %d:\n%s", resumed.exitCode, resumed.output())
	}
	var sent []string
	for _, c := range w.target.Calls()[calls:] {
		if c.Rejected || !c.Accepted || c.Headers["X-Hook-Token"] == "" {
			t.Errorf("the %s hook after the kill: accepted %v, rejected %v (%s), X-Hook-Token %q; want it accepted, signed with the payments secret, with the header",
				c.Event.Type, c.Accepted, c.Rejected, c.RejectReason, c.Headers["X-Hook-Token"])
		}
		if c.Event.Type == hookreceiver.EventCutover && c.IdempotencyKey != hung.IdempotencyKey {
			t.Errorf("the cutover after the kill has Idempotency-Key %s, the killed one %s: want the same promotion continued", c.IdempotencyKey, hung.IdempotencyKey)
		}
		sent = append(sent, c.Event.Type)
	}
	if got := strings.Join(sent, " "); got != "cutover blue.drain" {
		t.Errorf("hooks after the kill: %s, want cutover blue.drain", got)
	}
	metrics := 0
	for _, p := range w.target.Probes()[probes:] {
		if p.Status == 401 {
			t.Errorf("a %s probe after the kill was refused: it came without the metrics token", p.Kind)
		}
		if p.Kind == demotarget.ProbeMetrics {
			metrics++
		}
	}
	if metrics == 0 {
		t.Errorf("green was not re-checked with the pre-promotion check after the kill")
	}
	if state, ok := w.target.State("api", "prod0"); !ok || state.Live != "api@2" || state.Traffic["api@2"] != 100 {
		t.Errorf("the target serves %+v, want api@2 at 100%%", state)
	}
	if d := w.deployment(); d.Status != domain.StatusSucceeded || d.LiveRelease != "api@2" {
		t.Errorf("store: status %s, live %q; want succeeded, api@2", d.Status, d.LiveRelease)
	}
	if lease, held := w.lease(); held {
		t.Errorf("the lease is still held by %s", lease.Holder)
	}
	if plan := w.plan(); plan.exitCode != 0 {
		t.Errorf("after the promotion the plan (exit %d) is not empty:\n%s", plan.exitCode, plan.output())
	}
}
