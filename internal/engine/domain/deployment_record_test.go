package domain

import "testing"

func TestUnfinishedRollout(t *testing.T) {
	tests := []struct {
		state RolloutState
		want  bool
	}{
		{RolloutRunning, true},
		{RolloutRollingBack, true},
		{RolloutAwaitingPromotion, false},
		{RolloutSucceeded, false},
		{RolloutRolledBack, false},
		{RolloutFailed, false},
		{RolloutSuperseded, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			r := &Rollout{ID: "api@2-1-9f1c2a", Release: "api@2", State: tt.state}
			d := &Deployment{Package: "api", Environment: "prod", Rollout: r}
			got := d.UnfinishedRollout()
			if tt.want && got != r {
				t.Errorf("UnfinishedRollout() = %v, want the %s rollout", got, tt.state)
			}
			if !tt.want && got != nil {
				t.Errorf("UnfinishedRollout() = %+v, want nil for %s", *got, tt.state)
			}
		})
	}
	t.Run("no rollout", func(t *testing.T) {
		if got := (&Deployment{Package: "api", Environment: "prod"}).UnfinishedRollout(); got != nil {
			t.Errorf("UnfinishedRollout() = %+v, want nil", *got)
		}
	})
	t.Run("nil deployment", func(t *testing.T) {
		var d *Deployment
		if got := d.UnfinishedRollout(); got != nil {
			t.Errorf("UnfinishedRollout() = %+v, want nil", *got)
		}
	})
}

// TestStatusFor: the status a deployment shows follows its rollout's state,
// except while rolling back or superseded, which keep the status it had.
func TestStatusFor(t *testing.T) {
	d := &Deployment{Status: StatusAwaitingPromotion}
	tests := map[RolloutState]Status{
		RolloutRunning:           StatusInProgress,
		RolloutAwaitingPromotion: StatusAwaitingPromotion,
		RolloutSucceeded:         StatusSucceeded,
		RolloutRolledBack:        StatusRolledBack,
		RolloutFailed:            StatusFailed,
		RolloutRollingBack:       StatusAwaitingPromotion,
		RolloutSuperseded:        StatusAwaitingPromotion,
	}
	for state, want := range tests {
		if got := d.statusFor(state); got != want {
			t.Errorf("statusFor(%s) = %s, want %s", state, got, want)
		}
	}
}
