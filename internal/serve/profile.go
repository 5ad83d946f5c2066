package serve

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// envProfileDir is a developer aid for performance work: when it names a
// directory, the provider process writes a CPU profile and a block profile
// there (cpu-PID.pprof, block-PID.pprof) when it exits, for example after
// one `terraform plan`, and a heap profile and the goroutines' stacks taken
// at the process's peak heap (heap-PID.pprof, goroutine-PID.pprof; see
// startHeapPeakProfiler). Nothing is written when it is unset, and the
// profiles hold stack samples only (no configuration, state or secret).
//
//	OCUROOT_PROFILE_DIR=/tmp/prof terraform plan
//	go tool pprof -top terraform-provider-ocuroot /tmp/prof/cpu-*.pprof
const envProfileDir = "OCUROOT_PROFILE_DIR"

// StartProfiles starts profiling when envProfileDir is set and returns the
// function that writes the profiles; it never stops the provider: a profile
// that cannot be written is reported on stderr, which terraform logs.
func StartProfiles() (stop func()) {
	dir := os.Getenv(envProfileDir)
	if dir == "" {
		return func() {}
	}
	pid := os.Getpid()
	cpuFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", pid)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "[WARN] %s: %v\n", envProfileDir, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpuFile); err != nil {
		fmt.Fprintf(os.Stderr, "[WARN] %s: %v\n", envProfileDir, err)
		_ = cpuFile.Close()
		return func() {}
	}
	// Every blocking event: the provider's waits are few and long, so the
	// cost of recording each one is small next to what it shows.
	runtime.SetBlockProfileRate(1)
	stopHeap := startHeapPeakProfiler(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", pid)),
		filepath.Join(dir, fmt.Sprintf("goroutine-%d.pprof", pid)))
	return func() {
		stopHeap()
		pprof.StopCPUProfile()
		// A written file's Close can fail for its last writes: the profile
		// would be cut short, so that is reported like a failed write.
		if err := cpuFile.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "[WARN] %s: %v\n", envProfileDir, err)
		}
		if err := writeProfile("block", filepath.Join(dir, fmt.Sprintf("block-%d.pprof", pid))); err != nil {
			fmt.Fprintf(os.Stderr, "[WARN] %s: %v\n", envProfileDir, err)
		}
	}
}
