//go:build linux

package faultinject

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// crashedRun SIGKILLs the provider in the middle of run and waits for
// terraform to give up on it; it returns when the provider died.
func crashedRun(t *testing.T, run *tfRun, provider process) time.Time {
	t.Helper()
	provider.signal(t, syscall.SIGKILL)
	killed := time.Now()
	run.wait(time.Minute)
	if run.exitCode == 0 {
		t.Fatalf("terraform exited 0 although its provider was killed:\n%s", run.output())
	}
	return killed
}

// A bake interrupted by a crash is not counted as done: after the resume
// the checks run again, and failing ones roll back instead of promoting.
func TestResumedBakeRollsBackOnFailingChecksInsteadOfPromoting(t *testing.T) {
	t.Parallel()
	steps := []step{{weight: 10, bake: "8s"}, {weight: 50, bake: "8s"}}
	w := newWorkspace(t)
	w.configure("1", steps...)
	w.apply()
	w.configure("2", steps...)
	run := w.start(applyArgs...)
	second := w.waitForEvent(run, "canary.weight", "api@2", 2)
	provider := run.provider()
	// Real time on purpose: the bake must not count the time the engine
	// was dead, however long that was.
	time.Sleep(time.Until(second.Time.Add(3 * time.Second)))
	killed := crashedRun(t, run, provider)

	w.target.MarkBad("2")
	resumed := w.run(applyArgs...)
	out := normalized(resumed.output())
	if resumed.exitCode == 0 || !strings.Contains(out, `check "health" failed`) {
		t.Errorf("the resumed apply (exit %d) does not fail naming the health check:\n%s", resumed.exitCode, resumed.output())
	}
	w.expectEvents("deploy api@1", "canary.weight api@2 10%", "canary.weight api@2 50%", "rollback api@2")
	w.expectUniqueKeys()

	rollback, ok := w.firstEvent("rollback", killed)
	if !ok {
		t.Fatalf("no rollback after the resume; events %v", w.events())
	}
	failing := 0
	for _, p := range w.healthProbes("2", killed) {
		if p.Time.Before(rollback.Time) && p.Status == http.StatusServiceUnavailable {
			failing++
		}
	}
	if failing < 2 {
		t.Errorf("rolled back after %d failing health probe(s) of api@2 since the resume, want failure_threshold (2)", failing)
	}
	d := w.deployment()
	if d.Status != domain.StatusRolledBack || d.LiveRelease != "api@1" {
		t.Errorf("store: status %s, live %q; want rolled_back, api@1", d.Status, d.LiveRelease)
	}
	if lease, held := w.lease(); held {
		t.Errorf("the lease is still held by %s", lease.Holder)
	}
}

// Reverting the configuration to the live release after a crash rolls the
// stranded canary back: the plan is not "No changes", and after the apply
// nothing is left to change.
func TestRevertAfterCrashRollsBackTheStrandedCanary(t *testing.T) {
	t.Parallel()
	w, run, provider := bakingRollout(t, longBake...)
	crashedRun(t, run, provider)

	w.configure("1", longBake...)
	if plan := w.plan(); plan.exitCode != 2 {
		t.Fatalf("with api@2 stranded at 10%%, the plan for api@1 (exit %d) proposes nothing:\n%s", plan.exitCode, plan.output())
	}
	w.apply()
	w.expectEvents("deploy api@1", "canary.weight api@2 10%", "rollback api@2")
	w.expectUniqueKeys()
	if state, ok := w.target.State("api", "prod0"); !ok || state.Live != "api@1" || state.Traffic["api@1"] != 100 || state.Canary != "" {
		t.Errorf("the target serves %+v, want api@1 at 100%% and no canary", state)
	}
	d := w.deployment()
	if d.LiveRelease != "api@1" || d.PendingRelease != "" || d.UnfinishedRollout() != nil {
		t.Errorf("store: live %q, pending %q, unfinished %v; want api@1 live and nothing unfinished", d.LiveRelease, d.PendingRelease, d.UnfinishedRollout())
	}
	if lease, held := w.lease(); held {
		t.Errorf("the lease is still held by %s", lease.Holder)
	}
	if plan := w.plan(); plan.exitCode != 0 {
		t.Errorf("after the revert the plan (exit %d) is not empty:\n%s", plan.exitCode, plan.output())
	}
}

// The lease of a provider killed on this machine is taken over at once: the
// next apply does not wait for it to expire.
func TestCrashedProvidersLeaseIsTakenOverAtOnce(t *testing.T) {
	t.Parallel()
	steps := []step{{weight: 10, bake: "10s"}}
	w, run, provider := bakingRollout(t, steps...)
	crashedRun(t, run, provider)
	dead, held := w.lease()
	if !held {
		t.Fatalf("the killed provider's lease is gone already; nothing left to take over")
	}

	started := time.Now()
	resumed := w.start(applyArgs...)
	probe := w.waitForProbe(resumed, "2", started)
	t.Logf("the second apply resumed the bake %s after it started; the dead holder's lease (%s) would have expired %s after the start",
		probe.Time.Sub(started).Round(time.Millisecond), dead.Holder, dead.Expires.Sub(started).Round(time.Millisecond))
	if !probe.Time.Before(dead.Expires) {
		t.Errorf("the second apply waited for the dead holder's lease to expire (%s) instead of taking it over", dead.Expires.Format(time.RFC3339Nano))
	}
	resumed.wait(runLimit)
	if resumed.exitCode != 0 {
		t.Fatalf("the resumed apply exited %d:\n%s", resumed.exitCode, resumed.output())
	}
	w.expectEvents("deploy api@1", "canary.weight api@2 10%", "promote api@2")
	w.expectUniqueKeys()
	if plan := w.plan(); plan.exitCode != 0 {
		t.Errorf("after the resumed rollout the plan (exit %d) is not empty:\n%s", plan.exitCode, plan.output())
	}
}
