package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Layout of the embedded store file: every kind is a bucket nested in
// boltRecordsBucket (so no kind can collide with boltMetaBucket), and each
// value is stored behind an 8-byte big-endian revision.
var (
	boltRecordsBucket = []byte("records")
	boltMetaBucket    = []byte("meta")
	boltFormatKey     = []byte("format")
	boltFormatVersion = []byte("1")
)

const (
	boltFileMode os.FileMode = 0o600
	boltDirMode  os.FileMode = 0o700
	// boltLockPoll is how often a waiting process retries a file lock. bbolt
	// makes exactly one non-blocking attempt when its timeout is at most 50ms,
	// so the wait loop (and its ctx check) is ours.
	boltLockPoll = 5 * time.Millisecond
	// boltBatchDelay is how long a write waits for others to share its
	// transaction. bbolt's default of 10ms is longer than an fsync here, and
	// the next batch fills while one commits anyway.
	boltBatchDelay = 2 * time.Millisecond
	// boltRevisionSize is the length of the revision prefix of each value.
	boltRevisionSize = 8
)

// errStoreClosed is returned by operations on a store after Close.
var errStoreClosed = errors.New("store is closed")

// BoltKV is the embedded store: one bbolt file that several processes on the
// same machine may use at once.
//
// bbolt holds an exclusive lock on the file while it is open, so BoltKV keeps
// it open only while operations are in flight: the first operation opens it,
// concurrent operations of this process share that handle, and the last one
// to finish closes it so that another process can take its turn.
//
// Waiting processes queue on a second lock file (PATH.lock). Without it a
// busy process, which reopens the file microseconds after closing it, would
// win nearly every race against a process polling for the lock.
type BoltKV struct {
	path     string
	lockPath string

	mu      sync.Mutex
	db      *bolt.DB      // the shared handle, nil while no operation runs
	inUse   int           // operations using db
	writers int           // write operations using db
	opening chan struct{} // closed when the open in progress finishes; nil when none
	closed  bool
}

var _ KV = (*BoltKV)(nil)

// OpenBoltKV prepares the embedded store at path. The directory is created
// with mode 0700 when missing; the file itself is opened lazily by each
// operation, and created with mode 0600 (an existing file with a wider mode
// is narrowed to 0600).
func OpenBoltKV(path string) (*BoltKV, error) {
	if path == "" {
		return nil, errors.New("open embedded store: path must not be empty")
	}
	if err := os.MkdirAll(filepath.Dir(path), boltDirMode); err != nil {
		return nil, fmt.Errorf("open embedded store %s: create directory: %w", path, err)
	}
	lockPath := path + ".lock"
	for _, p := range []string{path, lockPath} {
		if err := restrictFileMode(p); err != nil {
			return nil, fmt.Errorf("open embedded store %s: %w", path, err)
		}
	}
	return &BoltKV{path: path, lockPath: lockPath}, nil
}

// Path is the location of the store file.
func (b *BoltKV) Path() string { return b.path }

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

func (b *BoltKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	var value []byte
	var revision int64
	err := b.view(ctx, func(tx *bolt.Tx) error {
		records := boltKindBucket(tx, kind)
		if records == nil {
			return ErrNotFound
		}
		stored := records.Get([]byte(key))
		if stored == nil {
			return ErrNotFound
		}
		rev, payload, err := decodeBoltRecord(stored)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", kind, key, err)
		}
		// bbolt's slices are only valid inside the transaction.
		value, revision = append([]byte{}, payload...), rev
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, b.wrap("get", err)
	}
	return value, revision, nil
}

func (b *BoltKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	if kind == "" || key == "" {
		return 0, b.wrap("put", errors.New("kind and key must not be empty"))
	}
	stored := make([]byte, boltRevisionSize+len(value))
	copy(stored[boltRevisionSize:], value)

	var revision int64
	var conflict bool
	err := b.update(ctx, func(tx *bolt.Tx) error {
		// db.Batch may run this function again after a rollback: reset what
		// it reports so only the committed run counts.
		revision, conflict = 0, false
		current, err := boltCurrentRevision(boltKindBucket(tx, kind), key)
		if err != nil {
			return err
		}
		if expect != AnyRevision && expect != current {
			// Report the conflict without failing the transaction, which
			// would roll back every other write batched with this one.
			conflict = true
			return nil
		}
		records, meta, err := boltWriteBuckets(tx, kind)
		if err != nil {
			return err
		}
		seq, err := meta.NextSequence()
		if err != nil {
			return err
		}
		binary.BigEndian.PutUint64(stored[:boltRevisionSize], seq)
		if err := records.Put([]byte(key), stored); err != nil {
			return err
		}
		revision = int64(seq)
		return nil
	})
	if err != nil {
		return 0, b.wrap("put", err)
	}
	if conflict {
		return 0, ErrConflict
	}
	return revision, nil
}

func (b *BoltKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	var conflict bool
	err := b.update(ctx, func(tx *bolt.Tx) error {
		conflict = false // see Put: the function may run more than once
		records := boltKindBucket(tx, kind)
		current, err := boltCurrentRevision(records, key)
		if err != nil || current == 0 {
			return err // a missing record is already deleted
		}
		if expect != AnyRevision && expect != current {
			conflict = true
			return nil
		}
		return records.Delete([]byte(key))
	})
	if err != nil {
		return b.wrap("delete", err)
	}
	if conflict {
		return ErrConflict
	}
	return nil
}

func (b *BoltKV) List(ctx context.Context, kind string) ([]KVEntry, error) {
	out := []KVEntry{}
	err := b.view(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		records := boltKindBucket(tx, kind)
		if records == nil {
			return nil
		}
		// bbolt iterates keys in byte order, the order MemoryKV sorts by.
		return records.ForEach(func(k, stored []byte) error {
			rev, payload, err := decodeBoltRecord(stored)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", kind, k, err)
			}
			out = append(out, KVEntry{Key: string(k), Value: append([]byte{}, payload...), Revision: rev})
			return nil
		})
	})
	if err != nil {
		return nil, b.wrap("list", err)
	}
	return out, nil
}

// Close stops the store. The file is already closed unless operations are
// still running; the last of them closes it.
func (b *BoltKV) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func (b *BoltKV) wrap(op string, err error) error {
	return fmt.Errorf("embedded store %s: %s: %w", b.path, op, err)
}

// view runs fn in a read transaction on the shared handle.
func (b *BoltKV) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	db, err := b.acquire(ctx, false)
	if err != nil {
		return err
	}
	defer b.release(false)
	return db.View(fn)
}

// update runs fn in a write transaction. Concurrent writers of this process
// share one transaction and one fsync through db.Batch; a lone writer
// commits at once instead of waiting out the batch delay.
func (b *BoltKV) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	db, err := b.acquire(ctx, true)
	if err != nil {
		return err
	}
	defer b.release(true)
	b.mu.Lock()
	alone := b.writers == 1
	b.mu.Unlock()
	if alone {
		return db.Update(fn)
	}
	return db.Batch(fn)
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
	if err != nil {
		return nil, err
	}
	if b.closed {
		_ = db.Close()
		return nil, errStoreClosed
	}
	db.MaxBatchDelay = boltBatchDelay
	b.db = db
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

// release ends an operation and closes the file when it was the last one,
// handing the lock to any other process waiting for it.
func (b *BoltKV) release(write bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inUse--
	if write {
		b.writers--
	}
	if b.inUse == 0 && b.db != nil {
		// The operation has already committed; a failure to unmap or unlock
		// here has no one to report to, and the next open starts afresh.
		_ = b.db.Close()
		b.db = nil
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
		db, err := bolt.Open(path, boltFileMode, &bolt.Options{Timeout: boltLockPoll})
		if err == nil {
			return db, nil
		}
		if !errors.Is(err, bolt.ErrTimeout) {
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

// boltKindBucket returns the bucket of a kind, or nil when it has no records.
func boltKindBucket(tx *bolt.Tx, kind string) *bolt.Bucket {
	root := tx.Bucket(boltRecordsBucket)
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(kind))
}

// boltWriteBuckets returns the bucket of a kind and the meta bucket, creating
// them (and recording the file format) on first use.
func boltWriteBuckets(tx *bolt.Tx, kind string) (records, meta *bolt.Bucket, err error) {
	meta, err = tx.CreateBucketIfNotExists(boltMetaBucket)
	if err != nil {
		return nil, nil, err
	}
	if meta.Get(boltFormatKey) == nil {
		if err := meta.Put(boltFormatKey, boltFormatVersion); err != nil {
			return nil, nil, err
		}
	}
	root, err := tx.CreateBucketIfNotExists(boltRecordsBucket)
	if err != nil {
		return nil, nil, err
	}
	records, err = root.CreateBucketIfNotExists([]byte(kind))
	if err != nil {
		return nil, nil, err
	}
	return records, meta, nil
}

// boltCurrentRevision is the revision of a record, 0 when it does not exist.
func boltCurrentRevision(records *bolt.Bucket, key string) (int64, error) {
	if records == nil {
		return 0, nil
	}
	stored := records.Get([]byte(key))
	if stored == nil {
		return 0, nil
	}
	rev, _, err := decodeBoltRecord(stored)
	return rev, err
}

func decodeBoltRecord(stored []byte) (revision int64, value []byte, err error) {
	if len(stored) < boltRevisionSize {
		return 0, nil, fmt.Errorf("corrupt record: %d bytes, shorter than its revision", len(stored))
	}
	return int64(binary.BigEndian.Uint64(stored[:boltRevisionSize])), stored[boltRevisionSize:], nil
}
