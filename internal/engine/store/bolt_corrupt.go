// How BoltKV turns a damaged file into one clear error instead of a crash:
// bbolt panics ("assertion failed: Page expected to be…") when it follows a
// page that is not what it should be, so every call into bbolt is guarded.

package store

import (
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrStoreCorrupted matches a StoreCorruptedError.
var ErrStoreCorrupted = errors.New("embedded store is corrupted")

// StoreCorruptedError says the embedded store file cannot be read, and how
// to recover: Terraform state is the source of truth, so a fresh store is
// re-seeded from it by the next apply.
type StoreCorruptedError struct {
	Path string
	// Detail is what bbolt reported (a panic message or an error).
	Detail string
}

func (e *StoreCorruptedError) Error() string {
	return fmt.Sprintf("embedded store %s is corrupted (%s). Move it aside, e.g. mv %s %s.corrupt; "+
		"the next apply re-seeds it from Terraform state", e.Path, e.Detail, e.Path, e.Path)
}

func (e *StoreCorruptedError) Is(target error) bool { return target == ErrStoreCorrupted }

// isBoltCorruption reports whether an error from bbolt means the file's
// contents are damaged rather than, say, locked or unreadable.
func isBoltCorruption(err error) bool {
	return errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) ||
		errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, errCorruptRecord)
}

// errCorruptRecord marks a stored value too short to hold its revision.
var errCorruptRecord = errors.New("corrupt record")

// markCorruptedLocked remembers that the file now at path is damaged, so later
// operations fail at once instead of reopening it. This matters because a
// panic inside bolt.Open leaves that handle's file lock held: reopening the
// same file would wait on our own lock. A different file at the path (the
// damaged one moved aside) clears the mark. b.mu is held.
func (b *BoltKV) markCorruptedLocked(path, detail string) error {
	corrupted := &StoreCorruptedError{Path: path, Detail: detail}
	if info, err := os.Stat(path); err == nil {
		b.corrupted, b.corruptedFile = corrupted, info
	}
	return corrupted
}

// knownCorruptedLocked returns the remembered corruption while the damaged
// file is still in place. b.mu is held.
func (b *BoltKV) knownCorruptedLocked() error {
	if b.corrupted == nil {
		return nil
	}
	if info, err := os.Stat(b.corrupted.Path); err == nil && os.SameFile(info, b.corruptedFile) {
		return b.corrupted
	}
	b.corrupted, b.corruptedFile = nil, nil
	return nil
}

// guard runs one bbolt call on db. A panic or a corruption error discards
// the handle (no further operation joins it; the last one out closes it)
// and comes back as a StoreCorruptedError.
func (b *BoltKV) guard(db *bolt.DB, call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = b.discard(db, fmt.Sprint(p))
		}
	}()
	err = call()
	if err != nil && isBoltCorruption(err) {
		return b.discard(db, err.Error())
	}
	return err
}

func (b *BoltKV) discard(db *bolt.DB, detail string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.db == db {
		b.dbBroken = true
	}
	return b.markCorruptedLocked(b.path, detail)
}

// openGuarded is bolt.Open with its panics turned into errors.
func openGuarded(path string, options *bolt.Options) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, &StoreCorruptedError{Path: path, Detail: fmt.Sprint(p)}
		}
	}()
	db, err = bolt.Open(path, boltFileMode, options)
	if err != nil && isBoltCorruption(err) {
		return nil, &StoreCorruptedError{Path: path, Detail: err.Error()}
	}
	return db, err
}

// closeGuarded closes a handle that may have seen a damaged file; a panic
// while unmapping it is not worth crashing for.
func closeGuarded(db *bolt.DB) {
	defer func() { _ = recover() }()
	_ = db.Close()
}
