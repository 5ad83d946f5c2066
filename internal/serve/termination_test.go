package serve

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/provider"
)

// fakeProcess drives a terminator without real signals, parents or exits.
type fakeProcess struct {
	signals chan os.Signal
	parent  atomic.Int64
	exits   chan int

	mu   sync.Mutex
	logs []string
}

func newFakeProcess(t *testing.T, shutdown *provider.Shutdown, grace time.Duration) (*fakeProcess, *terminator) {
	t.Helper()
	p := &fakeProcess{signals: make(chan os.Signal, 2), exits: make(chan int, 1)}
	p.parent.Store(4242)
	term := &terminator{
		shutdown:  shutdown,
		signals:   p.signals,
		parentPID: func() int { return int(p.parent.Load()) },
		logf: func(format string, args ...any) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.logs = append(p.logs, fmt.Sprintf(format, args...))
		},
		exit:       func(code int) { p.exits <- code },
		grace:      grace,
		drain:      time.Millisecond,
		pollParent: time.Millisecond,
	}
	return p, term
}

// waitExit returns the exit code; the bound only keeps a broken
// terminator from hanging the test binary.
func (p *fakeProcess) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-p.exits:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("the terminator never exited; log:\n%s", p.log())
		return 0
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, failure string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal(failure)
	}
}

func (p *fakeProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

func TestTerminatorSignalCancelsOperationsAndExitsOnceTheyAnswered(t *testing.T) {
	shutdown := provider.NewShutdown()
	op, finish := shutdown.Track(context.Background())
	p, term := newFakeProcess(t, shutdown, time.Hour)
	term.start()

	p.signals <- syscall.SIGTERM
	waitClosed(t, op.Done(), "the operation was never cancelled")
	if got := context.Cause(op).Error(); got != "the provider process received terminated" {
		t.Errorf("operation cancelled with %q", got)
	}
	select {
	case code := <-p.exits:
		t.Fatalf("exited with %d while an operation was still rolling back", code)
	default:
	}
	finish()
	if code := p.waitExit(t); code != 0 {
		t.Errorf("exit code %d after every operation answered, want 0", code)
	}
	log := p.log()
	for _, want := range []string{"[WARN] ocuroot provider received terminated", "cancelling 1 operation(s) in flight", "every cancelled operation has answered"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestTerminatorSecondSignalExitsAtOnce(t *testing.T) {
	shutdown := provider.NewShutdown()
	_, finish := shutdown.Track(context.Background())
	defer finish()
	p, term := newFakeProcess(t, shutdown, time.Hour)
	term.start()

	p.signals <- syscall.SIGINT
	waitClosed(t, shutdown.Begun(), "the shutdown never began")
	p.signals <- syscall.SIGINT
	if code := p.waitExit(t); code != 128+int(syscall.SIGINT) {
		t.Errorf("exit code %d, want %d", code, 128+int(syscall.SIGINT))
	}
	if log := p.log(); !strings.Contains(log, "received interrupt again: exiting at once; 1 operation(s) did not finish") {
		t.Errorf("log does not say the second signal cut the rollback short:\n%s", log)
	}
}

func TestTerminatorVanishedTerraformCancelsOperations(t *testing.T) {
	shutdown := provider.NewShutdown()
	op, finish := shutdown.Track(context.Background())
	p, term := newFakeProcess(t, shutdown, time.Hour)
	term.start()

	p.parent.Store(1) // re-parented to init: terraform was killed
	waitClosed(t, op.Done(), "the operation was never cancelled")
	if got := context.Cause(op).Error(); got != "terraform exited while the operation was running" {
		t.Errorf("operation cancelled with %q", got)
	}
	finish()
	if code := p.waitExit(t); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if log := p.log(); !strings.Contains(log, "terraform (pid 4242) is gone") {
		t.Errorf("log does not name the vanished terraform:\n%s", log)
	}
}

func TestTerminatorGivesUpAfterTheGrace(t *testing.T) {
	shutdown := provider.NewShutdown()
	_, finish := shutdown.Track(context.Background())
	defer finish()
	p, term := newFakeProcess(t, shutdown, time.Millisecond)
	term.start()

	p.signals <- syscall.SIGTERM
	if code := p.waitExit(t); code != 1 {
		t.Errorf("exit code %d when an operation outlived the grace, want 1", code)
	}
	if log := p.log(); !strings.Contains(log, "1 operation(s) still running 1ms after shutdown began") {
		t.Errorf("log does not say what was cut short:\n%s", log)
	}
}
