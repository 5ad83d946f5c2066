package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltPage is one page of a store file as bbolt describes it.
type boltPage struct {
	offset int64
	kind   string // meta, leaf, branch, freelist or free
}

// storeLayout is what a pristine store holds: records of one kind.
type storeLayout struct {
	name    string
	records int
	value   string
	// everyOpReadsEveryPage: the records fit in so few pages that every
	// operation reads all of them; otherwise only List does.
	everyOpReadsEveryPage bool
}

var (
	smallStore = storeLayout{name: "small store", records: 3, value: `{"status":"succeeded"}`, everyOpReadsEveryPage: true}
	// busyStore spreads its records over a branch and several leaves; one
	// of them sits at offset 8192 with 4 KiB pages, where the damage that
	// was reported hit.
	busyStore = storeLayout{name: "busy store", records: 20, value: strings.Repeat("x", 300)}
)

// pristineStore writes a store through BoltKV and returns its path and its
// pages.
func pristineStore(t *testing.T, layout storeLayout) (string, []boltPage) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pristine.db")
	kv := openTestBolt(t, path)
	for i := range layout.records {
		mustPut(t, kv, "deployment", fmt.Sprintf("api/prod%d", i), layout.value, AnyRevision)
	}
	db, err := bolt.Open(path, boltFileMode, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pageSize := int64(db.Info().PageSize)
	var pages []boltPage
	err = db.View(func(tx *bolt.Tx) error {
		for id := 0; ; id++ {
			info, err := tx.Page(id)
			if err != nil || info == nil {
				return err
			}
			pages = append(pages, boltPage{offset: int64(id) * pageSize, kind: info.Type})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return path, pages
}

// corruptCopy copies the pristine store to a new path and overwrites 64
// bytes at each offset with garbage.
func corruptCopy(t *testing.T, pristine string, offsets ...int64) string {
	t.Helper()
	raw, err := os.ReadFile(pristine)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range offsets {
		copy(raw[off:off+64], strings.Repeat("\xde\xad\xbe\xef", 16))
	}
	path := filepath.Join(t.TempDir(), "store.db")
	if err := os.WriteFile(path, raw, boltFileMode); err != nil {
		t.Fatal(err)
	}
	return path
}

// boltOps are the four KV operations, each on a record of the stored kind.
var boltOps = map[string]func(ctx context.Context, kv *BoltKV) error{
	"Get": func(ctx context.Context, kv *BoltKV) error {
		_, _, err := kv.Get(ctx, "deployment", "api/prod1")
		return err
	},
	"Put": func(ctx context.Context, kv *BoltKV) error {
		_, err := kv.Put(ctx, "deployment", "api/prod9", []byte(`{}`), AnyRevision)
		return err
	},
	"List": func(ctx context.Context, kv *BoltKV) error {
		_, err := kv.List(ctx, "deployment")
		return err
	},
	"Delete": func(ctx context.Context, kv *BoltKV) error {
		return kv.Delete(ctx, "deployment", "api/prod1", AnyRevision)
	},
}

// runBoltOp runs one operation on a fresh handle of path, turning a panic
// into a test failure rather than a crash of the test binary.
func runBoltOp(t *testing.T, path, name string) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v", name, p)
		}
	}()
	kv := openTestBolt(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return boltOps[name](ctx, kv)
}

func assertStoreCorrupted(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrStoreCorrupted) {
		t.Fatalf("err = %v, want ErrStoreCorrupted", err)
	}
	msg := err.Error()
	for _, phrase := range []string{"embedded store " + path + " is corrupted", "mv " + path + " " + path + ".corrupt",
		"the next apply re-seeds it from Terraform state"} {
		if !strings.Contains(msg, phrase) {
			t.Errorf("message %q lacks %q", msg, phrase)
		}
	}
}

// TestBoltKVCorruptedPages damages the store file a page at a time. Damage to
// a page bbolt reads (both meta pages, the freelist, the pages that hold
// the records) makes the operations that read it fail with
// ErrStoreCorrupted and a way out; damage to a free page changes nothing;
// nothing ever panics.
func TestBoltKVCorruptedPages(t *testing.T) {
	for _, layout := range []storeLayout{smallStore, busyStore} {
		t.Run(layout.name, func(t *testing.T) { testCorruptedPages(t, layout) })
	}
}

func testCorruptedPages(t *testing.T, layout storeLayout) {
	pristine, pages := pristineStore(t, layout)
	type damage struct {
		name    string
		offsets []int64
		live    bool
	}
	var cases []damage
	var metas []int64
	for _, p := range pages {
		switch p.kind {
		case "meta":
			metas = append(metas, p.offset)
		default:
			cases = append(cases, damage{name: fmt.Sprintf("%s page at offset %d", p.kind, p.offset), offsets: []int64{p.offset}, live: p.kind != "free"})
		}
	}
	cases = append(cases, damage{name: "both meta pages", offsets: metas, live: true})
	live := 0
	for _, c := range cases {
		if c.live {
			live++
		}
	}
	if len(metas) != 2 || live < 3 {
		t.Fatalf("unexpected layout %+v: the test needs two meta pages, a freelist and a leaf", pages)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for name := range boltOps {
				path := corruptCopy(t, pristine, c.offsets...)
				err := runBoltOp(t, path, name)
				switch {
				case c.live && (layout.everyOpReadsEveryPage || name == "List"):
					assertStoreCorrupted(t, err, path)
				case c.live && errors.Is(err, ErrStoreCorrupted):
					assertStoreCorrupted(t, err, path)
				case err != nil:
					t.Errorf("%s after damage to a page it does not read: %v", name, err)
				}
			}
		})
	}
}

// TestBoltKVOneTornMetaPageFallsBack: a single damaged meta page is what a
// crash in the middle of a commit leaves. bbolt falls back to the other one
// (the previous transaction), so the store keeps working rather than
// reporting corruption.
func TestBoltKVOneTornMetaPageFallsBack(t *testing.T) {
	pristine, pages := pristineStore(t, smallStore)
	for _, p := range pages {
		if p.kind != "meta" {
			continue
		}
		for name := range boltOps {
			path := corruptCopy(t, pristine, p.offset)
			if err := runBoltOp(t, path, name); err != nil && !errors.Is(err, ErrNotFound) {
				t.Errorf("%s with the meta page at %d torn: %v", name, p.offset, err)
			}
		}
	}
}

// TestBoltKVCorruptionIsRememberedUntilTheFileIsMovedAside: a damaged
// freelist makes bbolt panic while opening the file, leaving that handle's
// lock held. Later operations must say "corrupted" at once instead of
// waiting on that lock; once the file is moved aside, as the message says,
// the same store starts afresh, and a store at another path never noticed.
func TestBoltKVCorruptionIsRememberedUntilTheFileIsMovedAside(t *testing.T) {
	pristine, pages := pristineStore(t, smallStore)
	var freelist int64 = -1
	for _, p := range pages {
		if p.kind == "freelist" {
			freelist = p.offset
		}
	}
	if freelist < 0 {
		t.Fatalf("no freelist page in %+v", pages)
	}
	path := corruptCopy(t, pristine, freelist)
	kv := openTestBolt(t, path)
	other := openTestBolt(t, filepath.Join(t.TempDir(), "other.db"))
	ctx := context.Background()
	for range 3 {
		started := time.Now()
		_, _, err := kv.Get(ctx, "deployment", "api/prod1")
		assertStoreCorrupted(t, err, path)
		if waited := time.Since(started); waited > 2*time.Second {
			t.Errorf("a known corrupted store took %s to answer", waited)
		}
	}
	mustPut(t, other, "deployment", "api/prod1", "v", AnyRevision)

	if err := os.Rename(path, path+".corrupt"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, kv, "deployment", "api/prod1", "fresh", 0)
	got, _, err := kv.Get(ctx, "deployment", "api/prod1")
	if err != nil || string(got) != "fresh" {
		t.Fatalf("after moving the damaged file aside: %q, %v", got, err)
	}
}
