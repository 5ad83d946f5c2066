package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// cancelAtRound cancels the rollout's context as health probe n starts;
// in a bake the health check opens every round, so round n-1 is the last
// one that answered whole.
type cancelAtRound struct {
	domain.Checker
	n      int
	cancel func()

	mu     sync.Mutex
	probes int
}

func (c *cancelAtRound) Health(ctx context.Context, hc domain.HealthCheck, vars domain.Placeholders) domain.CheckResult {
	c.mu.Lock()
	c.probes++
	n := c.probes
	c.mu.Unlock()
	if n == c.n {
		c.cancel()
	}
	return c.Checker.Health(ctx, hc, vars)
}

// TestInterruptedBakeNamesTheLastCheck: an interrupt in a bake quotes the
// last round (its failed check, or that it passed); one at the next step's
// hook quotes nothing, since no check of that step has run.
func TestInterruptedBakeNamesTheLastCheck(t *testing.T) {
	for _, tt := range []struct {
		name          string
		failingMetric bool
		cancelOnHook  bool
		want          string
	}{
		{name: "failing round", failingMetric: true, want: `check "error_rate" failed: error_rate = 0.4, above max 0.05`},
		{name: "passing round", want: `check "health" passed: status 200`},
		{name: "at the next step's hook", cancelOnHook: true, want: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			spec := canarySpec()
			spec.OnTimeout = domain.OnTimeoutFail
			spec.Canary.FailureThreshold = 10
			h.checker.failingMetrics["error_rate"] = tt.failingMetric
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			checker := &cancelAtRound{Checker: h.checker, n: 4, cancel: cancel}
			if tt.cancelOnHook {
				checker.n = 0
				h.hooks.onSend = func(_ context.Context, ev domain.Event) {
					if ev.Type == domain.EventCanaryWeight && ev.Weight == 50 {
						cancel()
					}
				}
			}
			_, err := h.engine(h.kv, Options{Checker: checker}).Deploy(ctx, DeployRequest{Spec: spec})
			rerr := asRolloutError(t, err)
			if !rerr.Interrupted || rerr.LastCheck != tt.want {
				t.Errorf("RolloutError interrupted %v, LastCheck %q; want %q", rerr.Interrupted, rerr.LastCheck, tt.want)
			}
		})
	}
}
