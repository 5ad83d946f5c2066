package engine

import (
	"context"
)

// RestoreEnvironment keeps env, as Terraform state knows it, for a store
// that has no record of it. It writes nothing to the store.
func (e *Engine) RestoreEnvironment(ctx context.Context, env Environment) (RestoreOutcome, error) {
	return restoreRecord(ctx, e.store, kindEnvironment, env.Name, env, func(set *restoredSet) *map[string]Environment { return &set.Environments })
}

// RestoreRelease keeps rel, as Terraform state knows it, for a store that
// has no record of it. It writes nothing to the store.
func (e *Engine) RestoreRelease(ctx context.Context, rel Release) (RestoreOutcome, error) {
	return restoreRecord(ctx, e.store, kindRelease, rel.ID(), rel, func(set *restoredSet) *map[string]Release { return &set.Releases })
}
