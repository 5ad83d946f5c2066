package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// runKVScanApplyConformance checks Scan and Apply, the two operations the
// history log is built on, against the KV contract. fresh returns an empty
// store that the caller closes.
func runKVScanApplyConformance(t *testing.T, fresh func(t *testing.T) KV) {
	ctx := context.Background()

	t.Run("scan reads one prefix in key order either way", func(t *testing.T) {
		kv := fresh(t)
		revs := map[string]int64{}
		for _, key := range []string{"api/prod/03", "api/prod/01", "api/prod0", "api/prod/02", "api/produce/01", "api/pro", "web/prod/01", "api/prod/04"} {
			revs[key] = mustPut(t, kv, "log", key, "value of "+key, 0)
		}
		mustPut(t, kv, "other", "api/prod/05", "another kind", 0)
		for _, tt := range []struct {
			prefix  string
			limit   int
			reverse bool
			want    []string
		}{
			{"api/prod/", 0, false, []string{"api/prod/01", "api/prod/02", "api/prod/03", "api/prod/04"}},
			{"api/prod/", 0, true, []string{"api/prod/04", "api/prod/03", "api/prod/02", "api/prod/01"}},
			{"api/prod/", 2, true, []string{"api/prod/04", "api/prod/03"}},
			{"api/prod/", 3, false, []string{"api/prod/01", "api/prod/02", "api/prod/03"}},
			{"api/prod/", 10, true, []string{"api/prod/04", "api/prod/03", "api/prod/02", "api/prod/01"}},
			{"api/prod", 0, false, []string{"api/prod/01", "api/prod/02", "api/prod/03", "api/prod/04", "api/prod0", "api/produce/01"}},
			{"web/", 0, true, []string{"web/prod/01"}},
			{"", 2, true, []string{"web/prod/01", "api/produce/01"}},
			{"api/staging/", 5, true, []string{}},
			{"zzz", 0, false, []string{}},
		} {
			entries, err := kv.Scan(ctx, "log", tt.prefix, tt.limit, tt.reverse)
			if err != nil {
				t.Fatalf("Scan(%q, %d, %v): %v", tt.prefix, tt.limit, tt.reverse, err)
			}
			if entries == nil {
				t.Fatalf("Scan(%q, %d, %v) = nil, want an empty slice", tt.prefix, tt.limit, tt.reverse)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Key)
				if string(e.Value) != "value of "+e.Key || e.Revision != revs[e.Key] {
					t.Errorf("Scan(%q) entry %s = %q rev %d, want %q rev %d", tt.prefix, e.Key, e.Value, e.Revision, "value of "+e.Key, revs[e.Key])
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Scan(%q, limit %d, reverse %v) = %q, want %q", tt.prefix, tt.limit, tt.reverse, got, tt.want)
			}
		}
		if entries, err := kv.Scan(ctx, "never-used", "", 0, true); err != nil || len(entries) != 0 {
			t.Errorf("Scan of an unused kind = %v, %v; want empty", entries, err)
		}
	})

	t.Run("scan prefixes ending in a multi-byte character", func(t *testing.T) {
		kv := fresh(t)
		for _, key := range []string{"café/1", "café/2", "cafê/1", "café", "cafe/1", "caf\u007f"} {
			mustPut(t, kv, "log", key, key, 0)
		}
		for prefix, want := range map[string]string{"café": "café café/1 café/2", "caf\u007f": "caf\u007f", "cafe": "cafe/1"} {
			entries, err := kv.Scan(ctx, "log", prefix, 0, false)
			if err != nil {
				t.Fatalf("Scan(%q): %v", prefix, err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Key)
			}
			if strings.Join(got, " ") != want {
				t.Errorf("Scan(%q) = %q, want %s", prefix, got, want)
			}
		}
	})

	t.Run("apply writes every record or none", func(t *testing.T) {
		kv := fresh(t)
		head := mustPut(t, kv, "head", "api/prod", "seq 1", 0)
		mustPut(t, kv, "log", "api/prod/1", "first", 0)
		revs, err := kv.Apply(ctx, []KVWrite{
			{Kind: "head", Key: "api/prod", Value: []byte("seq 3"), Expect: head},
			{Kind: "log", Key: "api/prod/2", Value: []byte("second"), Expect: 0},
			{Kind: "log", Key: "api/prod/3", Value: []byte("third"), Expect: 0},
		})
		if err != nil || len(revs) != 3 {
			t.Fatalf("Apply = %v, %v; want three revisions", revs, err)
		}
		if revs[0] <= head || revs[1] <= revs[0] || revs[2] <= revs[1] {
			t.Errorf("revisions %v after %d, want increasing", revs, head)
		}
		assertRecord(t, kv, "head", "api/prod", "seq 3", revs[0])
		assertRecord(t, kv, "log", "api/prod/2", "second", revs[1])
		assertRecord(t, kv, "log", "api/prod/3", "third", revs[2])

		// A stale head, then a log entry that exists: nothing is written.
		for name, writes := range map[string][]KVWrite{
			"stale head": {
				{Kind: "head", Key: "api/prod", Value: []byte("seq 4"), Expect: head},
				{Kind: "log", Key: "api/prod/4", Value: []byte("lost"), Expect: 0},
			},
			"existing entry": {
				{Kind: "head", Key: "api/prod", Value: []byte("seq 4"), Expect: revs[0]},
				{Kind: "log", Key: "api/prod/4", Value: []byte("lost"), Expect: 0},
				{Kind: "log", Key: "api/prod/3", Value: []byte("overwritten"), Expect: 0},
			},
		} {
			if got, err := kv.Apply(ctx, writes); !errors.Is(err, ErrConflict) {
				t.Fatalf("Apply with a %s = %v, %v; want ErrConflict", name, got, err)
			}
			assertRecord(t, kv, "head", "api/prod", "seq 3", revs[0])
			assertRecord(t, kv, "log", "api/prod/3", "third", revs[2])
			if _, _, err := kv.Get(ctx, "log", "api/prod/4"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after a conflicting Apply with a %s, api/prod/4: err = %v, want ErrNotFound", name, err)
			}
		}
	})

	t.Run("apply refuses a record written twice", func(t *testing.T) {
		kv := fresh(t)
		_, err := kv.Apply(ctx, []KVWrite{
			{Kind: "log", Key: "a", Value: []byte("1"), Expect: AnyRevision},
			{Kind: "log", Key: "a", Value: []byte("2"), Expect: AnyRevision},
		})
		if err == nil || errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "log/a is written twice in one batch") {
			t.Fatalf("Apply writing log/a twice: err = %v", err)
		}
		if _, _, err := kv.Get(ctx, "log", "a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("log/a after a refused Apply: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("concurrent appends through apply leave no gap", func(t *testing.T) {
		kv := fresh(t)
		const goroutines, appends = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < appends; i++ {
					if err := casAppend(ctx, kv, fmt.Sprintf("writer %d entry %d", g, i)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("append: %v", err)
		}
		total := goroutines * appends
		if got := readCounter(t, kv, "head", "log"); got != total {
			t.Fatalf("head = %d, want %d", got, total)
		}
		entries, err := kv.Scan(ctx, "log", "", 0, false)
		if err != nil || len(entries) != total {
			t.Fatalf("Scan = %d entries, %v; want %d", len(entries), err, total)
		}
		for i, e := range entries {
			if want := fmt.Sprintf("%06d", i+1); e.Key != want {
				t.Fatalf("entry %d has key %s, want %s", i, e.Key, want)
			}
		}
	})
}

// casAppend appends one entry to a log whose length is kept in a head
// record, as the deployment history does: the head and the entry are
// written together, the head's revision guarding both.
func casAppend(ctx context.Context, kv KV, value string) error {
	for {
		raw, rev, err := kv.Get(ctx, "head", "log")
		n := 0
		switch {
		case errors.Is(err, ErrNotFound):
			rev = 0
		case err != nil:
			return err
		default:
			if _, err := fmt.Sscan(string(raw), &n); err != nil {
				return err
			}
		}
		_, err = kv.Apply(ctx, []KVWrite{
			{Kind: "head", Key: "log", Value: []byte(fmt.Sprint(n + 1)), Expect: rev},
			{Kind: "log", Key: fmt.Sprintf("%06d", n+1), Value: []byte(value), Expect: 0},
		})
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
}
