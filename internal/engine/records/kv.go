package records

import (
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// The storage contract lives in package store, beside its backends; the
// domain depends only on it. These names let the typed Store and the
// engine's callers speak of it without importing the backends.
type (
	// KV is the contract every store backend implements (see store.KV).
	KV = store.KV
	// KVWrite is one write of an atomic KV.Apply.
	KVWrite = store.KVWrite
	// KVEntry is one record returned by KV.List and KV.Scan.
	KVEntry = store.KVEntry
)

// AnyRevision disables the revision check of KV.Put and KV.Delete.
const AnyRevision = store.AnyRevision

// ErrNotFound is returned when a record does not exist in the store.
var ErrNotFound = store.ErrNotFound

// ErrConflict is returned when a record changed since it was read.
var ErrConflict = store.ErrConflict

// ErrStoreUnavailable matches an error from a store that could not be
// reached; the same call may succeed later (see store.ErrUnavailable).
var ErrStoreUnavailable = store.ErrUnavailable
