package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/provider"
)

// Termination timing. A signalled provider keeps serving while its
// operations roll back (each within its rollback grace), so terraform
// receives their diagnostics and state; the grace bounds that wait.
const (
	terminationGrace = 45 * time.Second
	// answerDrain is how long the provider keeps serving after its last
	// operation finished, so that operation's answer reaches terraform and
	// terraform can stop the plugin itself.
	answerDrain = 2 * time.Second
	// parentPollInterval is how often the provider checks that terraform,
	// its parent process, is still there.
	parentPollInterval = time.Second
)

// terminator turns SIGTERM, SIGINT and a vanished terraform into a
// provider.Shutdown, then ends the process once the cancelled operations
// have answered. Its effects are fields so a test can drive it without
// signals or exits.
type terminator struct {
	shutdown *provider.Shutdown
	signals  <-chan os.Signal
	// parentPID reports the current parent process id; terraform is gone
	// when it differs from the one seen at start (the provider was
	// re-parented to init or a subreaper).
	parentPID func() int
	logf      func(format string, args ...any)
	exit      func(code int)

	grace, drain, pollParent time.Duration
}

// WatchTermination starts the terminator for a served provider.
func WatchTermination(shutdown *provider.Shutdown, logf func(string, ...any)) {
	// A write to terraform's end of a closed pipe must not kill the provider
	// while it rolls back for a terraform that was killed.
	signal.Ignore(syscall.SIGPIPE)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	t := &terminator{
		shutdown: shutdown, signals: signals, parentPID: os.Getppid, logf: logf, exit: os.Exit,
		grace: terminationGrace, drain: answerDrain, pollParent: parentPollInterval,
	}
	t.start()
}

// start notes terraform's pid before anything can change it, then watches
// in the background.
func (t *terminator) start() {
	go t.run(t.parentPID())
}

// run waits for the first reason to stop, begins the shutdown, and then
// exits at once on a second signal, or when the operations have answered.
func (t *terminator) run(startParent int) {
	parentGone, stopWatching := make(chan struct{}), make(chan struct{})
	defer close(stopWatching)
	go t.watchParent(startParent, parentGone, stopWatching)

	select {
	case sig := <-t.signals:
		t.logf("[WARN] ocuroot provider received %s: cancelling %d operation(s) in flight as an interrupt (on_timeout applies, leases are released); "+
			"it exits once they have answered terraform. A second signal exits at once.", sig, t.shutdown.InFlight())
		t.shutdown.Begin(fmt.Errorf("the provider process received %s", sig))
	case <-parentGone:
		t.logf("[WARN] ocuroot provider: terraform (pid %d) is gone; cancelling %d operation(s) in flight as an interrupt (on_timeout applies, leases are released) and exiting.",
			startParent, t.shutdown.InFlight())
		t.shutdown.Begin(errors.New("terraform exited while the operation was running"))
	}

	finished := make(chan int, 1)
	go func() { finished <- t.drainCode() }()
	select {
	case sig := <-t.signals:
		t.logf("[WARN] ocuroot provider received %s again: exiting at once; %d operation(s) did not finish.", sig, t.shutdown.InFlight())
		t.exit(exitCodeFor(sig))
	case code := <-finished:
		t.exit(code)
	}
}

// watchParent closes gone when the parent process changes. terraform's
// gRPC connection usually cancels the requests of a killed terraform too;
// this is what makes sure the process does not outlive it.
func (t *terminator) watchParent(start int, gone chan<- struct{}, stop <-chan struct{}) {
	tick := time.NewTicker(t.pollParent)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if t.parentPID() != start {
				close(gone)
				return
			}
		}
	}
}

// drainCode waits until no operation is in flight and none has started
// during a short drain, bounded by the grace; it returns the exit code.
func (t *terminator) drainCode() int {
	ctx, cancel := context.WithTimeout(context.Background(), t.grace)
	defer cancel()
	for {
		if err := t.shutdown.WaitIdle(ctx); err != nil {
			t.logf("[ERROR] ocuroot provider: %d operation(s) still running %s after shutdown began; exiting without their answer.",
				t.shutdown.InFlight(), t.grace)
			return 1
		}
		select {
		case <-time.After(t.drain):
		case <-ctx.Done():
		}
		if t.shutdown.InFlight() == 0 {
			t.logf("[INFO] ocuroot provider: every cancelled operation has answered; exiting.")
			return 0
		}
	}
}

// exitCodeFor follows the shell convention for death by signal.
func exitCodeFor(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
