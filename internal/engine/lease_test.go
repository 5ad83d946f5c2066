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

// holdLease writes a lease record as another (possibly dead) process would.
func holdLease(t *testing.T, kv records.KV, id, holder string, acquired, expires time.Time) {
	t.Helper()
	rec := lease.Record{Holder: holder, Operation: "deploy api@9", AcquiredAt: acquired, RenewedAt: acquired, ExpiresAt: expires}
	if _, err := records.PutJSON(context.Background(), kv, records.KindLease, id, rec, 0); err != nil {
		t.Fatal(err)
	}
}

// TestLeaseSerialisesTwoEngines: two engines (two terraform processes) on
// one store deploy the same deployment; the second waits for the first and
// their hook calls never interleave.
func TestLeaseSerialisesTwoEngines(t *testing.T) {
	h := newHarnessWith(t, domain.RealClock{}, Options{PollInterval: 2 * time.Millisecond, Holder: "first"})
	h.seedLive(1)
	second := h.engine(h.kv, Options{PollInterval: 2 * time.Millisecond, Holder: "second"})

	spec := canarySpec()
	spec.Canary.Steps = []domain.CanaryStep{{Weight: 10, Bake: 30 * time.Millisecond}, {Weight: 50, Bake: 30 * time.Millisecond}}
	spec.Canary.CheckInterval = 5 * time.Millisecond
	spec.HealthCheck.Interval = 5 * time.Millisecond
	firstSent := make(chan struct{})
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Release == "api@2" && ev.Type == domain.EventCanaryWeight && ev.Weight == 10 {
			close(firstSent)
		}
	}
	ctx := context.Background()
	errs := make(chan error, 2)
	go func() {
		_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
		errs <- err
	}()
	<-firstSent
	go func() {
		direct := testSpec(domain.StrategyDirect)
		direct.Release = releaseID(3)
		_, err := second.Deploy(ctx, DeployRequest{Spec: direct})
		errs <- err
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The second run started only after the first released the lease, so
	// it found api@2 live and rolled forward from it: no rollback.
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable", "deploy 100 stable")
	d := h.deployment(testDepID)
	assertState(t, d, domain.StatusSucceeded, "api@3", "", 100)
	if d.Rollout.PreviousRelease != "api@2" {
		t.Errorf("second rollout replaced %q, want api@2", d.Rollout.PreviousRelease)
	}
	assertLeaseFree(t, h.kv, testDepID)
}

func TestLeaseOfDeadHolderIsTakenAfterExpiry(t *testing.T) {
	h := newHarness(t)
	expires := testStart.Add(5 * time.Minute)
	holdLease(t, h.kv, testDepID, "dead-holder/abc", testStart, expires)
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if h.now().Before(expires) {
		t.Errorf("the lease was taken at %s, before it expired at %s", h.now(), expires)
	}
	assertEvents(t, h, "deploy 100 stable")
	assertLeaseFree(t, h.kv, testDepID)
}

func TestLeaseWaitEndsWithLeaseError(t *testing.T) {
	h := newHarnessWith(t, domain.RealClock{}, Options{PollInterval: 2 * time.Millisecond})
	now := time.Now().UTC()
	holdLease(t, h.kv, testDepID, "alice@ci-runner-7 pid 4242", now, now.Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	var lerr *lease.LeaseError
	if !errors.As(err, &lerr) {
		t.Fatalf("err = %v, want *LeaseError", err)
	}
	if lerr.Holder != "alice@ci-runner-7 pid 4242" || lerr.Operation != "deploy api@9" || lerr.Deployment != testDepID ||
		lerr.Waited <= 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("LeaseError = %+v", *lerr)
	}
	msg := err.Error()
	for _, phrase := range []string{
		`deployment api/prod is locked by another run: alice@ci-runner-7 pid 4242 has held it for "deploy api@9" since ` + lease.FormatSince(now),
		"lease expires " + lease.FormatSince(now.Add(time.Hour)),
		"Gave up after waiting ", "the operation's timeout was reached",
		"its lease lapses within 20s of its last renewal",
		`terraform-provider-ocuroot lease break -deployment api/prod -holder "alice@ci-runner-7 pid 4242"`,
	} {
		if !strings.Contains(msg, phrase) {
			t.Errorf("message %q lacks %q", msg, phrase)
		}
	}
	if strings.Contains(msg, "context deadline exceeded") || strings.Contains(msg, "context canceled") {
		t.Errorf("message leaks the raw context error: %q", msg)
	}
	if len(h.hooks.all()) != 0 {
		t.Errorf("hooks sent without the lease: %v", h.hooks.strings())
	}
}

func TestLeaseErrorOnCancelSaysCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := newHarnessWith(t, domain.RealClock{}, Options{PollInterval: 2 * time.Millisecond, Logger: cancelOnInfoLogger{cancel}})
	now := time.Now().UTC()
	holdLease(t, h.kv, testDepID, "bob@laptop pid 7", now, now.Add(time.Hour))
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	var lerr *lease.LeaseError
	if !errors.As(err, &lerr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a *LeaseError for a cancelled wait", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "the operation was cancelled") || strings.Contains(msg, "context canceled") {
		t.Errorf("message = %q", msg)
	}
}

// cancelOnInfoLogger cancels the run as soon as it reports that it waits.
type cancelOnInfoLogger struct{ cancel context.CancelFunc }

func (l cancelOnInfoLogger) Info(context.Context, string, map[string]any)  { l.cancel() }
func (l cancelOnInfoLogger) Debug(context.Context, string, map[string]any) {}
func (l cancelOnInfoLogger) Warn(context.Context, string, map[string]any)  {}

// TestLeaseKeptAliveDuringLongDelay: a scale-down delay longer than the
// lease TTL renews the lease as it waits, so a second run cannot take the
// deployment over in the middle of it.
func TestLeaseKeptAliveDuringLongDelay(t *testing.T) {
	clock := enginetest.NewManualClock(testStart)
	opts := Options{LeaseTTL: time.Minute, PollInterval: 5 * time.Second}
	h := newHarnessWith(t, clock, opts)
	h.seedLive(1)
	second := h.engine(h.kv, opts)

	spec := testSpec(domain.StrategyBlueGreen)
	spec.HealthCheck = nil
	spec.BlueGreen.ScaleDownDelay = 10 * time.Minute
	ctx := context.Background()
	firstDone, secondDone := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
		firstDone <- err
	}()
	eventually(t, "the first run waits out its scale-down delay", func() bool { return clock.Waiters() == 1 })
	go func() {
		direct := testSpec(domain.StrategyDirect)
		direct.HealthCheck = nil
		direct.Release = releaseID(3)
		_, err := second.Deploy(ctx, DeployRequest{Spec: direct})
		secondDone <- err
	}()
	eventually(t, "the second run waits for the lease", func() bool { return clock.Waiters() == 2 })

	var firstErr, secondErr error
	running := 2
	deadline := time.Now().Add(10 * time.Second)
	for running > 0 {
		select {
		case firstErr = <-firstDone:
			running--
		case secondErr = <-secondDone:
			running--
		default:
			if time.Now().After(deadline) {
				t.Fatalf("runs did not finish; hooks %v", h.hooks.strings())
			}
			// Move time only when every running run is parked, so none sees
			// time jump past a renewal it was about to make.
			if clock.Waiters() == running {
				clock.Increment(5 * time.Second)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	if firstErr != nil || secondErr != nil {
		t.Fatalf("first: %v; second: %v", firstErr, secondErr)
	}
	assertEvents(t, h, "green.create 0 green", "cutover 100 green", "blue.drain 100 blue", "deploy 100 stable")
	if elapsed := clock.Now().Sub(testStart); elapsed < 10*time.Minute {
		t.Errorf("only %s passed; the delay is 10m", elapsed)
	}
	d := h.deployment(testDepID)
	assertState(t, d, domain.StatusSucceeded, "api@3", "", 100)
	if d.Rollout.PreviousRelease != "api@2" {
		t.Errorf("second rollout replaced %q, want api@2", d.Rollout.PreviousRelease)
	}
}

// TestLeaseReleaseFailure: when the lease cannot be deleted (the store went
// away) the deploy, which succeeded, returns only a LeaseNotReleasedError
// naming the lease, and the lease expires on its own.
func TestLeaseReleaseFailure(t *testing.T) {
	h := newHarness(t)
	broken := h.engine(failingDeleteKV{h.kv}, Options{LeaseTTL: time.Minute})
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	d, err := broken.Deploy(context.Background(), DeployRequest{Spec: spec})
	notReleased, ok := err.(*lease.LeaseNotReleasedError)
	if !ok {
		t.Fatalf("Deploy error = %v (%T), want only a *LeaseNotReleasedError", err, err)
	}
	if want := `the lease of api/prod could not be released: deleting lease "api/prod" in the store failed: ` + errCrash.Error(); !strings.HasPrefix(notReleased.Error(), want) {
		t.Errorf("error = %q, want it to start with %q", notReleased.Error(), want)
	}
	assertState(t, d, domain.StatusSucceeded, releaseID(1), "", 100)
	if _, _, err := h.kv.Get(context.Background(), records.KindLease, testDepID); err != nil {
		t.Fatalf("the lease should still be there: %v", err)
	}
	before := h.now()
	spec.Release = releaseID(2)
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if waited := h.now().Sub(before); waited < time.Minute-time.Second {
		t.Errorf("the next run waited %s for the stale lease, want about its 1m TTL", waited)
	}
	assertEvents(t, h, "deploy 100 stable", "deploy 100 stable")
}

func TestLeaseRenewal(t *testing.T) {
	clock := enginetest.NewManualClock(testStart)
	h := newHarnessWith(t, clock, Options{LeaseTTL: 90 * time.Second})
	ctx := context.Background()
	l, err := h.e.acquireLease(ctx, testDepID, "deploy api@1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	self := lease.CurrentHolder()
	if l.Record.Holder != self.String() || l.Record.Who == nil || *l.Record.Who != self || l.Record.Token == "" ||
		!l.Record.ExpiresAt.Equal(testStart.Add(90*time.Second)) {
		t.Errorf("lease = %+v, want one held by %s", l.Record, self)
	}
	rev := l.Revision
	clock.Increment(29 * time.Second)
	if err := l.Renew(ctx); err != nil || l.Revision != rev {
		t.Errorf("renewed before a third of the TTL passed (err %v)", err)
	}
	clock.Increment(time.Second)
	if err := l.Renew(ctx); err != nil || l.Revision == rev || !l.Record.ExpiresAt.Equal(testStart.Add(2*time.Minute)) {
		t.Errorf("renewal after 30s: err %v, lease %+v", err, l.Record)
	}
}

// TestLeaseTakenOverIsLost: a lease that lapsed and was taken by another run
// is lost: renewing fails with a message naming the new holder, and
// releasing leaves the new holder's record alone.
func TestLeaseTakenOverIsLost(t *testing.T) {
	clock := enginetest.NewManualClock(testStart)
	h := newHarnessWith(t, clock, Options{LeaseTTL: 90 * time.Second})
	ctx := context.Background()
	l, err := h.e.acquireLease(ctx, testDepID, "deploy api@1")
	if err != nil {
		t.Fatal(err)
	}
	clock.Increment(2 * time.Minute)
	other := h.engine(h.kv, Options{Holder: "bob@ci-2 pid 77", LeaseTTL: 90 * time.Second})
	taken, err := other.acquireLease(ctx, testDepID, "deploy api@3")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Release(ctx)
	err = l.Renew(ctx)
	want := "lease of api/prod was taken by bob@ci-2 pid 77 (deploy api@3); stopping so two rollouts never interleave"
	if !errors.Is(err, lease.ErrLeaseLost) || err.Error() != want {
		t.Errorf("renewing a lost lease: %v, want %q", err, want)
	}
	if again := l.Renew(ctx); again != err {
		t.Errorf("a lost lease must stay lost; second renew = %v", again)
	}
	l.Release(ctx)
	if got, _, err := records.GetJSON[lease.Record](ctx, h.kv, records.KindLease, testDepID); err != nil || got.Holder != "bob@ci-2 pid 77" {
		t.Errorf("after releasing a lost lease: %+v, %v", got, err)
	}
}
