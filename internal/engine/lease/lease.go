package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// DefaultLeaseTTL is how long a lease outlives its last renewal. A running
// holder renews it every quarter of that, so a crashed one blocks the next
// run for 15 to 20 seconds, and a live one survives a few missed beats.
const DefaultLeaseTTL = 20 * time.Second

// leaseWaitLogEvery is how often (engine time) a run waiting for a lease
// says who it is waiting for.
const leaseWaitLogEvery = 5 * time.Second

// Record is stored under KindLease: one active operation per
// deployment, across processes. A holder that dies stops renewing and the
// lease expires after the TTL.
type Record struct {
	// Holder is the readable holder ("alice@ci-3 pid 42"): what people see
	// and what "lease break -holder" names.
	Holder string `json:"holder"`
	// Token is random per acquisition, so two acquisitions of one process
	// (same readable holder) still tell their records apart.
	Token string `json:"token,omitempty"`
	// Who is nil in records written before holders were described.
	Who        *Holder   `json:"who,omitempty"`
	Operation  string    `json:"operation"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// sameAcquisition reports whether two records come from one acquisition.
func (r Record) sameAcquisition(other Record) bool {
	return r.Token != "" && r.Token == other.Token && r.Holder == other.Holder
}

// LeaseError is returned when a lease could not be had before ctx ended.
type LeaseError struct {
	Deployment string
	Holder     string // readable, as "lease list" shows it
	Operation  string
	Since      time.Time
	Expires    time.Time
	Waited     time.Duration
	TTL        time.Duration
	// Err is why the wait ended (the context's error). It is kept for
	// errors.Is but never printed: "context canceled" tells a user nothing.
	Err error
}

func (l *LeaseError) Error() string {
	why := "the operation was cancelled"
	if errors.Is(l.Err, context.DeadlineExceeded) {
		why = "the operation's timeout was reached"
	}
	return fmt.Sprintf("deployment %s is locked by another run: %s has held it for %q since %s (lease expires %s unless renewed). "+
		"Gave up after waiting %s: %s. Only one rollout per package and environment runs at a time. "+
		"If that run is still going, let it finish and apply again. If it was killed, its lease lapses within %s of its last renewal; "+
		"or, once you are sure it is dead, break it from the Terraform working directory with: %s",
		l.Deployment, l.Holder, l.Operation, FormatSince(l.Since), FormatSince(l.Expires),
		roundWait(l.Waited), why, l.TTL, BreakLeaseCommand(l.Deployment, l.Holder))
}

func (l *LeaseError) Unwrap() error { return l.Err }

// ErrLeaseLost matches a LeaseLostError.
var ErrLeaseLost = errors.New("lease lost")

// LeaseLostError says a held lease was broken by an operator, or lapsed and
// was taken by another run. The holder must stop: carrying on would
// interleave two rollouts of one deployment.
type LeaseLostError struct {
	Deployment string
	// TakenBy and Operation describe the new holder; empty when the lease
	// was deleted (broken) and nobody holds it.
	TakenBy   string
	Operation string
}

func (l *LeaseLostError) Error() string {
	if l.TakenBy == "" {
		return fmt.Sprintf("lease of %s was broken by someone else; stopping so two rollouts never interleave", l.Deployment)
	}
	return fmt.Sprintf("lease of %s was taken by %s (%s); stopping so two rollouts never interleave", l.Deployment, l.TakenBy, l.Operation)
}

func (l *LeaseLostError) Is(target error) bool { return target == ErrLeaseLost }

// BreakLeaseCommand is the operator command that breaks holder's lease.
func BreakLeaseCommand(deploymentID, holder string) string {
	return fmt.Sprintf("terraform-provider-ocuroot lease break -deployment %s -holder %s", deploymentID, shellQuote(holder))
}

// Keeper takes, renews and breaks the per-deployment leases that keep
// two runs from driving one deployment at once.
type Keeper struct {
	Store *records.Store
	Clock domain.Clock
	Log   domain.Logger
	// Holder names this process in the leases it writes; Self identifies
	// it, to tell a dead holder from a live one.
	Holder string
	Self   Holder
	// TTL is how long a lease lives without renewal; Poll is how often a
	// waiting run looks again.
	TTL  time.Duration
	Poll time.Duration
}

// Acquire waits for the deployment's lease and starts its heartbeat.
// A lease is free when nobody holds it, when it expired, or when its holder
// ran on this machine and its process is gone.
func (k *Keeper) Acquire(ctx context.Context, deploymentID, operation string) (*Held, error) {
	waitStarted := k.Clock.Now()
	var lastSeen Record
	var lastLogged time.Time
	for {
		now := k.Clock.Now()
		current, rev, err := records.GetJSON[Record](ctx, k.Store.DescribedKV(), records.KindLease, deploymentID)
		switch {
		case records.IsNotFound(err):
			rev = 0
		case err != nil:
			return nil, fmt.Errorf("reading lease of %s: %w", deploymentID, err)
		}
		held := err == nil && now.Before(current.ExpiresAt)
		if held && current.Who != nil && current.Who.IsDead(k.Self) {
			k.Log.Warn(ctx, "ocuroot: taking over the lease of a holder whose process is gone", map[string]any{
				"deployment": deploymentID, "dead_holder": current.Holder, "operation": current.Operation, "since": current.AcquiredAt,
			})
			held = false
		}
		if !held {
			rec := k.newRecord(operation, now)
			newRev, err := records.PutJSON(ctx, k.Store.DescribedKV(), records.KindLease, deploymentID, rec, rev)
			if err == nil {
				return k.start(ctx, deploymentID, rec, newRev), nil
			}
			if !errors.Is(err, records.ErrConflict) {
				return nil, fmt.Errorf("taking lease of %s: %w", deploymentID, err)
			}
			continue // someone else won the race: look again
		}
		if lastLogged.IsZero() || now.Sub(lastLogged) >= leaseWaitLogEvery || current.Holder != lastSeen.Holder {
			k.Log.Info(ctx, "ocuroot: waiting for another run to finish with this deployment", map[string]any{
				"deployment": deploymentID, "holder": current.Holder, "operation": current.Operation,
				"since": current.AcquiredAt, "expires": current.ExpiresAt, "waited": now.Sub(waitStarted).String(),
			})
			lastLogged = now
		}
		lastSeen = current
		if err := domain.Sleep(ctx, k.Clock, k.Poll); err != nil {
			return nil, &LeaseError{Deployment: deploymentID, Holder: lastSeen.Holder, Operation: lastSeen.Operation,
				Since: lastSeen.AcquiredAt, Expires: lastSeen.ExpiresAt, Waited: k.Clock.Now().Sub(waitStarted), TTL: k.TTL, Err: err}
		}
	}
}

func (k *Keeper) newRecord(operation string, now time.Time) Record {
	who := k.Self
	return Record{Holder: k.Holder, Token: domain.RandomID(), Who: &who, Operation: operation,
		AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(k.TTL)}
}

// roundWait shows a wait at a precision people read: 2m30s, 1.5s, 30ms.
func roundWait(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}
