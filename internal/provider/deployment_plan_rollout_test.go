package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// TestPlannedRolloutWithValuesKnownOnlyAtApply: an environment or URLs
// taken from other resources are unknown at plan time; they do not change
// the steps, so the rollout still resolves and plans as it will at apply.
func TestPlannedRolloutWithValuesKnownOnlyAtApply(t *testing.T) {
	ctx := context.Background()
	canary := func(env, hookURL, checkURL types.String) *deploymentModel {
		return &deploymentModel{
			Release: types.StringValue("api@2"), Environment: env, Strategy: types.StringValue(string(domain.StrategyCanary)),
			Canary: &canaryModel{ManualPromotion: types.BoolValue(true), Step: []canaryStepModel{{Weight: types.Int64Value(10), Bake: goDuration(60e9)}}},
			Hook:   &hookModel{URL: hookURL},
			Check:  []metricCheckModel{{Name: types.StringValue("errors"), URL: checkURL, Path: types.StringValue("rate"), Max: types.Float64Value(1)}},
		}
	}
	known := resolvePlannedRollout(ctx, canary(types.StringValue("prod"), types.StringValue("https://d.example.com/hooks"), types.StringValue("https://m.example.com/{slot}")))
	unknown := resolvePlannedRollout(ctx, canary(types.StringUnknown(), types.StringUnknown(), types.StringUnknown()))
	if known == nil || unknown == nil {
		t.Fatalf("resolvePlannedRollout: known %v, unknown %v; want both resolved", known, unknown)
	}
	want := rollout.SummarizeRollout(known.spec, known.stepsFor(true), true)
	if got := rollout.SummarizeRollout(unknown.spec, unknown.stepsFor(true), true); got != want {
		t.Errorf("rollout with values known only at apply = %q, want %q", got, want)
	}
	if len(unknown.steps) != 1 {
		t.Errorf("planned %d times for one answer, want once", len(unknown.steps))
	}
	invalid := canary(types.StringValue("prod"), types.StringValue("https://d.example.com/hooks"), types.StringValue("https://m.example.com"))
	invalid.Canary.Step = nil
	if got := resolvePlannedRollout(ctx, invalid); got != nil {
		t.Errorf("a canary without steps resolved: %+v", got)
	}
}
