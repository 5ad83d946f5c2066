package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// TestLeaseHeartbeatRenewsWhileHeld: nothing in the rollout renews here, yet
// the lease is extended from the engine clock's current time, on a real
// time ticker; after release the heartbeat has stopped and the lease is gone.
func TestLeaseHeartbeatRenewsWhileHeld(t *testing.T) {
	clock := enginetest.NewManualClock(testStart)
	h := newHarnessWith(t, clock, Options{LeaseTTL: 40 * time.Millisecond})
	ctx := context.Background()
	l, err := h.e.acquireLease(ctx, testDepID, "deploy api@2")
	if err != nil {
		t.Fatal(err)
	}
	clock.Increment(time.Hour) // far past the TTL: only a renewal keeps it
	eventually(t, "the heartbeat renews the lease", func() bool {
		rec, _, err := records.GetJSON[lease.Record](ctx, h.kv, records.KindLease, testDepID)
		return err == nil && rec.ExpiresAt.Equal(testStart.Add(time.Hour+40*time.Millisecond))
	})
	if err := l.Renew(ctx); err != nil {
		t.Fatalf("renew after heartbeats: %v", err)
	}
	l.Release(ctx)
	select {
	case <-l.Heartbeat:
	default:
		t.Fatal("release returned while the heartbeat still runs")
	}
	assertLeaseFree(t, h.kv, testDepID)
}

// TestLeaseBrokenByOperatorIsLost: an operator breaks the lease of a run
// that is in fact alive; its heartbeat notices, the next renew says so, and
// the run neither recreates the lease nor deletes its successor's.
func TestLeaseBrokenByOperatorIsLost(t *testing.T) {
	clock := enginetest.NewManualClock(testStart)
	h := newHarnessWith(t, clock, Options{LeaseTTL: 40 * time.Millisecond})
	ctx := context.Background()
	l, err := h.e.acquireLease(ctx, testDepID, "deploy api@2")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.BreakLease(ctx, testDepID, h.e.Holder()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the run notices its lease is gone", func() bool { return errors.Is(l.Renew(ctx), lease.ErrLeaseLost) })
	want := "lease of api/prod was broken by someone else; stopping so two rollouts never interleave"
	if err := l.Renew(ctx); err.Error() != want {
		t.Errorf("renew = %q, want %q", err, want)
	}
	assertLeaseFree(t, h.kv, testDepID)
	next := h.engine(h.kv, Options{Holder: "next-run", LeaseTTL: time.Minute})
	successor, err := next.acquireLease(ctx, testDepID, "deploy api@3")
	if err != nil {
		t.Fatal(err)
	}
	defer successor.Release(ctx)
	l.Release(ctx)
	if got, _, err := records.GetJSON[lease.Record](ctx, h.kv, records.KindLease, testDepID); err != nil || got.Holder != "next-run" {
		t.Errorf("after the broken run released: %+v, %v", got, err)
	}
}

// TestRolloutStopsWhenItsLeaseIsBroken: a canary whose lease is broken
// during its first bake stops before the next step: no further hook call,
// no rollback (the deployment may belong to another run now), and its
// position is saved.
func TestRolloutStopsWhenItsLeaseIsBroken(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCanaryWeight && ev.Weight == 10 {
			if err := h.e.BreakLease(ctx, testDepID, h.e.Holder()); err != nil {
				t.Errorf("BreakLease: %v", err)
			}
		}
	}
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: canarySpec()})
	if !errors.Is(err, lease.ErrLeaseLost) || !strings.Contains(err.Error(), "stopping so two rollouts never interleave") {
		t.Fatalf("Deploy = %v, want the lost lease", err)
	}
	assertEvents(t, h, "canary.weight 10 canary")
	d := h.deployment(testDepID)
	if d.Rollout == nil || !d.Rollout.State.Active() || d.Rollout.Release != "api@2" {
		t.Fatalf("rollout = %+v, want api@2 still in progress", d.Rollout)
	}
	assertLeaseFree(t, h.kv, testDepID)
}
