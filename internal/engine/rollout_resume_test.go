package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// crashScenario is one rollout run against a store that dies part-way.
type crashScenario struct {
	name    string
	seed    bool // api@1 is live before the rollout
	spec    func() domain.DeploymentSpec
	promote bool // the rollout stops at a gate and is promoted
	want    []string
	// bakes are the observed waits whose check rounds the target must see
	// in full, whatever the crash and the gap after it.
	bakes []bakeWindow
}

// bakeWindow says that between the first hook from and the first hook to
// after it ("type weight"), slot must get at least rounds health probes:
// one per check interval of a bake or promotion delay that is observed in
// full, so the clock gap after a crash counted for nothing.
type bakeWindow struct {
	from, to string
	slot     string
	rounds   int
}

func crashScenarios() []crashScenario {
	shortCanary := func() domain.DeploymentSpec {
		spec := canarySpec()
		spec.Canary.Steps = []domain.CanaryStep{{Weight: 10, Bake: 5 * time.Minute}, {Weight: 50, Bake: 5 * time.Minute}}
		return spec
	}
	checks := []domain.MetricCheck{{Name: "error_rate", URL: "http://metrics.test/{slot}", Path: "error_rate"}}
	canaryEvents := []string{"canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable"}
	canaryBakes := []bakeWindow{{"canary.weight 10", "canary.weight 50", domain.SlotCanary, 5}, {"canary.weight 50", "promote 100", domain.SlotCanary, 5}}
	blueGreenEvents := []string{"green.create 0 green", "cutover 100 green", "blue.drain 100 blue"}
	return []crashScenario{
		{name: "direct first deployment", spec: func() domain.DeploymentSpec { return testSpec(domain.StrategyDirect) }, want: []string{"deploy 100 stable"}},
		{name: "direct update", seed: true, spec: func() domain.DeploymentSpec { return testSpec(domain.StrategyDirect) }, want: []string{"deploy 100 stable"}},
		{name: "canary", seed: true, spec: shortCanary, want: canaryEvents, bakes: canaryBakes},
		{name: "canary with manual promotion", seed: true, promote: true, want: canaryEvents, bakes: canaryBakes, spec: func() domain.DeploymentSpec {
			spec := shortCanary()
			spec.Canary.ManualPromotion = true
			return spec
		}},
		// Green: one probe found it healthy, two more cover the 2m promotion delay.
		{name: "blue-green with delays and checks", seed: true, want: blueGreenEvents, bakes: []bakeWindow{{"green.create 0", "cutover 100", domain.SlotGreen, 3}}, spec: func() domain.DeploymentSpec {
			spec := testSpec(domain.StrategyBlueGreen)
			spec.BlueGreen = domain.BlueGreenSpec{PromotionDelay: 2 * time.Minute, ScaleDownDelay: 3 * time.Minute, PrePromotionCheck: checks, PostPromotionCheck: checks}
			return spec
		}},
		{name: "blue-green with manual promotion", seed: true, promote: true, want: blueGreenEvents, spec: func() domain.DeploymentSpec {
			spec := testSpec(domain.StrategyBlueGreen)
			spec.BlueGreen = domain.BlueGreenSpec{ManualPromotion: true, ScaleDownDelay: 3 * time.Minute, PostPromotionCheck: checks}
			return spec
		}},
	}
}

// TestRolloutResumesAfterCrash kills the process at every store write of a
// rollout in turn (write N fails, and so does everything after it,
// including the lease release), then lets a fresh engine (a new terraform
// run, new lease holder) finish the job on the same store. Every step's
// hook is sent exactly once per idempotency key across both runs, except
// the one in flight at the crash, which may be sent again with the same key.
func TestRolloutResumesAfterCrash(t *testing.T) {
	for _, sc := range crashScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			resent := 0 // crashes that caught a hook in flight
			for n := 1; ; n++ {
				crashed, repeats := runCrashScenario(t, sc, n)
				resent += repeats
				if !crashed {
					t.Logf("crashed at each of %d writes; %d crash(es) caught a hook in flight", n-1, resent)
					if n < 4 || resent < len(sc.want) {
						t.Errorf("only %d crash points, %d with a hook in flight: the test does not exercise resumption", n-1, resent)
					}
					return
				}
				if t.Failed() {
					t.Fatalf("failed with the crash at write %d", n)
				}
				if n > 500 {
					t.Fatal("the rollout never completes")
				}
			}
		})
	}
}

// runCrashScenario runs sc with the store dying at write n; it reports
// whether the crash happened (false: the run completed within n writes)
// and how many hook calls the resumed run repeated.
func runCrashScenario(t *testing.T, sc crashScenario, n int) (crashed bool, repeats int) {
	t.Helper()
	h := newHarness(t)
	if sc.seed {
		h.seedLive(1)
	}
	tl := h.record()
	ctx := context.Background()
	spec := sc.spec()
	hook := testHook
	promote := PromoteRequest{Deployment: testDepID, Release: spec.Release, By: "alice", Hook: &hook}
	crashedIn := runUntilCrash(t, h, sc, n)
	// A promotion that died before it saved anything leaves the rollout at
	// its gate: the next promotion is a first one, not a resume.
	interrupted := h.leftUnfinished()
	resume := tl.mark("resume")

	// The next terraform run: a fresh engine re-applies what failed. A
	// promotion that crashed is retried by the promotion resource alone.
	fresh := h.engine(h.kv, Options{LeaseTTL: time.Minute, Holder: "fresh"})
	// A resumed run that waits for something that never comes fails here
	// rather than hanging the suite (the fake clock makes waits spin).
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if crashedIn == "deploy" {
		if _, err := fresh.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
			t.Fatalf("write %d: resumed Deploy: %v", n, err)
		}
	}
	if crashedIn != "" && sc.promote {
		if _, err := fresh.Promote(ctx, promote); err != nil {
			t.Fatalf("write %d (crash in %s): resumed Promote: %v", n, crashedIn, err)
		}
	}

	d := h.deployment(testDepID)
	if d.Status != domain.StatusSucceeded || d.LiveRelease != spec.Release || d.TrafficPercent != 100 {
		t.Errorf("write %d (crash in %s): final state %s, live %q, traffic %d", n, crashedIn, d.Status, d.LiveRelease, d.TrafficPercent)
	}
	repeats = assertOncePerKey(t, n, h.hooks.all(), sc.want)
	assertLeaseFree(t, h.kv, testDepID)
	events := tl.all()
	if interrupted {
		assertCheckedBeforeTraffic(t, n, since(events, resume))
	}
	for _, w := range sc.bakes {
		assertBakeObserved(t, n, events, w)
	}
	return crashedIn != "", repeats
}

// leftUnfinished reports whether the store holds a rollout a dead run left
// part-way (none when it died before its first write).
func (h *harness) leftUnfinished() bool {
	d, err := h.e.GetDeployment(context.Background(), testDepID)
	return err == nil && d.UnfinishedRollout() != nil
}

// runUntilCrash runs sc on a store that dies at write n, followed by a
// gap of killGap while nothing runs. It reports where the crash happened:
// "deploy", "promote", or "" when the run finished within n writes.
func runUntilCrash(t *testing.T, h *harness, sc crashScenario, n int) (crashedIn string) {
	t.Helper()
	ctx := context.Background()
	spec := sc.spec()
	hook := testHook
	kv := &crashKV{KV: h.kv, limit: n}
	dying := h.engine(kv, Options{LeaseTTL: time.Minute, Holder: "dying"})
	_, err := dying.Deploy(ctx, DeployRequest{Spec: spec})
	switch {
	case kv.didCrash():
		crashedIn = "deploy"
	case err != nil:
		t.Fatalf("write %d: Deploy failed without a crash: %v", n, err)
	case sc.promote:
		_, err = dying.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: spec.Release, By: "alice", Hook: &hook})
		if kv.didCrash() {
			crashedIn = "promote"
		} else if err != nil {
			t.Fatalf("write %d: Promote failed without a crash: %v", n, err)
		}
	}
	if crashedIn != "" && err == nil {
		t.Fatalf("write %d: the store died during %s but it reported success", n, crashedIn)
	}
	if crashedIn != "" {
		h.clock.(*enginetest.FakeClock).Increment(killGap)
	}
	return crashedIn
}

// trafficHook reports whether a hook call moves more traffic to the new
// release or removes the fallback: the ones a passing check of the
// current run must precede. (The fixtures' first canary weight is 10.)
func trafficHook(ev timelineEvent) bool {
	switch ev.Name {
	case domain.EventPromote, domain.EventCutover, domain.EventBlueDrain:
		return true
	case domain.EventCanaryWeight:
		return ev.Weight > 10
	}
	return false
}

// assertCheckedBeforeTraffic checks, on the events after a resume, that no
// traffic-moving hook went out before a probe of this run had passed.
func assertCheckedBeforeTraffic(t *testing.T, n int, events []timelineEvent) {
	t.Helper()
	passed := false
	for _, ev := range events {
		switch {
		case ev.Kind != "hook" && ev.Kind != "mark":
			passed = passed || ev.OK
		case ev.Kind == "hook" && trafficHook(ev) && !passed:
			t.Errorf("write %d: %s %d sent after the resume before any check had passed in the resumed run", n, ev.Name, ev.Weight)
		}
	}
}

// assertBakeObserved checks one bakeWindow over the whole run.
func assertBakeObserved(t *testing.T, n int, events []timelineEvent, w bakeWindow) {
	t.Helper()
	from, probes := -1, 0
	for i, ev := range events {
		label := fmt.Sprintf("%s %d", ev.Name, ev.Weight)
		switch {
		case ev.Kind == "hook" && from < 0 && label == w.from:
			from = i
		case ev.Kind == "hook" && from >= 0 && label == w.to:
			if probes < w.rounds {
				t.Errorf("write %d: %d probe(s) of %s between %s and %s, want at least %d: part of a bake or delay was not observed",
					n, probes, w.slot, w.from, w.to, w.rounds)
			}
			return
		case ev.Kind == "health" && from >= 0 && ev.Slot == w.slot:
			probes++
		}
	}
	t.Errorf("write %d: no %s followed by %s in the run", n, w.from, w.to)
}

// TestRolloutFailingChecksAfterCrash kills each rollout at every store
// write, lets time pass, then makes every check fail before the next run.
// Whatever step the crash interrupted, the resumed run moves no more
// traffic (no check passes after the resume) and, unless the dead run had
// already finished every traffic step, rolls back. A promotion killed
// before it saved anything interrupted nothing: the rollout is still at its
// gate and the next promotion is an ordinary one.
func TestRolloutFailingChecksAfterCrash(t *testing.T) {
	for _, sc := range crashScenarios() {
		if !sc.seed {
			continue // a first deployment has nothing to roll back to
		}
		t.Run(sc.name, func(t *testing.T) {
			rolledBack := 0
			for n := 1; ; n++ {
				crashed, rollback := runFailingAfterCrash(t, sc, n)
				if !crashed {
					if rolledBack < n/2 {
						t.Errorf("only %d of %d crash points ended in a rollback", rolledBack, n-1)
					}
					return
				}
				if rollback {
					rolledBack++
				}
				if t.Failed() {
					t.Fatalf("failed with the crash at write %d", n)
				}
				if n > 500 {
					t.Fatal("the rollout never completes")
				}
			}
		})
	}
}

// runFailingAfterCrash runs one crash point of TestRolloutFailingChecksAfterCrash.
func runFailingAfterCrash(t *testing.T, sc crashScenario, n int) (crashed, rolledBack bool) {
	t.Helper()
	h := newHarness(t)
	h.seedLive(1)
	tl := h.record()
	crashedIn := runUntilCrash(t, h, sc, n)
	if crashedIn == "" {
		return false, false
	}
	interrupted := h.leftUnfinished()
	h.checker.mu.Lock()
	h.checker.unhealthyVersions["2"] = true
	h.checker.failingMetrics["error_rate"] = true
	h.checker.mu.Unlock()
	resume := tl.mark("resume")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fresh := h.engine(h.kv, Options{LeaseTTL: time.Minute, Holder: "fresh"})
	spec := sc.spec()
	hook := testHook
	var err error
	d := h.deployment(testDepID)
	if crashedIn == "deploy" {
		d, err = fresh.Deploy(ctx, DeployRequest{Spec: spec})
	}
	if sc.promote && (crashedIn == "promote" || (err == nil && d.Status == domain.StatusAwaitingPromotion)) {
		d, err = fresh.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: spec.Release, By: "alice", Hook: &hook})
	}
	after := since(tl.all(), resume)
	if !interrupted {
		// Nothing was interrupted (the dead promotion saved nothing): a
		// first promotion runs as usual, its later checks still apply.
		if stored := h.deployment(testDepID); stored.Status != domain.StatusSucceeded && stored.Status != domain.StatusRolledBack {
			t.Errorf("write %d: a promotion from the gate ended %s: %v", n, stored.Status, err)
		}
		return true, false
	}
	assertCheckedBeforeTraffic(t, n, after)
	stored := h.deployment(testDepID)
	switch stored.Status {
	case domain.StatusRolledBack:
		if hooks := hookNames(after); len(hooks) == 0 || hooks[len(hooks)-1] != domain.EventRollback {
			t.Errorf("write %d: rolled back, but the hooks after the resume were %q", n, hooks)
		}
		if rerr := asRolloutError(t, err); !rerr.RolledBack {
			t.Errorf("write %d: RolloutError = %+v", n, *rerr)
		}
		assertState(t, stored, domain.StatusRolledBack, "api@1", "", 0)
	case domain.StatusSucceeded:
		// Only when the dead run had sent every traffic hook already.
		for _, ev := range after {
			if ev.Kind == "hook" && trafficHook(ev) {
				t.Errorf("write %d: succeeded on failing checks after sending %s", n, ev.Name)
			}
		}
		assertState(t, stored, domain.StatusSucceeded, "api@2", "", 100)
	default:
		t.Errorf("write %d (crash in %s): ended %s (err %v, returned %v)", n, crashedIn, stored.Status, err, d.Status)
	}
	assertLeaseFree(t, h.kv, testDepID)
	return true, stored.Status == domain.StatusRolledBack
}

// assertOncePerKey checks that each idempotency key was sent once, except
// one that may be sent twice in a row (the step in flight at the crash, on
// a later attempt), and that the steps' events came in order.
func assertOncePerKey(t *testing.T, n int, calls []sentHook, want []string) (repeats int) {
	t.Helper()
	var deduped []string
	seen := map[string]bool{}
	rollout := ""
	for i, c := range calls {
		if rollout == "" {
			rollout = c.RolloutID
		}
		if c.RolloutID != rollout {
			t.Errorf("write %d: call %d belongs to rollout %q, not %q: a resumed run started over", n, i, c.RolloutID, rollout)
		}
		if i > 0 && calls[i-1].Key == c.Key {
			repeats++
			if c.Attempt <= calls[i-1].Attempt {
				t.Errorf("write %d: %s repeated with attempt %d after %d", n, c.Key, c.Attempt, calls[i-1].Attempt)
			}
			continue
		}
		if seen[c.Key] {
			t.Errorf("write %d: %s sent again after other steps ran", n, c.Key)
		}
		seen[c.Key] = true
		deduped = append(deduped, c.String())
	}
	if repeats > 1 {
		t.Errorf("write %d: %d repeated calls, at most the one in flight may repeat: %v", n, repeats, calls)
	}
	if !equalStrings(deduped, want) {
		t.Errorf("write %d: events %q, want %q", n, deduped, want)
	}
	return repeats
}

// TestDeployResumesAfterInterrupt: an interrupted rollout with on_timeout =
// "fail" keeps its position; the next apply continues at the saved step.
func TestDeployResumesAfterInterrupt(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := canarySpec()
	spec.OnTimeout = domain.OnTimeoutFail
	ctx, cancel := context.WithCancel(context.Background())
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCanaryWeight && ev.Weight == 10 {
			cancel()
		}
	}
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	rerr := asRolloutError(t, err)
	if !rerr.Resumable || !rerr.Interrupted || rerr.Step != "canary step 1 of 2 (weight 10%, bake 30m)" || rerr.Reason != "the operation was cancelled (interrupt)" {
		t.Fatalf("RolloutError = %+v", *rerr)
	}
	h.hooks.onSend = nil

	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable")
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if !h.historyHas(d, "resumed at canary step 1 of 2 (weight 10%, bake 30m) (attempt 2)") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
	if attempts := h.hooks.all()[1].Attempt; attempts != 1 {
		t.Errorf("the step after the resumed one has attempt %d, want 1", attempts)
	}
}

// TestDeployResumesRollback: a rollout saved while rolling back finishes
// its rollback on the next apply.
func TestDeployResumesRollback(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.failHealthAfter = 1
	kv := &crashKV{KV: h.kv}
	dying := h.engine(kv, Options{LeaseTTL: time.Minute})
	// Let the rollout run until the decision to roll back is saved, then die.
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventRollback {
			kv.mu.Lock()
			kv.limit = 0
			kv.mu.Unlock()
		}
	}
	kv.limit = 1 << 30
	if _, err := dying.Deploy(context.Background(), DeployRequest{Spec: canarySpec()}); err == nil {
		t.Fatal("want an error")
	}
	if d := h.deployment(testDepID); d.Rollout.State != domain.RolloutRollingBack {
		t.Fatalf("saved state %s, want rolling_back", d.Rollout.State)
	}
	h.hooks.onSend = nil
	fresh := h.engine(h.kv, Options{})
	d, err := fresh.Deploy(context.Background(), DeployRequest{Spec: canarySpec()})
	if rerr := asRolloutError(t, err); !rerr.RolledBack || rerr.RestoredRelease != "api@1" {
		t.Errorf("RolloutError = %+v", *rerr)
	}
	assertEvents(t, h, "canary.weight 10 canary", "rollback 0 canary", "rollback 0 canary")
	calls := h.hooks.all()
	if calls[1].Key != calls[2].Key {
		t.Errorf("the resumed rollback changed its key: %s then %s", calls[1].Key, calls[2].Key)
	}
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
}

// TestDeployCancellation runs a 30-minute bake on the real clock and ends
// the caller's context after 100ms: Deploy returns promptly, and either
// saves its position (on_timeout = "fail") or rolls back on a detached
// context (on_timeout = "rollback").
func TestDeployCancellation(t *testing.T) {
	tests := []struct {
		name       string
		onTimeout  domain.TimeoutAction
		deadline   bool
		wantEvents []string
		wantStatus domain.Status
		wantReason string
	}{
		{"cancel with on_timeout fail", domain.OnTimeoutFail, false, []string{"canary.weight 10 canary"}, domain.StatusInProgress,
			"the operation was cancelled (interrupt)"},
		{"cancel with on_timeout rollback", domain.OnTimeoutRollback, false, []string{"canary.weight 10 canary", "rollback 0 canary"}, domain.StatusRolledBack,
			"the operation was cancelled (interrupt)"},
		{"deadline with on_timeout rollback", domain.OnTimeoutRollback, true, []string{"canary.weight 10 canary", "rollback 0 canary"}, domain.StatusRolledBack,
			"the operation's timeout was reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, domain.RealClock{}, Options{PollInterval: 5 * time.Millisecond})
			h.seedLive(1)
			spec := canarySpec()
			spec.Canary.Steps = []domain.CanaryStep{{Weight: 10, Bake: 30 * time.Minute}}
			spec.OnTimeout = tt.onTimeout
			ctx, cancel := context.WithCancel(context.Background())
			if tt.deadline {
				ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
			} else {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			defer cancel()

			start := time.Now()
			_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Deploy returned after %s, want under 2s", elapsed)
			}
			rerr := asRolloutError(t, err)
			if !rerr.Interrupted || rerr.Reason != tt.wantReason || rerr.Step != "canary step 1 of 1 (weight 10%, bake 30m)" || rerr.Timeout != tt.deadline {
				t.Errorf("RolloutError = %+v", *rerr)
			}
			assertEvents(t, h, tt.wantEvents...)
			stored := h.deployment(testDepID)
			if stored.Status != tt.wantStatus {
				t.Errorf("stored status %s, want %s", stored.Status, tt.wantStatus)
			}
			if tt.onTimeout == domain.OnTimeoutFail {
				if !rerr.Resumable || rerr.RolledBack {
					t.Errorf("want a resumable error, got %+v", *rerr)
				}
				r := stored.Rollout
				if r.State != domain.RolloutRunning || r.StepIndex != 1 || r.CurrentStep().Kind != domain.StepBake {
					t.Errorf("saved rollout: %s at step %d, want running at the bake", r.State, r.StepIndex)
				}
				assertState(t, stored, domain.StatusInProgress, "api@1", "api@2", 10)
				if !strings.Contains(err.Error(), "the next apply continues from this step") {
					t.Errorf("message %q", err)
				}
			} else {
				rollback := h.hooks.all()[1]
				if rollback.CtxErr != nil {
					t.Errorf("the rollback was sent on a cancelled context (%v); it must be detached", rollback.CtxErr)
				}
				if !rerr.RolledBack || rerr.RestoredRelease != "api@1" {
					t.Errorf("want a rollback, got %+v", *rerr)
				}
				assertState(t, stored, domain.StatusRolledBack, "api@1", "", 0)
				if !strings.HasPrefix(err.Error(), "rollout of api@2 to api/prod was interrupted at canary step 1 of 1 (weight 10%, bake 30m): "+tt.wantReason+". Rolled back:") {
					t.Errorf("message %q", err)
				}
			}
			assertLeaseFree(t, h.kv, testDepID)
		})
	}
}

// TestPromoteResumesAfterInterrupt: a promotion whose run was interrupted
// after the cutover (Ctrl-C during the scale-down delay, on_timeout fail)
// is finished by promoting again, without repeating the cutover.
func TestPromoteResumesAfterInterrupt(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := testSpec(domain.StrategyBlueGreen)
	spec.OnTimeout = domain.OnTimeoutFail
	spec.BlueGreen = domain.BlueGreenSpec{ManualPromotion: true, ScaleDownDelay: 10 * time.Minute}
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCutover {
			cancel()
		}
	}
	_, err := h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if rerr := asRolloutError(t, err); !rerr.Resumable {
		t.Fatalf("RolloutError = %+v", *rerr)
	}
	h.hooks.onSend = nil
	d, err := h.e.Promote(context.Background(), PromoteRequest{Deployment: testDepID, Release: "api@2", By: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "green.create 0 green", "cutover 100 green", "blue.drain 100 blue")
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if d.Rollout.Promotion.By != "alice" || !h.historyHas(d, "promotion by alice resumed at the scale-down delay (10m) (attempt 2)") {
		t.Errorf("promotion %+v; history %q", d.Rollout.Promotion, h.historyReasons(d))
	}
	// Once done, promoting again is refused like any release not pending.
	var refused *PromotionRefusedError
	if _, err := h.e.Promote(context.Background(), PromoteRequest{Deployment: testDepID, Release: "api@2", By: "bob"}); !errors.As(err, &refused) {
		t.Errorf("promoting a finished rollout: %v", err)
	}
}
