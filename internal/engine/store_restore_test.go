package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// writeCountingKV counts writes, to prove that restoring from Terraform
// state (what a refresh does) writes nothing.
type writeCountingKV struct {
	records.KV
	writes int
}

func (w *writeCountingKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	w.writes++
	return w.KV.Put(ctx, kind, key, value, expect)
}

func (w *writeCountingKV) Apply(ctx context.Context, writes []records.KVWrite) ([]int64, error) {
	w.writes++
	return w.KV.Apply(ctx, writes)
}

func (w *writeCountingKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	w.writes++
	return w.KV.Delete(ctx, kind, key, expect)
}

func TestRestoreWritesNothingUntilTheFirstWrite(t *testing.T) {
	ctx := context.Background()
	kv := &writeCountingKV{KV: store.NewMemoryKV()}
	e := New(Options{Store: records.NewStore(kv)})

	env := domain.Environment{Name: "prod0", Attributes: map[string]string{"type": "prod"}}
	rel := domain.Release{Package: "api", Version: "1", Phases: []domain.Phase{{Name: "prod", Environments: []string{"prod0"}}}}
	if outcome, err := e.RestoreEnvironment(ctx, env); err != nil || outcome != records.Restored {
		t.Fatalf("RestoreEnvironment = %v, %v", outcome, err)
	}
	if outcome, err := e.RestoreRelease(ctx, rel); err != nil || outcome != records.Restored {
		t.Fatalf("RestoreRelease = %v, %v", outcome, err)
	}
	seeded, err := e.SeedDeployment(ctx, SeedRequest{Spec: domain.DeploymentSpec{Package: "api", Environment: "prod0"}, LiveRelease: "api@1", Status: domain.StatusSucceeded})
	if err != nil || seeded.LiveRelease != "api@1" {
		t.Fatalf("SeedDeployment = %+v, %v", seeded, err)
	}
	if kv.writes != 0 {
		t.Fatalf("restoring wrote %d time(s) to the store", kv.writes)
	}

	// Reads fall back to the restored records.
	if got, err := e.GetEnvironment(ctx, "prod0"); err != nil || got.Attributes["type"] != "prod" {
		t.Errorf("GetEnvironment = %+v, %v", got, err)
	}
	if got, err := e.GetRelease(ctx, "api@1"); err != nil || got.ID() != "api@1" {
		t.Errorf("GetRelease = %+v, %v", got, err)
	}
	if envs, err := e.ListEnvironments(ctx, nil); err != nil || len(envs) != 1 {
		t.Errorf("ListEnvironments = %+v, %v", envs, err)
	}
	if kv.writes != 0 {
		t.Fatalf("reading wrote %d time(s) to the store", kv.writes)
	}

	// The first write of an apply stores every restored record.
	if err := e.Store().PutApproval(ctx, records.Approval{Release: "api@1", Phase: "prod", By: "test"}); err != nil {
		t.Fatal(err)
	}
	for kind, key := range map[string]string{records.KindEnvironment: "prod0", records.KindRelease: "api@1", records.KindDeployment: "api/prod0"} {
		if _, _, err := kv.KV.Get(ctx, kind, key); err != nil {
			t.Errorf("%s %q was not stored by the first write: %v", kind, key, err)
		}
	}
}

func TestRestoreReportsRecordsDeletedThroughTerraform(t *testing.T) {
	ctx := context.Background()
	e := New(Options{Store: records.NewStore(store.NewMemoryKV())})
	env := domain.Environment{Name: "eu1"}
	if _, err := e.PutEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteEnvironment(ctx, "eu1"); err != nil {
		t.Fatal(err)
	}
	if outcome, err := e.RestoreEnvironment(ctx, env); err != nil || outcome != records.DeletedElsewhere {
		t.Fatalf("RestoreEnvironment after a delete = %v, %v; want DeletedElsewhere", outcome, err)
	}
	if _, err := e.GetEnvironment(ctx, "eu1"); !records.IsNotFound(err) {
		t.Fatalf("a deleted environment is readable again: %v", err)
	}
	// Creating it again clears the tombstone.
	if _, err := e.PutEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	if gone, err := e.Store().Deleted(ctx, records.KindEnvironment, "eu1"); err != nil || gone {
		t.Fatalf("tombstone kept after re-creating: %v, %v", gone, err)
	}

	rel := domain.Release{Package: "api", Version: "9", Phases: []domain.Phase{{Name: "p", Environments: []string{"eu1"}}}}
	if _, err := e.RegisterRelease(ctx, rel); err != nil {
		t.Fatal(err)
	}
	if archived, err := e.RetireRelease(ctx, rel.ID()); err != nil || archived {
		t.Fatalf("RetireRelease = %v, %v", archived, err)
	}
	if outcome, err := e.RestoreRelease(ctx, rel); err != nil || outcome != records.DeletedElsewhere {
		t.Fatalf("RestoreRelease after a delete = %v, %v; want DeletedElsewhere", outcome, err)
	}
}

func TestRestoredRecordsAreCarriedToTheNextProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	carry := filepath.Join(dir, "store.db.restored.json")
	kv := store.NewMemoryKV()

	plan := records.NewStore(kv)
	if err := plan.CarryRestoredIn(carry); err != nil {
		t.Fatal(err)
	}
	planner := New(Options{Store: plan})
	if _, err := planner.RestoreEnvironment(ctx, domain.Environment{Name: "prod0"}); err != nil {
		t.Fatal(err)
	}

	// The apply runs in a new process with a new store handle.
	apply := records.NewStore(kv)
	if err := apply.CarryRestoredIn(carry); err != nil {
		t.Fatal(err)
	}
	if _, err := apply.GetEnvironment(ctx, "prod0"); err != nil {
		t.Fatalf("the apply's process does not see the restored environment: %v", err)
	}
	if err := apply.PutApproval(ctx, records.Approval{Release: "a@1", Phase: "p", By: "t", ApprovedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kv.Get(ctx, records.KindEnvironment, "prod0"); err != nil {
		t.Fatalf("the apply's first write did not store the restored environment: %v", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*")); len(matches) != 0 {
		t.Fatalf("files left after the restored records were stored: %v", matches)
	}
}

func TestStoringRestoredRecordsKeepsWhatAnotherRunWrote(t *testing.T) {
	ctx := context.Background()
	kv := store.NewMemoryKV()
	e := New(Options{Store: records.NewStore(kv)})
	if _, err := e.RestoreEnvironment(ctx, domain.Environment{Name: "prod0", Attributes: map[string]string{"from": "state"}}); err != nil {
		t.Fatal(err)
	}
	other := New(Options{Store: records.NewStore(kv)})
	if _, err := other.PutEnvironment(ctx, domain.Environment{Name: "prod0", Attributes: map[string]string{"from": "other run"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store().PutApproval(ctx, records.Approval{Release: "a@1", Phase: "p", By: "t"}); err != nil {
		t.Fatal(err)
	}
	got, err := other.GetEnvironment(ctx, "prod0")
	if err != nil || got.Attributes["from"] != "other run" {
		t.Fatalf("environment = %+v, %v; the other run's record must win", got, err)
	}
}

// An apply's operations run concurrently: one may read a restored
// deployment while another's first write stores it. The first must still
// save its copy (the same content), not fail with a conflict.
func TestSavingARestoredDeploymentAfterAnotherWriteStoredIt(t *testing.T) {
	ctx := context.Background()
	e := New(Options{Store: records.NewStore(store.NewMemoryKV())})
	if _, err := e.SeedDeployment(ctx, SeedRequest{Spec: domain.DeploymentSpec{Package: "api", Environment: "prod0"}, LiveRelease: "api@1", Status: domain.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	held, err := e.Store().GetDeployment(ctx, "api/prod0")
	if err != nil {
		t.Fatal(err)
	}
	// A concurrent operation (retiring an unrelated release) writes first.
	if err := e.Store().PutApproval(ctx, records.Approval{Release: "api@2", Phase: "p", By: "t"}); err != nil {
		t.Fatal(err)
	}
	held.Record(e.Clock().Now(), domain.StatusTornDown, "api@1", "teardown")
	if err := e.Store().SaveDeployment(ctx, held); err != nil {
		t.Fatalf("saving the restored copy after another write stored it: %v", err)
	}
	// A copy read from the store, then changed by someone else, still conflicts.
	stale, _ := e.Store().GetDeployment(ctx, "api/prod0")
	fresh, _ := e.Store().GetDeployment(ctx, "api/prod0")
	if err := e.Store().SaveDeployment(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if err := e.Store().SaveDeployment(ctx, stale); !errors.Is(err, records.ErrConflict) {
		t.Fatalf("a stale copy saved over a newer record: %v", err)
	}
}
