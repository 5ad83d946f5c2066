package domain

import (
	"time"
)

// Phase is a set of environments deployed in parallel.
type Phase struct {
	Name             string   `json:"name"`
	Environments     []string `json:"environments"`
	RequiresApproval bool     `json:"requires_approval,omitempty"`
}

// Release is one build of a package and its flow of phases.
type Release struct {
	Package     string            `json:"package"`
	Version     string            `json:"version"`
	Artifact    string            `json:"artifact,omitempty"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Phases      []Phase           `json:"phases"`
	// Archived is set when Terraform destroyed the release while a deployment
	// still referred to it: the record stays so that deployment keeps working.
	Archived   bool      `json:"archived,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ArchivedAt time.Time `json:"archived_at,omitempty"`
}

// ID is PACKAGE@VERSION, the form every other resource and import uses.
func (r Release) ID() string { return ReleaseID(r.Package, r.Version) }

// PhaseOf returns the index of the phase that contains env, or -1.
func (r Release) PhaseOf(env string) int {
	for i, p := range r.Phases {
		for _, e := range p.Environments {
			if e == env {
				return i
			}
		}
	}
	return -1
}

// PhaseStatus is the progress of one phase of a release.
type PhaseStatus struct {
	Name         string
	Status       string // pending, in_progress, succeeded, failed
	Environments map[string]Status
}

// DeriveReleaseStatus is the pure part of ReleaseStatus. An environment
// counts as succeeded when the release is live there, in progress when a
// rollout of the release is active, failed when its last rollout of the
// release failed or was rolled back, and pending otherwise.
func DeriveReleaseStatus(rel Release, byEnv map[string]Deployment) (string, []PhaseStatus, error) {
	id := rel.ID()
	phases := make([]PhaseStatus, 0, len(rel.Phases))
	overall := "succeeded"
	anyStarted := false
	for _, p := range rel.Phases {
		ps := PhaseStatus{Name: p.Name, Environments: map[string]Status{}}
		counts := map[string]int{}
		for _, env := range p.Environments {
			d, ok := byEnv[env]
			state := "pending"
			envStatus := StatusPending
			switch {
			case !ok:
			case d.LiveRelease == id && d.Status != StatusTornDown:
				state, envStatus = "succeeded", StatusSucceeded
			case d.Rollout != nil && d.Rollout.Release == id && d.Rollout.State.Active():
				state, envStatus = "in_progress", d.Status
			case d.Rollout != nil && d.Rollout.Release == id && (d.Rollout.State == RolloutFailed || d.Rollout.State == RolloutRolledBack):
				state, envStatus = "failed", d.Status
			}
			ps.Environments[env] = envStatus
			counts[state]++
		}
		switch {
		case counts["failed"] > 0:
			ps.Status = "failed"
		case counts["in_progress"] > 0:
			ps.Status = "in_progress"
		case counts["succeeded"] == len(p.Environments) && len(p.Environments) > 0:
			ps.Status = "succeeded"
		case counts["succeeded"] > 0:
			ps.Status = "in_progress"
		default:
			ps.Status = "pending"
		}
		if ps.Status != "pending" {
			anyStarted = true
		}
		phases = append(phases, ps)
	}
	for _, ps := range phases {
		if ps.Status == "failed" {
			overall = "failed"
			break
		}
		if ps.Status != "succeeded" && len(ps.Environments) > 0 {
			overall = "in_progress"
		}
	}
	if overall == "in_progress" && !anyStarted {
		overall = "pending"
	}
	return overall, phases, nil
}
