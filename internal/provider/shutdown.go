package provider

import (
	"context"
	"errors"
	"sync"
)

// ErrShutdown is the cause given to operations cancelled by a Shutdown that
// was begun without a cause of its own.
var ErrShutdown = errors.New("the provider is shutting down")

// Shutdown is the process-wide stop signal of a served provider. main begins
// it on SIGTERM, SIGINT or when terraform disappears; every long operation
// (deploy, promote, teardown) runs on a context merged with it, so it is
// cancelled exactly as an interrupt would cancel it: on_timeout applies, the
// lease is released and the resource answers terraform normally. Shutdown
// also counts those operations, so main can keep serving until they have
// answered and only then exit.
type Shutdown struct {
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	inFlight int
	// idle is closed whenever no operation is in flight, and replaced by an
	// open channel when the first one starts.
	idle chan struct{}
}

// NewShutdown returns a Shutdown that has not begun.
func NewShutdown() *Shutdown {
	ctx, cancel := context.WithCancelCause(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &Shutdown{ctx: ctx, cancel: cancel, idle: idle}
}

// Begin cancels every operation in flight and every operation started
// later, with cause (ErrShutdown when nil). Only the first call counts.
func (s *Shutdown) Begin(cause error) {
	if cause == nil {
		cause = ErrShutdown
	}
	s.cancel(cause)
}

// Begun is closed once Begin has been called.
func (s *Shutdown) Begun() <-chan struct{} { return s.ctx.Done() }

// Cause says why the shutdown began; nil before Begin.
func (s *Shutdown) Cause() error { return context.Cause(s.ctx) }

// InFlight is the number of operations that have not finished.
func (s *Shutdown) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// WaitIdle blocks until no operation is in flight or ctx ends, and returns
// ctx's error in the latter case.
func (s *Shutdown) WaitIdle(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Track returns ctx merged with the shutdown signal and counts the
// operation as in flight until the returned CancelFunc is called (it is
// safe to call more than once). The merged context's cause is the
// shutdown's cause, so diagnostics can say why the operation stopped.
func (s *Shutdown) Track(ctx context.Context) (context.Context, context.CancelFunc) {
	s.mu.Lock()
	if s.inFlight == 0 {
		s.idle = make(chan struct{})
	}
	s.inFlight++
	s.mu.Unlock()

	merged, cancel := context.WithCancelCause(ctx)
	if s.ctx.Err() != nil {
		// AfterFunc would cancel from another goroutine; an operation
		// started during shutdown must see the cancellation at once.
		cancel(context.Cause(s.ctx))
	}
	stopForwarding := context.AfterFunc(s.ctx, func() { cancel(context.Cause(s.ctx)) })
	var once sync.Once
	return merged, func() {
		once.Do(func() {
			stopForwarding()
			cancel(context.Canceled)
			s.finish()
		})
	}
}

func (s *Shutdown) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 {
		close(s.idle)
	}
}

// operationContext is the context a long operation (deploy, promote,
// teardown) runs on: the RPC's context, also cancelled when the provider
// process is told to shut down. Call the returned CancelFunc when the
// operation has finished (defer it right away); until then the process
// keeps serving so terraform receives the operation's answer.
func (pd *providerData) operationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if pd == nil || pd.shutdown == nil {
		// In-process tests and debug servers have no process-wide signal.
		return context.WithCancel(ctx)
	}
	return pd.shutdown.Track(ctx)
}
