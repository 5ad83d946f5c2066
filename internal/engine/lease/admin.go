package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// LeaseInfo is one lease as an operator sees it ("lease list").
type LeaseInfo struct {
	Deployment string
	Holder     string
	Operation  string
	Since      time.Time
	RenewedAt  time.Time
	Expires    time.Time
	// Expired: the holder stopped renewing; the next run takes the lease.
	Expired bool
	// HolderDead: the holder ran on this machine and its process is gone.
	HolderDead bool
}

// ErrLeaseBreakRefused matches every refusal of BreakLease.
var ErrLeaseBreakRefused = errors.New("lease break refused")

// List returns the leases in the store, by deployment id.
func (k *Keeper) List(ctx context.Context) ([]LeaseInfo, error) {
	entries, err := k.Store.DescribedKV().List(ctx, records.KindLease)
	if err != nil {
		return nil, fmt.Errorf("listing leases: %w", err)
	}
	now := k.Clock.Now()
	out := make([]LeaseInfo, 0, len(entries))
	for _, entry := range entries {
		var rec Record
		if err := json.Unmarshal(entry.Value, &rec); err != nil {
			return nil, fmt.Errorf("decoding lease of %s: %w", entry.Key, err)
		}
		out = append(out, LeaseInfo{
			Deployment: entry.Key, Holder: rec.Holder, Operation: rec.Operation,
			Since: rec.AcquiredAt, RenewedAt: rec.RenewedAt, Expires: rec.ExpiresAt,
			Expired:    !now.Before(rec.ExpiresAt),
			HolderDead: rec.Who != nil && rec.Who.IsDead(k.Self),
		})
	}
	return out, nil
}

// BreakLease deletes the lease of deploymentID if, and only if, holder (the
// readable holder as ListLeases shows it) still holds it: a compare-and-
// delete on the revision that was read, so a lease taken over or renewed in
// the meantime is never broken. It also refuses a holder that visibly runs
// on this machine. The holder, if it is alive after all, notices at its next
// renewal and stops.
func (k *Keeper) BreakLease(ctx context.Context, deploymentID, holder string) error {
	current, rev, err := records.GetJSON[Record](ctx, k.Store.DescribedKV(), records.KindLease, deploymentID)
	switch {
	case records.IsNotFound(err):
		return fmt.Errorf("%w: deployment %s holds no lease; nothing to break", ErrLeaseBreakRefused, deploymentID)
	case err != nil:
		return fmt.Errorf("reading lease of %s: %w", deploymentID, err)
	case current.Holder != holder:
		return fmt.Errorf("%w: the lease of %s is held by %q (%s since %s), not by %q; nothing was changed",
			ErrLeaseBreakRefused, deploymentID, current.Holder, current.Operation, FormatSince(current.AcquiredAt), holder)
	case current.Who != nil && current.Who.RunsHere(k.Self):
		return fmt.Errorf("%w: %s is still running on this machine (pid %d); stop it, or let it finish, instead of breaking its lease",
			ErrLeaseBreakRefused, current.Holder, current.Who.PID)
	}
	err = k.Store.DescribedKV().Delete(ctx, records.KindLease, deploymentID, rev)
	if errors.Is(err, records.ErrConflict) {
		return fmt.Errorf("%w: the lease of %s changed while it was being broken (renewed by a live holder, or taken by another run); nothing was changed",
			ErrLeaseBreakRefused, deploymentID)
	}
	if err != nil {
		return fmt.Errorf("breaking lease of %s: %w", deploymentID, err)
	}
	k.Log.Warn(ctx, "ocuroot: lease broken by an operator", map[string]any{
		"deployment": deploymentID, "holder": current.Holder, "operation": current.Operation, "since": current.AcquiredAt})
	return nil
}

// RunsHere reports whether the holder is a live process on this machine
// other than this one.
func (h Holder) RunsHere(self Holder) bool {
	return h.PID > 0 && h.Host != "" && h.Host == self.Host && h.PIDNamespace == self.PIDNamespace &&
		h.PID != self.PID && processExists(h.PID)
}

// shellQuote quotes a holder for a command line people paste: double
// quotes, which both POSIX shells and Windows accept, unless the text holds
// characters a POSIX shell would expand inside them.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
