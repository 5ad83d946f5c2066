package domain

// Adoption is how a deployment reads to a configuration that adopts it
// rather than rolled it out (an import, a listed result): the release in
// effect, and the status and traffic share that describe that release.
//
// The record's own Status and TrafficPercent describe its last rollout. When
// that rollout was of another release and ended without leaving any traffic
// on it (rolled back, or superseded), they describe a withdrawn release:
// status rolled_back and 0% of the traffic, beside a release in effect that
// serves all of it. An adopter never asked for the withdrawn release, so it
// reads the release in effect as it is: succeeded, at 100%.
//
// Concrete example: api@1 is live; another workspace's canary of api@2 was
// rolled back. The record says rolled_back, 0%, live api@1. Adopted, the
// deployment runs api@1, succeeded, at 100%.
type Adoption struct {
	Release        string
	Status         Status
	TrafficPercent int
}

// Adoption returns the deployment as an adopting configuration records it.
// Its release is the one Terraform state would hold after a refresh
// (ReleaseInEffect), or the release waiting at its promotion gate, so an
// import followed by a refresh keeps it.
func (d *Deployment) Adoption() Adoption {
	release := d.LiveRelease
	if r := d.Rollout; r != nil && r.State == RolloutAwaitingPromotion {
		release = r.Release
	}
	release = d.ReleaseInEffect(release)
	if release == "" && d.Rollout != nil {
		// A first deployment that failed before anything went live: the
		// release it tried is the only one there is.
		release = d.Rollout.Release
	}
	a := Adoption{Release: release, Status: d.Status, TrafficPercent: d.TrafficPercent}
	if d.SettledOn(release) {
		a.Status, a.TrafficPercent = StatusSucceeded, 100
	}
	return a
}

// SettledOn reports whether release serves all of the deployment's traffic
// with nothing under way: it is live, nothing is pending, and the last
// rollout either made it live or was of another release that was rolled
// back or superseded, so no traffic stayed there. A failed rollout of
// another release is not settled: it may have left traffic where it
// stopped.
func (d *Deployment) SettledOn(release string) bool {
	if release == "" || d.Status == StatusTornDown || d.LiveRelease != release || d.PendingRelease != "" {
		return false
	}
	r := d.Rollout
	if r == nil || r.Release == release {
		return d.Status == StatusSucceeded
	}
	return r.State == RolloutRolledBack || r.State == RolloutSuperseded
}
