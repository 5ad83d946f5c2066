package domain

import "fmt"

// ReleaseInEffect is the release Terraform state should record for this
// deployment, given the one it records now. Refresh uses it so that the
// next plan shows what really happened since:
//
//   - a rollout of the recorded release still in flight (running, or
//     waiting at its promotion gate) keeps it;
//   - a rollout that was rolled back, is being rolled back, or failed gives
//     way to the release it was replacing (even when a failed one kept its
//     traffic), so the plan proposes the configured release again;
//   - otherwise the live release wins: a rollout made by another workspace
//     sharing the store shows as drift, and the plan moves it back to the
//     configuration.
//
// Concrete example: state records cc@2; another workspace rolled cc@3 out.
// ReleaseInEffect("cc@2") is "cc@3", and the plan reads release: cc@3 → cc@2.
func (d *Deployment) ReleaseInEffect(recorded string) string {
	if d.Status == StatusTornDown {
		return recorded
	}
	if r := d.Rollout; r != nil {
		switch r.State {
		case RolloutRunning, RolloutAwaitingPromotion:
			if r.Release == recorded {
				return recorded
			}
		case RolloutRollingBack, RolloutFailed:
			// A failed release may keep traffic (on_timeout = "fail"), but
			// it is not in effect: the release it was replacing is.
			if r.PreviousRelease != "" {
				return r.PreviousRelease
			}
		}
	}
	if d.LiveRelease != "" {
		return d.LiveRelease
	}
	return recorded
}

// UnfinishedRolloutBesides returns the rollout of a release other than
// release that is still active in the store (interrupted part-way, waiting
// at its gate, or being rolled back), or nil. Applying release rolls it back,
// so a plan that keeps release must still show that work.
func (d *Deployment) UnfinishedRolloutBesides(release string) *Rollout {
	r := d.Rollout
	if d.Status == StatusTornDown || r == nil || !r.State.Active() || r.Release == release {
		return nil
	}
	return r
}

// DescribeUnfinished says, for plans and warnings, what an unfinished
// rollout left behind and what applying release will do about it.
func (d *Deployment) DescribeUnfinished(r *Rollout, release string) string {
	step := "its last step"
	if r.StepIndex >= 0 && r.StepIndex < len(r.Steps) {
		step = StepTitle(r.Steps, r.StepIndex)
	}
	return fmt.Sprintf("the store holds an unfinished rollout of %s in %s (%s, stopped at %s, %d%% of traffic on it); "+
		"applying %s rolls it back and keeps %s serving",
		r.Release, d.ID(), r.State, step, d.TrafficPercent, release, release)
}
