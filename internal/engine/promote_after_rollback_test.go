package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestPromoteAfterRolledBackPromotionNeedsANewRollout: a promotion whose
// post-promotion check fails rolls green back, and the release no longer
// waits at its gate. Promoting it again on its own is refused and sends
// nothing; deploying the release again brings a new rollout to the gate,
// and that one can be promoted. This is the advice the provider gives
// after a rolled-back promotion.
func TestPromoteAfterRolledBackPromotionNeedsANewRollout(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ManualPromotion = true
	spec.BlueGreen.PostPromotionCheck = []domain.MetricCheck{{Name: "error_rate", URL: "http://metrics.test/{slot}", Path: "error_rate"}}
	ctx := context.Background()
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}

	h.checker.failingMetrics["error_rate"] = true
	_, err := h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if rerr := asRolloutError(t, err); !rerr.RolledBack {
		t.Fatalf("promotion with a failing post-promotion check: %+v, want a rollback", *rerr)
	}
	h.checker.failingMetrics["error_rate"] = false
	rolledBack := []string{"green.create 0 green", "cutover 100 green", "rollback 0 blue"}
	assertEvents(t, h, rolledBack...)

	// The same promotion again, on its own: refused, nothing sent.
	var refused *PromotionRefusedError
	if err := h.e.CanPromote(ctx, testDepID, "api@2"); !errors.As(err, &refused) {
		t.Errorf("CanPromote after the rollback = %v, want a refusal", err)
	}
	_, err = h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if !errors.As(err, &refused) || !strings.HasPrefix(err.Error(), "release api@2 is not pending promotion in api/prod") {
		t.Errorf("Promote after the rollback = %v, want a refusal", err)
	}
	assertEvents(t, h, rolledBack...)

	// The release applied again: a new rollout stops at the gate, and its
	// promotion cuts over.
	d, err := h.e.Deploy(ctx, DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusAwaitingPromotion, "api@1", "api@2", 0)
	d, err = h.e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	assertEvents(t, h, append(rolledBack, "green.create 0 green", "cutover 100 green", "blue.drain 100 blue")...)
}
