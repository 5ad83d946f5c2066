package provider

import (
	"context"
	"errors"
	"testing"
)

func TestShutdownCancelsOperationsInFlightWithItsCause(t *testing.T) {
	t.Parallel()
	s := NewShutdown()
	pd := &providerData{shutdown: s}
	ctx, done := pd.operationContext(context.Background())
	defer done()
	if s.InFlight() != 1 {
		t.Fatalf("in flight = %d, want 1", s.InFlight())
	}
	if ctx.Err() != nil {
		t.Fatalf("operation cancelled before the shutdown began: %v", ctx.Err())
	}

	sigterm := errors.New("provider received terminated")
	s.Begin(sigterm)
	<-ctx.Done()
	if !errors.Is(context.Cause(ctx), sigterm) {
		t.Errorf("cause = %v, want %v", context.Cause(ctx), sigterm)
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("err = %v, want context.Canceled (the engine reads it as an interrupt)", ctx.Err())
	}
}

func TestShutdownWaitIdleReturnsWhenTheLastOperationFinishes(t *testing.T) {
	t.Parallel()
	s := NewShutdown()
	pd := &providerData{shutdown: s}
	_, doneA := pd.operationContext(context.Background())
	_, doneB := pd.operationContext(context.Background())
	s.Begin(nil)

	waiting, cancelWait := context.WithCancel(context.Background())
	cancelWait()
	if err := s.WaitIdle(waiting); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitIdle with two operations in flight = %v, want it to wait until its context ended", err)
	}
	doneA()
	doneA() // finishing twice must not count twice
	if s.InFlight() != 1 {
		t.Fatalf("in flight = %d after one operation finished, want 1", s.InFlight())
	}
	doneB()
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatalf("WaitIdle after both finished = %v", err)
	}
	if !errors.Is(s.Cause(), ErrShutdown) {
		t.Errorf("cause = %v, want ErrShutdown when Begin had none", s.Cause())
	}
}

func TestShutdownCancelsOperationsStartedAfterItBegan(t *testing.T) {
	t.Parallel()
	s := NewShutdown()
	s.Begin(nil)
	ctx, done := (&providerData{shutdown: s}).operationContext(context.Background())
	defer done()
	if ctx.Err() == nil {
		t.Fatal("an operation started during shutdown was not cancelled")
	}
}

func TestOperationContextWithoutShutdownFollowsTheRequest(t *testing.T) {
	t.Parallel()
	rpc, cancelRPC := context.WithCancel(context.Background())
	ctx, done := (&providerData{}).operationContext(rpc)
	defer done()
	cancelRPC()
	<-ctx.Done()
}

func TestShutdownFinishedOperationNoLongerFollowsIt(t *testing.T) {
	t.Parallel()
	s := NewShutdown()
	ctx, done := (&providerData{shutdown: s}).operationContext(context.Background())
	done()
	s.Begin(errors.New("late"))
	if errors.Is(context.Cause(ctx), s.Cause()) {
		t.Errorf("a finished operation took the shutdown's cause: %v", context.Cause(ctx))
	}
	if s.InFlight() != 0 {
		t.Errorf("in flight = %d, want 0", s.InFlight())
	}
}
