package engine

import (
	"context"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// History returns the newest limit transitions of a deployment, oldest
// first (limit <= 0: all of them). It reads the record and only the log
// entries it returns.
func (e *Engine) History(ctx context.Context, deploymentID string, limit int) ([]domain.Transition, error) {
	d, err := e.store.GetDeployment(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	return e.store.HistoryOf(ctx, d, limit)
}

// HistoryOf is History for a record the caller has already read, including
// the transitions it recorded but has not saved yet.
func (e *Engine) HistoryOf(ctx context.Context, d *domain.Deployment, limit int) ([]domain.Transition, error) {
	return e.store.HistoryOf(ctx, d, limit)
}
