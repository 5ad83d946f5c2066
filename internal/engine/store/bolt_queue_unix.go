//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// queueHasWaiter reports whether another process holds the PATH.lock queue,
// which it does only while waiting for the store file. When it cannot tell,
// it says yes: handing the file over early only costs a reopen.
func queueHasWaiter(lockPath string) bool {
	f, err := os.Open(lockPath)
	if errors.Is(err, os.ErrNotExist) {
		return false // nobody has ever queued
	}
	if err != nil {
		return true
	}
	// Opened read-only, only to take its lock: nothing written can be lost
	// when Close fails, so its error is discarded on purpose (only a
	// read-only file's Close goes unchecked; see .golangci.yml).
	defer func() { _ = f.Close() }()
	fd := int(f.Fd())
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true // EWOULDBLOCK: someone waits; anything else: assume so
	}
	_ = syscall.Flock(fd, syscall.LOCK_UN)
	return false
}
