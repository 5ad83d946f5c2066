package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Listing reads the store and never writes it: it is what a query of a
// shared store runs, possibly from a workspace that manages none of it.

// DeploymentFilter selects deployments; an empty field matches every one.
type DeploymentFilter struct {
	Package     string
	Environment string
	// Status matches the status of the deployment's Adoption, the one a
	// listed result shows.
	Status domain.Status
}

func (f DeploymentFilter) matches(d *domain.Deployment) bool {
	return (f.Package == "" || d.Package == f.Package) &&
		(f.Environment == "" || d.Environment == f.Environment) &&
		(f.Status == "" || d.Adoption().Status == f.Status)
}

// ListDeployments returns the deployments that were not torn down and
// match filter, sorted by id. With a package it reads only that package's
// records (a prefix scan).
func (e *Engine) ListDeployments(ctx context.Context, filter DeploymentFilter) ([]domain.Deployment, error) {
	var all []domain.Deployment
	var err error
	if filter.Package != "" {
		all, err = e.store.ListPackageDeployments(ctx, filter.Package)
	} else {
		all, err = e.store.ListDeployments(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("listing deployments: %w", err)
	}
	out := make([]domain.Deployment, 0, len(all))
	for i := range all {
		if all[i].Status != domain.StatusTornDown && filter.matches(&all[i]) {
			out = append(out, all[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out, nil
}

// ListReleases returns the registered releases of pkg (every package when
// pkg is empty), archived ones only when includeArchived is set, sorted by
// package, then from the oldest to the newest.
func (e *Engine) ListReleases(ctx context.Context, pkg string, includeArchived bool) ([]domain.Release, error) {
	all, err := e.store.ListReleases(ctx, pkg)
	if err != nil {
		return nil, fmt.Errorf("listing releases: %w", err)
	}
	out := all[:0]
	for _, rel := range all {
		if includeArchived || !rel.Archived {
			out = append(out, rel)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.Version < b.Version
	})
	return out, nil
}
