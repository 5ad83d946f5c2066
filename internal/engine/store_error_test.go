package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// errStoreDown is what a failing test store answers.
var errStoreDown = errors.New("connection refused")

// failingKV fails every operation of one kind of record.
type failingKV struct {
	records.KV
	kind string
}

func (f failingKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	if kind == f.kind {
		return nil, 0, errStoreDown
	}
	return f.KV.Get(ctx, kind, key)
}

func (f failingKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	if kind == f.kind {
		return 0, errStoreDown
	}
	return f.KV.Put(ctx, kind, key, value, expect)
}

func (f failingKV) List(ctx context.Context, kind string) ([]records.KVEntry, error) {
	if kind == f.kind {
		return nil, errStoreDown
	}
	return f.KV.List(ctx, kind)
}

func (f failingKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]records.KVEntry, error) {
	if kind == f.kind {
		return nil, errStoreDown
	}
	return f.KV.Scan(ctx, kind, prefix, limit, reverse)
}

// TestStoreErrorNamesRecordAndStore: a failure of the backend comes back as
// a StoreError that says what was read or written, and where; a missing
// record and a lost race stay the plain answers callers test for.
func TestStoreErrorNamesRecordAndStore(t *testing.T) {
	ctx := context.Background()
	s := records.NewDescribedStore(failingKV{KV: store.NewMemoryKV(), kind: records.KindDeployment}, "PostgreSQL store postgres://ocuroot:xxxxx@db/ocuroot")
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"get", func() error { _, err := s.GetDeployment(ctx, "api/prod0"); return err }(),
			`reading deployment "api/prod0" in the store (PostgreSQL store postgres://ocuroot:xxxxx@db/ocuroot) failed: connection refused`},
		{"scan", func() error { _, err := s.ListPackageDeployments(ctx, "api"); return err }(),
			`listing the deployments of package "api" in the store (PostgreSQL store postgres://ocuroot:xxxxx@db/ocuroot) failed: connection refused`},
		{"list", func() error { _, err := s.ListDeployments(ctx); return err }(),
			`listing the deployment records in the store (PostgreSQL store postgres://ocuroot:xxxxx@db/ocuroot) failed: connection refused`},
	}
	for _, c := range cases {
		var storeErr *records.StoreError
		if !errors.As(c.err, &storeErr) || !errors.Is(c.err, errStoreDown) {
			t.Errorf("%s: error %v (%T) is not a StoreError wrapping the backend's", c.name, c.err, c.err)
			continue
		}
		if c.err.Error() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.err.Error(), c.want)
		}
		if !storeErr.Reading() {
			t.Errorf("%s: Reading() = false for %s", c.name, storeErr.Op)
		}
	}

	healthy := records.NewDescribedStore(store.NewMemoryKV(), "embedded store .terraform/ocuroot.db")
	if _, err := healthy.GetDeployment(ctx, "api/prod0"); err != records.ErrNotFound {
		t.Errorf("missing record: err = %v (%T), want ErrNotFound itself", err, err)
	}
	if _, err := healthy.DescribedKV().Put(ctx, records.KindLease, "api/prod0", []byte("{}"), 7); err != records.ErrConflict {
		t.Errorf("lost race: err = %v (%T), want ErrConflict itself", err, err)
	}
}

// nthReadFailsKV fails the nth read of one kind of record, and only that.
type nthReadFailsKV struct {
	records.KV
	kind string
	nth  int

	mu    sync.Mutex
	reads int
}

func (f *nthReadFailsKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	if kind == f.kind {
		f.mu.Lock()
		f.reads++
		fail := f.reads == f.nth
		f.mu.Unlock()
		if fail {
			return nil, 0, errStoreDown
		}
	}
	return f.KV.Get(ctx, kind, key)
}

// TestSeedDeploymentStoreReadFails is issue 21's crash: seeding reads the
// deployment twice, and a store that fails the second read used to leave a
// nil record that the seeding then dereferenced. Every read that fails now
// fails the seeding with a StoreError, and nothing is kept beside the store.
func TestSeedDeploymentStoreReadFails(t *testing.T) {
	ctx := context.Background()
	for nth := 1; nth <= 2; nth++ {
		kv := &nthReadFailsKV{KV: store.NewMemoryKV(), kind: records.KindDeployment, nth: nth}
		e := New(Options{Store: records.NewDescribedStore(kv, "embedded store .terraform/ocuroot.db"), Clock: enginetest.NewAutoClock(testStart)})
		spec := domain.DeploymentSpec{Package: "api", Environment: "prod0", Release: "api@2", Strategy: domain.StrategyBlueGreen,
			BlueGreen: domain.BlueGreenSpec{ManualPromotion: true}}
		d, err := e.SeedDeployment(ctx, SeedRequest{Spec: spec, LiveRelease: "api@1", PendingRelease: "api@2", Status: domain.StatusAwaitingPromotion})
		var storeErr *records.StoreError
		if !errors.As(err, &storeErr) || d != nil {
			t.Fatalf("read %d fails: SeedDeployment = %v, %v; want no record and a StoreError", nth, d, err)
		}
		if !strings.Contains(err.Error(), `reading deployment "api/prod0" in the store (embedded store .terraform/ocuroot.db) failed`) {
			t.Errorf("read %d fails: error %q does not say what was read where", nth, err)
		}
		if _, err := e.GetDeployment(ctx, "api/prod0"); !records.IsNotFound(err) {
			t.Errorf("read %d fails: a record was kept beside the store (err = %v)", nth, err)
		}
	}
}
