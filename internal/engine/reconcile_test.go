package engine

import (
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

func TestReleaseInEffect(t *testing.T) {
	rollout := func(release string, state domain.RolloutState) *domain.Rollout {
		return &domain.Rollout{Release: release, PreviousRelease: "api@1", State: state}
	}
	tests := []struct {
		name     string
		d        domain.Deployment
		recorded string
		want     string
	}{
		{"live as recorded", domain.Deployment{LiveRelease: "api@1", Status: domain.StatusSucceeded}, "api@1", "api@1"},
		{"rollout of the recorded release running", domain.Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", domain.RolloutRunning)}, "api@2", "api@2"},
		{"recorded release waits at its gate", domain.Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", domain.RolloutAwaitingPromotion)}, "api@2", "api@2"},
		{"recorded release rolled back", domain.Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", domain.RolloutRolledBack)}, "api@2", "api@1"},
		{"recorded release being rolled back", domain.Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", domain.RolloutRollingBack)}, "api@2", "api@1"},
		{"recorded release failed with traffic left", domain.Deployment{LiveRelease: "api@2", Rollout: rollout("api@2", domain.RolloutFailed)}, "api@2", "api@1"},
		{"another workspace rolled out a newer release", domain.Deployment{LiveRelease: "cc@3", Rollout: &domain.Rollout{Release: "cc@3", State: domain.RolloutSucceeded}}, "cc@2", "cc@3"},
		{"unfinished rollout of another release keeps the live one", domain.Deployment{LiveRelease: "api@1", Rollout: rollout("api@2", domain.RolloutRunning)}, "api@1", "api@1"},
		{"failed release of another run kept its traffic", domain.Deployment{LiveRelease: "api@2", Rollout: rollout("api@2", domain.RolloutFailed)}, "api@1", "api@1"},
		{"torn down", domain.Deployment{Status: domain.StatusTornDown}, "api@1", "api@1"},
		{"nothing live yet", domain.Deployment{}, "api@1", "api@1"},
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
		rollout *domain.Rollout
		status  domain.Status
		release string
		want    bool
	}{
		{"none", nil, domain.StatusSucceeded, "api@1", false},
		{"interrupted canary of another release", &domain.Rollout{Release: "api@2", State: domain.RolloutRunning}, domain.StatusInProgress, "api@1", true},
		{"another release waits at its gate", &domain.Rollout{Release: "api@2", State: domain.RolloutAwaitingPromotion}, domain.StatusAwaitingPromotion, "api@1", true},
		{"another release half rolled back", &domain.Rollout{Release: "api@2", State: domain.RolloutRollingBack}, domain.StatusInProgress, "api@1", true},
		{"the configured release itself", &domain.Rollout{Release: "api@2", State: domain.RolloutRunning}, domain.StatusInProgress, "api@2", false},
		{"finished", &domain.Rollout{Release: "api@2", State: domain.RolloutRolledBack}, domain.StatusRolledBack, "api@1", false},
		{"torn down", &domain.Rollout{Release: "api@2", State: domain.RolloutRunning}, domain.StatusTornDown, "api@1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := domain.Deployment{Package: "api", Environment: "prod0", LiveRelease: "api@1", Status: tt.status, Rollout: tt.rollout}
			if got := d.UnfinishedRolloutBesides(tt.release) != nil; got != tt.want {
				t.Errorf("UnfinishedRolloutBesides(%q) = %v, want %v", tt.release, got, tt.want)
			}
		})
	}
}

// TestDescribeUnfinishedNamesTheStepAsConfigured: the plan-time warning
// says where the unfinished rollout stopped in the user's terms.
func TestDescribeUnfinishedNamesTheStepAsConfigured(t *testing.T) {
	steps, _ := rollout.PlanRollout(resolvedForPlanning(canarySpec()), true)
	d := &domain.Deployment{Package: "api", Environment: "prod", LiveRelease: "api@1", TrafficPercent: 10,
		Rollout: &domain.Rollout{Release: "api@2", State: domain.RolloutRunning, Steps: steps, StepIndex: 1}}
	want := "the store holds an unfinished rollout of api@2 in api/prod (running, stopped at canary step 1 of 2 (weight 10%, bake 30m), " +
		"10% of traffic on it); applying api@1 rolls it back and keeps api@1 serving"
	if got := d.DescribeUnfinished(d.Rollout, "api@1"); got != want {
		t.Errorf("DescribeUnfinished =\n %s\nwant\n %s", got, want)
	}
}
