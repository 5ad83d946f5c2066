package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// currentGCSettings reads the collector's settings without changing them.
func currentGCSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1) // a negative limit only reads it
}

func restoreGCSettings(t *testing.T) {
	percent, limit := currentGCSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func TestGCPolicyAppliesWhenTheUserChoseNothing(t *testing.T) {
	restoreGCSettings(t)
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)

	applyGCPolicy(func(string) string { return "" })

	percent, limit := currentGCSettings()
	if percent != providerGCPercent || limit != providerMemoryLimit {
		t.Fatalf("GC percent %d, memory limit %d; want %d and %d", percent, limit, providerGCPercent, providerMemoryLimit)
	}
}

func TestGCPolicyLeavesTheUsersChoice(t *testing.T) {
	restoreGCSettings(t)
	debug.SetGCPercent(150)         // as if GOGC=150
	debug.SetMemoryLimit(512 << 20) // as if GOMEMLIMIT=512MiB

	applyGCPolicy(func(name string) string {
		return map[string]string{"GOGC": "150", "GOMEMLIMIT": "512MiB"}[name]
	})

	percent, limit := currentGCSettings()
	if percent != 150 || limit != 512<<20 {
		t.Fatalf("GC percent %d, memory limit %d; want the user's 150 and %d", percent, limit, 512<<20)
	}
}
