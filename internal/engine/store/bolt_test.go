package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTestBolt(t testing.TB, path string) *BoltKV {
	t.Helper()
	kv, err := OpenBoltKV(path)
	if err != nil {
		t.Fatalf("OpenBoltKV: %v", err)
	}
	t.Cleanup(func() { kv.Close() })
	return kv
}

func TestBoltKVNarrowsAWiderFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	kv := openTestBolt(t, path)
	assertFileMode(t, path, 0o600)
	mustPut(t, kv, "env", "prod", "v", 0)
	assertFileMode(t, path, 0o600)
	assertFileMode(t, path+".lock", 0o600)
}

func TestBoltKVRejectsADirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenBoltKV(dir)
	if err == nil || !strings.Contains(err.Error(), "is a directory, not a store file") {
		t.Fatalf("OpenBoltKV(directory) = %v, want an error saying it is a directory", err)
	}
}

func TestBoltKVRejectsAFileThatIsNotAStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a bolt file\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	kv := openTestBolt(t, path)
	_, _, err := kv.Get(context.Background(), "env", "prod")
	if err == nil || !strings.Contains(err.Error(), "embedded store "+path) || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get from a text file = %v, want an error naming %s", err, path)
	}
}

// An idle handle is kept while nobody else wants the file, and closed by
// Close.
func TestBoltKVKeepsAnIdleFileOpenUntilClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	kv := openTestBolt(t, path)
	kv.idleHold = time.Hour // only Close or a waiting process may close it
	mustPut(t, kv, "env", "prod", "v", 0)
	if db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Millisecond}); err == nil {
		db.Close()
		t.Fatal("the file was closed right after the operation; want it kept open while idle")
	}
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("file still locked after Close: %v", err)
	}
	db.Close()
}

// A store file removed while the handle sits idle (moved aside, or deleted
// to start afresh) is not written through the stale handle.
func TestBoltKVIdleHandleFollowsAReplacedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	kv := openTestBolt(t, path)
	kv.idleHold = time.Hour
	mustPut(t, kv, "env", "old", "v", 0)
	if err := os.Rename(path, path+".corrupt"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, kv, "env", "new", "v", 0)
	kv.Close()
	fresh := openTestBolt(t, path)
	assertRecord(t, fresh, "env", "new", "v", 0)
	if _, _, err := fresh.Get(context.Background(), "env", "old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the new file has the moved file's record: err = %v", err)
	}
}

// A process that queues for the file gets it from an idle holder at once,
// not when the idle period ends.
func TestBoltKVHandsAnIdleFileToAWaitingProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	holder, waiter := openTestBolt(t, path), openTestBolt(t, path)
	holder.idleHold = time.Hour
	waiter.idleHold = 0
	mustPut(t, holder, "env", "prod", "v", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := waiter.Get(ctx, "env", "prod"); err != nil {
		t.Fatalf("a waiting process never got the file from an idle holder: %v", err)
	}
	// And the holder gets its turn back once the waiter is done.
	if _, err := holder.Put(ctx, "env", "staging", []byte("v"), 0); err != nil {
		t.Fatalf("the holder after the waiter's turn: %v", err)
	}
}

func TestBoltKVWaitsForTheLockUntilTheContextEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	kv := openTestBolt(t, path)
	holder, err := bolt.Open(path, 0o600, nil) // "another process"
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err = kv.Put(ctx, "env", "prod", []byte("v"), 0)
	holder.Close()
	want := "another process holds the lock on " + path
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Put while locked = %v, want context.DeadlineExceeded and %q", err, want)
	}
	// Once the other process lets go, the store works again.
	mustPut(t, kv, "env", "prod", "v", 0)
}

func TestBoltKVAfterClose(t *testing.T) {
	kv := openTestBolt(t, filepath.Join(t.TempDir(), "store.db"))
	if err := kv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err := kv.Put(context.Background(), "env", "prod", []byte("v"), 0)
	if !errors.Is(err, errStoreClosed) || !strings.Contains(err.Error(), "store is closed") {
		t.Fatalf("Put after Close = %v, want 'store is closed'", err)
	}
}

// Two BoltKV instances on one file lock it against each other exactly as two
// processes do (flock locks belong to the open file, not the process).
func TestBoltKVTwoInstancesShareOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	const increments, goroutines = 200, 4
	instances := []*BoltKV{openTestBolt(t, path), openTestBolt(t, path)}
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, len(instances)*goroutines)
	for n, kv := range instances {
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < increments; i += goroutines {
					if _, err := casIncrement(ctx, kv, "counter", "shared"); err != nil {
						errs <- err
						return
					}
					key := fmt.Sprintf("instance%d-%03d", n, i)
					if _, err := kv.Put(ctx, "record", key, []byte(key), 0); err != nil {
						errs <- fmt.Errorf("put %s: %w", key, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	check := openTestBolt(t, path)
	if got := readCounter(t, check, "counter", "shared"); got != len(instances)*increments {
		t.Errorf("counter = %d, want %d", got, len(instances)*increments)
	}
	assertRecords(t, check, "instance0-", increments)
	assertRecords(t, check, "instance1-", increments)
}

// boltChildEnv marks the re-executed test binary as the second process and
// names the store file it writes to.
const boltChildEnv = "OCUROOT_TEST_BOLT_CHILD_STORE"

const boltProcessWrites = 150

// TestBoltKVTwoProcesses runs this test binary a second time as a child
// process; parent and child write to one store file at the same time.
func TestBoltKVTwoProcesses(t *testing.T) {
	if path := os.Getenv(boltChildEnv); path != "" {
		writeAsProcess(t, path, "child-", "parent-")
		return
	}
	path := filepath.Join(t.TempDir(), "store.db")
	child := exec.Command(os.Args[0], "-test.run=^TestBoltKVTwoProcesses$", "-test.count=1")
	child.Env = append(os.Environ(), boltChildEnv+"="+path)
	var output strings.Builder
	child.Stdout, child.Stderr = &output, &output
	if err := child.Start(); err != nil {
		t.Fatalf("start child process: %v", err)
	}
	writeAsProcess(t, path, "parent-", "child-")
	if err := child.Wait(); err != nil {
		t.Fatalf("child process: %v\n%s", err, output.String())
	}

	kv := openTestBolt(t, path)
	if got := readCounter(t, kv, "counter", "shared"); got != 2*boltProcessWrites {
		t.Errorf("counter = %d, want %d", got, 2*boltProcessWrites)
	}
	assertRecords(t, kv, "parent-", boltProcessWrites)
	assertRecords(t, kv, "child-", boltProcessWrites)
}

// writeAsProcess increments the shared counter and writes records named
// prefix000.. . It starts once the other process is ready too, and fails
// unless the other process got the lock in between at least once.
func writeAsProcess(t *testing.T, path, prefix, other string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kv := openTestBolt(t, path)
	mustPut(t, kv, "ready", prefix, "", 0)
	for {
		if _, _, err := kv.Get(ctx, "ready", other); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: the other process never became ready", prefix)
		case <-time.After(5 * time.Millisecond):
		}
	}
	last, interleaved := 0, 0
	for i := 0; i < boltProcessWrites; i++ {
		n, err := casIncrement(ctx, kv, "counter", "shared")
		if err != nil {
			t.Fatalf("%s increment %d: %v", prefix, i, err)
		}
		if last != 0 && n != last+1 {
			interleaved++ // the other process incremented in between
		}
		last = n
		key := fmt.Sprintf("%s%03d", prefix, i)
		if _, err := kv.Put(ctx, "record", key, []byte(key), 0); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	if interleaved == 0 {
		t.Fatalf("%s: the other process never wrote between two of our increments", prefix)
	}
	t.Logf("%s: the other process wrote between our increments %d times", prefix, interleaved)
}

// assertRecords checks that the records prefix000..prefixN-1 all exist.
func assertRecords(t *testing.T, kv KV, prefix string, n int) {
	t.Helper()
	entries, err := kv.List(context.Background(), "record")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	found := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Key, prefix) && string(e.Value) == e.Key {
			found[e.Key] = true
		}
	}
	for i := 0; i < n; i++ {
		if key := fmt.Sprintf("%s%03d", prefix, i); !found[key] {
			t.Errorf("record %s is missing", key)
		}
	}
}

// BenchmarkBoltKVConcurrentPuts measures 1000 goroutines doing 4 puts each;
// batching lets them share transactions and fsyncs. One op = 4000 puts.
func BenchmarkBoltKVConcurrentPuts(b *testing.B) {
	kv := openTestBolt(b, filepath.Join(b.TempDir(), "store.db"))
	ctx := context.Background()
	const goroutines, puts = 1000, 4
	value := []byte(`{"name":"prod","attributes":{"region":"eu-west-1"}}`)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := 0; p < puts; p++ {
					key := fmt.Sprintf("bench-%d-%d-%d", n, g, p)
					if _, err := kv.Put(ctx, "bench", key, value, AnyRevision); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.N*goroutines*puts)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkBoltKVSequentialPuts is the baseline: one writer, one fsync a put.
func BenchmarkBoltKVSequentialPuts(b *testing.B) {
	kv := openTestBolt(b, filepath.Join(b.TempDir(), "store.db"))
	ctx := context.Background()
	value := []byte(`{"name":"prod","attributes":{"region":"eu-west-1"}}`)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if _, err := kv.Put(ctx, "bench", fmt.Sprintf("bench-%d", n), value, AnyRevision); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkBoltKVSequentialGets reads one record over and over, as a
// refresh of many deployments does: with the file closed after each
// operation (every read opens and maps it again) and kept open while idle.
func BenchmarkBoltKVSequentialGets(b *testing.B) {
	for _, hold := range []time.Duration{0, boltIdleHold} {
		b.Run(fmt.Sprintf("idle-hold=%s", hold), func(b *testing.B) {
			kv := openTestBolt(b, filepath.Join(b.TempDir(), "store.db"))
			kv.idleHold = hold
			ctx := context.Background()
			value := []byte(`{"package":"api","environment":"prod","status":"succeeded"}`)
			if _, err := kv.Put(ctx, "deployment", "api/prod", value, AnyRevision); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				if _, _, err := kv.Get(ctx, "deployment", "api/prod"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
