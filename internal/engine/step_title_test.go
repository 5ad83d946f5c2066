package engine

import (
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// TestStepTitles: every step of every plan is named as the user wrote it,
// with no plan index: both halves of a canary step block carry its number
// among the blocks, its weight and its bake; the rest say what they are for.
func TestStepTitles(t *testing.T) {
	canary := domain.DeploymentSpec{Strategy: domain.StrategyCanary, Canary: domain.CanarySpec{ManualPromotion: true,
		Steps: []domain.CanaryStep{{Weight: 10, Bake: 30 * time.Minute}, {Weight: 50, Bake: 2 * time.Second}}}}
	blueGreen := domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{ManualPromotion: true,
		PromotionDelay: 5 * time.Minute, ScaleDownDelay: time.Hour,
		PrePromotionCheck:  []domain.MetricCheck{{Name: "smoke", URL: "https://app.test/smoke"}},
		PostPromotionCheck: []domain.MetricCheck{{Name: "errors", URL: "https://app.test/errors"}}}}
	type named struct{ title, stage string }
	for _, tt := range []struct {
		name    string
		spec    domain.DeploymentSpec
		hasLive bool
		want    []named
	}{
		{"first deployment", canary, false, []named{
			{"the deploy", "deploy"},
			{"the wait for health of stable", "wait for health of stable"},
		}},
		{"canary", canary, true, []named{
			{"canary step 1 of 2 (weight 10%, bake 30m)", "canary step 1 of 2: weight 10%"},
			{"canary step 1 of 2 (weight 10%, bake 30m)", "canary step 1 of 2: bake 30m"},
			{"canary step 2 of 2 (weight 50%, bake 2s)", "canary step 2 of 2: weight 50%"},
			{"canary step 2 of 2 (weight 50%, bake 2s)", "canary step 2 of 2: bake 2s"},
			{"the promotion gate", "promotion gate"},
			{"the promotion to 100%", "promotion to 100%"},
		}},
		{"blue-green", blueGreen, true, []named{
			{"the creation of green", "creation of green"},
			{"the wait for health of green", "wait for health of green"},
			{"the promotion gate", "promotion gate"},
			{"the promotion delay (5m)", "promotion delay (5m)"},
			{"the pre-promotion checks", "pre-promotion checks"},
			{"the cutover", "cutover"},
			{"the post-promotion checks", "post-promotion checks"},
			{"the scale-down delay (1h)", "scale-down delay (1h)"},
			{"the drain of blue", "drain of blue"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			steps, _ := rollout.PlanRollout(resolvedForPlanning(tt.spec), tt.hasLive)
			if len(steps) != len(tt.want) {
				t.Fatalf("plan has %d steps, want %d: %s", len(steps), len(tt.want), domain.DescribeRollout(steps))
			}
			for i, want := range tt.want {
				if got := (named{domain.StepTitle(steps, i), domain.StepStage(steps, i)}); got != want {
					t.Errorf("step %d: title %q, stage %q; want %q, %q", i, got.title, got.stage, want.title, want.stage)
				}
			}
			if end := len(steps); domain.StepStage(steps, end) != "complete" || domain.StepTitle(steps, end) != "the end of the rollout" {
				t.Errorf("past the last step: %q, %q", domain.StepStage(steps, end), domain.StepTitle(steps, end))
			}
		})
	}
}
