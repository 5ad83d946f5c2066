package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// manualCanary stops a one-step canary at its promotion gate.
const manualCanary = `
  strategy = "canary"
  canary {
    check_interval   = "1m"
    manual_promotion = true
    step {
      weight = 50
      bake   = "5m"
    }
  }
`

// promoteActionBlocks name the deployment by a literal id, so the
// invocation refreshes nothing and the provider signs with its own
// hook_secret and the hook URL on record; and approve phase "prod".
var promoteActionBlocks = actionBlock("ocuroot_promote", "api", `    deployment = "api/prod0"
    release    = "api@2"
    note       = "CHG-7"`) + actionBlock("ocuroot_promote", "prod_phase", `    release = "api@3"
    phase   = "prod"
    note    = "approved by the release manager"`)

// TestAccActionPromote: `terraform apply -invoke` of ocuroot_promote
// promotes a canary waiting at its gate (the promote event goes out,
// signed), refuses a release no longer pending, and approves a phase.
func TestAccActionPromote(t *testing.T) {
	t.Parallel()
	skipOnOpenTofu(t, "actions (action blocks, apply -invoke; Terraform 1.14+)")
	w := newTFWorkspace(t, tfversion.Version1_14_0)
	store := newTestStorePath(t)
	target, url := startTarget(t)

	w.configure(deployConfig(store, url, "1", manualCanary) + promoteActionBlocks)
	w.must("init", "-input=false", "-no-color")
	if out, ok := w.apply(); !ok {
		t.Fatalf("apply of api@1 failed:\n%s", out)
	}
	w.configure(deployConfig(store, url, "2", manualCanary) + promoteActionBlocks)
	if out, ok := w.apply(); !ok || !strings.Contains(out, "Deployment Awaiting Promotion") {
		t.Fatalf("apply of api@2 failed or did not stop at its gate:\n%s", out)
	}

	before := len(target.Calls())
	out, ok := w.apply("-invoke=action.ocuroot_promote.api")
	if !ok {
		t.Fatalf("invoking the promotion failed:\n%s", out)
	}
	calls := newCalls(target, before)
	if len(calls) != 1 {
		t.Fatalf("the promotion made %d hook calls, want one promote event: %+v", len(calls), calls)
	}
	call := calls[0]
	if call.Event.Type != hookreceiver.EventPromote || call.Event.Release != "api@2" || !call.Signed || !call.Accepted {
		t.Errorf("promotion call = %s %s signed=%v accepted=%v (%s), want an accepted, signed promote of api@2",
			call.Event.Type, call.Event.Release, call.Signed, call.Accepted, call.RejectReason)
	}
	if !regexp.MustCompile(`^api/prod0/api@2-2-[0-9a-f]{6}/`).MatchString(call.IdempotencyKey) {
		t.Errorf("idempotency key = %q, want one of the api@2 rollout", call.IdempotencyKey)
	}
	for _, want := range []string{
		"promoting api/prod0 to api@2 once it waits at awaiting_promotion",
		"api/prod0 promoted: api@2 is live (status succeeded, 100% of traffic)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("invoke output lacks %q", want)
		}
	}
	if plan := w.must("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the promotion is not empty:\n%s", plan)
	}

	before = len(target.Calls())
	out, ok = w.apply("-invoke=action.ocuroot_promote.api")
	if ok {
		t.Fatal("promoting api@2 a second time succeeded; want it refused")
	}
	for _, want := range []string{"Release Not Pending Promotion", "release api@2 is not pending promotion in api/prod0"} {
		if !strings.Contains(out, want) {
			t.Errorf("second promotion output lacks %q", want)
		}
	}
	if calls := newCalls(target, before); len(calls) != 0 {
		t.Errorf("the refused promotion made hook calls: %+v", calls)
	}

	out, ok = w.apply("-invoke=action.ocuroot_promote.prod_phase")
	if !ok || !strings.Contains(out, `phase "prod" of api@3 approved by`) {
		t.Fatalf("approving phase prod of api@3 failed:\n%s", out)
	}
	eng, kv := openTestEngine(t, store)
	defer kv.Close()
	approval, err := eng.Store().GetApproval(context.Background(), "api@3", "prod")
	if err != nil || approval.Note != "approved by the release manager" {
		t.Errorf("approval in the store = %+v, %v", approval, err)
	}
}
