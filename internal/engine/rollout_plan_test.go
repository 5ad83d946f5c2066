package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

func TestPlanRollout(t *testing.T) {
	fiveMinuteCanary := domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: 5 * time.Minute}, {Weight: 50, Bake: 5 * time.Minute}}}
	checks := []domain.MetricCheck{{Name: "error_rate", URL: "http://m", Path: "x"}}
	tests := []struct {
		name       string
		spec       domain.DeploymentSpec
		live       bool
		wantReason string
		wantText   string
		wantWait   time.Duration
		wantKinds  []domain.StepKind
	}{
		{
			name:       "first deployment of a canary goes direct",
			spec:       domain.DeploymentSpec{Strategy: domain.StrategyCanary, Canary: fiveMinuteCanary},
			wantReason: "first deployment into an empty environment: nothing to protect with canary, deploying directly",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy},
		},
		{
			name:       "first deployment of a blue-green goes direct",
			spec:       domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{ManualPromotion: true}},
			wantReason: "first deployment into an empty environment: nothing to protect with blue_green, deploying directly",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy},
		},
		{
			name:       "direct update",
			spec:       domain.DeploymentSpec{Strategy: domain.StrategyDirect},
			live:       true,
			wantReason: "direct deployment",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy},
		},
		{
			name:       "first direct deployment",
			spec:       domain.DeploymentSpec{},
			wantReason: "direct deployment",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy},
		},
		{
			name:       "canary 10/50 with bakes",
			spec:       domain.DeploymentSpec{Strategy: domain.StrategyCanary, Canary: fiveMinuteCanary},
			live:       true,
			wantReason: "canary in 2 steps",
			wantText:   "canary 10% bake 5m → canary 50% bake 5m → promote to 100%",
			wantWait:   10 * time.Minute,
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepBake, domain.StepHook, domain.StepBake, domain.StepHook},
		},
		{
			name: "canary with manual promotion",
			spec: domain.DeploymentSpec{Strategy: domain.StrategyCanary, Canary: domain.CanarySpec{
				Steps: []domain.CanaryStep{{Weight: 25, Bake: 90 * time.Second}}, ManualPromotion: true}},
			live:       true,
			wantReason: "canary in 1 step",
			wantText:   "canary 25% bake 1m30s → await promotion → promote to 100%",
			wantWait:   90 * time.Second,
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepBake, domain.StepGate, domain.StepHook},
		},
		{
			name:       "blue-green automatic",
			spec:       domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen},
			live:       true,
			wantReason: "blue-green",
			wantText:   "create green → wait until green is healthy → cutover to green → drain blue",
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy, domain.StepHook, domain.StepHook},
		},
		{
			name: "blue-green manual with delays and checks",
			spec: domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{
				ManualPromotion: true, PromotionDelay: 2 * time.Minute, ScaleDownDelay: time.Hour,
				PrePromotionCheck: checks, PostPromotionCheck: checks,
			}},
			live:       true,
			wantReason: "blue-green",
			wantText: "create green → wait until green is healthy → await promotion → promotion delay 2m → pre-promotion check → " +
				"cutover to green → post-promotion check → scale-down delay 1h → drain blue",
			wantWait:  time.Hour + 2*time.Minute,
			wantKinds: []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy, domain.StepGate, domain.StepDelay, domain.StepVerify, domain.StepHook, domain.StepVerify, domain.StepDelay, domain.StepHook},
		},
		{
			name: "blue-green automatic with delays only",
			spec: domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{
				PromotionDelay: 30 * time.Second, ScaleDownDelay: 10 * time.Minute,
			}},
			live:       true,
			wantReason: "blue-green",
			wantText:   "create green → wait until green is healthy → promotion delay 30s → cutover to green → scale-down delay 10m → drain blue",
			wantWait:   10*time.Minute + 30*time.Second,
			wantKinds:  []domain.StepKind{domain.StepHook, domain.StepAwaitHealthy, domain.StepDelay, domain.StepHook, domain.StepDelay, domain.StepHook},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, reason := rollout.PlanRollout(resolvedForPlanning(tt.spec), tt.live)
			if reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", reason, tt.wantReason)
			}
			if got := domain.DescribeRollout(steps); got != tt.wantText {
				t.Errorf("DescribeRollout = %q\n want %q", got, tt.wantText)
			}
			if got := domain.PlannedWait(steps); got != tt.wantWait {
				t.Errorf("PlannedWait = %s, want %s", got, tt.wantWait)
			}
			var kinds []domain.StepKind
			for _, s := range steps {
				kinds = append(kinds, s.Kind)
			}
			if len(kinds) != len(tt.wantKinds) {
				t.Fatalf("kinds = %v, want %v", kinds, tt.wantKinds)
			}
			for i := range kinds {
				if kinds[i] != tt.wantKinds[i] {
					t.Fatalf("kinds = %v, want %v", kinds, tt.wantKinds)
				}
			}
		})
	}
}

// TestPlanRolloutBlueGreenMarksStepsAfterCutover: a failure after the
// cutover must switch traffic back to blue, so those steps are marked.
func TestPlanRolloutBlueGreenMarksStepsAfterCutover(t *testing.T) {
	checks := []domain.MetricCheck{{Name: "m", URL: "https://app.test/m"}}
	steps, _ := rollout.PlanRollout(resolvedForPlanning(domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{
		PrePromotionCheck: checks, PostPromotionCheck: checks, ScaleDownDelay: time.Minute}}), true)
	cutover := false
	for _, s := range steps {
		if s.AfterCutover != cutover {
			t.Errorf("step %q: AfterCutover = %v, want %v", domain.DescribeStep(s), s.AfterCutover, cutover)
		}
		if s.Event == domain.EventCutover {
			cutover = true
			if s.Weight != 100 || s.Slot != domain.SlotGreen {
				t.Errorf("cutover step = %+v, want weight 100 on green", s)
			}
		}
	}
}

func TestDescribeStep(t *testing.T) {
	tests := []struct {
		step domain.Step
		want string
	}{
		{domain.Step{Kind: domain.StepHook, Event: domain.EventDeploy}, "deploy"},
		{domain.Step{Kind: domain.StepHook, Event: domain.EventCanaryWeight, Weight: 5}, "canary 5%"},
		{domain.Step{Kind: domain.StepHook, Event: domain.EventPromote}, "promote to 100%"},
		{domain.Step{Kind: domain.StepHook, Event: "custom.event"}, "custom.event"},
		{domain.Step{Kind: domain.StepAwaitHealthy, Slot: domain.SlotGreen}, "wait until green is healthy"},
		{domain.Step{Kind: domain.StepBake, Duration: 90 * time.Minute}, "bake 1h30m"},
		{domain.Step{Kind: domain.StepBake, Duration: 2 * time.Hour}, "bake 2h"},
		{domain.Step{Kind: domain.StepBake, Duration: 1500 * time.Millisecond}, "bake 1.5s"},
		{domain.Step{Kind: domain.StepGate}, "await promotion"},
		{domain.Step{Kind: domain.StepDelay, Slot: domain.SlotGreen, Duration: 5 * time.Minute}, "promotion delay 5m"},
		{domain.Step{Kind: domain.StepDelay, Slot: domain.SlotBlue, Duration: 5 * time.Minute}, "scale-down delay 5m"},
		{domain.Step{Kind: domain.StepVerify, CheckSet: domain.CheckSetPostPromotion}, "post-promotion check"},
		{domain.Step{Kind: "mystery"}, "mystery"},
	}
	for _, tt := range tests {
		if got := domain.DescribeStep(tt.step); got != tt.want {
			t.Errorf("DescribeStep(%+v) = %q, want %q", tt.step, got, tt.want)
		}
	}
}

func TestRollbackSlot(t *testing.T) {
	tests := []struct {
		name     string
		strategy domain.Strategy
		step     *domain.Step
		want     string
	}{
		{"canary bake withdraws the canary", domain.StrategyCanary, &domain.Step{Kind: domain.StepBake, Slot: domain.SlotCanary}, domain.SlotCanary},
		{"green before cutover is discarded", domain.StrategyBlueGreen, &domain.Step{Kind: domain.StepAwaitHealthy, Slot: domain.SlotGreen}, domain.SlotGreen},
		{"after cutover switches back to blue", domain.StrategyBlueGreen, &domain.Step{Kind: domain.StepVerify, Slot: domain.SlotGreen, AfterCutover: true}, domain.SlotBlue},
		{"direct restores stable", domain.StrategyDirect, &domain.Step{Kind: domain.StepAwaitHealthy, Slot: domain.SlotStable}, domain.SlotStable},
		{"first deployment of a canary restores stable", domain.StrategyCanary, &domain.Step{Kind: domain.StepAwaitHealthy, Slot: domain.SlotStable}, domain.SlotStable},
		{"past the end restores stable", domain.StrategyCanary, nil, domain.SlotStable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rollout.RollbackSlot(tt.strategy, tt.step); got != tt.want {
				t.Errorf("rollbackSlot = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPromotionCheck(t *testing.T) {
	gated := []domain.Step{{Kind: domain.StepHook, Event: domain.EventGreenCreate}, {Kind: domain.StepGate}, {Kind: domain.StepHook, Event: domain.EventCutover}}
	d := func(r *domain.Rollout) *domain.Deployment {
		return &domain.Deployment{Package: "api", Environment: "prod", LiveRelease: "api@1", PendingRelease: "api@2", Status: domain.StatusInProgress, Rollout: r}
	}
	promoted := &domain.Promotion{Release: "api@2", By: "alice"}
	tests := []struct {
		name       string
		d          *domain.Deployment
		release    string
		want       PromotionReadiness
		wantReason string
	}{
		{"at the gate", d(&domain.Rollout{Release: "api@2", State: domain.RolloutAwaitingPromotion, Steps: gated, StepIndex: 1}), "api@2", PromotionReady, ""},
		{"on its way to the gate", d(&domain.Rollout{Release: "api@2", State: domain.RolloutRunning, Steps: gated, StepIndex: 0}), "api@2", PromotionNotYet,
			"api@2 is still rolling out to api/prod (currently at the creation of green)"},
		{"promoted run stopped part-way", d(&domain.Rollout{Release: "api@2", State: domain.RolloutRunning, Steps: gated, StepIndex: 2, Promotion: promoted}), "api@2", PromotionReady, ""},
		{"promoted run stopped while rolling back", d(&domain.Rollout{Release: "api@2", State: domain.RolloutRollingBack, Steps: gated, StepIndex: 2, Promotion: promoted}), "api@2", PromotionReady, ""},
		{"past the gate without a promotion", d(&domain.Rollout{Release: "api@2", State: domain.RolloutRunning, Steps: gated, StepIndex: 2}), "api@2", PromotionRefused,
			"release api@2 is not pending promotion in api/prod (live: api@1, pending: api@2, status: in_progress)"},
		{"another release", d(&domain.Rollout{Release: "api@2", State: domain.RolloutAwaitingPromotion, Steps: gated, StepIndex: 1}), "api@3", PromotionRefused,
			"release api@3 is not pending promotion in api/prod"},
		{"no rollout", &domain.Deployment{Package: "api", Environment: "prod", Status: domain.StatusSucceeded, LiveRelease: "api@2"}, "api@2", PromotionRefused,
			"release api@2 is not pending promotion in api/prod (live: api@2, pending: none, status: succeeded). A promotion only applies to the release waiting at awaiting_promotion; each new release needs its own promotion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readiness, reason := PromotionCheck(tt.d, tt.release)
			if readiness != tt.want {
				t.Errorf("readiness = %s, want %s (%s)", readiness, tt.want, reason)
			}
			if !startsWith(reason, tt.wantReason) || (tt.wantReason == "" && reason != "") {
				t.Errorf("reason = %q, want it to start with %q", reason, tt.wantReason)
			}
		})
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

func TestRolloutErrorMessage(t *testing.T) {
	base := domain.RolloutError{Deployment: "api/prod", Release: "api@2", Step: "canary step 2 of 2 (weight 50%, bake 30m)", Reason: `check "health" failed 2 consecutive time(s)`}
	tests := []struct {
		name string
		mod  func(*domain.RolloutError)
		want string
	}{
		{"rolled back", func(e *domain.RolloutError) { e.RolledBack, e.RestoredRelease = true, "api@1" },
			`rollout of api@2 to api/prod failed at canary step 2 of 2 (weight 50%, bake 30m): check "health" failed 2 consecutive time(s). Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`},
		{"resumable interrupt", func(e *domain.RolloutError) {
			e.Interrupted, e.Resumable, e.Reason = true, true, "the operation was cancelled (interrupt)"
		},
			"rollout of api@2 to api/prod was interrupted at canary step 2 of 2 (weight 50%, bake 30m): the operation was cancelled (interrupt). Nothing was rolled back; the rollout's position is saved and the next apply continues from this step."},
		{"left in place", func(e *domain.RolloutError) { e.Timeout = true },
			`rollout of api@2 to api/prod failed at canary step 2 of 2 (weight 50%, bake 30m): check "health" failed 2 consecutive time(s). Traffic was left as it is (on_timeout = "fail" or nothing to restore).`},
		{"rollback failed", func(e *domain.RolloutError) { e.RollbackErr = errCrash },
			`rollout of api@2 to api/prod failed at canary step 2 of 2 (weight 50%, bake 30m): check "health" failed 2 consecutive time(s). Rolling back also failed: simulated crash: the process died here. Traffic may still reach api@2; check the target and re-run the apply.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.mod(&e)
			if got := e.Error(); got != tt.want {
				t.Errorf("Error() =\n %s\nwant\n %s", got, tt.want)
			}
		})
	}
}

func TestRolloutSummary(t *testing.T) {
	canary := domain.DeploymentSpec{Strategy: domain.StrategyCanary, Canary: domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: 5 * time.Minute}, {Weight: 50, Bake: 5 * time.Minute}}}}
	tests := []struct {
		name    string
		spec    domain.DeploymentSpec
		hasLive bool
		want    string
	}{
		{"direct first", domain.DeploymentSpec{Strategy: domain.StrategyDirect}, false, "deploy → wait until stable is healthy"},
		{"canary first goes direct", canary, false, "direct (first deployment: nothing to protect yet) → deploy → wait until stable is healthy"},
		{"canary update", canary, true, "canary 10% bake 5m → canary 50% bake 5m → promote to 100% (bakes and delays: 10m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rollout.RolloutSummary(resolvedForPlanning(tt.spec), tt.hasLive); got != tt.want {
				t.Errorf("RolloutSummary = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPaceStepsFromTheRunningConfiguration: what a step reads at run time is
// never stored, so a rollout read back from the store is paced again from
// the configuration of the pass that runs it.
func TestPaceStepsFromTheRunningConfiguration(t *testing.T) {
	planned := domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, BlueGreen: domain.BlueGreenSpec{
		PromotionDelay: time.Minute, PrePromotionCheck: []domain.MetricCheck{{Name: "pre", URL: "https://app.test/pre"}},
	}}.WithDefaults()
	steps, _ := rollout.PlanRollout(resolvedForPlanning(planned), true)
	stored, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	var resumed []domain.Step
	if err := json.Unmarshal(stored, &resumed); err != nil {
		t.Fatal(err)
	}
	for _, s := range resumed {
		if s.Interval != 0 || s.FailureThreshold != 0 || s.Checks != nil || s.RecheckSlot != "" {
			t.Fatalf("stored step %q kept its run-time settings: %+v", domain.DescribeStep(s), s)
		}
	}
	running := planned
	running.BlueGreen.CheckInterval, running.BlueGreen.FailureThreshold = 7*time.Second, 5
	rollout.PaceSteps(domain.StrategyBlueGreen, running, resumed)
	for _, s := range resumed {
		switch s.Kind {
		case domain.StepDelay, domain.StepVerify:
			if s.Interval != 7*time.Second || s.FailureThreshold != 5 {
				t.Errorf("step %q paced every %s with threshold %d, want 7s and 5", domain.DescribeStep(s), s.Interval, s.FailureThreshold)
			}
		}
		if s.Kind == domain.StepVerify && (len(s.Checks) != 1 || s.Checks[0].Name != "pre") {
			t.Errorf("pre-promotion verify runs %+v, want the pre check", s.Checks)
		}
	}
}
