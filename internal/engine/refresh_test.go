package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// stateSeed is a deployment as Terraform state records it: api@1 live.
func stateSeed() SeedRequest {
	return SeedRequest{Spec: testSpec(domain.StrategyDirect), LiveRelease: releaseID(1), TrafficPercent: 100, Status: domain.StatusSucceeded}
}

// restoreFromState counts how often a refresh asks for state's description.
func restoreFromState(calls *int, ok bool) func() (SeedRequest, bool) {
	return func() (SeedRequest, bool) {
		*calls++
		return stateSeed(), ok
	}
}

// A stored record is read as it is, with the release in effect: here one
// another workspace rolled out since state recorded api@1.
func TestRefreshFound(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: testSpec(domain.StrategyDirect)}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	got, err := h.e.Refresh(ctx, RefreshRequest{ID: testDepID, StateRelease: releaseID(1), Restore: restoreFromState(&calls, true)})
	if err != nil || got.Outcome != RefreshFound || got.Deployment == nil || got.Deployment.LiveRelease != releaseID(2) {
		t.Fatalf("Refresh = %+v, %v; want the record with %s live", got, err, releaseID(2))
	}
	if got.ReleaseInEffect != releaseID(2) {
		t.Errorf("ReleaseInEffect = %q, want %q (the drift shows)", got.ReleaseInEffect, releaseID(2))
	}
	if calls != 0 {
		t.Errorf("a stored record was restored from state %d time(s)", calls)
	}
}

// A torn-down deployment is reported as such, for the state to forget it.
func TestRefreshTornDown(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	spec := testSpec(domain.StrategyDirect)
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Teardown(ctx, testPackage, testEnv, spec.Hook); err != nil {
		t.Fatal(err)
	}
	got, err := h.e.Refresh(ctx, RefreshRequest{ID: testDepID, StateRelease: releaseID(2)})
	if err != nil || got.Outcome != RefreshTornDown || got.Deployment == nil || got.Deployment.Status != domain.StatusTornDown {
		t.Fatalf("Refresh = %+v, %v; want the torn-down record", got, err)
	}
}

// A store with no record (a fresh runner) gets it back from state, without
// a write, and the refresh says the state stands.
func TestRefreshRestoresAMissingRecord(t *testing.T) {
	ctx := context.Background()
	kv := &writeCountingKV{KV: store.NewMemoryKV()}
	e := New(Options{Store: records.NewStore(kv), Clock: enginetest.NewAutoClock(testStart)})
	calls := 0
	got, err := e.Refresh(ctx, RefreshRequest{ID: testDepID, StateRelease: releaseID(1), Restore: restoreFromState(&calls, true)})
	if err != nil || got.Outcome != RefreshMissing || got.RestoreFailed != nil || got.Deployment != nil {
		t.Fatalf("Refresh = %+v, %v; want a missing record restored", got, err)
	}
	if calls != 1 {
		t.Errorf("state was asked %d time(s), want once", calls)
	}
	if kv.writes != 0 {
		t.Errorf("the refresh wrote %d time(s) to the store", kv.writes)
	}
	if d, err := e.GetDeployment(ctx, testDepID); err != nil || d.LiveRelease != releaseID(1) {
		t.Errorf("restored record = %+v, %v; want %s live", d, err, releaseID(1))
	}
}

// A caller that cannot describe the deployment restores nothing.
func TestRefreshRestoresNothingWithoutADescription(t *testing.T) {
	ctx := context.Background()
	e := New(Options{Store: records.NewStore(store.NewMemoryKV()), Clock: enginetest.NewAutoClock(testStart)})
	calls := 0
	got, err := e.Refresh(ctx, RefreshRequest{ID: testDepID, Restore: restoreFromState(&calls, false)})
	if err != nil || got.Outcome != RefreshMissing || got.RestoreFailed != nil || calls != 1 {
		t.Fatalf("Refresh = %+v, %v (state asked %d time(s)); want a missing record, nothing restored", got, err, calls)
	}
	if _, err := e.GetDeployment(ctx, testDepID); !records.IsNotFound(err) {
		t.Errorf("a record was restored: err = %v", err)
	}
	if got, err := e.Refresh(ctx, RefreshRequest{ID: testDepID}); err != nil || got.Outcome != RefreshMissing {
		t.Errorf("Refresh without Restore = %+v, %v; want a missing record", got, err)
	}
}

// A restore that fails for another reason than the store is reported
// beside the outcome, not as an error: the state still stands.
func TestRefreshRestoreFailure(t *testing.T) {
	ctx := context.Background()
	s := records.NewStore(store.NewMemoryKV())
	if err := s.CarryRestoredIn(filepath.Join(t.TempDir(), "no-such-dir", "restored.json")); err != nil {
		t.Fatal(err)
	}
	e := New(Options{Store: s, Clock: enginetest.NewAutoClock(testStart)})
	calls := 0
	got, err := e.Refresh(ctx, RefreshRequest{ID: testDepID, Restore: restoreFromState(&calls, true)})
	if err != nil || got.Outcome != RefreshMissing || got.RestoreFailed == nil {
		t.Fatalf("Refresh = %+v, %v; want a missing record and why it was not restored", got, err)
	}
	if errors.As(got.RestoreFailed, new(*records.StoreError)) {
		t.Errorf("RestoreFailed %v is a store failure", got.RestoreFailed)
	}
}

// A store that fails is an error, and the outcome says which read failed:
// the record's own (zero) or the one that restores it (RefreshMissing).
func TestRefreshStoreFails(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		kv   records.KV
		want RefreshOutcome
	}{
		{"reading the record", failingKV{KV: store.NewMemoryKV(), kind: records.KindDeployment}, 0},
		{"restoring it", &nthReadFailsKV{KV: store.NewMemoryKV(), kind: records.KindDeployment, nth: 2}, RefreshMissing},
	}
	for _, c := range cases {
		e := New(Options{Store: records.NewStore(c.kv), Clock: enginetest.NewAutoClock(testStart)})
		calls := 0
		got, err := e.Refresh(ctx, RefreshRequest{ID: testDepID, Restore: restoreFromState(&calls, true)})
		if !errors.As(err, new(*records.StoreError)) || got.Outcome != c.want || got.Deployment != nil {
			t.Errorf("%s fails: Refresh = %+v, %v; want outcome %d and a StoreError", c.name, got, err, c.want)
		}
	}
}
