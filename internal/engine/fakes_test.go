package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Shared fakes and fixtures of the rollout tests: a recording hook sender,
// a scripted checker, a KV that "crashes", and a harness that wires them
// into an engine on a store.MemoryKV.

// testStart is where every fake clock starts.
var testStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// sentHook is one recorded HookSender.Send call.
type sentHook struct {
	Type        string
	Weight      int
	Slot        string
	Release     string
	Previous    string
	Environment string
	Key         string
	Attempt     int
	RolloutID   string
	Step        int
	Reason      string
	// CtxErr is the context's error when the call was made: a rollback on a
	// detached context sees nil even after the caller cancelled.
	CtxErr error
	Failed bool // the scripted failure was returned
	// Config is the hook configuration the sender was handed.
	Config domain.HookConfig
}

// String renders "canary.weight 10 canary" for readable comparisons.
func (h sentHook) String() string {
	return fmt.Sprintf("%s %d %s", h.Type, h.Weight, h.Slot)
}

// fakeHooks records every Send. It can fail the Nth call of an event type,
// block an event type until released, and run a callback on each call.
type fakeHooks struct {
	mu      sync.Mutex
	calls   []sentHook
	counts  map[string]int
	failNth map[string]map[int]error
	// onSend runs (outside the lock) before the call returns.
	onSend func(ctx context.Context, ev domain.Event)
	// journal, when set, interleaves hook calls with check probes.
	journal *journal
	// timeline, when set, records each call with the clock's time.
	timeline *timeline
}

func newFakeHooks() *fakeHooks {
	return &fakeHooks{counts: map[string]int{}, failNth: map[string]map[int]error{}}
}

// failOn makes the nth (1-based) call of an event type return err.
func (f *fakeHooks) failOn(event string, nth int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNth[event] == nil {
		f.failNth[event] = map[int]error{}
	}
	f.failNth[event][nth] = err
}

func (f *fakeHooks) Send(ctx context.Context, cfg domain.HookConfig, key string, ev domain.Event) (domain.HookResult, error) {
	f.mu.Lock()
	f.counts[ev.Type]++
	err := f.failNth[ev.Type][f.counts[ev.Type]]
	f.calls = append(f.calls, sentHook{
		Type: ev.Type, Weight: ev.Weight, Slot: ev.Slot, Release: ev.Release, Previous: ev.PreviousRelease,
		Environment: ev.Environment, Key: key, Attempt: ev.Attempt, RolloutID: ev.RolloutID, Step: ev.Step, Reason: ev.Reason,
		CtxErr: ctx.Err(), Failed: err != nil, Config: cfg,
	})
	onSend, j, tl := f.onSend, f.journal, f.timeline
	f.mu.Unlock()
	if j != nil {
		j.add("hook " + ev.Type + " " + ev.Slot)
	}
	if tl != nil {
		tl.add(timelineEvent{Kind: "hook", Name: ev.Type, Slot: ev.Slot, Weight: ev.Weight, OK: err == nil, Key: key})
	}
	if onSend != nil {
		onSend(ctx, ev)
	}
	if err != nil {
		return domain.HookResult{}, err
	}
	return domain.HookResult{Attempts: 1, StatusCode: 200}, nil
}

func (f *fakeHooks) all() []sentHook {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentHook(nil), f.calls...)
}

// strings renders every call as "type weight slot".
func (f *fakeHooks) strings() []string {
	var out []string
	for _, c := range f.all() {
		out = append(out, c.String())
	}
	return out
}

func (f *fakeHooks) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
	f.counts = map[string]int{}
}

// journal is an ordered log shared by the fakes.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) all() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

// indexOf returns the position of the first entry equal to s, or -1.
func (j *journal) indexOf(s string) int {
	for i, e := range j.all() {
		if e == s {
			return i
		}
	}
	return -1
}

// timeline records hook calls and check probes, each with the clock's
// time and its result, plus markers a test sets (a resume); fault-injection
// tests read the target's view of a rollout from it.
type timeline struct {
	clock  domain.Clock
	mu     sync.Mutex
	events []timelineEvent
}

// timelineEvent is one hook call ("hook"), probe ("health", "metric") or
// marker ("mark").
type timelineEvent struct {
	At     time.Time
	Kind   string
	Name   string // event type, check name or marker
	Slot   string
	Weight int
	OK     bool // the hook was accepted, the probe passed
	Key    string
}

func (tl *timeline) add(ev timelineEvent) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	ev.At = tl.clock.Now()
	tl.events = append(tl.events, ev)
}

// mark records a marker and returns its position.
func (tl *timeline) mark(name string) int {
	tl.add(timelineEvent{Kind: "mark", Name: name})
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return len(tl.events) - 1
}

func (tl *timeline) all() []timelineEvent {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]timelineEvent(nil), tl.events...)
}

// record makes the harness's fakes write to a new timeline.
func (h *harness) record() *timeline {
	tl := &timeline{clock: h.clock}
	h.hooks.mu.Lock()
	h.hooks.timeline = tl
	h.hooks.mu.Unlock()
	h.checker.mu.Lock()
	h.checker.timeline = tl
	h.checker.mu.Unlock()
	return tl
}

// fakeChecker answers health and metric checks from a script. Unscripted
// checks pass.
type fakeChecker struct {
	mu sync.Mutex
	// unhealthySlots and unhealthyVersions fail the health check outright.
	unhealthySlots    map[string]bool
	unhealthyVersions map[string]bool
	// failHealthAfter > 0 makes every health probe after that many fail.
	failHealthAfter int
	// failingMetrics fail the named metric checks; failMetricAfter flips a
	// metric to failing after that many probes of it.
	failingMetrics  map[string]bool
	failMetricAfter map[string]int
	// delay makes every probe take that long on the wall clock.
	delay time.Duration

	healthProbes []domain.Placeholders
	metricProbes map[string]int
	journal      *journal
	timeline     *timeline
}

func newFakeChecker() *fakeChecker {
	return &fakeChecker{
		unhealthySlots: map[string]bool{}, unhealthyVersions: map[string]bool{},
		failingMetrics: map[string]bool{}, failMetricAfter: map[string]int{}, metricProbes: map[string]int{},
	}
}

func (c *fakeChecker) Health(ctx context.Context, hc domain.HealthCheck, vars domain.Placeholders) domain.CheckResult {
	c.pause(ctx)
	c.mu.Lock()
	c.healthProbes = append(c.healthProbes, vars)
	n := len(c.healthProbes)
	ok := !c.unhealthySlots[vars.Slot] && !c.unhealthyVersions[vars.Version] && (c.failHealthAfter <= 0 || n <= c.failHealthAfter)
	j, tl := c.journal, c.timeline
	c.mu.Unlock()
	if j != nil {
		j.add("health " + vars.Slot)
	}
	if tl != nil {
		tl.add(timelineEvent{Kind: "health", Name: "health", Slot: vars.Slot, OK: ok})
	}
	if ok {
		return domain.CheckResult{Name: "health", OK: true, Detail: "status 200"}
	}
	return domain.CheckResult{Name: "health", Detail: "status 503, expected 200"}
}

func (c *fakeChecker) Metric(ctx context.Context, mc domain.MetricCheck, vars domain.Placeholders) domain.CheckResult {
	c.pause(ctx)
	c.mu.Lock()
	c.metricProbes[mc.Name]++
	n := c.metricProbes[mc.Name]
	after := c.failMetricAfter[mc.Name]
	ok := !c.failingMetrics[mc.Name] && (after <= 0 || n <= after)
	j, tl := c.journal, c.timeline
	c.mu.Unlock()
	if j != nil {
		j.add("metric " + mc.Name + " " + vars.Slot)
	}
	if tl != nil {
		tl.add(timelineEvent{Kind: "metric", Name: mc.Name, Slot: vars.Slot, OK: ok})
	}
	if ok {
		v := 0.01
		return domain.CheckResult{Name: mc.Name, OK: true, Detail: mc.Name + " = 0.01, at or below max 0.05", Value: &v}
	}
	v := 0.4
	return domain.CheckResult{Name: mc.Name, Detail: mc.Name + " = 0.4, above max 0.05", Value: &v}
}

func (c *fakeChecker) pause(ctx context.Context) {
	if c.delay > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(c.delay):
		}
	}
}

// healthSlots lists the slot of every health probe, in order.
func (c *fakeChecker) healthSlots() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.healthProbes))
	for i, p := range c.healthProbes {
		out[i] = p.Slot
	}
	return out
}

func (c *fakeChecker) metricCount(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metricProbes[name]
}

// errCrash is what a crashed crashKV answers.
var errCrash = errors.New("simulated crash: the process died here")

// crashKV passes calls through to a KV until it has let limit Puts succeed;
// from then on every Put and Delete fails, as if the process had died at
// that write (a dead process does not release its lease either).
type crashKV struct {
	records.KV
	mu      sync.Mutex
	limit   int
	puts    int
	crashed bool
}

func (c *crashKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	c.mu.Lock()
	if c.puts >= c.limit {
		c.crashed = true
		c.mu.Unlock()
		return 0, errCrash
	}
	c.mu.Unlock()
	rev, err := c.KV.Put(ctx, kind, key, value, expect)
	if err == nil {
		c.mu.Lock()
		c.puts++
		c.mu.Unlock()
	}
	return rev, err
}

// Apply is one write, as a Put is: a deployment save and its history
// entries land together or, after the crash, not at all.
func (c *crashKV) Apply(ctx context.Context, writes []records.KVWrite) ([]int64, error) {
	c.mu.Lock()
	if c.puts >= c.limit {
		c.crashed = true
		c.mu.Unlock()
		return nil, errCrash
	}
	c.mu.Unlock()
	revs, err := c.KV.Apply(ctx, writes)
	if err == nil {
		c.mu.Lock()
		c.puts++
		c.mu.Unlock()
	}
	return revs, err
}

func (c *crashKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	c.mu.Lock()
	dead := c.crashed
	c.mu.Unlock()
	if dead {
		return errCrash
	}
	return c.KV.Delete(ctx, kind, key, expect)
}

// crashAfter lets n more Puts succeed, then dies: a kill at a moment the
// test picks (from a hook or probe callback) rather than at a fixed write.
func (c *crashKV) crashAfter(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = c.puts + n
}

func (c *crashKV) didCrash() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

// failingDeleteKV fails every Delete.
type failingDeleteKV struct{ records.KV }

func (failingDeleteKV) Delete(context.Context, string, string, int64) error { return errCrash }

// warnLogger keeps the warnings an engine logs.
type warnLogger struct {
	mu    sync.Mutex
	warns []string
}

func (l *warnLogger) Info(context.Context, string, map[string]any)  {}
func (l *warnLogger) Debug(context.Context, string, map[string]any) {}
func (l *warnLogger) Warn(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warns = append(l.warns, fmt.Sprintf("%s %v", msg, fields))
}

func (l *warnLogger) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.warns, "\n")
}

// harness is an engine on a store.MemoryKV with recording fakes.
type harness struct {
	t       testing.TB
	kv      *store.MemoryKV
	clock   domain.Clock
	hooks   *fakeHooks
	checker *fakeChecker
	e       *Engine
}

// Fixture names: package api in environment prod; releases api@1..api@4
// have one phase "production" holding prod.
const (
	testPackage = "api"
	testEnv     = "prod"
	testDepID   = "api/prod"
)

func releaseID(v int) string { return domain.ReleaseID(testPackage, fmt.Sprint(v)) }

// newHarness builds an engine on an auto clock and registers the fixture
// environment and releases.
func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessWith(t, enginetest.NewAutoClock(testStart), Options{})
}

func newHarnessWith(t testing.TB, clock domain.Clock, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, kv: store.NewMemoryKV(), clock: clock, hooks: newFakeHooks(), checker: newFakeChecker()}
	h.e = h.engine(h.kv, opts)
	ctx := context.Background()
	if _, err := h.e.PutEnvironment(ctx, domain.Environment{Name: testEnv, Attributes: map[string]string{"type": "prod"}}); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 4; v++ {
		h.register(domain.Release{Package: testPackage, Version: fmt.Sprint(v), Phases: []domain.Phase{{Name: "production", Environments: []string{testEnv}}}})
	}
	return h
}

// engine builds another engine on kv sharing the harness's clock and fakes.
func (h *harness) engine(kv records.KV, opts Options) *Engine {
	opts.Store = records.NewStore(kv)
	if opts.Clock == nil {
		opts.Clock = h.clock
	}
	if opts.Hooks == nil {
		opts.Hooks = h.hooks
	}
	if opts.Checker == nil {
		opts.Checker = h.checker
	}
	if opts.Credentials == nil {
		opts.Credentials = testCredentials
	}
	return New(opts)
}

func (h *harness) register(rel domain.Release) {
	h.t.Helper()
	if _, err := h.e.RegisterRelease(context.Background(), rel); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) env(name string, attrs map[string]string) {
	h.t.Helper()
	if _, err := h.e.PutEnvironment(context.Background(), domain.Environment{Name: name, Attributes: attrs}); err != nil {
		h.t.Fatal(err)
	}
}

// deployment reads the stored record.
func (h *harness) deployment(id string) *domain.Deployment {
	h.t.Helper()
	d, err := h.e.GetDeployment(context.Background(), id)
	if err != nil {
		h.t.Fatalf("reading %s: %v", id, err)
	}
	return d
}

// seedLive makes api@1 live in prod with a direct deployment, then forgets
// the hooks and probes it caused.
func (h *harness) seedLive(v int) {
	h.t.Helper()
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(v)
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		h.t.Fatalf("seeding %s: %v", spec.Release, err)
	}
	h.hooks.reset()
	h.checker.mu.Lock()
	h.checker.healthProbes = nil
	h.checker.metricProbes = map[string]int{}
	h.checker.mu.Unlock()
}

func (h *harness) now() time.Time { return h.clock.Now() }

// testHook is where the fakes "send" events. Its secret is a named
// credential, as every engine of a test (every "process") is configured
// with testCredentials, so a promotion or a resume in another engine signs
// like the one that started the rollout.
var testHook = domain.HookConfig{URL: "http://hooks.test/ocuroot", Credential: "hooks"}

// testCredentials are the provider-level credentials of every test engine.
var testCredentials = map[string]domain.Credential{"hooks": {HookSecret: "s3cret"}}

// testSpec is a deployment of api@2 into prod with a hook and a health
// check probed every minute.
func testSpec(strategy domain.Strategy) domain.DeploymentSpec {
	hook := testHook
	return domain.DeploymentSpec{
		Package: testPackage, Environment: testEnv, Release: releaseID(2), Strategy: strategy,
		Hook:        &hook,
		HealthCheck: &domain.HealthCheck{URL: "http://app.test/{slot}/health", Interval: time.Minute},
	}
}

// canarySpec is a canary of 10% then 50%, each baking 30 minutes with a
// check round every minute.
func canarySpec() domain.DeploymentSpec {
	spec := testSpec(domain.StrategyCanary)
	spec.Canary = domain.CanarySpec{
		Steps:         []domain.CanaryStep{{Weight: 10, Bake: 30 * time.Minute}, {Weight: 50, Bake: 30 * time.Minute}},
		CheckInterval: time.Minute, FailureThreshold: 2,
	}
	spec.Checks = []domain.MetricCheck{{Name: "error_rate", URL: "http://metrics.test/{slot}", Path: "error_rate"}}
	return spec
}

// history reads a deployment's whole history, as History returns it.
func (h *harness) history(d *domain.Deployment) []domain.Transition {
	h.t.Helper()
	entries, err := h.e.HistoryOf(context.Background(), d, 0)
	if err != nil {
		h.t.Fatalf("reading the history of %s: %v", d.ID(), err)
	}
	return entries
}

// historyReasons lists the reasons of a deployment's history.
func (h *harness) historyReasons(d *domain.Deployment) []string {
	history := h.history(d)
	out := make([]string, len(history))
	for i, tr := range history {
		out[i] = tr.Reason
	}
	return out
}

// historyHas reports whether some transition's reason contains every part.
func (h *harness) historyHas(d *domain.Deployment, parts ...string) bool {
	for _, tr := range h.history(d) {
		all := true
		for _, p := range parts {
			if !strings.Contains(tr.Reason, p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eventually polls cond on the wall clock until it holds or a few seconds
// pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// isRolloutID reports whether id is the nth rollout of release with its
// random suffix: "<release>-<n>-<6 hex>".
func isRolloutID(id, release string, n int) bool {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(fmt.Sprintf("%s-%d-", release, n)) + `[0-9a-f]{6}$`).MatchString(id)
}

// isKey reports whether key is the idempotency key of call's own rollout
// for the step and event in rest ("step-0/deploy"), and that rollout is
// the nth of release.
func isKey(call sentHook, release string, n int, rest string) bool {
	return isRolloutID(call.RolloutID, release, n) && call.Key == testDepID+"/"+call.RolloutID+"/"+rest
}

// resolvedForPlanning resolves a planning test's spec. Those specs name no
// package or environment, which planning never reads: it gives them one, so
// they pass through Resolve like every spec that is planned.
func resolvedForPlanning(spec domain.DeploymentSpec) domain.ResolvedSpec {
	spec.Package = cmp.Or(spec.Package, "api")
	spec.Environment = cmp.Or(spec.Environment, "prod")
	resolved, err := domain.Resolve(spec)
	if err != nil {
		panic(fmt.Sprintf("the test spec does not resolve: %v", err))
	}
	return resolved
}

// floatPtr points at a copy of v, for the optional bounds of a check.
func floatPtr(v float64) *float64 { return &v }
