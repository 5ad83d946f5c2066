package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// A store that cannot be reached in the middle of a rollout: the rollout
// holds traffic, keeps checking, and either goes on when the store is back
// or, after StoreOutageBound, ends as on_timeout says and tells what the
// store could not record.

// errStoreUnreachable is what outageKV answers while the store is away, shaped
// like the PostgreSQL backend's errors.
var errStoreUnreachable error = storeUnreachableError{}

type storeUnreachableError struct{}

func (storeUnreachableError) Error() string {
	return "postgres store postgres://db.test/ocuroot: apply: failed to connect: connection refused"
}
func (storeUnreachableError) Is(target error) bool { return target == store.ErrUnavailable }

// outageKV cannot be reached during a window of engine time: every call
// fails with errStoreUnreachable. The window opens after a number of deployment
// saves (Apply calls: the lease heartbeat's Puts run on the wall clock and
// would make a count of every write depend on timing).
type outageKV struct {
	records.KV
	clock domain.Clock

	mu sync.Mutex
	// from and until bound the outage; zero from: no outage yet.
	from, until time.Time
	// appliesLeft > 0 opens a window of length after that many more saves.
	appliesLeft int
	length      time.Duration
	// onDown runs when the window opens (outside the lock).
	onDown func()
	// loseAnswer makes the save after appliesLeft land but answer as if
	// the store had gone away before it replied.
	loseAnswer bool
}

// downAfterSaves opens an outage of length once n more saves landed.
func (o *outageKV) downAfterSaves(n int, length time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.appliesLeft, o.length = n, length
}

// downFor opens an outage of length now.
func (o *outageKV) downFor(length time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.from = o.clock.Now()
	o.until = o.from.Add(length)
}

// end closes the outage now.
func (o *outageKV) end() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.until = o.clock.Now()
}

// window returns the outage's bounds.
func (o *outageKV) window() (from, until time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.from, o.until
}

func (o *outageKV) down() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock.Now()
	return !o.from.IsZero() && !now.Before(o.from) && now.Before(o.until)
}

// saved counts a save that landed and opens the window when it is due.
func (o *outageKV) saved() {
	o.mu.Lock()
	if o.appliesLeft <= 0 || o.loseAnswer {
		o.mu.Unlock()
		return
	}
	o.appliesLeft--
	opened := o.appliesLeft == 0
	if opened {
		o.from = o.clock.Now()
		o.until = o.from.Add(o.length)
	}
	onDown := o.onDown
	o.mu.Unlock()
	if opened && onDown != nil {
		onDown()
	}
}

func (o *outageKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	if o.down() {
		return nil, 0, errStoreUnreachable
	}
	return o.KV.Get(ctx, kind, key)
}

func (o *outageKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	if o.down() {
		return 0, errStoreUnreachable
	}
	return o.KV.Put(ctx, kind, key, value, expect)
}

func (o *outageKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	if o.down() {
		return errStoreUnreachable
	}
	return o.KV.Delete(ctx, kind, key, expect)
}

func (o *outageKV) List(ctx context.Context, kind string) ([]records.KVEntry, error) {
	if o.down() {
		return nil, errStoreUnreachable
	}
	return o.KV.List(ctx, kind)
}

func (o *outageKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]records.KVEntry, error) {
	if o.down() {
		return nil, errStoreUnreachable
	}
	return o.KV.Scan(ctx, kind, prefix, limit, reverse)
}

func (o *outageKV) Apply(ctx context.Context, writes []records.KVWrite) ([]int64, error) {
	if o.down() {
		return nil, errStoreUnreachable
	}
	revs, err := o.KV.Apply(ctx, writes)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	lose := o.loseAnswer && o.appliesLeft > 0
	if lose {
		if o.appliesLeft--; o.appliesLeft == 0 {
			o.loseAnswer = false
			o.mu.Unlock()
			return nil, errStoreUnreachable // it landed; the answer did not
		}
	}
	o.mu.Unlock()
	o.saved()
	return revs, nil
}

// outageSpec is a canary of 10% then 50%, each baking a minute, checked
// every 10s; two failed rounds in a row roll back. Its steps: 1/5 weight
// 10, 2/5 bake at 10%, 3/5 weight 50, 4/5 bake at 50%, 5/5 promote.
func outageSpec() domain.DeploymentSpec {
	spec := canarySpec()
	spec.HealthCheck.Interval = 10 * time.Second
	spec.Canary = domain.CanarySpec{
		Steps:         []domain.CanaryStep{{Weight: 10, Bake: time.Minute}, {Weight: 50, Bake: time.Minute}},
		CheckInterval: 10 * time.Second, FailureThreshold: 2,
	}
	return spec
}

// newOutageEngine is a harness with api@1 live and an engine that reaches
// its store through an outageKV.
func newOutageEngine(t *testing.T) (*harness, *outageKV, *Engine, *timeline) {
	t.Helper()
	h := newHarness(t)
	h.seedLive(1)
	tl := h.record()
	kv := &outageKV{KV: h.kv, clock: h.clock}
	return h, kv, h.engine(kv, Options{}), tl
}

// outageHarness is newOutageEngine with an outage of length that starts
// once the bake at 10% saved two check rounds.
func outageHarness(t *testing.T, length time.Duration) (*harness, *outageKV, *Engine, *timeline) {
	t.Helper()
	h, kv, e, tl := newOutageEngine(t)
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCanaryWeight && ev.Weight == 10 {
			kv.downAfterSaves(1+2, length) // the step's advance, then two rounds
		}
	}
	return h, kv, e, tl
}

// probesBetween returns the canary health probes timed in [from, until).
func probesBetween(events []timelineEvent, from, until time.Time) []timelineEvent {
	var out []timelineEvent
	for _, ev := range events {
		if ev.Kind == "health" && ev.Slot == domain.SlotCanary && !ev.At.Before(from) && ev.At.Before(until) {
			out = append(out, ev)
		}
	}
	return out
}

// hooksBetween lists the hooks timed in [from, until).
func hooksBetween(events []timelineEvent, from, until time.Time) []string {
	var out []string
	for _, ev := range events {
		if ev.Kind == "hook" && !ev.At.Before(from) && ev.At.Before(until) {
			out = append(out, fmt.Sprintf("%s %d", ev.Name, ev.Weight))
		}
	}
	return out
}

// largestGap is the longest time between consecutive events.
func largestGap(events []timelineEvent) time.Duration {
	var gap time.Duration
	for i := 1; i < len(events); i++ {
		gap = max(gap, events[i].At.Sub(events[i-1].At))
	}
	return gap
}

// assertNoKeyReusedForAnotherEvent fails when two hook calls share an
// idempotency key but not their event (attempt and time aside): a
// deduplicating receiver would answer the second with the first's result.
func assertNoKeyReusedForAnotherEvent(t *testing.T, calls []sentHook) {
	t.Helper()
	body := func(c sentHook) string {
		return fmt.Sprintf("%s|%d|%s|%s|%s|%s|%d|%s", c.Type, c.Weight, c.Slot, c.Release, c.Previous, c.RolloutID, c.Step, c.Reason)
	}
	seen := map[string]string{}
	for _, c := range calls {
		if earlier, ok := seen[c.Key]; ok && earlier != body(c) {
			t.Errorf("key %s was sent with two different events:\n  %s\n  %s", c.Key, earlier, body(c))
		}
		seen[c.Key] = body(c)
	}
}

func TestStoreRetryPauseBacksOff(t *testing.T) {
	tests := []struct{ previous, want time.Duration }{
		{0, time.Second},
		{time.Second, 2 * time.Second},
		{4 * time.Second, 8 * time.Second},
		{8 * time.Second, 15 * time.Second},
		{15 * time.Second, 15 * time.Second},
	}
	for _, tt := range tests {
		if got := rollout.StoreRetryPause(tt.previous); got != tt.want {
			t.Errorf("storeRetryPause(%s) = %s, want %s", tt.previous, got, tt.want)
		}
	}
}

// TestShortStoreOutageHoldsTrafficAndKeepsChecking: the store is away for
// 90s (less than StoreOutageBound), from the middle of the bake at 10%.
// The bake goes on with its check rounds, nothing moves traffic while the
// store is away (the lease cannot be renewed), and once it is back the
// rollout saves what it observed and completes.
func TestShortStoreOutageHoldsTrafficAndKeepsChecking(t *testing.T) {
	h, kv, e, tl := outageHarness(t, 90*time.Second)
	d, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()})
	if err != nil {
		t.Fatalf("Deploy = %v, want the rollout to ride the outage out", err)
	}
	from, until := kv.window()
	if from.IsZero() {
		t.Fatal("the outage never started")
	}
	events := tl.all()
	during := probesBetween(events, from, until)
	if len(during) < 8 {
		t.Errorf("%d canary probes during the 90s outage, want one every 10s (at least 8)", len(during))
	}
	if gap := largestGap(probesBetween(events, from.Add(-10*time.Second), until.Add(10*time.Second))); gap > 10*time.Second {
		t.Errorf("the canary went unchecked for %s around the outage, want at most the 10s check interval", gap)
	}
	if moved := hooksBetween(events, from, until); len(moved) != 0 {
		t.Errorf("hooks %v were sent while the store was away, want traffic held at 10%%", moved)
	}
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable")
	stored := h.deployment(testDepID)
	if d.Status != domain.StatusSucceeded || stored.Status != domain.StatusSucceeded || stored.LiveRelease != "api@2" || stored.Rollout.State != domain.RolloutSucceeded {
		t.Fatalf("returned %s, stored %s (live %s, rollout %s), want api@2 live in both", d.Status, stored.Status, stored.LiveRelease, stored.Rollout.State)
	}
	if !h.historyHas(stored, "the store could not be reached for ", "traffic was held at 10%", "check round(s) ran meanwhile (0 failed)") {
		t.Errorf("history does not record the outage:\n%s", strings.Join(h.historyReasons(stored), "\n"))
	}
	if !h.historyHas(stored, "baked 1m at 10%: 6 check round(s) passed, 0 failed") {
		t.Errorf("history does not record the bake the outage interrupted:\n%s", strings.Join(h.historyReasons(stored), "\n"))
	}
}

// TestLongStoreOutageRollsBackAndSaysWhatWasNotRecorded: the store stays
// away. The bake at 10% ends during the outage, and the rollout holds
// before the weight of 50%, checking the canary, until StoreOutageBound.
// Then on_timeout = "rollback" sends the rollback hook; the error says the
// store could not record it and still shows the bake at 10%. A later Deploy given the
// unrecorded rollback sends the very same event under the same key,
// records it, and starts the rollout again.
func TestLongStoreOutageRollsBackAndSaysWhatWasNotRecorded(t *testing.T) {
	h, kv, e, tl := outageHarness(t, time.Hour)
	_, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()})
	var rerr *domain.RolloutError
	if !errors.As(err, &rerr) || !rerr.RolledBack || !rerr.Timeout || rerr.Unrecorded == nil || rerr.Unrecorded.Rollback == nil {
		t.Fatalf("Deploy = %v, want a rollback on timeout that the store did not record", err)
	}
	for _, want := range []string{
		"failed at canary step 2 of 2 (weight 50%, bake 1m): the store could not be reached for 2m0s while holding 10% of traffic on api@2 (a rollout holds traffic without its store for at most 2m0s); last error: renewing lease of api/prod: ",
		"Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.",
		"The store could not record this (saving deployment api/prod: writing deployment \"api/prod\" in the store failed: postgres store postgres://db.test/ocuroot: apply: failed to connect: connection refused): it still shows the rollout running at canary step 1 of 2 (weight 10%, bake 1m) with 10% of traffic.",
		"The next apply sends the same rollback hook again, with the same Idempotency-Key so the target can tell it is a repeat, and records the rollback.",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%s", want, err)
		}
	}
	from, _ := kv.window()
	calls := h.hooks.all()
	assertEvents(t, h, "canary.weight 10 canary", "rollback 0 canary")
	rollback := calls[1]
	if !regexp.MustCompile(`^api/prod/` + regexp.QuoteMeta(rollback.RolloutID) + `/rollback-[0-9a-f]{12}/rollback$`).MatchString(rollback.Key) {
		t.Errorf("rollback key %s, want one of its own: a later run that knows nothing of it may roll back for another reason", rollback.Key)
	}
	var rolledBackAt time.Time
	for _, ev := range tl.all() {
		if ev.Kind == "hook" && ev.Name == domain.EventRollback {
			rolledBackAt = ev.At
		}
	}
	if waited := rolledBackAt.Sub(from); waited < rollout.StoreOutageBound {
		t.Errorf("rolled back %s into the outage, want the store waited for %s first", waited, rollout.StoreOutageBound)
	}
	if during := probesBetween(tl.all(), from, rolledBackAt); len(during) < 11 {
		t.Errorf("%d canary probes during the 2m wait, want one every 10s", len(during))
	}
	stored := h.deployment(testDepID)
	if r := stored.Rollout; r.State != domain.RolloutRunning || r.StepIndex != 1 || stored.TrafficPercent != 10 {
		t.Fatalf("the store shows %s at step %d with %d%%, want what was saved before the outage: running at 2/5 with 10%%", r.State, r.StepIndex+1, stored.TrafficPercent)
	}

	// The store is back: the next apply records the rollback, then tries
	// the release again.
	kv.end()
	h.hooks.onSend = nil
	h.hooks.reset()
	d, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec(), UnrecordedRollback: rerr.Unrecorded.Rollback})
	if err != nil {
		t.Fatalf("the next apply = %v", err)
	}
	again := h.hooks.all()
	if len(again) == 0 || again[0].Key != rollback.Key || again[0].Reason != rollback.Reason || again[0].Slot != rollback.Slot || again[0].Step != rollback.Step {
		t.Fatalf("the next apply first sent %+v, want the same rollback event again (%+v)", again, rollback)
	}
	assertEvents(t, h, "rollback 0 canary", "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable")
	assertNoKeyReusedForAnotherEvent(t, append(calls, again...))
	if d.Status != domain.StatusSucceeded || d.Rollout.ID == rollback.RolloutID {
		t.Errorf("the next apply left %s with rollout %s, want a new rollout of api@2 live", d.Status, d.Rollout.ID)
	}
	if !h.historyHas(h.deployment(testDepID), "recording the rollback an earlier run sent while the store could not be reached: the store could not be reached for 2m0s") ||
		!h.historyHas(h.deployment(testDepID), "rolled back to api@1 (canary slot)") {
		t.Errorf("history does not record the rollback:\n%s", strings.Join(h.historyReasons(h.deployment(testDepID)), "\n"))
	}
}

// TestLongStoreOutageWithOnTimeoutFailLeavesTraffic: with on_timeout =
// "fail" nothing is sent after StoreOutageBound; the error says traffic
// was left at 10% and the store still shows the bake, which the next
// apply continues.
func TestLongStoreOutageWithOnTimeoutFailLeavesTraffic(t *testing.T) {
	h, _, e, _ := outageHarness(t, time.Hour)
	spec := outageSpec()
	spec.OnTimeout = domain.OnTimeoutFail
	_, err := e.Deploy(context.Background(), DeployRequest{Spec: spec})
	var rerr *domain.RolloutError
	if !errors.As(err, &rerr) || rerr.RolledBack || rerr.Unrecorded == nil || rerr.Unrecorded.Rollback != nil {
		t.Fatalf("Deploy = %v, want a failure leaving traffic, not recorded", err)
	}
	for _, want := range []string{
		"failed at canary step 2 of 2 (weight 50%, bake 1m): the store could not be reached for 2m0s while holding 10% of traffic on api@2",
		"Traffic was left as it is",
		"it still shows the rollout running at canary step 1 of 2 (weight 10%, bake 1m) with 10% of traffic. The next apply continues from that position.",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%s", want, err)
		}
	}
	assertEvents(t, h, "canary.weight 10 canary")
	if stored := h.deployment(testDepID); stored.Rollout.State != domain.RolloutRunning || stored.TrafficPercent != 10 {
		t.Errorf("the store shows %s with %d%%, want the bake at 10%%", stored.Rollout.State, stored.TrafficPercent)
	}
}

// TestFailingCheckDuringStoreOutageRollsBack: the canary fails while the
// store is away; the failure threshold rolls back at once, without waiting
// for the store. Whether the rollback is recorded depends on the store
// coming back within StoreOutageBound.
func TestFailingCheckDuringStoreOutageRollsBack(t *testing.T) {
	tests := []struct {
		name       string
		outage     time.Duration
		recorded   bool
		wantStored domain.RolloutState
	}{
		{name: "store back within the bound: the rollback is recorded", outage: 80 * time.Second, recorded: true, wantStored: domain.RolloutRolledBack},
		{name: "store away past the bound: the error says so", outage: time.Hour, wantStored: domain.RolloutRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, kv, e, tl := outageHarness(t, tt.outage)
			h.checker.failHealthAfter = 3 // the canary fails from the second round of the outage
			_, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()})
			var rerr *domain.RolloutError
			if !errors.As(err, &rerr) || !rerr.RolledBack || rerr.Timeout {
				t.Fatalf("Deploy = %v, want a rollback for the failing check", err)
			}
			if !strings.Contains(rerr.Reason, `check "health" failed 2 consecutive time(s) (failure_threshold 2) while baking at 10% traffic`) {
				t.Errorf("reason = %q, want the failing check", rerr.Reason)
			}
			from, _ := kv.window()
			var rolledBackAt time.Time
			for _, ev := range tl.all() {
				if ev.Kind == "hook" && ev.Name == domain.EventRollback {
					rolledBackAt = ev.At
				}
			}
			if rolledBackAt.Sub(from) != 30*time.Second {
				t.Errorf("rolled back %s into the outage, want at the second failed round, 30s in", rolledBackAt.Sub(from))
			}
			if got := rerr.Unrecorded != nil; got == tt.recorded {
				t.Errorf("unrecorded = %v (%v), want recorded %v", rerr.Unrecorded, err, tt.recorded)
			}
			if stored := h.deployment(testDepID); stored.Rollout.State != tt.wantStored {
				t.Errorf("the store shows %s, want %s", stored.Rollout.State, tt.wantStored)
			}
		})
	}
}

// TestLeaseTakenDuringStoreOutageStopsTheRollout: this run cannot reach the
// store but another can, and takes the lease once it lapsed. When the
// store answers again, the renewal finds the lease changed hands: the run
// stops without moving traffic or rolling back another run's deployment.
func TestLeaseTakenDuringStoreOutageStopsTheRollout(t *testing.T) {
	h, kv, e, tl := outageHarness(t, 90*time.Second)
	kv.onDown = func() {
		rec := lease.Record{Holder: "bob@ci-7 pid 9", Token: "other", Operation: "deploy api@3", AcquiredAt: h.now(), RenewedAt: h.now(), ExpiresAt: h.now().Add(time.Hour)}
		if _, err := records.PutJSON(context.Background(), h.kv, records.KindLease, testDepID, rec, records.AnyRevision); err != nil {
			t.Errorf("taking the lease: %v", err)
		}
	}
	_, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()})
	if !errors.Is(err, lease.ErrLeaseLost) || !strings.Contains(err.Error(), "was taken by bob@ci-7 pid 9") {
		t.Fatalf("Deploy = %v, want the lease lost to bob", err)
	}
	assertEvents(t, h, "canary.weight 10 canary")
	from, until := kv.window()
	if len(probesBetween(tl.all(), from, until)) < 8 {
		t.Errorf("the canary was not watched during the outage")
	}
}

// TestSaveWhoseAnswerWasLostIsAdopted: a save lands but its answer never
// comes back (the connection dropped after the commit). The next save
// conflicts with it; the rollout recognises its own write and goes on,
// with each history entry logged once.
func TestSaveWhoseAnswerWasLostIsAdopted(t *testing.T) {
	h, kv, e, _ := newOutageEngine(t)
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCanaryWeight && ev.Weight == 10 {
			kv.mu.Lock()
			kv.appliesLeft, kv.loseAnswer = 1, true // the step's advance
			kv.mu.Unlock()
		}
	}
	if _, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()}); err != nil {
		t.Fatalf("Deploy = %v, want the landed save adopted", err)
	}
	stored := h.deployment(testDepID)
	seen := map[string]int{}
	for _, tr := range h.history(stored) {
		seen[tr.From+" -> "+tr.To+": "+tr.Reason]++
	}
	for entry, n := range seen {
		if n > 1 {
			t.Errorf("history holds %q %d times", entry, n)
		}
	}
	if !h.historyHas(stored, "canary 10%: hook \"canary.weight\" accepted") || stored.Status != domain.StatusSucceeded {
		t.Errorf("stored %s, history:\n%s", stored.Status, strings.Join(h.historyReasons(stored), "\n"))
	}
}

// TestStoreOutageAfterThePromotionIsReconciledByTheNextApply: the store
// goes away just as the promote hook is sent. The rollout is complete, so
// nothing is held or rolled back; the error says the store still shows the
// promotion step, and the next apply sends the same promote event under
// the same key and records the release live.
func TestStoreOutageAfterThePromotionIsReconciledByTheNextApply(t *testing.T) {
	h, kv, e, _ := newOutageEngine(t)
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventPromote {
			kv.downFor(time.Hour)
		}
	}
	_, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()})
	var unrecorded *domain.UnrecordedError
	if !errors.As(err, &unrecorded) {
		t.Fatalf("Deploy = %v, want the completion unrecorded", err)
	}
	want := "The rollout of api@2 to api/prod completed: api@2 is live. The store could not record it (saving deployment api/prod: writing deployment \"api/prod\" in the store failed: " +
		"postgres store postgres://db.test/ocuroot: apply: failed to connect: connection refused): it still shows the rollout running at the promotion to 100% with 50% of traffic. " +
		"The next apply continues from there: it sends that step's hook again with the same Idempotency-Key, so the target can tell it is a repeat, and records it."
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error =\n%s\nwant\n%s", err, want)
	}
	first := h.hooks.all()

	kv.end()
	h.hooks.onSend = nil
	h.hooks.reset()
	d, err := e.Deploy(context.Background(), DeployRequest{Spec: outageSpec()})
	if err != nil {
		t.Fatalf("the next apply = %v", err)
	}
	again := h.hooks.all()
	assertEvents(t, h, "promote 100 stable")
	if again[0].Key != first[len(first)-1].Key {
		t.Errorf("the promote was sent again as %s, want the key of the first one, %s", again[0].Key, first[len(first)-1].Key)
	}
	assertNoKeyReusedForAnotherEvent(t, append(first, again...))
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
}
