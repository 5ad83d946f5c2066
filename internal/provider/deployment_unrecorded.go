package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// A rollback sent while the store could not be reached, before it could
// record the decision, leaves the store showing the rollout still running.
// Terraform state is the one record that outlives the apply, so the
// rollback is kept in the resource's private state until an apply records
// it: the next Update hands it to Deploy, which sends the very same event
// under the same idempotency key and records it in the store.

// privateUnrecordedRollback is the private state key of that rollback
// (engine.UnrecordedRollback as JSON).
const privateUnrecordedRollback = "unrecorded_rollback"

// privateState is the part of the framework's private state data the
// resource uses; the request and response types differ, the methods do not.
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// unrecordedRollbackIn reads the rollback an earlier apply could not
// record; nil when there is none.
func unrecordedRollbackIn(ctx context.Context, private interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}) (*domain.UnrecordedRollback, diag.Diagnostics) {
	if private == nil {
		return nil, nil
	}
	raw, diags := private.GetKey(ctx, privateUnrecordedRollback)
	if diags.HasError() || len(raw) == 0 {
		return nil, diags
	}
	var rollback domain.UnrecordedRollback
	if err := json.Unmarshal(raw, &rollback); err != nil {
		// Not worth failing the apply over: the store's record stands.
		diags.AddWarning("Unreadable Unrecorded Rollback", fmt.Sprintf(
			"The private state of this deployment holds a rollback an earlier apply could not record, but it cannot be read (%v); it is ignored, "+
				"and the store's record of the deployment stands.", err))
		return nil, diags
	}
	return &rollback, diags
}

// keepUnrecordedRollback updates the private state after a Deploy: a new
// unrecorded rollback is kept; once Deploy got as far as the deployment's
// record (d is set), an earlier one was recorded or was no longer needed,
// and is dropped. A Deploy that stopped before that keeps it.
func keepUnrecordedRollback(ctx context.Context, private privateState, d *domain.Deployment, err error) diag.Diagnostics {
	if private == nil {
		return nil
	}
	var unrecorded *domain.UnrecordedError
	if errors.As(err, &unrecorded) && unrecorded.Rollback != nil {
		raw, marshalErr := json.Marshal(unrecorded.Rollback)
		if marshalErr != nil {
			var diags diag.Diagnostics
			diags.AddError("Cannot Keep Unrecorded Rollback", marshalErr.Error())
			return diags
		}
		return private.SetKey(ctx, privateUnrecordedRollback, raw)
	}
	if d != nil {
		return private.SetKey(ctx, privateUnrecordedRollback, nil)
	}
	return nil
}

// addUnrecordedRollbackWarning tells a refresh that the store does not
// show a rollback an earlier apply sent.
func addUnrecordedRollbackWarning(diags *diag.Diagnostics, rollback *domain.UnrecordedRollback, d *domain.Deployment) {
	if rollback == nil || d == nil || d.Rollout == nil || d.Rollout.ID != rollback.RolloutID || !d.Rollout.State.Active() {
		return
	}
	diags.AddWarning("Rollback Not Yet Recorded In The Store", fmt.Sprintf(
		"An earlier apply rolled %s back (%s), but the store could not be reached to record it, so the store still shows that rollout %s. "+
			"The next apply of this deployment records the rollback first, sending the same rollback hook again with the same Idempotency-Key.",
		d.Rollout.Release, rollback.Reason, d.Rollout.State))
}
