package main

import (
	"runtime/debug"
)

// The provider's live heap is small (tens of MiB at a thousand resources),
// but a plan or apply allocates quickly: every RPC converts whole resource
// objects between Terraform's types and the framework's. With Go's default
// policy (collect when the heap has doubled since the last collection) that
// means frequent collections and a peak RSS that follows the allocation
// rate rather than what is live. So, unless the user chose for themselves
// with GOGC or GOMEMLIMIT:
//   - collect when the heap has tripled (fewer collections, less CPU), and
//   - keep the heap under a soft limit, which makes the collector work
//     harder only when the heap nears it. The runtime caps that extra work,
//     so a process whose live heap outgrows the limit slows down a little
//     instead of failing.
const (
	providerGCPercent   = 200
	providerMemoryLimit = 100 << 20 // bytes, the Go heap and runtime only
)

// applyGCPolicy sets the policy above; a variable the user set wins.
func applyGCPolicy(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(providerGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(providerMemoryLimit)
	}
}
