package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

func TestMemoryKVConformance(t *testing.T) {
	runKVConformance(t, func(t *testing.T) KV { return NewMemoryKV() })
}

func TestBoltKVConformance(t *testing.T) {
	runKVConformance(t, func(t *testing.T) KV {
		path := filepath.Join(t.TempDir(), "state", "store.db")
		kv, err := OpenBoltKV(path)
		if err != nil {
			t.Fatalf("OpenBoltKV: %v", err)
		}
		t.Cleanup(func() {
			assertFileMode(t, path, 0o600)
			assertFileMode(t, filepath.Dir(path), os.ModeDir|0o700)
		})
		return kv
	})
}

func TestPostgresKVConformance(t *testing.T) {
	runKVConformance(t, func(t *testing.T) KV {
		kv, err := OpenPostgresKV(context.Background(), enginetest.StartPostgres(t))
		if err != nil {
			t.Fatalf("OpenPostgresKV: %v", err)
		}
		return kv
	})
}

func assertFileMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Errorf("stat %s: %v", path, err)
		return
	}
	if got := info.Mode() & (os.ModeDir | os.ModePerm); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

// runKVConformance checks a KV implementation against the contract of the KV
// interface, as MemoryKV implements it. open returns an empty store; the
// suite closes it.
func runKVConformance(t *testing.T, open func(t *testing.T) KV) {
	ctx := context.Background()
	fresh := func(t *testing.T) KV {
		t.Helper()
		kv := open(t)
		t.Cleanup(func() {
			if err := kv.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return kv
	}

	t.Run("get missing is ErrNotFound", func(t *testing.T) {
		kv := fresh(t)
		if _, _, err := kv.Get(ctx, "env", "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
		}
		mustPut(t, kv, "env", "other", "x", 0)
		if _, _, err := kv.Get(ctx, "env", "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing in a used kind: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("create then get", func(t *testing.T) {
		kv := fresh(t)
		rev := mustPut(t, kv, "env", "prod", "v1", 0)
		if rev <= 0 {
			t.Fatalf("revision = %d, want > 0", rev)
		}
		assertRecord(t, kv, "env", "prod", "v1", rev)
	})

	t.Run("create of an existing record conflicts", func(t *testing.T) {
		kv := fresh(t)
		rev := mustPut(t, kv, "env", "prod", "v1", 0)
		assertPutConflict(t, kv, "env", "prod", 0)
		assertRecord(t, kv, "env", "prod", "v1", rev)
	})

	t.Run("update with the current revision", func(t *testing.T) {
		kv := fresh(t)
		rev1 := mustPut(t, kv, "env", "prod", "v1", 0)
		rev2 := mustPut(t, kv, "env", "prod", "v2", rev1)
		if rev2 <= rev1 {
			t.Fatalf("revision after update = %d, want > %d", rev2, rev1)
		}
		assertRecord(t, kv, "env", "prod", "v2", rev2)
	})

	t.Run("update with a stale revision conflicts", func(t *testing.T) {
		kv := fresh(t)
		rev1 := mustPut(t, kv, "env", "prod", "v1", 0)
		rev2 := mustPut(t, kv, "env", "prod", "v2", rev1)
		assertPutConflict(t, kv, "env", "prod", rev1)
		assertPutConflict(t, kv, "env", "prod", rev2+1000)
		assertRecord(t, kv, "env", "prod", "v2", rev2)
	})

	t.Run("update of a missing record conflicts", func(t *testing.T) {
		kv := fresh(t)
		other := mustPut(t, kv, "env", "other", "x", 0)
		assertPutConflict(t, kv, "env", "prod", other)
		if _, _, err := kv.Get(ctx, "env", "prod"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after conflicting put: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("any revision writes unconditionally", func(t *testing.T) {
		kv := fresh(t)
		rev1 := mustPut(t, kv, "env", "prod", "v1", AnyRevision)
		rev2 := mustPut(t, kv, "env", "prod", "v2", AnyRevision)
		if rev2 <= rev1 {
			t.Fatalf("revision after overwrite = %d, want > %d", rev2, rev1)
		}
		assertRecord(t, kv, "env", "prod", "v2", rev2)
	})

	t.Run("revisions increase across keys and kinds", func(t *testing.T) {
		kv := fresh(t)
		var last int64
		for i, kind := range []string{"env", "release", "env", "deployment"} {
			rev := mustPut(t, kv, kind, fmt.Sprintf("k%d", i), "v", AnyRevision)
			if rev <= last {
				t.Fatalf("put %d: revision %d, want > %d", i, rev, last)
			}
			last = rev
		}
	})

	t.Run("kinds are separate namespaces", func(t *testing.T) {
		kv := fresh(t)
		envRev := mustPut(t, kv, "env", "same", "an environment", 0)
		relRev := mustPut(t, kv, "release", "same", "a release", 0)
		assertRecord(t, kv, "env", "same", "an environment", envRev)
		assertRecord(t, kv, "release", "same", "a release", relRev)
		if err := kv.Delete(ctx, "env", "same", AnyRevision); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertRecord(t, kv, "release", "same", "a release", relRev)
	})

	t.Run("values round trip byte for byte", func(t *testing.T) {
		kv := fresh(t)
		for key, value := range map[string][]byte{
			"empty":  {},
			"binary": {0, 1, 2, 0, 255, 254, 0},
			"json":   []byte(`{"name":"prod","attributes":{"region":"eu"}}`),
			"large":  bytes.Repeat([]byte("0123456789abcdef"), 4096),
		} {
			rev, err := kv.Put(ctx, "blob", key, value, 0)
			if err != nil {
				t.Fatalf("Put %s: %v", key, err)
			}
			got, gotRev, err := kv.Get(ctx, "blob", key)
			if err != nil || gotRev != rev || !bytes.Equal(got, value) {
				t.Fatalf("Get %s = %d bytes, rev %d, %v; want %d bytes, rev %d", key, len(got), gotRev, err, len(value), rev)
			}
		}
	})

	t.Run("values are copied in and out", func(t *testing.T) {
		kv := fresh(t)
		value := []byte("original")
		rev := mustPut(t, kv, "env", "prod", string(value), 0)
		if _, err := kv.Put(ctx, "env", "copy", value, 0); err != nil {
			t.Fatalf("Put: %v", err)
		}
		copy(value, "MUTATED!")
		got, _, err := kv.Get(ctx, "env", "copy")
		if err != nil || string(got) != "original" {
			t.Fatalf("Get after mutating the put slice = %q, %v; want original", got, err)
		}
		copy(got, "MUTATED!")
		assertRecord(t, kv, "env", "prod", "original", rev)
		assertRecord(t, kv, "env", "copy", "original", 0)
	})

	t.Run("delete with the current revision", func(t *testing.T) {
		kv := fresh(t)
		rev := mustPut(t, kv, "env", "prod", "v1", 0)
		if err := kv.Delete(ctx, "env", "prod", rev); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, _, err := kv.Get(ctx, "env", "prod"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after delete: err = %v, want ErrNotFound", err)
		}
		recreated := mustPut(t, kv, "env", "prod", "v2", 0)
		if recreated <= rev {
			t.Fatalf("revision of a recreated record = %d, want > %d", recreated, rev)
		}
	})

	t.Run("delete with a stale revision conflicts", func(t *testing.T) {
		kv := fresh(t)
		rev1 := mustPut(t, kv, "env", "prod", "v1", 0)
		rev2 := mustPut(t, kv, "env", "prod", "v2", rev1)
		for _, expect := range []int64{rev1, 0, rev2 + 1000} {
			if err := kv.Delete(ctx, "env", "prod", expect); !errors.Is(err, ErrConflict) {
				t.Fatalf("Delete expecting %d: err = %v, want ErrConflict", expect, err)
			}
		}
		assertRecord(t, kv, "env", "prod", "v2", rev2)
	})

	t.Run("delete with any revision", func(t *testing.T) {
		kv := fresh(t)
		mustPut(t, kv, "env", "prod", "v1", 0)
		if err := kv.Delete(ctx, "env", "prod", AnyRevision); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, _, err := kv.Get(ctx, "env", "prod"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after delete: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("delete of a missing record is not an error", func(t *testing.T) {
		kv := fresh(t)
		for _, expect := range []int64{AnyRevision, 0, 7} {
			if err := kv.Delete(ctx, "never-used", "nope", expect); err != nil {
				t.Fatalf("Delete in an unused kind expecting %d: %v", expect, err)
			}
			if err := kv.Delete(ctx, "env", "nope", expect); err != nil {
				t.Fatalf("Delete missing expecting %d: %v", expect, err)
			}
		}
		rev := mustPut(t, kv, "env", "gone", "v", 0)
		if err := kv.Delete(ctx, "env", "gone", rev); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if err := kv.Delete(ctx, "env", "gone", rev); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	})

	t.Run("list of an unused kind is empty", func(t *testing.T) {
		kv := fresh(t)
		mustPut(t, kv, "env", "prod", "v", 0)
		entries, err := kv.List(ctx, "release")
		if err != nil || len(entries) != 0 {
			t.Fatalf("List unused kind = %v, %v; want empty", entries, err)
		}
	})

	t.Run("list is ordered by key in byte order", func(t *testing.T) {
		kv := fresh(t)
		// A locale collation would sort these differently (case, punctuation).
		keys := []string{"b", "B", "a-c", "ab", "a_b", "a.b", "A", "a", "prod-2", "prod-10"}
		revs := map[string]int64{}
		for _, key := range keys {
			revs[key] = mustPut(t, kv, "env", key, "value of "+key, 0)
		}
		mustPut(t, kv, "release", "zzz", "other kind", 0)
		if err := kv.Delete(ctx, "env", "ab", AnyRevision); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		entries, err := kv.List(ctx, "env")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		want := []string{"A", "B", "a", "a-c", "a.b", "a_b", "b", "prod-10", "prod-2"}
		if len(entries) != len(want) {
			t.Fatalf("List returned %d entries, want %d: %v", len(entries), len(want), entries)
		}
		for i, e := range entries {
			if e.Key != want[i] || string(e.Value) != "value of "+want[i] || e.Revision != revs[want[i]] {
				t.Fatalf("entry %d = {%q %q %d}, want {%q %q %d}",
					i, e.Key, e.Value, e.Revision, want[i], "value of "+want[i], revs[want[i]])
			}
		}
	})

	runKVScanApplyConformance(t, fresh)

	t.Run("concurrent compare-and-swap increments", func(t *testing.T) {
		kv := fresh(t)
		const goroutines, increments = 20, 10
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < increments; i++ {
					if _, err := casIncrement(ctx, kv, "counter", "shared"); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("increment: %v", err)
		}
		if got := readCounter(t, kv, "counter", "shared"); got != goroutines*increments {
			t.Fatalf("counter = %d, want %d", got, goroutines*increments)
		}
	})
}

// casIncrement adds one to a decimal counter, retrying on ErrConflict, and
// returns the value it wrote.
func casIncrement(ctx context.Context, kv KV, kind, key string) (int, error) {
	for {
		value, rev, err := kv.Get(ctx, kind, key)
		n := 0
		switch {
		case errors.Is(err, ErrNotFound):
			rev = 0
		case err != nil:
			return 0, err
		default:
			if _, err := fmt.Sscan(string(value), &n); err != nil {
				return 0, fmt.Errorf("counter %q: %w", value, err)
			}
		}
		_, err = kv.Put(ctx, kind, key, []byte(fmt.Sprint(n+1)), rev)
		if err == nil {
			return n + 1, nil
		}
		if !errors.Is(err, ErrConflict) {
			return 0, err
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

func readCounter(t *testing.T, kv KV, kind, key string) int {
	t.Helper()
	value, _, err := kv.Get(context.Background(), kind, key)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", kind, key, err)
	}
	var n int
	if _, err := fmt.Sscan(string(value), &n); err != nil {
		t.Fatalf("counter %q: %v", value, err)
	}
	return n
}

func mustPut(t *testing.T, kv KV, kind, key, value string, expect int64) int64 {
	t.Helper()
	rev, err := kv.Put(context.Background(), kind, key, []byte(value), expect)
	if err != nil {
		t.Fatalf("Put %s/%s expecting %d: %v", kind, key, expect, err)
	}
	return rev
}

func assertPutConflict(t *testing.T, kv KV, kind, key string, expect int64) {
	t.Helper()
	rev, err := kv.Put(context.Background(), kind, key, []byte("must not be written"), expect)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("Put %s/%s expecting %d = rev %d, err %v; want ErrConflict", kind, key, expect, rev, err)
	}
}

// assertRecord checks a record's value, and its revision unless wantRev is 0.
func assertRecord(t *testing.T, kv KV, kind, key, wantValue string, wantRev int64) {
	t.Helper()
	value, rev, err := kv.Get(context.Background(), kind, key)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", kind, key, err)
	}
	if string(value) != wantValue || (wantRev != 0 && rev != wantRev) {
		t.Fatalf("Get %s/%s = %q rev %d, want %q rev %d", kind, key, value, rev, wantValue, wantRev)
	}
}
