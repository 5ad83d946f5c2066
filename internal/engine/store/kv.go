// Package store holds the storage backends of the engine: the KV contract
// every backend implements, an in-memory store for tests, the embedded
// bbolt file store and the shared PostgreSQL store, and OpenKV, which picks
// one from a store location. It knows nothing of deployments or releases:
// the engine's typed Store encodes those as records of this contract.
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned when a record does not exist in the store.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a record changed since it was read.
var ErrConflict = errors.New("record changed concurrently")

// KV is the storage contract every store backend implements: records of a
// kind addressed by key, with a revision for optimistic concurrency.
// Implementations: memory (tests), the embedded file store and PostgreSQL.
type KV interface {
	// Get returns the value and its revision, or ErrNotFound.
	Get(ctx context.Context, kind, key string) (value []byte, revision int64, err error)
	// Put writes value when the current revision equals expect. expect 0
	// means "must not exist"; AnyRevision writes unconditionally. A mismatch
	// returns ErrConflict. It returns the new revision.
	Put(ctx context.Context, kind, key string, value []byte, expect int64) (revision int64, err error)
	// Delete removes the record when the revision equals expect (or
	// AnyRevision). Deleting a missing record is not an error.
	Delete(ctx context.Context, kind, key string, expect int64) error
	// List returns every record of a kind, ordered by key.
	List(ctx context.Context, kind string) ([]KVEntry, error)
	// Scan returns the records of a kind whose key starts with prefix, in
	// key (byte) order, or in reverse key order when reverse is set, at most
	// limit of them (limit <= 0: all). It reads only what it returns, so
	// the newest entries of a long log cost the same as those of a short one.
	Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]KVEntry, error)
	// Apply performs every write, or none of them, in one transaction: each
	// write's Expect is checked as Put checks it, and a single mismatch
	// returns ErrConflict with nothing written. It returns the new revision
	// of each write, in order.
	Apply(ctx context.Context, writes []KVWrite) ([]int64, error)
	Close() error
}

// KVWrite is one write of an Apply.
type KVWrite struct {
	Kind, Key string
	Value     []byte
	// Expect is the revision the record must have, as for Put: 0 means it
	// must not exist, AnyRevision skips the check.
	Expect int64
}

// AnyRevision disables the revision check of Put and Delete.
const AnyRevision int64 = -1

// KVEntry is one listed record.
type KVEntry struct {
	Key      string
	Value    []byte
	Revision int64
}
