// The shared bbolt handle behind BoltKV: opened lazily by the first
// operation, reference-counted, closed by the last; the PATH.lock queue.

package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

const (
	// boltLockPoll is how often a waiting process retries a file lock. bbolt
	// makes exactly one non-blocking attempt when its timeout is at most 50ms,
	// so the wait loop (and its ctx check) is ours.
	boltLockPoll = 5 * time.Millisecond
	// boltBatchDelay is how long a write waits for others to share its
	// transaction. bbolt's default of 10ms is longer than an fsync here, and
	// the next batch fills while one commits anyway.
	boltBatchDelay = 2 * time.Millisecond
)

// restrictFileMode narrows an existing file to boltFileMode: the store holds
// deployment records that other users of the machine have no business reading.
func restrictFileMode(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.IsDir() {
		return fmt.Errorf("%s is a directory, not a store file", path)
	}
	if info.Mode().Perm()&^boltFileMode != 0 {
		if err := os.Chmod(path, boltFileMode); err != nil {
			return fmt.Errorf("restrict mode of %s to %v: %w", path, boltFileMode, err)
		}
	}
	return nil
}

// view runs fn in a read transaction on the shared handle.
func (b *BoltKV) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	db, err := b.acquire(ctx, false)
	if err != nil {
		return err
	}
	defer b.release(false)
	return b.guard(db, func() error { return db.View(fn) })
}

// update runs fn in a write transaction. Concurrent writers of this process
// share one transaction and one fsync through db.Batch; a lone writer
// commits at once instead of waiting out the batch delay.
func (b *BoltKV) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	return b.write(ctx, fn, true)
}

// updateAlone runs fn in a transaction of its own on this goroutine. Deletes
// use it: their commit rebalances pages and may read a damaged sibling, and
// a batched commit runs on bbolt's timer goroutine, where a panic could not
// be recovered.
func (b *BoltKV) updateAlone(ctx context.Context, fn func(*bolt.Tx) error) error {
	return b.write(ctx, fn, false)
}

func (b *BoltKV) write(ctx context.Context, fn func(*bolt.Tx) error, batchable bool) error {
	db, err := b.acquire(ctx, true)
	if err != nil {
		return err
	}
	defer b.release(true)
	b.mu.Lock()
	alone := b.writers == 1
	b.mu.Unlock()
	if alone || !batchable {
		return b.guard(db, func() error { return db.Update(fn) })
	}
	// A panic inside fn is recovered by Batch and fn re-run alone on this
	// goroutine, where guard catches it. A put's commit only writes pages
	// the transaction already read.
	return b.guard(db, func() error { return db.Batch(fn) })
}

// acquire returns the shared handle, opening the file when no operation of
// this process has it open. Goroutines arriving while another opens it wait
// for that open rather than starting their own.
func (b *BoltKV) acquire(ctx context.Context, write bool) (*bolt.DB, error) {
	b.mu.Lock()
	for b.opening != nil {
		opening := b.opening
		b.mu.Unlock()
		select {
		case <-opening: // opened, or failed: look again
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for another operation to open the file: %w", ctx.Err())
		}
		b.mu.Lock()
	}
	if b.closed {
		b.mu.Unlock()
		return nil, errStoreClosed
	}
	if err := b.knownCorruptedLocked(); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	if b.dbBroken {
		// The damaged handle is still in use; opening a second one on the
		// same file would wait on its lock.
		b.mu.Unlock()
		return nil, &StoreCorruptedError{Path: b.path, Detail: "an operation in progress found the file damaged"}
	}
	if b.db != nil && b.inUse == 0 && b.idleFileReplacedLocked() {
		// The file was removed or replaced while the handle sat idle (a
		// store moved aside): operations must reach the file at the path.
		closeGuarded(b.db)
		b.db, b.dbBroken = nil, false
	}
	if b.db != nil {
		db := b.joinLocked(write)
		b.mu.Unlock()
		return db, nil
	}
	opening := make(chan struct{})
	b.opening = opening
	b.mu.Unlock()

	db, err := b.open(ctx)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.opening = nil
	close(opening)
	var corrupted *StoreCorruptedError
	if errors.As(err, &corrupted) {
		return nil, b.markCorruptedLocked(corrupted.Path, corrupted.Detail)
	}
	if err != nil {
		return nil, err
	}
	if b.closed {
		_ = db.Close()
		return nil, errStoreClosed
	}
	db.MaxBatchDelay = boltBatchDelay
	b.db = db
	b.dbFile, _ = os.Stat(b.path) // while db holds the lock: the file it opened
	return b.joinLocked(write), nil
}

// joinLocked counts one more operation on the open handle; b.mu is held.
func (b *BoltKV) joinLocked(write bool) *bolt.DB {
	b.inUse++
	if write {
		b.writers++
	}
	return b.db
}

// release ends an operation. When it was the last one, the file is closed,
// handing the lock to any other process waiting for it, or kept open for a
// short while if nobody waits (see bolt_idle.go).
func (b *BoltKV) release(write bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inUse--
	if write {
		b.writers--
	}
	if b.inUse == 0 && b.db != nil && !b.keepIdleLocked() {
		// The operation has already committed; a failure to unmap or unlock
		// here has no one to report to, and the next open starts afresh.
		closeGuarded(b.db)
		b.db, b.dbBroken = nil, false
	}
}

// open takes a place in the queue (PATH.lock), then the store file's lock.
func (b *BoltKV) open(ctx context.Context) (*bolt.DB, error) {
	queue, err := b.openWhenFree(ctx, b.lockPath)
	if err != nil {
		return nil, err
	}
	defer queue.Close()
	return b.openWhenFree(ctx, b.path)
}

// openWhenFree opens a bbolt file, retrying while another process holds its
// lock until ctx is done.
func (b *BoltKV) openWhenFree(ctx context.Context, path string) (*bolt.DB, error) {
	started := time.Now()
	for {
		db, err := openGuarded(path, &bolt.Options{Timeout: boltLockPoll})
		if err == nil {
			return db, nil
		}
		if errors.Is(err, ErrStoreCorrupted) {
			return nil, err
		}
		if !errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("another process holds the lock on %s (waited %s): %w",
				path, time.Since(started).Round(time.Millisecond), ctx.Err())
		case <-time.After(boltLockPoll):
		}
	}
}
