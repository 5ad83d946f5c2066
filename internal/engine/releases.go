package engine

import (
	"context"
	"fmt"
	"time"
)

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
