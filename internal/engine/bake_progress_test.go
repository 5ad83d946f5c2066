package engine

import (
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

func TestNextObservation(t *testing.T) {
	const minute = time.Minute
	tests := []struct {
		name     string
		w        rollout.ObservedWait
		wantDone bool
		wantWait time.Duration
	}{
		{"fresh bake waits one interval", rollout.ObservedWait{Duration: 5 * minute, ChecksConfigured: true, Interval: minute}, false, minute},
		{"last round falls at the end of the bake", rollout.ObservedWait{Duration: 5 * minute, Observed: 4*minute + 30*time.Second, ChecksConfigured: true, RoundsThisPass: 4, PassedThisPass: 4, Interval: minute}, false, 30 * time.Second},
		{"observed in full with a pass in this pass", rollout.ObservedWait{Duration: 5 * minute, Observed: 5 * minute, ChecksConfigured: true, RoundsThisPass: 5, PassedThisPass: 5, Interval: minute}, true, 0},
		{"observed past the duration counts as full", rollout.ObservedWait{Duration: 5 * minute, Observed: 6 * minute, ChecksConfigured: true, RoundsThisPass: 1, PassedThisPass: 1, Interval: minute}, true, 0},
		{"resumed with the bake fully observed checks at once", rollout.ObservedWait{Duration: 5 * minute, Observed: 5 * minute, ChecksConfigured: true, Interval: minute}, false, 0},
		{"resumed bake whose only round failed checks again an interval later", rollout.ObservedWait{Duration: 5 * minute, Observed: 5 * minute, ChecksConfigured: true, RoundsThisPass: 1, Interval: minute}, false, minute},
		{"resumed mid-bake runs the rest of it", rollout.ObservedWait{Duration: 8 * time.Second, Observed: 5 * time.Second, ChecksConfigured: true, Interval: time.Second}, false, time.Second},
		{"rounds before the resume do not count", rollout.ObservedWait{Duration: 8 * time.Second, Observed: 8 * time.Second, ChecksConfigured: true, RoundsThisPass: 0, PassedThisPass: 0, Interval: time.Second}, false, 0},
		{"no checks: observed time alone completes it", rollout.ObservedWait{Duration: 3 * minute, Observed: 3 * minute, Interval: minute}, true, 0},
		{"no checks: waits in interval pieces so progress is saved", rollout.ObservedWait{Duration: 3 * minute, Observed: minute, Interval: minute}, false, minute},
		{"zero duration without checks is done at once", rollout.ObservedWait{Interval: minute}, true, 0},
		{"zero duration with checks still needs a passing round", rollout.ObservedWait{ChecksConfigured: true, Interval: minute}, false, 0},
		{"no interval waits out the remainder", rollout.ObservedWait{Duration: 3 * minute, Observed: minute}, false, 2 * minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, wait := rollout.NextObservation(tt.w)
			if done != tt.wantDone || wait != tt.wantWait {
				t.Errorf("NextObservation(%+v) = (%v, %s), want (%v, %s)", tt.w, done, wait, tt.wantDone, tt.wantWait)
			}
		})
	}
}

func TestObservedWaitRemaining(t *testing.T) {
	if got := (rollout.ObservedWait{Duration: time.Minute, Observed: 2 * time.Minute}).Remaining(); got != 0 {
		t.Errorf("Remaining() past the duration = %s, want 0", got)
	}
	if got := (rollout.ObservedWait{Duration: time.Minute, Observed: 20 * time.Second}).Remaining(); got != 40*time.Second {
		t.Errorf("Remaining() = %s, want 40s", got)
	}
}

func TestProgressDeadlineExceeded(t *testing.T) {
	tests := []struct {
		name     string
		observed time.Duration
		planned  time.Duration
		deadline time.Duration
		want     bool
	}{
		{"within the deadline", 9 * time.Minute, 0, 10 * time.Minute, false},
		{"exactly at the deadline", 10 * time.Minute, 0, 10 * time.Minute, true},
		{"past the deadline", 11 * time.Minute, 0, 10 * time.Minute, true},
		{"planned time is allowed on top", 35 * time.Minute, 30 * time.Minute, 10 * time.Minute, false},
		{"planned plus deadline exceeded", 41 * time.Minute, 30 * time.Minute, 10 * time.Minute, true},
		{"no deadline never times out", 1000 * time.Hour, 0, 0, false},
		{"negative deadline never times out", time.Hour, 0, -time.Second, false},
		{"nothing observed yet", 0, 0, time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rollout.ProgressDeadlineExceeded(tt.observed, tt.planned, tt.deadline); got != tt.want {
				t.Errorf("ProgressDeadlineExceeded(%s, %s, %s) = %v, want %v", tt.observed, tt.planned, tt.deadline, got, tt.want)
			}
		})
	}
}

// TestPlannedRecheckSlots: the strategy that plans a hook step names the
// slot re-checked before it after a resume, and the checks beyond
// health_check and check blocks it re-runs.
func TestPlannedRecheckSlots(t *testing.T) {
	pre := []domain.MetricCheck{{Name: "pre", URL: "https://app.test/pre"}}
	post := []domain.MetricCheck{{Name: "post", URL: "https://app.test/post"}}
	canary := domain.DeploymentSpec{Strategy: domain.StrategyCanary, Canary: domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: time.Minute}, {Weight: 50, Bake: time.Minute}}}}
	blueGreen := domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{PrePromotionCheck: pre, PostPromotionCheck: post}}
	tests := []struct {
		name      string
		spec      domain.DeploymentSpec
		live      bool
		event     string
		weight    int
		wantSlot  string
		wantExtra string
	}{
		{"first canary weight has nothing to check yet", canary, true, domain.EventCanaryWeight, 10, "", ""},
		{"a later canary weight moves more traffic", canary, true, domain.EventCanaryWeight, 50, domain.SlotCanary, ""},
		{"the canary promotion", canary, true, domain.EventPromote, 100, domain.SlotCanary, ""},
		{"creating green moves no traffic", blueGreen, true, domain.EventGreenCreate, 0, "", ""},
		{"the cutover re-runs the pre-promotion checks", blueGreen, true, domain.EventCutover, 100, domain.SlotGreen, "pre"},
		{"draining blue re-runs the post-promotion checks", blueGreen, true, domain.EventBlueDrain, 100, domain.SlotGreen, "post"},
		{"a direct deploy is the first hook", canary, false, domain.EventDeploy, 100, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, _ := rollout.PlanRollout(resolvedForPlanning(tt.spec.WithDefaults()), tt.live)
			var step *domain.Step
			for i := range steps {
				if steps[i].Kind == domain.StepHook && steps[i].Event == tt.event && steps[i].Weight == tt.weight {
					step = &steps[i]
				}
			}
			if step == nil {
				t.Fatalf("no %s step at %d%% in %s", tt.event, tt.weight, domain.DescribeRollout(steps))
			}
			gotExtra := ""
			if len(step.Checks) > 0 {
				gotExtra = step.Checks[0].Name
			}
			if step.RecheckSlot != tt.wantSlot || gotExtra != tt.wantExtra {
				t.Errorf("re-check = (%q, %q), want (%q, %q)", step.RecheckSlot, gotExtra, tt.wantSlot, tt.wantExtra)
			}
			if step.RecheckSlot != "" && step.FailureThreshold != domain.DefaultFailureThreshold {
				t.Errorf("re-check tries = %d, want the default failure threshold %d", step.FailureThreshold, domain.DefaultFailureThreshold)
			}
		})
	}
}
