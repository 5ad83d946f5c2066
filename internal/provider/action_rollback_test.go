package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// rollbackActionBlock is invoked with -invoke=action.ocuroot_rollback.now.
var rollbackActionBlock = actionBlock("ocuroot_rollback", "now", `    deployment = ocuroot_deployment.api.id
    note       = "INC-42"`)

// newCalls returns the hook calls the target received after the first n.
func newCalls(target *demotarget.Target, n int) []demotarget.Call {
	return target.Calls()[n:]
}

// TestAccActionRollback: `terraform apply -invoke` of ocuroot_rollback
// sends one rollback event, no canary step, under a key of its own; the
// next plan proposes the configured release again; a second rollback has
// nothing on record to restore and says so.
func TestAccActionRollback(t *testing.T) {
	t.Parallel()
	skipOnOpenTofu(t, "actions (action blocks, apply -invoke; Terraform 1.14+)")
	w := newTFWorkspace(t, tfversion.Version1_14_0)
	store := newTestStorePath(t)
	target, url := startTarget(t)

	w.configure(deployConfig(store, url, "1", oneStepCanary) + rollbackActionBlock)
	w.must("init", "-input=false", "-no-color")
	if out, ok := w.apply(); !ok {
		t.Fatalf("apply of api@1 failed:\n%s", out)
	}
	w.configure(deployConfig(store, url, "2", oneStepCanary) + rollbackActionBlock)
	if out, ok := w.apply(); !ok {
		t.Fatalf("apply of api@2 failed:\n%s", out)
	}
	if got := strings.Join(target.EventTypes(nil), " "); got != "deploy canary.weight promote" {
		t.Fatalf("events before the rollback = %s, want deploy canary.weight promote", got)
	}

	before := len(target.Calls())
	out, ok := w.apply("-invoke=action.ocuroot_rollback.now")
	if !ok {
		t.Fatalf("invoking the rollback failed:\n%s", out)
	}
	calls := newCalls(target, before)
	if len(calls) != 1 {
		t.Fatalf("the rollback made %d hook calls, want exactly one rollback event: %+v", len(calls), calls)
	}
	call := calls[0]
	ev := call.Event
	if ev.Type != demotarget.EventRollback || ev.Release != "api@2" || ev.PreviousRelease != "api@1" || ev.Slot != demotarget.SlotStable {
		t.Errorf("rollback event = %s %s (previous %s, slot %s), want rollback of api@2 to api@1 on the stable slot",
			ev.Type, ev.Release, ev.PreviousRelease, ev.Slot)
	}
	if !call.Signed || !call.Accepted {
		t.Errorf("rollback call signed=%v accepted=%v (%s), want a signed, accepted call", call.Signed, call.Accepted, call.RejectReason)
	}
	if !regexp.MustCompile(`^api/prod0/api@2-3-[0-9a-f]{6}/rollback/rollback$`).MatchString(call.IdempotencyKey) {
		t.Errorf("idempotency key = %q, want one of a third rollout of its own", call.IdempotencyKey)
	}
	if state, _ := target.State("api", "prod0"); state.Live != "api@1" {
		t.Errorf("the target serves %q, want api@1", state.Live)
	}
	for _, want := range []string{
		"rolling api/prod0 back to its previous live release",
		"api/prod0 rolled back: api@1 is live again, api@2 withdrawn",
		"Configuration Still Names The Rolled-Back Release",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("invoke output lacks %q", want)
		}
	}

	plan := w.must("plan", "-input=false", "-no-color")
	if !regexp.MustCompile(`~ release\s+= "api@1" -> "api@2"`).MatchString(plan) {
		t.Errorf("the plan after the rollback does not propose api@2 again:\n%s", plan)
	}

	before = len(target.Calls())
	out, ok = w.apply("-invoke=action.ocuroot_rollback.now")
	if ok {
		t.Fatal("a second rollback succeeded; want it refused")
	}
	for _, want := range []string{"Nothing To Roll Back", "because the rollout of api@2 ended rolled_back"} {
		if !strings.Contains(out, want) {
			t.Errorf("second rollback output lacks %q", want)
		}
	}
	if calls := newCalls(target, before); len(calls) != 0 {
		t.Errorf("the refused rollback made hook calls: %+v", calls)
	}
}
