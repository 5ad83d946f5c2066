package leasecli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
)

// writeLeases prints the leases as a table, then the command that breaks
// the first one whose holder is gone, so an operator can copy it.
func writeLeases(w io.Writer, description string, leases []lease.LeaseInfo) {
	if len(leases) == 0 {
		fmt.Fprintf(w, "No leases are held (%s).\n", description)
		return
	}
	fmt.Fprintf(w, "Leases in the %s:\n\n", description)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPLOYMENT\tHOLDER\tOPERATION\tSINCE\tEXPIRES\tSTATE")
	for _, l := range leases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Deployment, l.Holder, l.Operation,
			stamp(l.Since), stamp(l.Expires), leaseState(l))
	}
	_ = tw.Flush()
	for _, l := range leases {
		if l.HolderDead {
			fmt.Fprintf(w, "\nThe holder of %s is gone; to free it now:\n  %s\n", l.Deployment, lease.BreakLeaseCommand(l.Deployment, l.Holder))
			return
		}
	}
}

// leaseState says what an operator can expect of a lease.
func leaseState(l lease.LeaseInfo) string {
	switch {
	case l.HolderDead:
		return "holder process gone (safe to break)"
	case l.Expired:
		return "expired (the next run takes it)"
	default:
		return "held"
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
