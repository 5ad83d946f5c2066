package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// PutEnvironment registers or updates an environment.
func (e *Engine) PutEnvironment(ctx context.Context, env domain.Environment) (domain.Environment, error) {
	if err := domain.ValidateName("environment name", env.Name); err != nil {
		return domain.Environment{}, err
	}
	now := e.clock.Now()
	existing, err := e.store.GetEnvironment(ctx, env.Name)
	switch {
	case err == nil:
		env.CreatedAt = existing.CreatedAt
	case records.IsNotFound(err):
		env.CreatedAt = now
	default:
		return domain.Environment{}, fmt.Errorf("reading environment %q: %w", env.Name, err)
	}
	env.UpdatedAt = now
	if err := e.store.PutEnvironment(ctx, env); err != nil {
		return domain.Environment{}, fmt.Errorf("saving environment %q: %w", env.Name, err)
	}
	return env, nil
}

// GetEnvironment returns a registered environment or ErrNotFound.
func (e *Engine) GetEnvironment(ctx context.Context, name string) (domain.Environment, error) {
	return e.store.GetEnvironment(ctx, name)
}

// ListEnvironments returns environments whose attributes include every
// key/value of match (nil matches all), sorted by name.
func (e *Engine) ListEnvironments(ctx context.Context, match map[string]string) ([]domain.Environment, error) {
	all, err := e.store.ListEnvironments(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing environments: %w", err)
	}
	out := all[:0]
	for _, env := range all {
		if domain.AttributesMatch(env.Attributes, match) {
			out = append(out, env)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LiveDeploymentsIn lists the deployments still running in an environment.
func (e *Engine) LiveDeploymentsIn(ctx context.Context, env string) ([]domain.Deployment, error) {
	all, err := e.store.ListDeployments(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing deployments: %w", err)
	}
	var live []domain.Deployment
	for _, d := range all {
		if d.Environment == env && d.Status != domain.StatusTornDown {
			live = append(live, d)
		}
	}
	return live, nil
}

// DeleteEnvironment removes an environment, refusing with an
// EnvironmentInUseError while deployments still run in it: they must be
// destroyed first.
func (e *Engine) DeleteEnvironment(ctx context.Context, name string) error {
	live, err := e.LiveDeploymentsIn(ctx, name)
	if err != nil {
		return err
	}
	if len(live) > 0 {
		ids := make([]string, 0, len(live))
		for _, d := range live {
			ids = append(ids, d.ID())
		}
		return &domain.EnvironmentInUseError{Environment: name, Deployments: ids}
	}
	if err := e.store.DeleteEnvironment(ctx, name, e.clock.Now()); err != nil {
		return fmt.Errorf("deleting environment %q: %w", name, err)
	}
	return nil
}
