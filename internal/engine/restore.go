package engine

import (
	"context"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// RestoreEnvironment keeps env, as Terraform state knows it, for a store
// that has no record of it. It writes nothing to the store.
func (e *Engine) RestoreEnvironment(ctx context.Context, env domain.Environment) (records.RestoreOutcome, error) {
	return records.RestoreRecord(ctx, e.store, records.KindEnvironment, env.Name, env, func(set *records.RestoredSet) *map[string]domain.Environment { return &set.Environments })
}

// RestoreRelease keeps rel, as Terraform state knows it, for a store that
// has no record of it. It writes nothing to the store.
func (e *Engine) RestoreRelease(ctx context.Context, rel domain.Release) (records.RestoreOutcome, error) {
	return records.RestoreRecord(ctx, e.store, records.KindRelease, rel.ID(), rel, func(set *records.RestoredSet) *map[string]domain.Release { return &set.Releases })
}
