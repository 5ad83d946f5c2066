package engine

import (
	"context"
)

// History returns the newest limit transitions of a deployment, oldest
// first (limit <= 0: all of them). It reads the record and only the log
// entries it returns.
func (e *Engine) History(ctx context.Context, deploymentID string, limit int) ([]Transition, error) {
	d, err := e.store.GetDeployment(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	return e.store.historyOf(ctx, d, limit)
}

// HistoryOf is History for a record the caller has already read, including
// the transitions it recorded but has not saved yet.
func (e *Engine) HistoryOf(ctx context.Context, d *Deployment, limit int) ([]Transition, error) {
	return e.store.historyOf(ctx, d, limit)
}
