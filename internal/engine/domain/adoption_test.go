package domain

import (
	"testing"
)

// An adopted deployment reads as its release in effect: a rollout of
// another release that was rolled back no longer colours its status.
func TestAdoption(t *testing.T) {
	rollout := func(release string, state RolloutState) *Rollout {
		return &Rollout{Release: release, PreviousRelease: "api@1", State: state}
	}
	tests := []struct {
		name string
		d    Deployment
		want Adoption
	}{
		{"live and settled",
			Deployment{LiveRelease: "api@1", Status: StatusSucceeded, TrafficPercent: 100, Rollout: &Rollout{Release: "api@1", State: RolloutSucceeded}},
			Adoption{"api@1", StatusSucceeded, 100}},
		{"another release rolled back",
			Deployment{LiveRelease: "api@1", Status: StatusRolledBack, TrafficPercent: 0, Rollout: rollout("api@2", RolloutRolledBack)},
			Adoption{"api@1", StatusSucceeded, 100}},
		{"another release superseded",
			Deployment{LiveRelease: "api@1", Status: StatusSucceeded, TrafficPercent: 0, Rollout: rollout("api@2", RolloutSuperseded)},
			Adoption{"api@1", StatusSucceeded, 100}},
		{"restored from state, no rollout on record",
			Deployment{LiveRelease: "api@1", Status: StatusSucceeded, TrafficPercent: 100},
			Adoption{"api@1", StatusSucceeded, 100}},
		{"a release waits at its gate",
			Deployment{LiveRelease: "api@1", PendingRelease: "api@2", Status: StatusAwaitingPromotion, TrafficPercent: 20, Rollout: rollout("api@2", RolloutAwaitingPromotion)},
			Adoption{"api@2", StatusAwaitingPromotion, 20}},
		{"a canary of another release left part-way",
			Deployment{LiveRelease: "api@1", PendingRelease: "api@2", Status: StatusInProgress, TrafficPercent: 10, Rollout: rollout("api@2", RolloutRunning)},
			Adoption{"api@1", StatusInProgress, 10}},
		{"another release failed and kept its traffic",
			Deployment{LiveRelease: "api@2", Status: StatusFailed, TrafficPercent: 100, Rollout: rollout("api@2", RolloutFailed)},
			Adoption{"api@1", StatusFailed, 100}},
		{"a rollback under way",
			Deployment{LiveRelease: "api@1", Status: StatusInProgress, TrafficPercent: 0, Rollout: rollout("api@2", RolloutRollingBack)},
			Adoption{"api@1", StatusInProgress, 0}},
		{"a first deployment failed before anything went live",
			Deployment{Status: StatusFailed, Rollout: &Rollout{Release: "api@1", State: RolloutFailed}},
			Adoption{"api@1", StatusFailed, 0}},
		{"the live release's own rollout failed its rollback",
			Deployment{LiveRelease: "api@1", Status: StatusFailed, TrafficPercent: 0, Rollout: &Rollout{Release: "api@1", State: RolloutFailed}},
			Adoption{"api@1", StatusFailed, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Adoption(); got != tt.want {
				t.Errorf("Adoption() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
