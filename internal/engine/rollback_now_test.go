package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// deployCanary rolls api@v out to prod through the two-step canary.
func (h *harness) deployCanary(v int) {
	h.t.Helper()
	spec := canarySpec()
	spec.Release = releaseID(v)
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		h.t.Fatalf("deploying %s: %v", spec.Release, err)
	}
}

// refusal unwraps a *RollbackRefusedError or fails the test.
func refusal(t *testing.T, err error) string {
	t.Helper()
	var refused *RollbackRefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err = %v (%T), want a *RollbackRefusedError", err, err)
	}
	return refused.Reason
}

func TestRollbackNowRestoresThePreviousReleaseAtOnce(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.deployCanary(2)
	h.hooks.reset()
	start := h.now()

	d, err := h.e.RollbackNow(context.Background(), RollbackNowRequest{Deployment: testDepID, By: "ops", Note: "INC-7"})
	if err != nil {
		t.Fatal(err)
	}
	// One rollback event on the stable slot: no canary step, no bake.
	assertEvents(t, h, "rollback 0 stable")
	call := h.hooks.all()[0]
	if call.Release != "api@2" || call.Previous != "api@1" || !isKey(call, "api@2", 3, "rollback/rollback") {
		t.Errorf("rollback event: release %q previous %q rollout %q key %q; want api@2 → api@1 under a new rollout's key",
			call.Release, call.Previous, call.RolloutID, call.Key)
	}
	if waited := h.now().Sub(start); waited != 0 {
		t.Errorf("the fast rollback waited %s on the clock, want none", waited)
	}
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
	if !h.historyHas(d, "rolled back to api@1 (stable slot): fast rollback requested by ops: INC-7") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
	if stored := h.deployment(testDepID); stored.Status != domain.StatusRolledBack || stored.LiveRelease != "api@1" || stored.ReleaseInEffect("api@2") != "api@1" {
		t.Errorf("stored: status %s, live %s, in effect %s", stored.Status, stored.LiveRelease, stored.ReleaseInEffect("api@2"))
	}
	assertLeaseFree(t, h.kv, testDepID)
}

func TestRollbackNowKeysAreUniquePerRollback(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.deployCanary(2)
	if _, err := h.e.RollbackNow(context.Background(), RollbackNowRequest{Deployment: testDepID, By: "ops"}); err != nil {
		t.Fatal(err)
	}
	h.deployCanary(2) // the same release again, after a fix elsewhere
	if _, err := h.e.RollbackNow(context.Background(), RollbackNowRequest{Deployment: testDepID, By: "ops"}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range h.hooks.all() {
		if c.Type == domain.EventRollback {
			keys = append(keys, c.Key)
		}
	}
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Errorf("rollback keys = %q, want two different keys", keys)
	}
}

func TestRollbackNowRefusesWithNothingToRestore(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID})
	if reason := refusal(t, err); reason != "deployment api/prod does not exist in the store; nothing to roll back" {
		t.Errorf("no deployment: %q", reason)
	}

	h.seedLive(1)
	_, err = h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID})
	if reason := refusal(t, err); !strings.Contains(reason, "api@1 is the first release deployed to api/prod: there is no earlier release to roll back to") {
		t.Errorf("first release: %q", reason)
	}

	h.deployCanary(2)
	if _, err := h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID}); err != nil {
		t.Fatal(err)
	}
	// After a rollback the release before api@1 is not on record: a second
	// rollback refuses rather than roll forward to api@2 again.
	h.hooks.reset()
	_, err = h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID})
	if reason := refusal(t, err); !strings.Contains(reason, "api@1 is live in api/prod because the rollout of api@2 ended rolled_back") {
		t.Errorf("second rollback: %q", reason)
	}
	assertEvents(t, h)
	assertLeaseFree(t, h.kv, testDepID)
}

func TestRollbackNowWithdrawsACanaryAtItsGate(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := canarySpec()
	spec.Canary.ManualPromotion = true
	ctx := context.Background()
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	h.hooks.reset()

	d, err := h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID, By: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "rollback 0 canary")
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
	if call := h.hooks.all()[0]; !isKey(call, "api@2", 2, "rollback/rollback") {
		t.Errorf("key %q, want the canary rollout's own rollback key", call.Key)
	}
	_, err = h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "ci"})
	var refused *PromotionRefusedError
	if !errors.As(err, &refused) {
		t.Errorf("promoting the withdrawn canary: err = %v, want a refusal", err)
	}
}

func TestRollbackNowRefusedEventIsRetriedWithTheSameKey(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.deployCanary(2)
	h.hooks.reset()
	h.hooks.failOn(domain.EventRollback, 1, errors.New("connection refused"))
	ctx := context.Background()

	d, err := h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID, By: "ops"})
	want := "the rollback event of api/prod was not accepted: connection refused. Nothing was restored: api@2 keeps its traffic. " +
		"Fix the hook target and run the rollback again; it repeats this rollback with the same idempotency key"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if d.Status != domain.StatusFailed || d.LiveRelease != "api@2" {
		t.Errorf("after the refused event: status %s, live %s", d.Status, d.LiveRelease)
	}
	assertLeaseFree(t, h.kv, testDepID)

	d, err = h.e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID, By: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
	calls := h.hooks.all()
	if len(calls) != 2 || calls[0].Key != calls[1].Key || calls[1].Slot != domain.SlotStable || calls[1].Attempt != 2 {
		t.Errorf("rollback calls = %+v, want the same rollback twice, attempt 2 the second time", calls)
	}
}

// A process killed after the rollback event went out, before it saved the
// outcome: the next invocation repeats the same rollback (same key) and
// does not start a second one.
func TestRollbackNowKilledMidwayIsFinishedNotDoubled(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.deployCanary(2)
	h.hooks.reset()
	kv := &crashKV{KV: h.kv, limit: 1 << 30}
	dying := h.engine(kv, Options{LeaseTTL: time.Minute})
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventRollback {
			kv.crashAfter(0)
		}
	}
	if _, err := dying.RollbackNow(context.Background(), RollbackNowRequest{Deployment: testDepID, By: "ops"}); err == nil || !kv.didCrash() {
		t.Fatalf("err = %v, crashed = %v; want the store to die after the event", err, kv.didCrash())
	}
	if d := h.deployment(testDepID); d.Rollout.State != domain.RolloutRollingBack {
		t.Fatalf("saved state %s, want rolling_back", d.Rollout.State)
	}
	h.hooks.onSend = nil
	h.clock.(*enginetest.FakeClock).Increment(2 * time.Minute) // the dead holder's lease lapses

	d, err := h.e.RollbackNow(context.Background(), RollbackNowRequest{Deployment: testDepID, By: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
	calls := h.hooks.all()
	if len(calls) != 2 || calls[0].Key != calls[1].Key || calls[0].Slot != calls[1].Slot {
		t.Errorf("rollback calls = %+v, want the same rollback twice", calls)
	}
}
