package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
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
	if ev.Type != hookreceiver.EventRollback || ev.Release != "api@2" || ev.PreviousRelease != "api@1" || ev.Slot != hookreceiver.SlotStable {
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
	} {
		if !strings.Contains(out, want) {
			t.Errorf("invoke output lacks %q", want)
		}
	}
	warning := diagPattern("Configuration Still Names The Rolled-Back Release ... api/prod0 serves api@1 again; api@2 is withdrawn. " +
		"Its ocuroot_deployment still names api@2, so the next plan proposes rolling api@2 out again: before the next apply, set that " +
		"deployment's release to api@1, or to a release with the fix. ... Pin this deployment to a release of its own instead")
	if !warning.MatchString(out) {
		t.Errorf("invoke output lacks the warning that the configuration still names api@2:\n%s", out)
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

// sharedReleaseConfig declares staging and prod1, one release api@VERSION
// whose phases are staging then prod, and a deployment in each. Staging
// runs the shared release; prod runs prodRelease, a reference to the
// shared release or to the extra resources' pinned one.
func sharedReleaseConfig(store, targetURL, version, prodRelease, extra string) string {
	return phasedConfigOf(store, "api", version, false,
		phasedDeploymentOf("staging", "staging", "ocuroot_release.api.id", targetURL, "")+
			phasedDeploymentOf("prod", "prod1", prodRelease, targetURL, "  depends_on = [ocuroot_deployment.staging]\n")+
			extra+actionBlock("ocuroot_rollback", "prod", "    deployment = ocuroot_deployment.prod.id"))
}

func phasedDeploymentOf(name, env, release, targetURL, extra string) string {
	return strings.Replace(phasedDeployment(name, env, targetURL, extra), "ocuroot_release.v1.id", release, 1)
}

// pinnedV1 is the release the rollback warning tells an operator to pin
// prod to: api@1 with prod alone in its flow.
const pinnedV1 = `
resource "ocuroot_release" "api_v1" {
  package = "api"
  version = "1"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod1.name]
  }
}
`

// TestAccActionRollbackOfASharedRelease: staging and prod share one
// release. After the rollback of prod alone, the warning tells how to keep
// prod on the restored release without touching staging; following it
// plans no change to either deployment and sends nothing; once the fix
// ships, prod goes back to the shared release and both get it in order.
func TestAccActionRollbackOfASharedRelease(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_14_0)
	store := newTestStorePath(t)
	target, url := startTarget(t)
	serves := func(when, stagingWant, prodWant string) {
		t.Helper()
		staging, _ := target.State("api", "staging")
		prod, _ := target.State("api", "prod1")
		if staging.Live != stagingWant || prod.Live != prodWant {
			t.Fatalf("%s: staging serves %q and prod1 %q, want %s and %s", when, staging.Live, prod.Live, stagingWant, prodWant)
		}
	}

	w.configure(sharedReleaseConfig(store, url, "1", "ocuroot_release.api.id", ""))
	w.must("init", "-input=false", "-no-color")
	for _, version := range []string{"1", "2"} {
		w.configure(sharedReleaseConfig(store, url, version, "ocuroot_release.api.id", ""))
		if out, ok := w.apply(); !ok {
			t.Fatalf("apply of api@%s failed:\n%s", version, out)
		}
	}
	serves("after api@2", "api@2", "api@2")

	out, ok := w.apply("-invoke=action.ocuroot_rollback.prod")
	if !ok {
		t.Fatalf("invoking the rollback of prod failed:\n%s", out)
	}
	serves("after the rollback of prod", "api@2", "api@1")
	warning := diagPattern("Configuration Still Names The Rolled-Back Release ... " +
		"api/prod1 serves api@1 again; api@2 is withdrawn. Its ocuroot_deployment still names api@2, so the next plan proposes " +
		"rolling api@2 out again: before the next apply, set that deployment's release to api@1, or to a release with the fix. ... " +
		"If other deployments share that release (release = ocuroot_release.api.id in staging and in prod, say), changing it rolls " +
		`them back too. Pin this deployment to a release of its own instead: declare ocuroot_release "api_v1" with package = "api", ` +
		`version = "1" and one phase holding prod1, set release = ocuroot_release.api_v1.id on this deployment only (the plan ` +
		"shows no change to it, since api@1 is what it runs), and point it back at the shared release once the fix ships.")
	if !warning.MatchString(out) {
		t.Errorf("the rollback's warning does not say how to pin prod:\n%s", out)
	}

	// As the warning says: prod on a release of its own, staging untouched.
	w.configure(sharedReleaseConfig(store, url, "2", "ocuroot_release.api_v1.id", pinnedV1))
	plan := w.must("plan", "-input=false", "-no-color")
	if !strings.Contains(plan, "Plan: 1 to add, 0 to change, 0 to destroy.") || !strings.Contains(plan, "ocuroot_release.api_v1 will be created") {
		t.Errorf("pinning prod to api@1 should only create the pinned release:\n%s", plan)
	}
	before := len(target.Calls())
	if out, ok := w.apply(); !ok {
		t.Fatalf("apply of the pinned release failed:\n%s", out)
	}
	if calls := newCalls(target, before); len(calls) != 0 {
		t.Errorf("pinning prod sent hook calls: %+v", calls)
	}
	serves("with prod pinned", "api@2", "api@1")

	// The fix ships: prod follows the shared release again.
	w.configure(sharedReleaseConfig(store, url, "3", "ocuroot_release.api.id", ""))
	if out, ok := w.apply(); !ok {
		t.Fatalf("apply of the fix api@3 failed:\n%s", out)
	}
	serves("after the fix", "api@3", "api@3")
}
