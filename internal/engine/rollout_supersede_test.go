package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// errTargetDown is how a hook failure reads once retries are spent.
var errTargetDown = errors.New(`hook "rollback" to http://hooks.test/ocuroot failed after 4 attempts: HTTP 503`)

// TestApplyingTheLiveReleaseRollsBackAnUnfinishedRollout is case 3 of the
// bug report: the provider is killed during a rollout of api@2 and the
// configuration goes back to api@1. Applying api@1 must withdraw what api@2
// left behind, not report "already live" with a canary still taking
// traffic.
func TestApplyingTheLiveReleaseRollsBackAnUnfinishedRollout(t *testing.T) {
	tests := []struct {
		name         string
		spec         func() domain.DeploymentSpec
		killOn       string // the run dies once this event was accepted
		writesAfter  int    // and this many more store writes succeeded
		wantEvents   []string
		wantHistory  string
		wantRollback string // the key's step part
	}{
		{
			name: "canary killed mid-bake", spec: canarySpec, killOn: domain.EventCanaryWeight, writesAfter: 1,
			wantEvents:   []string{"canary.weight 10 canary", "rollback 0 canary"},
			wantHistory:  "rolled back the unfinished rollout of api@2 (stopped at canary step 1 of 2 (weight 10%, bake 30m), canary slot): the configuration asks for api@1 again; api@1 is live",
			wantRollback: "superseded/rollback",
		},
		{
			name: "blue-green killed while waiting for green", killOn: domain.EventGreenCreate, writesAfter: 1,
			spec: func() domain.DeploymentSpec {
				spec := testSpec(domain.StrategyBlueGreen)
				spec.BlueGreen.PromotionDelay = time.Hour
				return spec
			},
			wantEvents:   []string{"green.create 0 green", "rollback 0 green"},
			wantHistory:  "rolled back the unfinished rollout of api@2 (stopped at the wait for health of green, green slot)",
			wantRollback: "superseded/rollback",
		},
		{
			name: "blue-green killed after the cutover", killOn: domain.EventCutover, writesAfter: 1,
			spec: func() domain.DeploymentSpec {
				spec := testSpec(domain.StrategyBlueGreen)
				spec.BlueGreen.ScaleDownDelay = time.Hour
				return spec
			},
			wantEvents:   []string{"green.create 0 green", "cutover 100 green", "rollback 0 blue"},
			wantHistory:  "rolled back the unfinished rollout of api@2 (stopped at the scale-down delay (1h), blue slot)",
			wantRollback: "superseded/rollback",
		},
		{
			name: "killed while rolling back: the rollback is finished, not repeated", killOn: domain.EventRollback,
			spec: func() domain.DeploymentSpec {
				spec := canarySpec()
				spec.Canary.FailureThreshold = 1
				return spec
			},
			wantEvents:   []string{"canary.weight 10 canary", "rollback 0 canary", "rollback 0 canary"},
			wantHistory:  `rolled back the unfinished rollout of api@2 (stopped at canary step 1 of 2 (weight 10%, bake 30m), canary slot): check "health" failed 1 consecutive time(s)`,
			wantRollback: "rollback/rollback",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			if tt.killOn == domain.EventRollback {
				h.checker.unhealthySlots[domain.SlotCanary] = true
			}
			kv := &crashKV{KV: h.kv, limit: 1 << 30}
			h.hooks.onSend = func(_ context.Context, ev domain.Event) {
				if ev.Type == tt.killOn {
					kv.crashAfter(tt.writesAfter)
				}
			}
			if _, err := h.engine(kv, Options{LeaseTTL: time.Minute}).Deploy(context.Background(), DeployRequest{Spec: tt.spec()}); err == nil {
				t.Fatal("the killed run succeeded")
			}
			h.hooks.onSend = nil
			delete(h.checker.unhealthySlots, domain.SlotCanary)
			left := h.deployment(testDepID)
			if left.UnfinishedRollout() == nil {
				t.Fatalf("the killed run left rollout %s; want it unfinished", left.Rollout.State)
			}

			revert := tt.spec()
			revert.Release = releaseID(1)
			d, err := h.engine(h.kv, Options{Holder: "next"}).Deploy(context.Background(), DeployRequest{Spec: revert})
			if err != nil {
				t.Fatalf("applying the live release: %v", err)
			}
			assertEvents(t, h, tt.wantEvents...)
			calls := h.hooks.all()
			rollback := calls[len(calls)-1]
			if rollback.Release != "api@2" || rollback.RolloutID != calls[0].RolloutID || !isKey(rollback, "api@2", 2, tt.wantRollback) {
				t.Errorf("rollback call = %+v, want one of api@2's rollout under %s", rollback, tt.wantRollback)
			}
			assertState(t, d, domain.StatusSucceeded, "api@1", "", 100)
			if d.Rollout.State != domain.RolloutRolledBack || d.UnfinishedRollout() != nil {
				t.Errorf("the withdrawn rollout is %s", d.Rollout.State)
			}
			if !h.historyHas(d, tt.wantHistory) {
				t.Errorf("history = %q\nwant an entry with %q", h.historyReasons(d), tt.wantHistory)
			}
			if stored := h.deployment(testDepID); stored.Status != domain.StatusSucceeded || stored.TrafficPercent != 100 || stored.PendingRelease != "" {
				t.Errorf("stored: %s, pending %q, traffic %d", stored.Status, stored.PendingRelease, stored.TrafficPercent)
			}
			assertLeaseFree(t, h.kv, testDepID)

			// Nothing is left to do: applying api@1 again sends nothing.
			h.hooks.reset()
			if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: revert}); err != nil || len(h.hooks.all()) != 0 {
				t.Errorf("applying api@1 once more: err %v, hooks %v", err, h.hooks.strings())
			}
		})
	}
}

// TestWithdrawalFailureKeepsTheRolloutUnfinished: when the rollback of the
// unfinished rollout is refused, nothing is recorded as done and the next
// apply tries again under the same key.
func TestWithdrawalFailureKeepsTheRolloutUnfinished(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := canarySpec()
	spec.OnTimeout = domain.OnTimeoutFail
	ctx, cancel := context.WithCancel(context.Background())
	h.hooks.onSend = func(_ context.Context, ev domain.Event) { cancel() }
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err == nil {
		t.Fatal("the interrupted run succeeded")
	}
	h.hooks.onSend = nil
	h.hooks.failOn(domain.EventRollback, 1, errTargetDown)
	revert := canarySpec()
	revert.Release = releaseID(1)

	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: revert})
	want := "rolling back the unfinished rollout of api@2 (stopped at canary step 1 of 2 (weight 10%, bake 30m)) before applying api@1: " + errTargetDown.Error()
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if d := h.deployment(testDepID); d.UnfinishedRollout() == nil || d.PendingRelease != "api@2" || d.TrafficPercent != 10 {
		t.Errorf("after the refused rollback: rollout %s, pending %q at %d%%", d.Rollout.State, d.PendingRelease, d.TrafficPercent)
	}

	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: revert})
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, h, "canary.weight 10 canary", "rollback 0 canary", "rollback 0 canary")
	calls := h.hooks.all()
	if calls[1].Key != calls[2].Key || calls[2].Reason != "the configuration asks for api@1 again" {
		t.Errorf("retried rollback = %+v after %+v", calls[2], calls[1])
	}
	assertState(t, d, domain.StatusSucceeded, "api@1", "", 100)
}
