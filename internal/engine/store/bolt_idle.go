// Keeping the embedded store file open between operations.
//
// Opening the file costs two bbolt opens (the PATH.lock queue, then the
// file: a lock, an mmap, the meta pages), several hundred microseconds,
// while a read in an open file takes a few. A refresh of 1,000 deployments
// makes thousands of such operations, one after another, so BoltKV keeps
// the handle for a short idle period after the last one finishes. It lets
// go at once when another process waits in the PATH.lock queue: that
// process holds the queue's lock while it polls for the file, so a lock
// attempt on the queue that fails means someone is waiting.

package store

import (
	"os"
	"time"
)

// boltIdleHold is how long the file stays open after the last operation
// when no other process waits for it.
const boltIdleHold = 50 * time.Millisecond

// keepIdleLocked decides, as the last operation finishes, whether the
// handle stays open; if so, a watcher closes it when the idle period ends or
// another process starts waiting. b.mu is held.
func (b *BoltKV) keepIdleLocked() bool {
	if b.closed || b.dbBroken || b.idleHold <= 0 || queueHasWaiter(b.lockPath) {
		return false
	}
	b.idleSince = time.Now()
	if !b.watchingIdle {
		b.watchingIdle = true
		go b.watchIdle()
	}
	return true
}

// watchIdle closes the store's handle once it has been idle for b.idleHold,
// or at once when another process queues for the file or the store closes.
// Operations that join the handle meanwhile keep it open; the last of them
// starts the idle period again.
//
// It watches whichever handle b.db is, not the one it was started for: an
// operation may close an idle handle whose file was replaced and open the
// new file before this watcher next looks. keepIdleLocked starts no second
// watcher while this one runs, so this one must look after the new handle,
// or its lock stays held until the process's next operation. It quits only
// when no handle is open.
func (b *BoltKV) watchIdle() {
	ticker := time.NewTicker(boltLockPoll)
	defer ticker.Stop()
	for range ticker.C {
		b.mu.Lock()
		if b.db == nil {
			b.watchingIdle = false
			b.mu.Unlock()
			return
		}
		if b.inUse == 0 && (b.closed || b.dbBroken || time.Since(b.idleSince) >= b.idleHold || queueHasWaiter(b.lockPath)) {
			closeGuarded(b.db)
			b.db, b.dbBroken, b.watchingIdle = nil, false, false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
}

// idleFileReplacedLocked reports whether the path no longer names the file
// the idle handle has open (removed, or replaced by another). b.mu is held.
func (b *BoltKV) idleFileReplacedLocked() bool {
	info, err := os.Stat(b.path)
	return err != nil || b.dbFile == nil || !os.SameFile(info, b.dbFile)
}
