//go:build linux

package faultinject

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Termination goals. The product promises the apply is back within 5 s of
// the signal; the assertions allow far more so a busy machine does not fail
// them, and the measured figures are logged for the record.
const (
	terminationGoal  = 5 * time.Second
	terminationBound = 30 * time.Second
)

// bakingRollout deploys api@1, starts the update to api@2 and returns once
// the api@2 canary is baking with its checks running.
func bakingRollout(t *testing.T, steps ...step) (*workspace, *tfRun, process) {
	t.Helper()
	w := newWorkspace(t)
	w.configure("1", steps...)
	w.apply()
	w.configure("2", steps...)
	run := w.start(applyArgs...)
	w.waitForEvent(run, "canary.weight", "api@2", 1)
	w.waitForProbe(run, "2", time.Time{})
	return w, run, run.provider()
}

// expectRolledBack checks what a cancelled rollout must leave: the canary
// withdrawn once and never promoted, api@1 serving everything, the record
// saying rolled_back and the lease free.
func (w *workspace) expectRolledBack() {
	w.t.Helper()
	w.expectEvents("deploy api@1", "canary.weight api@2 10%", "rollback api@2")
	w.expectUniqueKeys()
	if state, ok := w.target.State("api", "prod0"); !ok || state.Live != "api@1" || state.Traffic["api@1"] != 100 {
		w.t.Errorf("the target serves %+v, want api@1 at 100%%", state)
	}
	d := w.deployment()
	if d.Status != domain.StatusRolledBack || d.LiveRelease != "api@1" || d.PendingRelease != "" {
		w.t.Errorf("store: status %s, live %q, pending %q; want rolled_back, api@1, none", d.Status, d.LiveRelease, d.PendingRelease)
	}
	if lease, held := w.lease(); held {
		w.t.Errorf("the lease is still held by %s (%s since %s)", lease.Holder, lease.Operation, lease.Since)
	}
}

// expectReleaseProposedAgain checks that the next plan offers api@2 again.
func (w *workspace) expectReleaseProposedAgain() {
	w.t.Helper()
	plan := w.plan()
	if plan.exitCode != 2 || !strings.Contains(plan.output(), "ocuroot_deployment.api will be updated in-place") {
		w.t.Errorf("after the rollback the plan (exit %d) does not propose api@2 again:\n%s", plan.exitCode, plan.output())
	}
}

// logTiming records how long something took after the fault, against the goal.
func logTiming(t *testing.T, what string, took time.Duration) {
	t.Helper()
	verdict := "within"
	if took > terminationGoal {
		verdict = "OVER"
	}
	t.Logf("%s %s after the fault (%s the %s goal)", what, took.Round(time.Millisecond), verdict, terminationGoal)
	if took > terminationBound {
		t.Errorf("%s took %s, more than %s", what, took.Round(time.Millisecond), terminationBound)
	}
}

// A SIGTERM to the whole process group, as CI cancellation, `timeout` and
// Terraform Cloud send it, rolls the canary back and frees the lease.
func TestSigtermToProcessGroupRollsBackTheCanary(t *testing.T) {
	t.Parallel()
	w, run, provider := bakingRollout(t, longBake...)

	signalled := time.Now()
	run.signalGroup(syscall.SIGTERM)
	run.wait(terminationBound + time.Minute)

	rollback, ok := w.firstEvent("rollback", signalled)
	if !ok {
		t.Fatalf("no rollback after SIGTERM; events %v\n%s", w.events(), run.output())
	}
	logTiming(t, "the rollback hook arrived", rollback.Time.Sub(signalled))
	logTiming(t, "terraform exited", run.exitedAt.Sub(signalled))
	if run.exitCode == 0 {
		t.Errorf("terraform exited 0 after an interrupted rollout:\n%s", run.output())
	}
	if out := normalized(run.output()); !strings.Contains(out, "was interrupted") || !strings.Contains(out, "100% of traffic is back on api@1") {
		t.Errorf("terraform does not report the interrupted, rolled back rollout:\n%s", run.output())
	}
	if !provider.waitExit(terminationBound) {
		t.Errorf("the provider (pid %d) still runs after terraform exited", provider.pid)
	}
	w.expectRolledBack()
	w.expectReleaseProposedAgain()
}

// SIGTERM or SIGINT to the provider process alone is a cancellation too:
// terraform receives the diagnostic instead of "Plugin did not respond".
func TestSignalToProviderAloneRollsBackTheCanary(t *testing.T) {
	requireSuite(t)
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			w, run, provider := bakingRollout(t, longBake...)

			signalled := time.Now()
			provider.signal(t, sig)
			run.wait(terminationBound + time.Minute)

			rollback, ok := w.firstEvent("rollback", signalled)
			if !ok {
				t.Fatalf("no rollback after %s; events %v\n%s", sig, w.events(), run.output())
			}
			logTiming(t, "the rollback hook arrived", rollback.Time.Sub(signalled))
			logTiming(t, "terraform exited", run.exitedAt.Sub(signalled))
			out := normalized(run.output())
			if run.exitCode == 0 || strings.Contains(out, "Plugin did not respond") || !strings.Contains(out, "100% of traffic is back on api@1") {
				t.Errorf("terraform (exit %d) does not report the rolled back rollout:\n%s", run.exitCode, run.output())
			}
			if log := w.terraformLog(); !strings.Contains(log, "ocuroot provider received "+sig.String()) {
				t.Errorf("the provider did not log the %s it received; terraform log:\n%s", sig, log)
			}
			if !provider.waitExit(terminationBound) {
				t.Errorf("the provider (pid %d) still runs after terraform exited", provider.pid)
			}
			w.expectRolledBack()
			w.expectReleaseProposedAgain()
		})
	}
}

// When terraform itself is killed, the provider notices, rolls back, frees
// the lease and exits rather than lingering.
func TestKilledTerraformLeavesNoCanaryNorProvider(t *testing.T) {
	t.Parallel()
	w, run, provider := bakingRollout(t, longBake...)

	killed := time.Now()
	run.killTerraform()
	run.wait(terminationBound)

	if !provider.waitExit(terminationBound + time.Minute) {
		t.Fatalf("the provider (pid %d) still runs %s after terraform was killed; events %v",
			provider.pid, time.Since(killed).Round(time.Second), w.events())
	}
	logTiming(t, "the orphaned provider exited", time.Since(killed))
	rollback, ok := w.firstEvent("rollback", killed)
	if !ok {
		t.Fatalf("no rollback after terraform was killed; events %v", w.events())
	}
	logTiming(t, "the rollback hook arrived", rollback.Time.Sub(killed))
	w.expectRolledBack()
	w.expectReleaseProposedAgain()
}
