// Package enginetest holds test helpers for the engine: a fake clock that
// lets a thirty-minute bake run in milliseconds.
package enginetest

import (
	"sort"
	"sync"
	"time"
)

// FakeClock implements engine.Clock. In auto mode every After call moves
// time forward by its duration at once, so a rollout runs as fast as the
// CPU allows while seeing exactly the durations it asked for. In manual
// mode time moves only with Increment, and BlockUntil lets a test wait for
// the code under test to start waiting.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	waiters []waiter
	cond    *sync.Cond
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewAutoClock returns a clock that advances by itself on every wait.
func NewAutoClock(start time.Time) *FakeClock {
	c := &FakeClock{now: start, auto: true}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// NewManualClock returns a clock that advances only with Increment.
func NewManualClock(start time.Time) *FakeClock {
	c := &FakeClock{now: start}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.auto {
		if d > 0 {
			c.now = c.now.Add(d)
		}
		ch <- c.now
		return ch
	}
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.cond.Broadcast()
	return ch
}

// Increment moves time forward and fires every waiter that is due.
func (c *FakeClock) Increment(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.Slice(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// Waiters returns how many After calls are pending.
func (c *FakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil waits until at least n After calls are pending.
func (c *FakeClock) BlockUntil(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.waiters) < n {
		c.cond.Wait()
	}
}
