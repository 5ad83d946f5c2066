package engine

import "testing"

func TestReleaseInEffect(t *testing.T) {
	rollout := func(release string, state RolloutState) *Rollout {
		return &Rollout{Release: release, PreviousRelease: "api@1", State: state}
	}
	tests := []struct {
		name     string
		d        Deployment
		recorded string
		want     string
	}{
		{"live as recorded", Deployment{LiveRelease: "api@1", Status: StatusSucceeded}, "api@1", "api@1"},
		{"rollout of the recorded release running", Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", RolloutRunning)}, "api@2", "api@2"},
		{"recorded release waits at its gate", Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", RolloutAwaitingPromotion)}, "api@2", "api@2"},
		{"recorded release rolled back", Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", RolloutRolledBack)}, "api@2", "api@1"},
		{"recorded release being rolled back", Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", RolloutRollingBack)}, "api@2", "api@1"},
		{"recorded release failed with traffic left", Deployment{LiveRelease: "api@2", Rollout: rollout("api@2", RolloutFailed)}, "api@2", "api@1"},
		{"another workspace rolled out a newer release", Deployment{LiveRelease: "cc@3", Rollout: &Rollout{Release: "cc@3", State: RolloutSucceeded}}, "cc@2", "cc@3"},
		{"unfinished rollout of another release keeps the live one", Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", RolloutRunning)}, "api@1", "api@1"},
		{"failed release of another run kept its traffic", Deployment{LiveRelease: "api@2", Rollout: rollout("api@2", RolloutFailed)}, "api@1", "api@1"},
		{"torn down", Deployment{Status: StatusTornDown}, "api@1", "api@1"},
		{"nothing live yet", Deployment{}, "api@1", "api@1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.ReleaseInEffect(tt.recorded); got != tt.want {
				t.Errorf("ReleaseInEffect(%q) = %q, want %q", tt.recorded, got, tt.want)
			}
		})
	}
}

func TestUnfinishedRolloutBesides(t *testing.T) {
	tests := []struct {
		name    string
		rollout *Rollout
		status  Status
		release string
		want    bool
	}{
		{"none", nil, StatusSucceeded, "api@1", false},
		{"interrupted canary of another release", &Rollout{Release: "api@2", State: RolloutRunning}, StatusInProgress, "api@1", true},
		{"another release waits at its gate", &Rollout{Release: "api@2", State: RolloutAwaitingPromotion}, StatusAwaitingPromotion, "api@1", true},
		{"another release half rolled back", &Rollout{Release: "api@2", State: RolloutRollingBack}, StatusInProgress, "api@1", true},
		{"the configured release itself", &Rollout{Release: "api@2", State: RolloutRunning}, StatusInProgress, "api@2", false},
		{"finished", &Rollout{Release: "api@2", State: RolloutRolledBack}, StatusRolledBack, "api@1", false},
		{"torn down", &Rollout{Release: "api@2", State: RolloutRunning}, StatusTornDown, "api@1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Deployment{Package: "api", Environment: "prod0", LiveRelease: "api@1", Status: tt.status, Rollout: tt.rollout}
			if got := d.UnfinishedRolloutBesides(tt.release) != nil; got != tt.want {
				t.Errorf("UnfinishedRolloutBesides(%q) = %v, want %v", tt.release, got, tt.want)
			}
		})
	}
}

// TestDescribeUnfinishedNamesTheStepAsConfigured: the plan-time warning
// says where the unfinished rollout stopped in the user's terms.
func TestDescribeUnfinishedNamesTheStepAsConfigured(t *testing.T) {
	steps, _ := PlanRollout(resolvedForPlanning(canarySpec()), true)
	d := &Deployment{Package: "api", Environment: "prod", LiveRelease: "api@1", TrafficPercent: 10,
		Rollout: &Rollout{Release: "api@2", State: RolloutRunning, Steps: steps, StepIndex: 1}}
	want := "the store holds an unfinished rollout of api@2 in api/prod (running, stopped at canary step 1 of 2 (weight 10%, bake 30m), " +
		"10% of traffic on it); applying api@1 rolls it back and keeps api@1 serving"
	if got := d.DescribeUnfinished(d.Rollout, "api@1"); got != want {
		t.Errorf("DescribeUnfinished =\n %s\nwant\n %s", got, want)
	}
}
