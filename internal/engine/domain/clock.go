package domain

import (
	"context"
	"time"
)

// Clock is the only source of time in the engine. Tests inject a fake so a
// thirty-minute bake runs in milliseconds; production uses RealClock.
type Clock interface {
	Now() time.Time
	// After behaves like time.After on this clock.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time                         { return time.Now().UTC() }
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits for d on the clock, returning early with the context's error
// when it is cancelled. Every wait in the engine goes through here.
func Sleep(ctx context.Context, clock Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}
