package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
// concurrent operations of this process share that handle, and it is closed
// after the last one finishes so that another process can take its turn:
// at once when another process waits, otherwise after a short idle period
// (see bolt_idle.go).
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
	// dbBroken: db saw a damaged file; nothing new joins it, the last
	// operation using it closes it.
	dbBroken bool
	// corrupted is set while the damaged file is still in place (see
	// markCorruptedLocked); corruptedFile identifies that file.
	corrupted     *StoreCorruptedError
	corruptedFile os.FileInfo
	// idleHold is how long db stays open after the last operation;
	// idleSince is when that operation finished; watchingIdle is set while
	// a watcher waits to close it.
	idleHold     time.Duration
	idleSince    time.Time
	watchingIdle bool
	// dbFile identifies the file db has open, to notice it being replaced.
	dbFile os.FileInfo
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
	return &BoltKV{path: path, lockPath: lockPath, idleHold: boltIdleHold}, nil
}

// Path is the location of the store file.
func (b *BoltKV) Path() string { return b.path }

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
	err := b.updateAlone(ctx, func(tx *bolt.Tx) error {
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
			entry, err := boltEntry(kind, k, stored)
			if err != nil {
				return err
			}
			out = append(out, entry)
			return nil
		})
	})
	if err != nil {
		return nil, b.wrap("list", err)
	}
	return out, nil
}

// boltEntry decodes one stored record, copying it out of bbolt's memory,
// whose slices are only valid inside the transaction.
func boltEntry(kind string, k, stored []byte) (KVEntry, error) {
	rev, payload, err := decodeBoltRecord(stored)
	if err != nil {
		return KVEntry{}, fmt.Errorf("%s/%s: %w", kind, k, err)
	}
	return KVEntry{Key: string(k), Value: append([]byte{}, payload...), Revision: rev}, nil
}

// Scan positions a cursor on the prefix and reads only the records it
// returns: no other record of the kind is decoded.
func (b *BoltKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]KVEntry, error) {
	out := []KVEntry{}
	err := b.view(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		records := boltKindBucket(tx, kind)
		if records == nil {
			return nil
		}
		start := []byte(prefix)
		c := records.Cursor()
		var k, stored []byte
		step := c.Next
		if reverse {
			step = c.Prev
			// Start at the last key with the prefix: just before the first
			// key past the prefix's range, or at the very end.
			if end := prefixEndBytes(start); end != nil {
				if k, _ = c.Seek(end); k != nil {
					k, stored = c.Prev()
				} else {
					k, stored = c.Last()
				}
			} else {
				k, stored = c.Last()
			}
		} else {
			k, stored = c.Seek(start)
		}
		for ; k != nil && bytes.HasPrefix(k, start) && !scanFull(len(out), limit); k, stored = step() {
			entry, err := boltEntry(kind, k, stored)
			if err != nil {
				return err
			}
			out = append(out, entry)
		}
		return nil
	})
	if err != nil {
		return nil, b.wrap("scan", err)
	}
	return out, nil
}

// Apply writes the batch in one transaction, sharing a commit with other
// writers like Put.
func (b *BoltKV) Apply(ctx context.Context, writes []KVWrite) ([]int64, error) {
	if err := validateWrites(writes); err != nil {
		return nil, b.wrap("apply", err)
	}
	revisions := make([]int64, len(writes))
	var conflict bool
	err := b.update(ctx, func(tx *bolt.Tx) error {
		conflict = false // see Put: the function may run more than once
		// Every expectation is checked before anything is written, so a
		// conflict leaves the transaction (and any batched with it) clean.
		for _, w := range writes {
			current, err := boltCurrentRevision(boltKindBucket(tx, w.Kind), w.Key)
			if err != nil {
				return err
			}
			if w.Expect != AnyRevision && w.Expect != current {
				conflict = true
				return nil
			}
		}
		for i, w := range writes {
			records, meta, err := boltWriteBuckets(tx, w.Kind)
			if err != nil {
				return err
			}
			seq, err := meta.NextSequence()
			if err != nil {
				return err
			}
			stored := make([]byte, boltRevisionSize+len(w.Value))
			binary.BigEndian.PutUint64(stored[:boltRevisionSize], seq)
			copy(stored[boltRevisionSize:], w.Value)
			if err := records.Put([]byte(w.Key), stored); err != nil {
				return err
			}
			revisions[i] = int64(seq)
		}
		return nil
	})
	if err != nil {
		return nil, b.wrap("apply", err)
	}
	if conflict {
		return nil, ErrConflict
	}
	return revisions, nil
}

// Close stops the store and closes the file, unless operations are still
// running: the last of them closes it.
func (b *BoltKV) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.inUse == 0 && b.db != nil {
		closeGuarded(b.db)
		b.db, b.dbBroken = nil, false
	}
	return nil
}

func (b *BoltKV) wrap(op string, err error) error {
	if errors.Is(err, ErrStoreCorrupted) {
		return err // it names the file and the way out already
	}
	return fmt.Errorf("embedded store %s: %s: %w", b.path, op, err)
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
		return 0, nil, fmt.Errorf("%w: %d bytes, shorter than its revision", errCorruptRecord, len(stored))
	}
	return int64(binary.BigEndian.Uint64(stored[:boltRevisionSize])), stored[boltRevisionSize:], nil
}
