package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltSecondProcessEnv turns the test binary into a second process (see
// TestMain) that asks for the store file named by the variable, in the way
// named by boltSecondProcessModeEnv, and exits 0 once it has it.
const (
	boltSecondProcessEnv     = "OCUROOT_TEST_BOLT_SECOND_PROCESS_STORE"
	boltSecondProcessModeEnv = "OCUROOT_TEST_BOLT_SECOND_PROCESS_MODE"
)

// The two ways another process asks for the file, one for each way an idle
// handle lets go of it.
const (
	// byBboltOpen opens the file with bbolt alone, as any bbolt tool does.
	// It does not queue, so the holder lets go when its idle period ends.
	byBboltOpen = "bbolt-open"
	// byQueueing reads through a BoltKV, as another terraform process does.
	// It queues on PATH.lock, so the holder lets go as soon as its idle
	// watcher sees the queue taken.
	byQueueing = "queue"
)

// secondProcessWait bounds the second process's wait for the file. Letting
// go takes milliseconds either way (the idle hold is 50 ms, the watcher
// looks every 5 ms); the bound is far longer so that a loaded machine does
// not fail the test, while a handle that no watcher looks after is never
// let go at all.
const secondProcessWait = 3 * time.Second

// runSecondProcess is the body of the second process; its result is the
// exit code.
func runSecondProcess(path, mode string) int {
	var err error
	switch mode {
	case byBboltOpen:
		var db *bolt.DB
		if db, err = bolt.Open(path, boltFileMode, &bolt.Options{Timeout: secondProcessWait}); err == nil {
			err = db.Close()
		}
	case byQueueing:
		err = getAsAnotherStore(path)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "second process (%s): %v\n", mode, err)
		return 1
	}
	return 0
}

func getAsAnotherStore(path string) error {
	kv, err := OpenBoltKV(path)
	if err != nil {
		return err
	}
	defer kv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), secondProcessWait)
	defer cancel()
	if _, _, err := kv.Get(ctx, "env", "prod"); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// askAsSecondProcess runs the test binary as a second process asking for the
// store file at path, and fails the test unless it gets it.
func askAsSecondProcess(t *testing.T, path, mode string) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), boltSecondProcessEnv+"="+path, boltSecondProcessModeEnv+"="+mode)
	var output strings.Builder
	child.Stdout, child.Stderr = &output, &output
	started := time.Now()
	if err := child.Run(); err != nil {
		t.Fatalf("a second process asking for the file (%s) did not get it within %s: %v\n%s",
			mode, secondProcessWait, err, output.String())
	}
	t.Logf("the second process (%s) got the file and exited after %s", mode, time.Since(started).Round(time.Millisecond))
}

// setIdleHold changes the idle period of a store whose watcher may be
// running (it reads idleHold under b.mu).
func setIdleHold(kv *BoltKV, hold time.Duration) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	kv.idleHold = hold
}

// freshStoreAt writes an empty store file at path, as an operator starting
// afresh would.
func freshStoreAt(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, boltFileMode, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// The store file changes while the handle of one operation is still held
// idle, and another operation follows: that one opens the file now at the
// path, and its handle too must be let go after its idle period, or at once
// when another process queues. (It was not: the first handle's watcher quit
// when the handle it watched was replaced, and no watcher was started for
// the new one, so its lock was held until this process's next operation.)
func TestBoltKVLetsGoOfTheFileWhateverHappensToItBetweenOperations(t *testing.T) {
	changes := []struct {
		name   string
		change func(t *testing.T, path string)
	}{
		{"replaced by another store", func(t *testing.T, path string) {
			freshStoreAt(t, path+".new")
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
		}},
		{"moved aside", func(t *testing.T, path string) {
			if err := os.Rename(path, path+".corrupt"); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted and re-created", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			freshStoreAt(t, path)
		}},
	}
	for _, c := range changes {
		for _, mode := range []string{byBboltOpen, byQueueing} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "store.db")
				kv := openTestBolt(t, path)
				// An hour-long hold keeps the first handle open and watched
				// while the file changes, whatever the machine's load: the
				// change lands inside the idle period every time.
				kv.idleHold = time.Hour
				mustPut(t, kv, "env", "prod", "v", 0)
				c.change(t, path)
				if mode == byBboltOpen {
					// Only the end of the idle period lets a bbolt tool in.
					setIdleHold(kv, boltIdleHold)
				}
				if _, _, err := kv.Get(context.Background(), "env", "prod"); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get after the file was %s = %v, want ErrNotFound from the file now at the path", c.name, err)
				}
				askAsSecondProcess(t, path, mode)
			})
		}
	}
}
