package engine

import (
	"testing"
	"time"
)

func TestNextObservation(t *testing.T) {
	const minute = time.Minute
	tests := []struct {
		name     string
		w        ObservedWait
		wantDone bool
		wantWait time.Duration
	}{
		{"fresh bake waits one interval", ObservedWait{Duration: 5 * minute, ChecksConfigured: true, Interval: minute}, false, minute},
		{"last round falls at the end of the bake", ObservedWait{Duration: 5 * minute, Observed: 4*minute + 30*time.Second, ChecksConfigured: true, RoundsThisPass: 4, PassedThisPass: 4, Interval: minute}, false, 30 * time.Second},
		{"observed in full with a pass in this pass", ObservedWait{Duration: 5 * minute, Observed: 5 * minute, ChecksConfigured: true, RoundsThisPass: 5, PassedThisPass: 5, Interval: minute}, true, 0},
		{"observed past the duration counts as full", ObservedWait{Duration: 5 * minute, Observed: 6 * minute, ChecksConfigured: true, RoundsThisPass: 1, PassedThisPass: 1, Interval: minute}, true, 0},
		{"resumed with the bake fully observed checks at once", ObservedWait{Duration: 5 * minute, Observed: 5 * minute, ChecksConfigured: true, Interval: minute}, false, 0},
		{"resumed bake whose only round failed checks again an interval later", ObservedWait{Duration: 5 * minute, Observed: 5 * minute, ChecksConfigured: true, RoundsThisPass: 1, Interval: minute}, false, minute},
		{"resumed mid-bake runs the rest of it", ObservedWait{Duration: 8 * time.Second, Observed: 5 * time.Second, ChecksConfigured: true, Interval: time.Second}, false, time.Second},
		{"rounds before the resume do not count", ObservedWait{Duration: 8 * time.Second, Observed: 8 * time.Second, ChecksConfigured: true, RoundsThisPass: 0, PassedThisPass: 0, Interval: time.Second}, false, 0},
		{"no checks: observed time alone completes it", ObservedWait{Duration: 3 * minute, Observed: 3 * minute, Interval: minute}, true, 0},
		{"no checks: waits in interval pieces so progress is saved", ObservedWait{Duration: 3 * minute, Observed: minute, Interval: minute}, false, minute},
		{"zero duration without checks is done at once", ObservedWait{Interval: minute}, true, 0},
		{"zero duration with checks still needs a passing round", ObservedWait{ChecksConfigured: true, Interval: minute}, false, 0},
		{"no interval waits out the remainder", ObservedWait{Duration: 3 * minute, Observed: minute}, false, 2 * minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, wait := NextObservation(tt.w)
			if done != tt.wantDone || wait != tt.wantWait {
				t.Errorf("NextObservation(%+v) = (%v, %s), want (%v, %s)", tt.w, done, wait, tt.wantDone, tt.wantWait)
			}
		})
	}
}

func TestObservedWaitRemaining(t *testing.T) {
	if got := (ObservedWait{Duration: time.Minute, Observed: 2 * time.Minute}).Remaining(); got != 0 {
		t.Errorf("Remaining() past the duration = %s, want 0", got)
	}
	if got := (ObservedWait{Duration: time.Minute, Observed: 20 * time.Second}).Remaining(); got != 40*time.Second {
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
			if got := ProgressDeadlineExceeded(tt.observed, tt.planned, tt.deadline); got != tt.want {
				t.Errorf("ProgressDeadlineExceeded(%s, %s, %s) = %v, want %v", tt.observed, tt.planned, tt.deadline, got, tt.want)
			}
		})
	}
}

// TestPlannedRecheckSlots: the strategy that plans a hook step names the
// slot re-checked before it after a resume, and the checks beyond
// health_check and check blocks it re-runs.
func TestPlannedRecheckSlots(t *testing.T) {
	pre := []MetricCheck{{Name: "pre", URL: "https://app.test/pre"}}
	post := []MetricCheck{{Name: "post", URL: "https://app.test/post"}}
	canary := DeploymentSpec{Strategy: StrategyCanary, Canary: CanarySpec{Steps: []CanaryStep{{Weight: 10, Bake: time.Minute}, {Weight: 50, Bake: time.Minute}}}}
	blueGreen := DeploymentSpec{Strategy: StrategyBlueGreen, BlueGreen: BlueGreenSpec{PrePromotionCheck: pre, PostPromotionCheck: post}}
	tests := []struct {
		name      string
		spec      DeploymentSpec
		live      bool
		event     string
		weight    int
		wantSlot  string
		wantExtra string
	}{
		{"first canary weight has nothing to check yet", canary, true, EventCanaryWeight, 10, "", ""},
		{"a later canary weight moves more traffic", canary, true, EventCanaryWeight, 50, SlotCanary, ""},
		{"the canary promotion", canary, true, EventPromote, 100, SlotCanary, ""},
		{"creating green moves no traffic", blueGreen, true, EventGreenCreate, 0, "", ""},
		{"the cutover re-runs the pre-promotion checks", blueGreen, true, EventCutover, 100, SlotGreen, "pre"},
		{"draining blue re-runs the post-promotion checks", blueGreen, true, EventBlueDrain, 100, SlotGreen, "post"},
		{"a direct deploy is the first hook", canary, false, EventDeploy, 100, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, _ := PlanRollout(resolvedForPlanning(tt.spec.WithDefaults()), tt.live)
			var step *Step
			for i := range steps {
				if steps[i].Kind == StepHook && steps[i].Event == tt.event && steps[i].Weight == tt.weight {
					step = &steps[i]
				}
			}
			if step == nil {
				t.Fatalf("no %s step at %d%% in %s", tt.event, tt.weight, DescribeRollout(steps))
			}
			gotExtra := ""
			if len(step.Checks) > 0 {
				gotExtra = step.Checks[0].Name
			}
			if step.RecheckSlot != tt.wantSlot || gotExtra != tt.wantExtra {
				t.Errorf("re-check = (%q, %q), want (%q, %q)", step.RecheckSlot, gotExtra, tt.wantSlot, tt.wantExtra)
			}
			if step.RecheckSlot != "" && step.FailureThreshold != DefaultFailureThreshold {
				t.Errorf("re-check tries = %d, want the default failure threshold %d", step.FailureThreshold, DefaultFailureThreshold)
			}
		})
	}
}
