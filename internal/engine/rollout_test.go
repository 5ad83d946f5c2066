package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// assertEvents compares the hooks sent with "type weight slot" lines.
func assertEvents(t *testing.T, h *harness, want ...string) {
	t.Helper()
	if got := h.hooks.strings(); !equalStrings(got, want) {
		t.Errorf("hook calls = %q\n want %q", got, want)
	}
}

// assertState checks the externally visible fields of a deployment.
func assertState(t *testing.T, d *domain.Deployment, status domain.Status, live, pending string, traffic int) {
	t.Helper()
	if d.Status != status || d.LiveRelease != live || d.PendingRelease != pending || d.TrafficPercent != traffic {
		t.Errorf("deployment = status %s, live %q, pending %q, traffic %d%%; want %s, %q, %q, %d%%",
			d.Status, d.LiveRelease, d.PendingRelease, d.TrafficPercent, status, live, pending, traffic)
	}
}

// asRolloutError unwraps a *RolloutError or fails the test.
func asRolloutError(t *testing.T, err error) *domain.RolloutError {
	t.Helper()
	var rerr *domain.RolloutError
	if !errors.As(err, &rerr) {
		t.Fatalf("err = %v (%T), want a *RolloutError", err, err)
	}
	return rerr
}

func assertLeaseFree(t *testing.T, kv records.KV, id string) {
	t.Helper()
	if _, _, err := kv.Get(context.Background(), records.KindLease, id); !records.IsNotFound(err) {
		t.Errorf("lease of %s still held after the operation (err = %v)", id, err)
	}
}

func TestDeployDirectCreate(t *testing.T) {
	h := newHarness(t)
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "deploy 100 stable")
	call := h.hooks.all()[0]
	if call.Release != "api@1" || call.Previous != "" || call.Environment != "prod" || call.Attempt != 1 ||
		!isKey(call, "api@1", 1, "step-0/deploy") {
		t.Errorf("deploy call = %+v", call)
	}
	if got := h.checker.healthSlots(); !equalStrings(got, []string{"stable"}) {
		t.Errorf("health probes = %v, want one of the stable slot", got)
	}
	assertState(t, d, domain.StatusSucceeded, "api@1", "", 100)
	if stored := h.deployment(testDepID); stored.Status != domain.StatusSucceeded || stored.LiveRelease != "api@1" {
		t.Errorf("stored = %s/%s", stored.Status, stored.LiveRelease)
	}
	if d.Rollout.State != domain.RolloutSucceeded || d.Rollout.StepIndex != 2 {
		t.Errorf("rollout = %s at %d", d.Rollout.State, d.Rollout.StepIndex)
	}
	var got []string
	for _, tr := range h.history(d) {
		got = append(got, fmt.Sprintf("%s → %s: %s", tr.From, tr.To, tr.Reason))
	}
	want := []string{
		"pending → in_progress: direct deployment: deploy → wait until stable is healthy",
		`deploy → wait for health of stable: deploy: hook "deploy" accepted (HTTP 200 after 1 attempt(s))`,
		"wait for health of stable → complete: stable healthy after 1 probe(s)",
		"in_progress → succeeded: api@1 is live: completed all 2 steps in 0s",
	}
	if !equalStrings(got, want) {
		t.Errorf("history =\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	assertLeaseFree(t, h.kv, testDepID)

	// Applying the same release again changes nothing.
	h.hooks.reset()
	again, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	if err != nil || len(h.hooks.all()) != 0 || len(h.history(again)) != len(h.history(d)) {
		t.Errorf("re-deploying the live release: err %v, hooks %v, history %d→%d", err, h.hooks.strings(), len(h.history(d)), len(h.history(again)))
	}
}

func TestDeployCanaryUpdate(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	// What the store says as each hook goes out: every step is persisted
	// before the next side effect.
	var trafficAtSend []int
	h.hooks.onSend = func(ctx context.Context, ev domain.Event) {
		d, _ := h.e.GetDeployment(ctx, testDepID)
		trafficAtSend = append(trafficAtSend, d.TrafficPercent)
	}
	start := h.now()
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: canarySpec()})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable")
	if fmt.Sprint(trafficAtSend) != "[0 10 50]" {
		t.Errorf("stored traffic when each hook was sent = %v, want [0 10 50]", trafficAtSend)
	}
	if waited := h.now().Sub(start); waited < time.Hour {
		t.Errorf("the fake clock advanced %s, want at least the 1h of bakes", waited)
	}
	slots := h.checker.healthSlots()
	if len(slots) != 60 {
		t.Errorf("%d health probes, want 60 (one a minute through two 30m bakes)", len(slots))
	}
	for _, s := range slots {
		if s != domain.SlotCanary {
			t.Fatalf("health probe of slot %q during a canary bake", s)
		}
	}
	if n := h.checker.metricCount("error_rate"); n != 60 {
		t.Errorf("%d error_rate probes, want 60", n)
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if d.Rollout.ChecksPassed != 60 || d.Rollout.ChecksFailed != 0 {
		t.Errorf("checks passed/failed = %d/%d", d.Rollout.ChecksPassed, d.Rollout.ChecksFailed)
	}
	// Step transitions go from one step to the next; the others from a
	// deployment status.
	statuses := map[string]bool{}
	for _, s := range []domain.Status{domain.StatusPending, domain.StatusInProgress, domain.StatusAwaitingPromotion, domain.StatusSucceeded, domain.StatusRolledBack, domain.StatusFailed, domain.StatusTornDown} {
		statuses[string(s)] = true
	}
	var steps []string
	for _, tr := range h.history(d) {
		if !statuses[tr.From] && tr.Release == "api@2" {
			steps = append(steps, tr.From+" → "+tr.To)
		}
	}
	wantSteps := []string{
		"canary step 1 of 2: weight 10% → canary step 1 of 2: bake 30m",
		"canary step 1 of 2: bake 30m → canary step 2 of 2: weight 50%",
		"canary step 2 of 2: weight 50% → canary step 2 of 2: bake 30m",
		"canary step 2 of 2: bake 30m → promotion to 100%",
		"promotion to 100% → complete",
	}
	if !equalStrings(steps, wantSteps) {
		t.Errorf("step history =\n %s\nwant\n %s", strings.Join(steps, "\n "), strings.Join(wantSteps, "\n "))
	}
	for _, phrase := range []string{"baked 30m at 10%: 30 check round(s) passed, 0 failed", "baked 30m at 50%: 30 check round(s) passed, 0 failed",
		"canary in 2 steps: canary 10% bake 30m → canary 50% bake 30m → promote to 100%"} {
		if !h.historyHas(d, phrase) {
			t.Errorf("history lacks %q:\n %s", phrase, strings.Join(h.historyReasons(d), "\n "))
		}
	}
	for _, c := range h.hooks.all() {
		if c.Release != "api@2" || c.Previous != "api@1" {
			t.Errorf("%s sent release %q previous %q", c.Type, c.Release, c.Previous)
		}
	}
}

func TestDeployCanaryRollsBackOnFailingHealth(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.failHealthAfter = 30 // the first bake passes, the second fails
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: canarySpec()})
	rerr := asRolloutError(t, err)
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "rollback 0 canary")
	wantReason := `check "health" failed 2 consecutive time(s) (failure_threshold 2) while baking at 50% traffic; last: status 503, expected 200`
	if rerr.Step != "canary step 2 of 2 (weight 50%, bake 30m)" || rerr.Reason != wantReason || !rerr.RolledBack || rerr.RestoredRelease != "api@1" ||
		rerr.Timeout || rerr.Interrupted || rerr.Resumable || rerr.RollbackErr != nil {
		t.Errorf("RolloutError = %+v", *rerr)
	}
	wantMsg := "rollout of api@2 to api/prod failed at canary step 2 of 2 (weight 50%, bake 30m): " + wantReason +
		". Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1."
	if err.Error() != wantMsg {
		t.Errorf("message =\n %s\nwant\n %s", err, wantMsg)
	}
	rollback := h.hooks.all()[2]
	if rollback.Release != "api@2" || rollback.Previous != "api@1" || rollback.Reason != wantReason || !isKey(rollback, "api@2", 2, "rollback/rollback") {
		t.Errorf("rollback call = %+v", rollback)
	}
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
	stored := h.deployment(testDepID)
	assertState(t, stored, domain.StatusRolledBack, "api@1", "", 0)
	if stored.Rollout.State != domain.RolloutRolledBack || stored.Rollout.RollbackSlot != domain.SlotCanary || stored.Rollout.FailureReason != wantReason {
		t.Errorf("rollout = %s, slot %q, reason %q", stored.Rollout.State, stored.Rollout.RollbackSlot, stored.Rollout.FailureReason)
	}
	last := *stored.LastTransition
	if last.To != string(domain.StatusRolledBack) || last.Reason != "rolled back to api@1 (canary slot): "+wantReason {
		t.Errorf("last transition = %+v", last)
	}
	assertLeaseFree(t, h.kv, testDepID)
}

func TestDeployCanaryHookFailureRollsBack(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.hooks.failOn(domain.EventCanaryWeight, 2, errors.New(`hook "canary.weight" to http://hooks.test/ocuroot failed after 4 attempts: HTTP 503`))
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: canarySpec()})
	rerr := asRolloutError(t, err)
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "rollback 0 canary")
	if rerr.Step != "canary step 2 of 2 (weight 50%, bake 30m)" || !strings.Contains(rerr.Reason, "failed after 4 attempts: HTTP 503") || !rerr.RolledBack {
		t.Errorf("RolloutError = %+v", *rerr)
	}
	assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
}

func TestDeployRollbackHookFailureLeavesFailed(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.failHealthAfter = 1
	h.hooks.failOn(domain.EventRollback, 1, errors.New("connection refused"))
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: canarySpec()})
	rerr := asRolloutError(t, err)
	if rerr.RolledBack || rerr.RollbackErr == nil || !strings.Contains(err.Error(), "Rolling back also failed: connection refused") {
		t.Errorf("err = %v", err)
	}
	if d.Status != domain.StatusFailed || d.Rollout.State != domain.RolloutFailed || !h.historyHas(d, "rollback to api@1 failed: connection refused") {
		t.Errorf("deployment = %s / %s; history %q", d.Status, d.Rollout.State, h.historyReasons(d))
	}
}

func TestDeployBlueGreenAutomatic(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	j := &journal{}
	h.hooks.journal, h.checker.journal = j, j
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: testSpec(domain.StrategyBlueGreen)})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "green.create 0 green", "cutover 100 green", "blue.drain 100 blue")
	healthy, cutover := j.indexOf("health green"), j.indexOf("hook cutover green")
	if healthy < 0 || healthy > cutover || j.indexOf("hook green.create green") > healthy {
		t.Errorf("order = %v: green must be created, then found healthy, then get the traffic", j.all())
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
}

func TestDeployBlueGreenManualPromotion(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ManualPromotion = true
	ctx := context.Background()
	d, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "green.create 0 green")
	assertState(t, d, domain.StatusAwaitingPromotion, "api@1", "api@2", 0)
	if !h.historyHas(d, "api@2 is ready at 0% traffic; waiting to be promoted (live: api@1)") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
	assertLeaseFree(t, h.kv, testDepID)

	// Re-applying at the gate neither moves traffic nor repeats a step.
	if again, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil || again.Status != domain.StatusAwaitingPromotion {
		t.Fatalf("re-apply at the gate: %v, %v", again.Status, err)
	}
	assertEvents(t, h, "green.create 0 green")

	if err := h.e.CanPromote(ctx, testDepID, "api@2"); err != nil {
		t.Errorf("CanPromote = %v", err)
	}
	d, err = h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice", Note: "ship it"})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "green.create 0 green", "cutover 100 green", "blue.drain 100 blue")
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if p := d.Rollout.Promotion; p == nil || p.By != "alice" || p.Note != "ship it" || p.Release != "api@2" {
		t.Errorf("promotion = %+v", p)
	}
	if !h.historyHas(d, "promoted by alice: ship it") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
	// The hook remembered from Deploy (secret included) was used.
	for _, c := range h.hooks.all() {
		if c.Key == "" || !isRolloutID(c.RolloutID, "api@2", 2) || c.RolloutID != h.hooks.all()[0].RolloutID {
			t.Errorf("call %+v", c)
		}
	}
	assertLeaseFree(t, h.kv, testDepID)
}

func TestDeployCanaryManualPromotion(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := canarySpec()
	spec.Canary.ManualPromotion = true
	ctx := context.Background()
	d, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary")
	assertState(t, d, domain.StatusAwaitingPromotion, "api@1", "api@2", 50)

	d, err = h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable")
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if !h.historyHas(d, "promoted by ci") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
}

func TestDeployBlueGreenPromotionChecks(t *testing.T) {
	checks := []domain.MetricCheck{{Name: "error_rate", URL: "http://metrics.test/{slot}", Path: "error_rate"}}
	tests := []struct {
		name       string
		pre, post  bool
		wantEvents []string
		wantStep   string
		wantReason string
		wantSlot   string
	}{
		{
			name: "post-promotion failure switches back to blue", post: true,
			wantEvents: []string{"green.create 0 green", "cutover 100 green", "rollback 0 blue"},
			wantStep:   "the post-promotion checks", wantSlot: domain.SlotBlue,
			wantReason: `post-promotion check "error_rate" failed 3 time(s): error_rate = 0.4, above max 0.05`,
		},
		{
			name: "pre-promotion failure discards green", pre: true,
			wantEvents: []string{"green.create 0 green", "rollback 0 green"},
			wantStep:   "the pre-promotion checks", wantSlot: domain.SlotGreen,
			wantReason: `pre-promotion check "error_rate" failed 3 time(s): error_rate = 0.4, above max 0.05`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			h.checker.failingMetrics["error_rate"] = true
			spec := testSpec(domain.StrategyBlueGreen)
			if tt.pre {
				spec.BlueGreen.PrePromotionCheck = checks
			}
			if tt.post {
				spec.BlueGreen.PostPromotionCheck = checks
			}
			start := h.now()
			d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
			rerr := asRolloutError(t, err)
			assertEvents(t, h, tt.wantEvents...)
			if rerr.Step != tt.wantStep || rerr.Reason != tt.wantReason || !rerr.RolledBack || rerr.RestoredRelease != "api@1" {
				t.Errorf("RolloutError = %+v", *rerr)
			}
			if n := h.checker.metricCount("error_rate"); n != 3 {
				t.Errorf("%d tries, want 3 (failure_threshold)", n)
			}
			if waited := h.now().Sub(start); waited < 2*time.Minute {
				t.Errorf("tries were %s apart in total, want the check interval between them", waited)
			}
			assertState(t, d, domain.StatusRolledBack, "api@1", "", 0)
			if d.Rollout.RollbackSlot != tt.wantSlot {
				t.Errorf("rollback slot = %q, want %q", d.Rollout.RollbackSlot, tt.wantSlot)
			}
		})
	}
}

func TestDeployProgressDeadline(t *testing.T) {
	wantReason := "health check of the stable slot did not pass within the progress deadline of 5m (6 probes; last: status 503, expected 200)"
	tests := []struct {
		name       string
		onTimeout  domain.TimeoutAction
		wantEvents []string
		wantStatus domain.Status
		wantLive   string
		wantTraf   int
		wantMsg    string
	}{
		{"rollback", domain.OnTimeoutRollback, []string{"deploy 100 stable", "rollback 0 stable"}, domain.StatusRolledBack, "api@1", 0,
			"100% of traffic is back on api@1"},
		{"fail", domain.OnTimeoutFail, []string{"deploy 100 stable"}, domain.StatusFailed, "api@2", 100,
			`Traffic was left as it is (on_timeout = "fail" or nothing to restore)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			h.checker.unhealthyVersions["2"] = true
			spec := testSpec(domain.StrategyDirect)
			spec.ProgressDeadline = 5 * time.Minute
			spec.OnTimeout = tt.onTimeout
			start := h.now()
			d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
			rerr := asRolloutError(t, err)
			if !rerr.Timeout || rerr.Reason != wantReason || rerr.Step != "the wait for health of stable" || rerr.Resumable {
				t.Errorf("RolloutError = %+v", *rerr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q lacks %q", err, tt.wantMsg)
			}
			if waited := h.now().Sub(start); waited < 5*time.Minute {
				t.Errorf("gave up after %s of fake time, want the 5m deadline", waited)
			}
			assertEvents(t, h, tt.wantEvents...)
			assertState(t, d, tt.wantStatus, tt.wantLive, "", tt.wantTraf)
			if tt.onTimeout == domain.OnTimeoutFail && !h.historyHas(d, "failed at the wait for health of stable", "traffic left at 100%") {
				t.Errorf("history = %q", h.historyReasons(d))
			}
		})
	}
}

// TestBlueGreenChecksHaveTheirOwnPace: blue_green's failure_threshold and
// check_interval pace the promotion checks without any canary settings.
func TestBlueGreenChecksHaveTheirOwnPace(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.failingMetrics["error_rate"] = true
	max := 0.05
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.PostPromotionCheck = []domain.MetricCheck{{Name: "error_rate", URL: "http://metrics", Path: "error_rate", Max: &max}}
	spec.BlueGreen.FailureThreshold = 5
	spec.BlueGreen.CheckInterval = time.Hour
	start := h.now()
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	if rerr := asRolloutError(t, err); !strings.Contains(rerr.Reason, "failed 5 time(s)") {
		t.Errorf("reason = %q, want 5 tries", rerr.Reason)
	}
	if n := h.checker.metricCount("error_rate"); n != 5 {
		t.Errorf("%d tries, want 5", n)
	}
	if waited := h.now().Sub(start); waited < 4*time.Hour {
		t.Errorf("tries spanned %s, want 4 intervals of 1h", waited)
	}
}

// TestDeployRetriesARolloutThatFailedWithTrafficLeft: with on_timeout =
// "fail" a direct update leaves the new release receiving traffic. Applying
// the same release again must run the whole rollout again (deploy, then
// health) against the release it replaced, not declare it live unchecked.
func TestDeployRetriesARolloutThatFailedWithTrafficLeft(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.checker.unhealthyVersions["2"] = true
	spec := testSpec(domain.StrategyDirect)
	spec.ProgressDeadline = time.Minute
	spec.OnTimeout = domain.OnTimeoutFail
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err == nil {
		t.Fatal("first deploy of an unhealthy release succeeded")
	}
	delete(h.checker.unhealthyVersions, "2")
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	assertEvents(t, h, "deploy 100 stable", "deploy 100 stable")
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if d.Rollout.PreviousRelease != "api@1" {
		t.Errorf("retry replaced %q, want api@1", d.Rollout.PreviousRelease)
	}
}

// TestDeployFirstDeploymentFailureHasNothingToRestore: with no previous
// release a failure cannot roll back; the rollout is marked failed.
func TestDeployFirstDeploymentFailureHasNothingToRestore(t *testing.T) {
	h := newHarness(t)
	h.hooks.failOn(domain.EventDeploy, 1, errors.New("HTTP 400: bad artifact"))
	spec := testSpec(domain.StrategyDirect)
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	rerr := asRolloutError(t, err)
	if rerr.RolledBack || !strings.HasSuffix(rerr.Reason, "HTTP 400: bad artifact; nothing to roll back to (first deployment into this environment)") {
		t.Errorf("RolloutError = %+v", *rerr)
	}
	assertEvents(t, h, "deploy 100 stable")
	if d.Status != domain.StatusFailed || d.LiveRelease != "" {
		t.Errorf("deployment = %s live %q", d.Status, d.LiveRelease)
	}
}

func TestPromoteRefusesReleaseNotPending(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	tests := []struct {
		deployment, release string
		want                string
	}{
		{testDepID, "api@1", "release api@1 is not pending promotion in api/prod (live: api@1, pending: none, status: succeeded). " +
			"A promotion only applies to the release waiting at awaiting_promotion; each new release needs its own promotion"},
		{testDepID, "api@3", "release api@3 is not pending promotion in api/prod"},
		{"api/nowhere", "api@1", "deployment api/nowhere does not exist in the store; nothing to promote"},
	}
	for _, tt := range tests {
		_, err := h.e.Promote(ctx, PromoteRequest{Deployment: tt.deployment, Release: tt.release, By: "alice"})
		var refused *PromotionRefusedError
		if !errors.As(err, &refused) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Promote(%s, %s) = %v, want refusal %q", tt.deployment, tt.release, err, tt.want)
		}
	}
	var refused *PromotionRefusedError
	if err := h.e.CanPromote(ctx, testDepID, "api@1"); !errors.As(err, &refused) {
		t.Errorf("CanPromote = %v, want a refusal", err)
	}
	if len(h.hooks.all()) != 0 {
		t.Errorf("a refused promotion sent %v", h.hooks.strings())
	}
}

func TestPromoteWaitsForTheGate(t *testing.T) {
	clock := enginetest.NewManualClock(testStart)
	h := newHarnessWith(t, clock, Options{PollInterval: 10 * time.Second})
	h.seedLive(1)
	spec := canarySpec()
	spec.Canary.Steps = []domain.CanaryStep{{Weight: 10, Bake: 5 * time.Minute}}
	spec.Canary.ManualPromotion = true
	ctx := context.Background()

	type result struct {
		d   *domain.Deployment
		err error
	}
	deployed, promoted := make(chan result, 1), make(chan result, 1)
	go func() {
		d, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
		deployed <- result{d, err}
	}()
	eventually(t, "the canary bakes", func() bool { return clock.Waiters() == 1 })
	go func() {
		d, err := h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
		promoted <- result{d, err}
	}()
	eventually(t, "the promotion waits", func() bool { return clock.Waiters() == 2 })

	var p result
	deadline := time.Now().Add(5 * time.Second)
	for done := false; !done; {
		select {
		case p = <-promoted:
			done = true
		default:
			if time.Now().After(deadline) {
				t.Fatalf("promotion never finished; hooks %v", h.hooks.strings())
			}
			if clock.Waiters() > 0 {
				clock.Increment(30 * time.Second)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	dep := <-deployed
	if dep.err != nil || dep.d.Status != domain.StatusAwaitingPromotion {
		t.Fatalf("Deploy = %v, %v; want it to stop at the gate", dep.d.Status, dep.err)
	}
	if p.err != nil {
		t.Fatalf("Promote: %v", p.err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "promote 100 stable")
	assertState(t, p.d, domain.StatusSucceeded, "api@2", "", 100)
	if clock.Now().Sub(testStart) < 5*time.Minute {
		t.Errorf("promotion finished at %s, before the 5m bake", clock.Now().Sub(testStart))
	}
}

// TestPromoteGivesUpWaiting: a rollout that never reaches its gate within
// the promotion's timeout ends the wait with an error saying why.
func TestPromoteGivesUpWaiting(t *testing.T) {
	h := newHarnessWith(t, domain.RealClock{}, Options{PollInterval: 2 * time.Millisecond})
	h.seedLive(1)
	ctx := context.Background()
	// A rollout stuck before its gate, as a killed Deploy leaves it.
	d := h.deployment(testDepID)
	steps, _ := rollout.PlanRollout(resolvedForPlanning(domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{ManualPromotion: true}}), true)
	d.Rollout = &domain.Rollout{ID: "api@2-2", Release: "api@2", PreviousRelease: "api@1", Steps: steps, State: domain.RolloutRunning}
	if err := h.e.Store().SaveDeployment(ctx, d); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "gave up waiting for api/prod to reach awaiting_promotion for api@2 (api@2 is still rolling out to api/prod (currently at the creation of green))") {
		t.Errorf("err = %v", err)
	}
}

func TestTeardown(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	hook := testHook
	if err := h.e.Teardown(ctx, testPackage, testEnv, &hook); err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "teardown 0 ")
	if c := h.hooks.all()[0]; c.Release != "api@1" || !isKey(c, "teardown", 1, "teardown/teardown") {
		t.Errorf("teardown call = %+v", c)
	}
	d := h.deployment(testDepID)
	assertState(t, d, domain.StatusTornDown, "", "", 0)
	if last := *d.LastTransition; last.Reason != "teardown event accepted; deployment destroyed" || last.Release != "api@1" {
		t.Errorf("last transition = %+v", last)
	}
	assertLeaseFree(t, h.kv, testDepID)
	live, err := h.e.LiveDeploymentsIn(ctx, testEnv)
	if err != nil || len(live) != 0 {
		t.Errorf("live deployments after teardown = %v, %v", live, err)
	}

	// A deployment created again after a teardown starts empty: a canary
	// has nothing to protect and goes direct.
	h.hooks.reset()
	d, err = h.e.Deploy(ctx, DeployRequest{Spec: canarySpec()})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "deploy 100 stable")
	if !h.historyHas(d, "first deployment into an empty environment") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
}

func TestTeardownHookFailure(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	h.hooks.failOn(domain.EventTeardown, 1, errors.New("HTTP 500"))
	hook := testHook
	err := h.e.Teardown(context.Background(), testPackage, testEnv, &hook)
	if err == nil || err.Error() != "tearing down api/prod: HTTP 500" {
		t.Errorf("err = %v", err)
	}
	if d := h.deployment(testDepID); d.Status != domain.StatusSucceeded || d.LiveRelease != "api@1" {
		t.Errorf("a failed teardown changed the record: %s %s", d.Status, d.LiveRelease)
	}
}

func TestDeployFirstDeploymentWithCanaryGoesDirect(t *testing.T) {
	h := newHarness(t)
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: canarySpec()})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "deploy 100 stable")
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	want := "first deployment into an empty environment: nothing to protect with canary, deploying directly: deploy → wait until stable is healthy"
	if first := h.history(d)[0]; first.Reason != want {
		t.Errorf("first transition = %q, want %q", first.Reason, want)
	}
}

// TestDeploySeedsFromTerraformState: a fresh runner with an empty store
// still canaries against what Terraform state says is live.
func TestDeploySeedsFromTerraformState(t *testing.T) {
	h := newHarness(t)
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: canarySpec(), KnownLiveRelease: "api@1"})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "canary.weight 50 canary", "promote 100 stable")
	if first := h.history(d)[0]; first.Reason != "restored from Terraform state: the store had no record of this deployment" || d.Rollout.PreviousRelease != "api@1" {
		t.Errorf("history[0] = %q, previous = %q", first.Reason, d.Rollout.PreviousRelease)
	}
}

func TestDeploySupersedesUnfinishedRollout(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ManualPromotion = true
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	spec.Release = releaseID(3)
	d, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "green.create 0 green", "rollback 0 green", "green.create 0 green")
	calls := h.hooks.all()
	if calls[1].Release != "api@2" || !isKey(calls[1], "api@2", 2, "superseded/rollback") || calls[2].Release != "api@3" || calls[2].Previous != "api@1" {
		t.Errorf("calls = %+v", calls)
	}
	assertState(t, d, domain.StatusAwaitingPromotion, "api@1", "api@3", 0)
	if !h.historyHas(d, "rollout of api@2 superseded by api@3 and withdrawn") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
	// The superseded release can no longer be promoted.
	var refused *PromotionRefusedError
	if _, err := h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"}); !errors.As(err, &refused) {
		t.Errorf("promoting the superseded release: %v", err)
	}
}

// TestDeploySupersedesAfterCutover: a rollout interrupted after its cutover
// is withdrawn by switching back to blue, so the next rollout starts from
// the release blue serves.
func TestDeploySupersedesAfterCutover(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ScaleDownDelay = 10 * time.Minute
	spec.OnTimeout = domain.OnTimeoutFail
	ctx, cancel := context.WithCancel(context.Background())
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Type == domain.EventCutover {
			cancel()
		}
	}
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	if rerr := asRolloutError(t, err); !rerr.Resumable || !rerr.Interrupted || rerr.Step != "the scale-down delay (10m)" {
		t.Fatalf("RolloutError = %+v", *rerr)
	}
	if d := h.deployment(testDepID); d.LiveRelease != "api@2" || d.Rollout.State != domain.RolloutRunning {
		t.Fatalf("after the interrupt: live %q, rollout %s", d.LiveRelease, d.Rollout.State)
	}
	h.hooks.onSend = nil

	direct := testSpec(domain.StrategyDirect)
	direct.Release = releaseID(3)
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: direct})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "green.create 0 green", "cutover 100 green", "rollback 0 blue", "deploy 100 stable")
	if d.Rollout.PreviousRelease != "api@1" {
		t.Errorf("the new rollout replaces %q, want api@1 (blue serves again after the withdrawal)", d.Rollout.PreviousRelease)
	}
	assertState(t, d, domain.StatusSucceeded, "api@3", "", 100)
}

func TestDeployRejectsBadRequests(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tests := []struct {
		name string
		mod  func(*domain.DeploymentSpec)
		want string
	}{
		{"unknown release", func(s *domain.DeploymentSpec) { s.Release = "api@99" }, "release api@99 is not registered"},
		{"release of another package", func(s *domain.DeploymentSpec) { s.Package = "web" }, `release api@2 belongs to package "api", not "web"`},
		{"unknown environment", func(s *domain.DeploymentSpec) { s.Environment = "mars" }, `environment "mars" is not registered`},
		{"bad strategy", func(s *domain.DeploymentSpec) { s.Strategy = "yolo" }, `strategy "yolo" is not one of [direct canary blue_green]`},
		{"canary without steps", func(s *domain.DeploymentSpec) { s.Strategy = domain.StrategyCanary }, "the canary strategy needs at least one canary step"},
		{"decreasing weights", func(s *domain.DeploymentSpec) {
			s.Strategy, s.Canary.Steps = domain.StrategyCanary, []domain.CanaryStep{{Weight: 50}, {Weight: 10}}
		}, "canary step 2: weight 10 is lower than the step before (50)"},
		{"weight out of range", func(s *domain.DeploymentSpec) {
			s.Strategy, s.Canary.Steps = domain.StrategyCanary, []domain.CanaryStep{{Weight: 0}}
		}, "canary step 1: weight 0 must be between 1 and 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(domain.StrategyDirect)
			tt.mod(&spec)
			_, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if len(h.hooks.all()) != 0 {
		t.Errorf("rejected requests sent %v", h.hooks.strings())
	}
}

// TestDeployConcurrentDeploymentsOfOneRelease runs many environments of one
// phase at once on one engine (the provider's parallelism).
func TestDeployConcurrentDeploymentsOfOneRelease(t *testing.T) {
	h := newHarness(t)
	const n = 20
	var envs []string
	for i := range n {
		name := fmt.Sprintf("edge%02d", i)
		envs = append(envs, name)
		h.env(name, nil)
	}
	h.register(domain.Release{Package: "cdn", Version: "7", Phases: []domain.Phase{{Name: "all", Environments: envs}}})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, env := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hook := testHook
			_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: domain.DeploymentSpec{Package: "cdn", Environment: env, Release: "cdn@7", Hook: &hook}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(h.hooks.all()); got != n {
		t.Errorf("%d hook calls, want %d", got, n)
	}
	status, phases, err := h.e.ReleaseStatus(context.Background(), domain.Release{Package: "cdn", Version: "7", Phases: []domain.Phase{{Name: "all", Environments: envs}}})
	if err != nil || status != "succeeded" || phases[0].Status != "succeeded" {
		t.Errorf("release status = %s %+v %v", status, phases, err)
	}
}

// TestTeardownOfARecordWithoutARollout: a deployment restored from
// Terraform state, or one the store never saw, has no rollout on record;
// its teardown still sends the event and records the deployment torn down.
func TestTeardownOfARecordWithoutARollout(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	hook := testHook
	if err := h.e.Teardown(ctx, testPackage, testEnv, &hook); err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "teardown 0 ")
	assertState(t, h.deployment(testDepID), domain.StatusTornDown, "", "", 0)
	assertLeaseFree(t, h.kv, testDepID)
}
