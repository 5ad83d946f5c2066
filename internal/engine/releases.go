package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// RegisterRelease stores a release. Re-registering the same id updates its
// descriptive fields and un-archives it.
func (e *Engine) RegisterRelease(ctx context.Context, rel domain.Release) (domain.Release, error) {
	if err := domain.ValidateName("package", rel.Package); err != nil {
		return domain.Release{}, err
	}
	if err := domain.ValidateName("version", rel.Version); err != nil {
		return domain.Release{}, err
	}
	draft := domain.ReleaseDraft{Package: rel.Package, Version: rel.Version}
	for _, p := range rel.Phases {
		draft.Phases = append(draft.Phases, domain.PhaseDraft{Name: p.Name, Environments: p.Environments, RequiresApproval: p.RequiresApproval})
	}
	for _, p := range domain.CheckReleaseFlow(draft, nil) {
		if p.Severity == domain.SeverityError {
			return domain.Release{}, fmt.Errorf("release %s: %s: %s", rel.ID(), p.Summary, p.Detail)
		}
	}
	now := e.clock.Now()
	existing, err := e.store.GetRelease(ctx, rel.ID())
	switch {
	case err == nil:
		rel.CreatedAt = existing.CreatedAt
	case records.IsNotFound(err):
		rel.CreatedAt = now
	default:
		return domain.Release{}, fmt.Errorf("reading release %s: %w", rel.ID(), err)
	}
	rel.Archived = false
	rel.ArchivedAt = time.Time{}
	if err := e.store.PutRelease(ctx, rel); err != nil {
		return domain.Release{}, fmt.Errorf("saving release %s: %w", rel.ID(), err)
	}
	return rel, nil
}

// GetRelease returns a release (archived or not) or ErrNotFound.
func (e *Engine) GetRelease(ctx context.Context, id string) (domain.Release, error) {
	return e.store.GetRelease(ctx, id)
}

// RetireRelease is what destroying a release does: it never tears anything
// down. A release that a deployment still runs (live or pending) is kept,
// archived; otherwise the record is deleted. It reports whether it archived.
func (e *Engine) RetireRelease(ctx context.Context, id string) (archived bool, err error) {
	rel, err := e.store.GetRelease(ctx, id)
	if records.IsNotFound(err) {
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
	pkg, _, err := domain.ParseReleaseID(id)
	if err != nil {
		return false, err
	}
	deployments, err := e.store.ListPackageDeployments(ctx, pkg)
	if err != nil {
		return false, fmt.Errorf("listing deployments: %w", err)
	}
	for _, d := range deployments {
		if d.Status == domain.StatusTornDown {
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
func (e *Engine) ReleaseStatus(ctx context.Context, rel domain.Release) (string, []domain.PhaseStatus, error) {
	deployments, err := e.store.ListPackageDeployments(ctx, rel.Package)
	if err != nil {
		return "", nil, fmt.Errorf("listing deployments: %w", err)
	}
	byEnv := make(map[string]domain.Deployment, len(deployments))
	for _, d := range deployments {
		byEnv[d.Environment] = d
	}
	return domain.DeriveReleaseStatus(rel, byEnv)
}
