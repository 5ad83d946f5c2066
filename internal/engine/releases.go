package engine

import (
	"context"
	"fmt"
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

// RegisterRelease stores a release. Re-registering the same id updates its
// descriptive fields and un-archives it.
func (e *Engine) RegisterRelease(ctx context.Context, rel Release) (Release, error) {
	if err := ValidateName("package", rel.Package); err != nil {
		return Release{}, err
	}
	if err := ValidateName("version", rel.Version); err != nil {
		return Release{}, err
	}
	draft := ReleaseDraft{Package: rel.Package, Version: rel.Version}
	for _, p := range rel.Phases {
		draft.Phases = append(draft.Phases, PhaseDraft{Name: p.Name, Environments: p.Environments, RequiresApproval: p.RequiresApproval})
	}
	for _, p := range CheckReleaseFlow(draft, nil) {
		if p.Severity == SeverityError {
			return Release{}, fmt.Errorf("release %s: %s: %s", rel.ID(), p.Summary, p.Detail)
		}
	}
	now := e.clock.Now()
	existing, err := e.store.GetRelease(ctx, rel.ID())
	switch {
	case err == nil:
		rel.CreatedAt = existing.CreatedAt
	case IsNotFound(err):
		rel.CreatedAt = now
	default:
		return Release{}, fmt.Errorf("reading release %s: %w", rel.ID(), err)
	}
	rel.Archived = false
	rel.ArchivedAt = time.Time{}
	if err := e.store.PutRelease(ctx, rel); err != nil {
		return Release{}, fmt.Errorf("saving release %s: %w", rel.ID(), err)
	}
	return rel, nil
}

// GetRelease returns a release (archived or not) or ErrNotFound.
func (e *Engine) GetRelease(ctx context.Context, id string) (Release, error) {
	return e.store.GetRelease(ctx, id)
}

// RetireRelease is what destroying a release does: it never tears anything
// down. A release that a deployment still runs (live or pending) is kept,
// archived; otherwise the record is deleted. It reports whether it archived.
func (e *Engine) RetireRelease(ctx context.Context, id string) (archived bool, err error) {
	rel, err := e.store.GetRelease(ctx, id)
	if IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading release %s: %w", id, err)
	}
	inUse, err := e.releaseInUse(ctx, id)
	if err != nil {
		return false, err
	}
	if !inUse {
		return false, e.store.DeleteRelease(ctx, id, e.clock.Now())
	}
	rel.Archived = true
	rel.ArchivedAt = e.clock.Now()
	if err := e.store.PutRelease(ctx, rel); err != nil {
		return false, fmt.Errorf("archiving release %s: %w", id, err)
	}
	return true, nil
}

func (e *Engine) releaseInUse(ctx context.Context, id string) (bool, error) {
	pkg, _, err := ParseReleaseID(id)
	if err != nil {
		return false, err
	}
	deployments, err := e.store.ListPackageDeployments(ctx, pkg)
	if err != nil {
		return false, fmt.Errorf("listing deployments: %w", err)
	}
	for _, d := range deployments {
		if d.Status == StatusTornDown {
			continue
		}
		if d.LiveRelease == id || d.PendingRelease == id || (d.Rollout != nil && d.Rollout.Release == id && d.Rollout.State.Active()) {
			return true, nil
		}
	}
	return false, nil
}

// PhaseStatus is the progress of one phase of a release.
type PhaseStatus struct {
	Name         string
	Status       string // pending, in_progress, succeeded, failed
	Environments map[string]Status
}

// ReleaseStatus derives the status of a release and of each of its phases
// from the deployments of its package.
func (e *Engine) ReleaseStatus(ctx context.Context, rel Release) (string, []PhaseStatus, error) {
	deployments, err := e.store.ListPackageDeployments(ctx, rel.Package)
	if err != nil {
		return "", nil, fmt.Errorf("listing deployments: %w", err)
	}
	byEnv := make(map[string]Deployment, len(deployments))
	for _, d := range deployments {
		byEnv[d.Environment] = d
	}
	return DeriveReleaseStatus(rel, byEnv)
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
