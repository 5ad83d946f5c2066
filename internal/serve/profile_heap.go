package serve

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// heapSampleEvery is how often the peak-heap profiler looks at the heap. A
// provider's peak is reached while a plan or apply is in full flight, not
// at exit, so a profile written at exit would show the wrong moment.
const heapSampleEvery = 100 * time.Millisecond

// startHeapPeakProfiler writes a heap profile to heapPath, and the stacks of
// every goroutine to goroutinePath, each time the heap in use grows a tenth
// beyond the largest seen so far, so the files left behind show what was
// live, and what was running, at (about) the peak. It returns the function
// that stops it. A developer aid only: see envProfileDir.
func startHeapPeakProfiler(heapPath, goroutinePath string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var peak uint64
		var stats runtime.MemStats
		ticker := time.NewTicker(heapSampleEvery)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			runtime.ReadMemStats(&stats)
			if stats.HeapInuse < peak+peak/10 {
				continue
			}
			peak = stats.HeapInuse
			err := writeProfile("heap", heapPath)
			if err == nil {
				err = writeProfile("goroutine", goroutinePath)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "[WARN] %s: %v\n", envProfileDir, err)
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}
