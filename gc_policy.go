package main

import (
	"runtime/debug"
)

// The provider's live heap is small (tens of MiB at a thousand resources),
// but a large plan or apply allocates quickly: every RPC converts whole
// resource objects between Terraform's types and the framework's, and ten
// of them run at once. Left to Go's default policy alone (collect when the
// heap has doubled since the last collection) the peak RSS follows those
// bursts, not what is live: about 315 MiB at a thousand deployments. So,
// unless the user chose a limit with GOMEMLIMIT, the heap is kept under a
// soft limit. It costs nothing while the heap stays below it (small
// configurations collect exactly as before); near it the collector works
// harder, and the runtime caps that extra work, so a process whose live heap
// outgrows the limit slows down a little instead of failing. GOGC is left to
// the user.
const providerMemoryLimit = 100 << 20 // bytes: the Go heap and runtime, not the binary

// applyGCPolicy sets the soft memory limit above unless GOMEMLIMIT is set.
func applyGCPolicy(getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(providerMemoryLimit)
	}
}
