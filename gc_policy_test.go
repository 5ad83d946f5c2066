package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// currentMemoryLimit reads the soft memory limit without changing it.
func currentMemoryLimit() int64 { return debug.SetMemoryLimit(-1) }

func restoreMemoryLimit(t *testing.T) {
	limit := currentMemoryLimit()
	t.Cleanup(func() { debug.SetMemoryLimit(limit) })
}

func TestGCPolicySetsTheLimitWhenTheUserChoseNone(t *testing.T) {
	restoreMemoryLimit(t)
	debug.SetMemoryLimit(math.MaxInt64)

	applyGCPolicy(func(string) string { return "" })

	if limit := currentMemoryLimit(); limit != providerMemoryLimit {
		t.Fatalf("memory limit %d, want %d", limit, providerMemoryLimit)
	}
}

func TestGCPolicyLeavesTheUsersLimit(t *testing.T) {
	restoreMemoryLimit(t)
	debug.SetMemoryLimit(512 << 20) // as the runtime does for GOMEMLIMIT=512MiB

	applyGCPolicy(func(name string) string {
		return map[string]string{"GOMEMLIMIT": "512MiB"}[name]
	})

	if limit := currentMemoryLimit(); limit != 512<<20 {
		t.Fatalf("memory limit %d, want the user's %d", limit, 512<<20)
	}
}
