package serve

import (
	"math"
	"runtime/debug"
	"testing"
)

// currentMemoryLimit reads the soft memory limit without changing it.
func currentMemoryLimit() int64 { return debug.SetMemoryLimit(-1) }

// restoreGCSettings puts back the test process's own settings.
func restoreGCSettings(t *testing.T) {
	limit := currentMemoryLimit()
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	})
}

func TestGCPolicyAppliesWhenTheUserChoseNothing(t *testing.T) {
	restoreGCSettings(t)
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(100)

	ApplyGCPolicy(func(string) string { return "" })

	if limit := currentMemoryLimit(); limit != providerMemoryLimit {
		t.Errorf("memory limit %d, want %d", limit, providerMemoryLimit)
	}
	if percent := debug.SetGCPercent(100); percent != providerGCPercent {
		t.Errorf("GC percent %d, want %d", percent, providerGCPercent)
	}
}

func TestGCPolicyLeavesWhatTheUserChose(t *testing.T) {
	restoreGCSettings(t)
	// As the runtime sets them for GOMEMLIMIT=512MiB GOGC=50.
	debug.SetMemoryLimit(512 << 20)
	debug.SetGCPercent(50)

	ApplyGCPolicy(func(name string) string {
		return map[string]string{"GOMEMLIMIT": "512MiB", "GOGC": "50"}[name]
	})

	if limit := currentMemoryLimit(); limit != 512<<20 {
		t.Errorf("memory limit %d, want the user's %d", limit, 512<<20)
	}
	if percent := debug.SetGCPercent(100); percent != 50 {
		t.Errorf("GC percent %d, want the user's 50", percent)
	}
}
