package provider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// fakePrivate is private state in a map.
type fakePrivate map[string][]byte

func (p fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p fakePrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	if len(value) == 0 {
		delete(p, key)
	} else {
		p[key] = value
	}
	return nil
}

func TestUnrecordedRollbackIsKeptUntilAnApplyRecordsIt(t *testing.T) {
	ctx := context.Background()
	private := fakePrivate{}
	sent := &domain.UnrecordedRollback{RolloutID: "api@2-2-abcdef", Step: 2, KeyStep: "rollback-0123456789ab", Slot: "canary", Reason: "the store could not be reached for 2m0s"}
	failed := &domain.RolloutError{RolledBack: true, Unrecorded: &domain.UnrecordedError{Rollback: sent, Err: records.ErrStoreUnavailable}}
	d := &domain.Deployment{Package: "api", Environment: "prod0"}

	keepUnrecordedRollback(ctx, private, d, failed)
	got, diags := unrecordedRollbackIn(ctx, private)
	if diags.HasError() || got == nil || *got != *sent {
		t.Fatalf("kept %+v (%v), want %+v", got, diags, sent)
	}
	// A Deploy that stopped before reading the record (a lease wait, the
	// store still away) keeps it for the apply after.
	keepUnrecordedRollback(ctx, private, nil, errors.New("deployment api/prod0 is locked by another run"))
	if got, _ := unrecordedRollbackIn(ctx, private); got == nil {
		t.Fatal("a Deploy that never reached the record dropped the unrecorded rollback")
	}
	// One that reached it recorded it (or found nothing left to record).
	keepUnrecordedRollback(ctx, private, d, nil)
	if got, _ := unrecordedRollbackIn(ctx, private); got != nil {
		t.Fatalf("still kept %+v after an apply that recorded it", got)
	}
}

func TestUnrecordedRollbackWarnsWhileTheStoreShowsTheRolloutRunning(t *testing.T) {
	sent := &domain.UnrecordedRollback{RolloutID: "api@2-2-abcdef", Reason: "the store could not be reached for 2m0s"}
	running := &domain.Deployment{Rollout: &domain.Rollout{ID: sent.RolloutID, Release: "api@2", State: domain.RolloutRunning}}
	var diags diag.Diagnostics
	addUnrecordedRollbackWarning(&diags, sent, running)
	if len(diags) != 1 || diags[0].Summary() != "Rollback Not Yet Recorded In The Store" ||
		!strings.Contains(diags[0].Detail(), "An earlier apply rolled api@2 back (the store could not be reached for 2m0s), but the store could not be reached to record it, so the store still shows that rollout running.") {
		t.Fatalf("diagnostics = %v", diags)
	}
	recorded := &domain.Deployment{Rollout: &domain.Rollout{ID: sent.RolloutID, Release: "api@2", State: domain.RolloutRolledBack}}
	diags = nil
	addUnrecordedRollbackWarning(&diags, sent, recorded)
	if len(diags) != 0 {
		t.Fatalf("warned %v about a rollback the store has recorded", diags)
	}
}
