package records

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// StoreError is a store operation that failed for another reason than a
// missing record or a concurrent change: the database is unreachable, the
// file is locked or damaged, a query failed. It says which record was being
// read or written, and in which store, so the message a user reads tells
// what could not be done where. A missing record (ErrNotFound) and a lost
// race (ErrConflict) are never wrapped: they are answers, not failures.
type StoreError struct {
	// Op is what was being done: OpRead, OpList, OpWrite or OpDelete.
	Op StoreOp
	// Kind is the kind of record; Key its key, or the prefix of a scan
	// ("" for a whole kind).
	Kind, Key string
	// Store describes the store (its location, password redacted); ""
	// when the caller gave none.
	Store string
	Err   error
}

// StoreOp is the kind of store operation that failed.
type StoreOp string

// Store operations, as a StoreError names them.
const (
	OpRead   StoreOp = "reading"
	OpList   StoreOp = "listing"
	OpWrite  StoreOp = "writing"
	OpDelete StoreOp = "deleting"
)

func (e *StoreError) Error() string {
	where := "the store"
	if e.Store != "" {
		where = "the store (" + e.Store + ")"
	}
	return fmt.Sprintf("%s in %s failed: %v", e.What(), where, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// What says what was being done, in words: `reading deployment
// "api/prod0"`, `listing the deployments of package "api"`.
func (e *StoreError) What() string {
	noun := recordNoun(e.Kind)
	switch {
	case e.Op == OpList && e.Kind == KindTransition:
		return fmt.Sprintf("reading the history of deployment %q", strings.TrimSuffix(e.Key, "/"))
	case e.Op == OpList && e.Kind == KindDeployment && e.Key != "":
		return fmt.Sprintf("listing the deployments of package %q", strings.TrimSuffix(e.Key, "/"))
	case e.Op == OpList && e.Key == "":
		return fmt.Sprintf("listing the %s records", noun)
	case e.Op == OpList:
		return fmt.Sprintf("listing the %s records under %q", noun, e.Key)
	}
	return fmt.Sprintf("%s %s %q", e.Op, noun, e.Key)
}

// Reading reports whether the failed operation only read.
func (e *StoreError) Reading() bool { return e.Op == OpRead || e.Op == OpList }

// recordNoun names a kind of record for people.
func recordNoun(kind string) string {
	switch kind {
	case KindTransition:
		return "history entry"
	case kindTombstone:
		return "deletion marker"
	}
	return kind
}

// describedKV turns every failure of the backend, except a missing record
// and a lost race, into a StoreError naming the record and the store.
type describedKV struct {
	KV
	store string
}

func (d describedKV) failed(op StoreOp, kind, key string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return err
	}
	var already *StoreError
	if errors.As(err, &already) {
		return err
	}
	return &StoreError{Op: op, Kind: kind, Key: key, Store: d.store, Err: err}
}

func (d describedKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	value, rev, err := d.KV.Get(ctx, kind, key)
	return value, rev, d.failed(OpRead, kind, key, err)
}

func (d describedKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	rev, err := d.KV.Put(ctx, kind, key, value, expect)
	return rev, d.failed(OpWrite, kind, key, err)
}

func (d describedKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	return d.failed(OpDelete, kind, key, d.KV.Delete(ctx, kind, key, expect))
}

func (d describedKV) List(ctx context.Context, kind string) ([]KVEntry, error) {
	entries, err := d.KV.List(ctx, kind)
	return entries, d.failed(OpList, kind, "", err)
}

func (d describedKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]KVEntry, error) {
	entries, err := d.KV.Scan(ctx, kind, prefix, limit, reverse)
	return entries, d.failed(OpList, kind, prefix, err)
}

// Apply names the first write of the batch: a deployment record, saved
// with its new history entries.
func (d describedKV) Apply(ctx context.Context, writes []KVWrite) ([]int64, error) {
	revs, err := d.KV.Apply(ctx, writes)
	if err == nil || len(writes) == 0 {
		return revs, err
	}
	return revs, d.failed(OpWrite, writes[0].Kind, writes[0].Key, err)
}
