package engine

import (
	"context"
	"errors"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// RefreshRequest asks what the store holds of a deployment that Terraform
// state records.
type RefreshRequest struct {
	// ID is the deployment's id, PACKAGE/ENVIRONMENT.
	ID string
	// StateRelease is the release the state records; the result says which
	// release is in effect instead (see Deployment.ReleaseInEffect).
	StateRelease string
	// Restore describes the deployment as state knows it. It is called only
	// when the store has no record (a fresh runner with an empty embedded
	// store); false means the caller cannot describe it and has said why, and
	// nothing is restored.
	Restore func() (SeedRequest, bool)
}

// RefreshOutcome is what a refresh found in the store.
type RefreshOutcome int

const (
	// RefreshFound: the store holds the record; the state follows it.
	RefreshFound RefreshOutcome = iota + 1
	// RefreshTornDown: the deployment was torn down; the state forgets it.
	RefreshTornDown
	// RefreshMissing: the store has no record. Terraform state is the
	// system of record, so it is kept as it is and the record is restored
	// from it (SeedDeployment): nothing is redeployed.
	RefreshMissing
)

// RefreshResult is the outcome of Refresh.
type RefreshResult struct {
	Outcome RefreshOutcome
	// Deployment is the record (RefreshFound, RefreshTornDown).
	Deployment *domain.Deployment
	// ReleaseInEffect is the release the state should record (RefreshFound).
	ReleaseInEffect string
	// RestoreFailed says why a missing record could not be restored for a
	// reason other than the store (RefreshMissing); the state still stands.
	RestoreFailed error
}

// Refresh reads the record of a deployment that Terraform state knows:
//
//  1. the store holds it: the result carries it and the release in effect;
//  2. it was torn down: the result says so;
//  3. the store has none: the record is restored from state (req.Restore),
//     without writing the store, and the state stands.
//
// An error is a store that failed to answer. The result's Outcome tells
// which read failed: zero for the record's own read, RefreshMissing for
// the read that restores it.
func (e *Engine) Refresh(ctx context.Context, req RefreshRequest) (RefreshResult, error) {
	d, err := e.GetDeployment(ctx, req.ID)
	if records.IsNotFound(err) {
		return e.restoreMissing(ctx, req)
	}
	if err != nil {
		return RefreshResult{}, err
	}
	if d.Status == domain.StatusTornDown {
		return RefreshResult{Outcome: RefreshTornDown, Deployment: d}, nil
	}
	return RefreshResult{Outcome: RefreshFound, Deployment: d, ReleaseInEffect: d.ReleaseInEffect(req.StateRelease)}, nil
}

// restoreMissing restores a record the store does not have from state. A
// store that fails is an error; any other refusal only fails the restore.
func (e *Engine) restoreMissing(ctx context.Context, req RefreshRequest) (RefreshResult, error) {
	result := RefreshResult{Outcome: RefreshMissing}
	if req.Restore == nil {
		return result, nil
	}
	seed, ok := req.Restore()
	if !ok {
		return result, nil
	}
	_, err := e.SeedDeployment(ctx, seed)
	if errors.As(err, new(*records.StoreError)) {
		return result, err
	}
	result.RestoreFailed = err
	return result, nil
}
