package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// leaseRecord is stored under kindLease: one active operation per
// deployment, across processes. A holder that dies stops renewing and the
// lease expires after the TTL.
type leaseRecord struct {
	Holder     string    `json:"holder"`
	Operation  string    `json:"operation"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// heldLease is a lease this process holds.
type heldLease struct {
	e        *Engine
	key      string
	record   leaseRecord
	revision int64
}

// LeaseError is returned when a lease could not be had before ctx ended.
type LeaseError struct {
	Deployment string
	Holder     string
	Operation  string
	Since      time.Time
	Expires    time.Time
	Err        error
}

func (l *LeaseError) Error() string {
	return fmt.Sprintf("deployment %s is locked by another run (%s, %s since %s, lease expires %s unless renewed); gave up waiting: %v. "+
		"Only one rollout per package and environment runs at a time; wait for the other apply to finish, or, if it was killed, for its lease to expire",
		l.Deployment, l.Holder, l.Operation, l.Since.Format(time.RFC3339), l.Expires.Format(time.RFC3339), l.Err)
}

func (l *LeaseError) Unwrap() error { return l.Err }

// acquireLease waits for the deployment's lease. Each acquisition gets its
// own holder name, so two goroutines of one process exclude each other too.
func (e *Engine) acquireLease(ctx context.Context, deploymentID, operation string) (*heldLease, error) {
	holder := e.holder + "/" + randomID()
	var lastSeen leaseRecord
	logged := false
	for {
		now := e.clock.Now()
		current, rev, err := getJSON[leaseRecord](ctx, e.store.kv, kindLease, deploymentID)
		switch {
		case IsNotFound(err):
			rev = 0
		case err != nil:
			return nil, fmt.Errorf("reading lease of %s: %w", deploymentID, err)
		}
		if err != nil || !now.Before(current.ExpiresAt) {
			rec := leaseRecord{Holder: holder, Operation: operation, AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(e.leaseTTL)}
			newRev, err := putJSON(ctx, e.store.kv, kindLease, deploymentID, rec, rev)
			if err == nil {
				return &heldLease{e: e, key: deploymentID, record: rec, revision: newRev}, nil
			}
			if !errors.Is(err, ErrConflict) {
				return nil, fmt.Errorf("taking lease of %s: %w", deploymentID, err)
			}
			continue // someone else won the race: look again
		}
		lastSeen = current
		if !logged {
			e.log.Info(ctx, "ocuroot: waiting for another run to finish with this deployment", map[string]any{
				"deployment": deploymentID, "holder": current.Holder, "operation": current.Operation, "expires": current.ExpiresAt,
			})
			logged = true
		}
		if err := sleep(ctx, e.clock, e.pollInterval); err != nil {
			return nil, &LeaseError{Deployment: deploymentID, Holder: lastSeen.Holder, Operation: lastSeen.Operation,
				Since: lastSeen.AcquiredAt, Expires: lastSeen.ExpiresAt, Err: err}
		}
	}
}

// renew extends the lease when a third of its TTL has passed. It is called
// from the rollout's loops rather than a goroutine, so a fake clock stays
// deterministic.
func (l *heldLease) renew(ctx context.Context) error {
	now := l.e.clock.Now()
	if now.Sub(l.record.RenewedAt) < l.e.leaseTTL/3 {
		return nil
	}
	rec := l.record
	rec.RenewedAt = now
	rec.ExpiresAt = now.Add(l.e.leaseTTL)
	rev, err := putJSON(ctx, l.e.store.kv, kindLease, l.key, rec, l.revision)
	if err != nil {
		return fmt.Errorf("renewing lease of %s: %w", l.key, err)
	}
	l.record, l.revision = rec, rev
	return nil
}

// release gives the lease up. It runs on a context detached from the
// caller's, so an interrupted apply still frees the deployment.
func (l *heldLease) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := l.e.store.kv.Delete(ctx, kindLease, l.key, l.revision); err != nil {
		l.e.log.Warn(ctx, "ocuroot: could not release lease; it will expire on its own", map[string]any{"deployment": l.key, "error": err.Error()})
	}
}
