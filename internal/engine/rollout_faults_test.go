package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// Fault injection at engine level: a provider killed mid-rollout (its
// store writes stop, its lease is left behind), a clock gap while nothing
// runs, then a new engine on the same store. What the target saw is read
// from the timeline of hook calls and probes.

// killGap is how long nothing runs between a kill and the next apply; far
// longer than any bake, so counting it would skip every bake.
const killGap = 10 * time.Minute

// issueCanarySpec is the canary of the bug report: two steps baking 8s,
// checked every second, two failed rounds roll back.
func issueCanarySpec() domain.DeploymentSpec {
	spec := canarySpec()
	spec.HealthCheck.Interval = time.Second
	spec.Canary = domain.CanarySpec{
		Steps:         []domain.CanaryStep{{Weight: 10, Bake: 8 * time.Second}, {Weight: 50, Bake: 8 * time.Second}},
		CheckInterval: time.Second, FailureThreshold: 2,
	}
	return spec
}

// killDuringBake runs spec on a store that dies once the bake after the
// canary weight `weight` has persisted `rounds` check rounds, then lets
// killGap pass. It returns the record the dead run left.
func killDuringBake(t *testing.T, h *harness, spec domain.DeploymentSpec, weight, rounds int) *domain.Deployment {
	t.Helper()
	kv := &crashKV{KV: h.kv, limit: 1 << 30}
	dying := h.engine(kv, Options{LeaseTTL: time.Minute, Holder: "killed"})
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCanaryWeight && ev.Weight == weight {
			kv.crashAfter(1 + rounds) // the step's advance, then each round
		}
	}
	if _, err := dying.Deploy(context.Background(), DeployRequest{Spec: spec}); err == nil || !kv.didCrash() {
		t.Fatalf("the killed run returned %v (crashed: %v)", err, kv.didCrash())
	}
	h.hooks.onSend = nil
	h.clock.(*enginetest.FakeClock).Increment(killGap)
	return h.deployment(testDepID)
}

// since returns the events after position from.
func since(events []timelineEvent, from int) []timelineEvent {
	if from+1 >= len(events) {
		return nil
	}
	return events[from+1:]
}

// hookNames lists the hook calls among events, "type weight".
func hookNames(events []timelineEvent) []string {
	var out []string
	for _, ev := range events {
		if ev.Kind == "hook" {
			out = append(out, ev.Name)
		}
	}
	return out
}

// probesBefore counts the health probes of slot among events before the
// first hook named event, and how many of them passed.
func probesBefore(events []timelineEvent, slot, event string) (probes, passed int) {
	for _, ev := range events {
		if ev.Kind == "hook" && ev.Name == event {
			break
		}
		if ev.Kind == "health" && ev.Slot == slot {
			probes++
			if ev.OK {
				passed++
			}
		}
	}
	return probes, passed
}

// TestResumedBakeRunsTheRestWithChecks is case 1 of the bug report: killed
// 3s into the second 8s bake, the next apply must bake the remaining 5s
// with checks (the minutes while nothing ran count for nothing) and roll
// back when the canary is now failing.
func TestResumedBakeRunsTheRestWithChecks(t *testing.T) {
	tests := []struct {
		name        string
		roundsDone  int // persisted rounds of the 8s bake before the kill
		failing     bool
		wantProbes  int // canary health probes after the resume
		wantHooks   []string
		wantWaited  time.Duration // clock time from the resume to the next hook
		wantHistory string
	}{
		{name: "healthy: the remaining 5s are baked", roundsDone: 3, wantProbes: 5, wantHooks: []string{domain.EventPromote}, wantWaited: 5 * time.Second,
			wantHistory: "baked 8s at 50% (3s of it observed before a resume): 5 check round(s) passed, 0 failed"},
		{name: "failing: rolled back after the threshold", roundsDone: 3, failing: true, wantProbes: 2, wantHooks: []string{domain.EventRollback}, wantWaited: 2 * time.Second,
			wantHistory: `check "health" failed 2 consecutive time(s) (failure_threshold 2) while baking at 50% traffic; last: status 503, expected 200`},
		{name: "killed after the last round: one round checks at once", roundsDone: 8, wantProbes: 1, wantHooks: []string{domain.EventPromote}, wantWaited: 0,
			wantHistory: "baked 8s at 50% (8s of it observed before a resume): 1 check round(s) passed, 0 failed"},
		{name: "killed after the last round, now failing", roundsDone: 8, failing: true, wantProbes: 2, wantHooks: []string{domain.EventRollback}, wantWaited: time.Second,
			wantHistory: `check "health" failed 2 consecutive time(s)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			tl := h.record()
			left := killDuringBake(t, h, issueCanarySpec(), 50, tt.roundsDone)
			if r := left.Rollout; r.StepIndex != 3 || r.StepObserved != time.Duration(tt.roundsDone)*time.Second || r.State != domain.RolloutRunning {
				t.Fatalf("the killed run saved step %d observed %s (%s), want step 4/5 with %ds observed", r.StepIndex+1, r.StepObserved, r.State, tt.roundsDone)
			}
			if tt.failing {
				h.checker.unhealthySlots[domain.SlotCanary] = true
			}
			resume := tl.mark("resume")
			resumedAt := h.now()
			d, err := h.engine(h.kv, Options{Holder: "next"}).Deploy(context.Background(), DeployRequest{Spec: issueCanarySpec()})

			after := since(tl.all(), resume)
			if got := hookNames(after); !equalStrings(got, tt.wantHooks) {
				t.Errorf("hooks after the resume = %q, want %q", got, tt.wantHooks)
			}
			probes, passed := probesBefore(after, domain.SlotCanary, tt.wantHooks[0])
			if probes != tt.wantProbes {
				t.Errorf("%d canary probes after the resume, want %d", probes, tt.wantProbes)
			}
			next := after[len(after)-1]
			if waited := next.At.Sub(resumedAt); waited != tt.wantWaited {
				t.Errorf("%s sent %s after the resume, want %s: only unobserved bake time may be waited", next.Name, waited, tt.wantWaited)
			}
			if tt.failing {
				rerr := asRolloutError(t, err)
				if passed != 0 || !rerr.RolledBack || !strings.Contains(rerr.Reason, tt.wantHistory) {
					t.Errorf("RolloutError = %+v (passing probes %d)", *rerr, passed)
				}
				assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
			} else {
				if err != nil {
					t.Fatal(err)
				}
				assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
				if !h.historyHas(d, tt.wantHistory) {
					t.Errorf("history = %q", h.historyReasons(d))
				}
			}
			assertLeaseFree(t, h.kv, testDepID)
		})
	}
}

// TestHealthWaitDeadlineCountsObservedTime: a wait for health killed after
// 2 minutes keeps its deadline account. The next run neither times out at
// once on the gap nor starts the deadline over: it probes for the 3
// minutes left of the 5-minute deadline.
func TestHealthWaitDeadlineCountsObservedTime(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.unhealthyVersions["2"] = true
	spec := testSpec(domain.StrategyDirect)
	spec.ProgressDeadline = 5 * time.Minute
	kv := &crashKV{KV: h.kv, limit: 1 << 30}
	h.hooks.onSend = func(context.Context, domain.Event) { kv.crashAfter(1 + 3) } // advance, then three failed probes
	// A long lease, so no renewal write falls among the counted ones; the
	// gap below outlasts it.
	if _, err := h.engine(kv, Options{LeaseTTL: time.Hour}).Deploy(context.Background(), DeployRequest{Spec: spec}); err == nil {
		t.Fatal("the killed run succeeded")
	}
	h.hooks.onSend = nil
	if r := h.deployment(testDepID).Rollout; r.StepIndex != 1 || r.StepObserved != 2*time.Minute {
		t.Fatalf("saved step %d with %s observed, want the health wait with 2m", r.StepIndex+1, r.StepObserved)
	}
	h.clock.(*enginetest.FakeClock).Increment(2 * time.Hour)
	h.checker.mu.Lock()
	h.checker.healthProbes = nil
	h.checker.mu.Unlock()

	_, err := h.engine(h.kv, Options{}).Deploy(context.Background(), DeployRequest{Spec: spec})
	rerr := asRolloutError(t, err)
	want := "health check of the stable slot did not pass within the progress deadline of 5m (4 probes; last: status 503, expected 200)"
	if !rerr.Timeout || rerr.Reason != want || !rerr.RolledBack {
		t.Errorf("RolloutError = %+v", *rerr)
	}
	if n := len(h.checker.healthSlots()); n != 4 {
		t.Errorf("%d probes after the resume, want 4 (at 0, 1, 2 and 3 minutes)", n)
	}
}

// TestPromotionDelayNeedsGreenHealthy: promotion_delay means green stayed
// healthy that long; green failing during it is discarded, never cut over.
func TestPromotionDelayNeedsGreenHealthy(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.failHealthAfter = 2 // found healthy, one good round, then failing
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen = domain.BlueGreenSpec{PromotionDelay: 10 * time.Minute, FailureThreshold: 2}
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	rerr := asRolloutError(t, err)
	want := `check "health" failed 2 consecutive time(s) (failure_threshold 2) during the promotion delay of the green slot; last: status 503, expected 200`
	if rerr.Reason != want || rerr.Step != "the promotion delay (10m)" || !rerr.RolledBack {
		t.Errorf("RolloutError = %+v", *rerr)
	}
	assertEvents(t, h, "green.create 0 green", "rollback 0 green")
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
}

// TestScaleDownDelayCountsObservedTime: blue is kept for the whole
// scale-down delay of observed time, even when the run is killed during it
// and the next one comes long after.
func TestScaleDownDelayCountsObservedTime(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	tl := h.record()
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen = domain.BlueGreenSpec{ScaleDownDelay: 10 * time.Minute, CheckInterval: time.Minute}
	kv := &crashKV{KV: h.kv, limit: 1 << 30}
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCutover {
			kv.crashAfter(1 + 4) // the cutover's advance, then four minutes of the delay
		}
	}
	if _, err := h.engine(kv, Options{LeaseTTL: time.Hour}).Deploy(context.Background(), DeployRequest{Spec: spec}); err == nil {
		t.Fatal("the killed run succeeded")
	}
	h.hooks.onSend = nil
	if r := h.deployment(testDepID).Rollout; r.CurrentStep().Kind != domain.StepDelay || r.StepObserved != 4*time.Minute {
		t.Fatalf("saved %s with %s observed, want the scale-down delay with 4m", domain.DescribeStep(*r.CurrentStep()), r.StepObserved)
	}
	h.clock.(*enginetest.FakeClock).Increment(2 * time.Hour)
	resume := tl.mark("resume")
	resumedAt := h.now()
	d, err := h.engine(h.kv, Options{}).Deploy(context.Background(), DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	after := since(tl.all(), resume)
	drain := after[len(after)-1]
	if drain.Name != domain.EventBlueDrain || drain.At.Sub(resumedAt) < 6*time.Minute {
		t.Errorf("last event %s %s after the resume, want blue.drain after the 6m left of the delay", drain.Name, drain.At.Sub(resumedAt))
	}
	if !h.historyHas(d, "waited 10m (4m0s of it observed before a resume)") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
}

// TestResumedPromotionRechecksBeforeCutover: a promotion run killed right
// after it recorded the promotion left the rollout just before its cutover,
// with green last checked by the dead run. The next run checks green again
// first: failing, it is discarded rather than given the traffic.
func TestResumedPromotionRechecksBeforeCutover(t *testing.T) {
	tests := []struct {
		name        string
		failing     bool
		wantEvents  []string
		wantReason  string
		wantHistory string
	}{
		{name: "green went bad meanwhile", failing: true, wantEvents: []string{"green.create 0 green", "rollback 0 green"},
			wantReason: `re-check of the green slot before the cutover failed 2 time(s) after the rollout resumed; check "health": status 503, expected 200`},
		{name: "green still healthy", wantEvents: []string{"green.create 0 green", "cutover 100 green", "blue.drain 100 blue"},
			wantHistory: `cutover to green: hook "cutover" accepted (HTTP 200 after 1 attempt(s)); green slot re-checked first after the resume (passed after 1 try(s))`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			spec := testSpec(domain.StrategyBlueGreen)
			spec.BlueGreen = domain.BlueGreenSpec{ManualPromotion: true, FailureThreshold: 2}
			ctx := context.Background()
			if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
				t.Fatal(err)
			}
			kv := &crashKV{KV: h.kv, limit: 2} // the lease and the promotion record
			promote := PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"}
			if _, err := h.engine(kv, Options{LeaseTTL: time.Minute}).Promote(ctx, promote); err == nil || !kv.didCrash() {
				t.Fatalf("the killed promotion returned %v", err)
			}
			if r := h.deployment(testDepID).Rollout; r.Promotion == nil || r.State != domain.RolloutRunning || r.CurrentStep().Kind != domain.StepGate {
				t.Fatalf("the killed promotion saved %s at %s", r.State, domain.DescribeStep(*r.CurrentStep()))
			}
			h.clock.(*enginetest.FakeClock).Increment(killGap)
			h.checker.unhealthySlots[domain.SlotGreen] = tt.failing

			d, err := h.engine(h.kv, Options{}).Promote(ctx, promote)
			assertEvents(t, h, tt.wantEvents...)
			if tt.failing {
				rerr := asRolloutError(t, err)
				if rerr.Reason != tt.wantReason || !rerr.RolledBack || rerr.Step != "the cutover" {
					t.Errorf("RolloutError = %+v", *rerr)
				}
				assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
			if !h.historyHas(d, tt.wantHistory) {
				t.Errorf("history = %q", h.historyReasons(d))
			}
		})
	}
}

// TestIdempotencyKeysDifferAfterStoreLoss is case 4 of the bug report: v3
// rolled back, the store deleted, v3 rolled out again. Both rollouts are
// the first of their store, yet no key of the second is a key of the first.
func TestIdempotencyKeysDifferAfterStoreLoss(t *testing.T) {
	h := newHarness(t)
	h.checker.unhealthyVersions["3"] = true
	spec := canarySpec()
	spec.Release = releaseID(3)
	ctx := context.Background()
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec, KnownLiveRelease: "api@1"}); err == nil {
		t.Fatal("the failing rollout of api@3 succeeded")
	}
	first := h.hooks.all()
	h.hooks.reset()
	delete(h.checker.unhealthyVersions, "3")

	lost := newHarnessWith(t, h.clock, Options{})
	lost.hooks, lost.checker = h.hooks, h.checker
	lost.e = lost.engine(lost.kv, Options{})
	if _, err := lost.e.Deploy(ctx, DeployRequest{Spec: spec, KnownLiveRelease: "api@1"}); err != nil {
		t.Fatal(err)
	}
	second := h.hooks.all()

	used := map[string]bool{}
	for _, c := range first {
		used[c.Key] = true
		if !isRolloutID(c.RolloutID, "api@3", 1) {
			t.Errorf("first rollout id %q", c.RolloutID)
		}
	}
	for _, c := range second {
		if used[c.Key] {
			t.Errorf("key %s was used by the rolled-back rollout too: a deduplicating receiver would drop this %s", c.Key, c.Type)
		}
		if !isRolloutID(c.RolloutID, "api@3", 1) || c.RolloutID == first[0].RolloutID {
			t.Errorf("second rollout id %q (first %q)", c.RolloutID, first[0].RolloutID)
		}
	}
	if len(first) < 2 || len(second) < 3 {
		t.Errorf("too few calls to compare: %d then %d", len(first), len(second))
	}
}

// TestSeededGateGetsAFreshRolloutID: a rollout rebuilt at its gate from
// Terraform state on a fresh store gets an id of its own, so its cutover
// is never mistaken for another rollout's.
func TestSeededGateGetsAFreshRolloutID(t *testing.T) {
	h := newHarness(t)
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ManualPromotion = true
	d, err := h.e.SeedDeployment(context.Background(), SeedRequest{Spec: spec, LiveRelease: "api@1", PendingRelease: "api@2", Status: domain.StatusAwaitingPromotion})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rollout == nil || !isRolloutID(d.Rollout.ID, "api@2", 1) || d.Rollout.State != domain.RolloutAwaitingPromotion {
		t.Fatalf("seeded rollout = %+v", d.Rollout)
	}
}
