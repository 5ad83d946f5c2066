package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Held is a lease this process holds. A heartbeat goroutine renews it
// on real time while the rollout may be busy in a long hook call; the
// rollout's loops also renew it on the engine clock, which is what keeps it
// alive under a fake clock in tests. mu serialises the two, so a renewal
// always writes over the revision the other one just produced.
type Held struct {
	k   *Keeper
	key string

	mu       sync.Mutex
	Record   Record
	Revision int64
	// lost is set once a renewal found the lease broken or taken; every
	// later renew returns it and release leaves the record alone.
	lost error

	stopOnce  sync.Once
	stop      chan struct{}
	Heartbeat chan struct{} // closed when the heartbeat goroutine has ended
}

// start wraps a freshly written record and starts its heartbeat. The
// heartbeat runs on a context detached from ctx: an interrupted apply rolls
// back under the lease, so it must stay renewed until release.
func (k *Keeper) start(ctx context.Context, key string, rec Record, revision int64) *Held {
	l := &Held{k: k, key: key, Record: rec, Revision: revision, stop: make(chan struct{}), Heartbeat: make(chan struct{})}
	go l.beat(context.WithoutCancel(ctx), heartbeatInterval(k.TTL))
	return l
}

// heartbeatInterval renews four times per TTL, so a live holder misses
// three beats before anyone can take its lease.
func heartbeatInterval(ttl time.Duration) time.Duration {
	return max(ttl/4, 5*time.Millisecond)
}

// beat renews the lease on a real-time ticker until stop is closed or the
// lease is lost. The injected clock is not used for the ticker: a goroutine
// waiting on a fake clock would make its waiter counts nondeterministic.
func (l *Held) beat(ctx context.Context, every time.Duration) {
	defer close(l.Heartbeat)
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ticker.C:
		}
		if lost := l.beatOnce(ctx, every); lost {
			return
		}
	}
}

// beatOnce renews once; it reports whether the lease is lost. A store error
// is only logged: the next beat tries again, and if the store stays away
// past the TTL the lease is lost and the next renewal says so.
func (l *Held) beatOnce(ctx context.Context, timeout time.Duration) (lost bool) {
	ctx, cancel := context.WithTimeout(ctx, max(2*timeout, time.Second))
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return true
	}
	if err := l.extendLocked(ctx, l.k.Clock.Now()); err != nil {
		if l.lost != nil {
			l.k.Log.Warn(ctx, "ocuroot: lost the lease of this deployment; the rollout stops at its next step", map[string]any{
				"deployment": l.key, "error": err.Error()})
			return true
		}
		l.k.Log.Warn(ctx, "ocuroot: could not renew lease; retrying", map[string]any{"deployment": l.key, "error": err.Error()})
	}
	return false
}

// Renew extends the lease when a third of its TTL has passed on the engine
// clock, and reports a lost lease, so the rollout stops before its next
// step with its position saved.
func (l *Held) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	now := l.k.Clock.Now()
	if now.Sub(l.Record.RenewedAt) < l.k.TTL/3 {
		return nil
	}
	return l.extendLocked(ctx, now)
}

// extendLocked writes a new expiry over the revision last written. On a
// conflict it looks at the record: still ours (a write whose answer was
// lost) is adopted, anything else means the lease is lost. l.mu is held.
func (l *Held) extendLocked(ctx context.Context, now time.Time) error {
	rec := l.Record
	rec.RenewedAt = now
	rec.ExpiresAt = now.Add(l.k.TTL)
	rev, err := records.PutJSON(ctx, l.k.Store.DescribedKV(), records.KindLease, l.key, rec, l.Revision)
	if err == nil {
		l.Record, l.Revision = rec, rev
		return nil
	}
	if !errors.Is(err, records.ErrConflict) {
		return fmt.Errorf("renewing lease of %s: %w", l.key, err)
	}
	current, currentRev, err := records.GetJSON[Record](ctx, l.k.Store.DescribedKV(), records.KindLease, l.key)
	switch {
	case records.IsNotFound(err):
		l.lost = &LeaseLostError{Deployment: l.key}
	case err != nil:
		return fmt.Errorf("renewing lease of %s: %w", l.key, err)
	case current.sameAcquisition(l.Record):
		l.Record, l.Revision = current, currentRev
		return nil
	default:
		l.lost = &LeaseLostError{Deployment: l.key, TakenBy: current.Holder, Operation: current.Operation}
	}
	return l.lost
}

// Release stops the heartbeat and gives the lease up. It runs on a context
// detached from the caller's, so an interrupted apply still frees the
// deployment. A lost lease belongs to someone else now and is left alone.
// A store that fails the release leaves the lease to expire on its own; the
// *LeaseNotReleasedError says so.
func (l *Held) Release(ctx context.Context) error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.Heartbeat
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return nil
	}
	err := l.k.Store.DescribedKV().Delete(ctx, records.KindLease, l.key, l.Revision)
	switch {
	case errors.Is(err, records.ErrConflict):
		l.k.Log.Warn(ctx, "ocuroot: the lease changed hands before it was released; leaving it to its new holder", map[string]any{"deployment": l.key})
	case err != nil:
		return &LeaseNotReleasedError{Deployment: l.key, Expires: l.Record.ExpiresAt, Err: err}
	}
	return nil
}

// ReleaseInto releases the lease at the end of an operation (deferred) and
// adds a failure to release it to the operation's error: alone when the
// operation itself succeeded, so callers can tell that case apart.
func (l *Held) ReleaseInto(ctx context.Context, opErr *error) {
	err := l.Release(ctx)
	switch {
	case err == nil:
	case *opErr == nil:
		*opErr = err
	default:
		*opErr = errors.Join(*opErr, err)
	}
}

// LeaseNotReleasedError says an operation could not give its lease up at
// the end. Whatever the operation did is saved; the lease only lapses on
// its own at Expires, or at once for the next run on this machine (its
// holder process is gone by then).
type LeaseNotReleasedError struct {
	Deployment string
	Expires    time.Time
	Err        error
}

func (l *LeaseNotReleasedError) Error() string {
	return fmt.Sprintf("the lease of %s could not be released: %v. It expires on its own at %s; until then another run on another machine waits for it",
		l.Deployment, l.Err, l.Expires.UTC().Format(time.RFC3339))
}

func (l *LeaseNotReleasedError) Unwrap() error { return l.Err }
