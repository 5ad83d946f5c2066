package engine

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPlanRollout(t *testing.T) {
	fiveMinuteCanary := CanarySpec{Steps: []CanaryStep{{Weight: 10, Bake: 5 * time.Minute}, {Weight: 50, Bake: 5 * time.Minute}}}
	checks := []MetricCheck{{Name: "error_rate", URL: "http://m", Path: "x"}}
	tests := []struct {
		name       string
		spec       DeploymentSpec
		live       bool
		wantReason string
		wantText   string
		wantWait   time.Duration
		wantKinds  []StepKind
	}{
		{
			name:       "first deployment of a canary goes direct",
			spec:       DeploymentSpec{Strategy: StrategyCanary, Canary: fiveMinuteCanary},
			wantReason: "first deployment into an empty environment: nothing to protect with canary, deploying directly",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []StepKind{StepHook, StepAwaitHealthy},
		},
		{
			name:       "first deployment of a blue-green goes direct",
			spec:       DeploymentSpec{Strategy: StrategyBlueGreen, BlueGreen: BlueGreenSpec{ManualPromotion: true}},
			wantReason: "first deployment into an empty environment: nothing to protect with blue_green, deploying directly",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []StepKind{StepHook, StepAwaitHealthy},
		},
		{
			name:       "direct update",
			spec:       DeploymentSpec{Strategy: StrategyDirect},
			live:       true,
			wantReason: "direct deployment",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []StepKind{StepHook, StepAwaitHealthy},
		},
		{
			name:       "first direct deployment",
			spec:       DeploymentSpec{},
			wantReason: "direct deployment",
			wantText:   "deploy → wait until stable is healthy",
			wantKinds:  []StepKind{StepHook, StepAwaitHealthy},
		},
		{
			name:       "canary 10/50 with bakes",
			spec:       DeploymentSpec{Strategy: StrategyCanary, Canary: fiveMinuteCanary},
			live:       true,
			wantReason: "canary in 2 steps",
			wantText:   "canary 10% bake 5m → canary 50% bake 5m → promote to 100%",
			wantWait:   10 * time.Minute,
			wantKinds:  []StepKind{StepHook, StepBake, StepHook, StepBake, StepHook},
		},
		{
			name: "canary with manual promotion",
			spec: DeploymentSpec{Strategy: StrategyCanary, Canary: CanarySpec{
				Steps: []CanaryStep{{Weight: 25, Bake: 90 * time.Second}}, ManualPromotion: true}},
			live:       true,
			wantReason: "canary in 1 step",
			wantText:   "canary 25% bake 1m30s → await promotion → promote to 100%",
			wantWait:   90 * time.Second,
			wantKinds:  []StepKind{StepHook, StepBake, StepGate, StepHook},
		},
		{
			name:       "blue-green automatic",
			spec:       DeploymentSpec{Strategy: StrategyBlueGreen},
			live:       true,
			wantReason: "blue-green",
			wantText:   "create green → wait until green is healthy → cutover to green → drain blue",
			wantKinds:  []StepKind{StepHook, StepAwaitHealthy, StepHook, StepHook},
		},
		{
			name: "blue-green manual with delays and checks",
			spec: DeploymentSpec{Strategy: StrategyBlueGreen, BlueGreen: BlueGreenSpec{
				ManualPromotion: true, PromotionDelay: 2 * time.Minute, ScaleDownDelay: time.Hour,
				PrePromotionCheck: checks, PostPromotionCheck: checks,
			}},
			live:       true,
			wantReason: "blue-green",
			wantText: "create green → wait until green is healthy → await promotion → promotion delay 2m → pre-promotion check → " +
				"cutover to green → post-promotion check → scale-down delay 1h → drain blue",
			wantWait:  time.Hour + 2*time.Minute,
			wantKinds: []StepKind{StepHook, StepAwaitHealthy, StepGate, StepDelay, StepVerify, StepHook, StepVerify, StepDelay, StepHook},
		},
		{
			name: "blue-green automatic with delays only",
			spec: DeploymentSpec{Strategy: StrategyBlueGreen, BlueGreen: BlueGreenSpec{
				PromotionDelay: 30 * time.Second, ScaleDownDelay: 10 * time.Minute,
			}},
			live:       true,
			wantReason: "blue-green",
			wantText:   "create green → wait until green is healthy → promotion delay 30s → cutover to green → scale-down delay 10m → drain blue",
			wantWait:   10*time.Minute + 30*time.Second,
			wantKinds:  []StepKind{StepHook, StepAwaitHealthy, StepDelay, StepHook, StepDelay, StepHook},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, reason := PlanRollout(resolvedForPlanning(tt.spec), tt.live)
			if reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", reason, tt.wantReason)
			}
			if got := DescribeRollout(steps); got != tt.wantText {
				t.Errorf("DescribeRollout = %q\n want %q", got, tt.wantText)
			}
			if got := PlannedWait(steps); got != tt.wantWait {
				t.Errorf("PlannedWait = %s, want %s", got, tt.wantWait)
			}
			var kinds []StepKind
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
	checks := []MetricCheck{{Name: "m", URL: "https://app.test/m"}}
	steps, _ := PlanRollout(resolvedForPlanning(DeploymentSpec{Strategy: StrategyBlueGreen, BlueGreen: BlueGreenSpec{
		PrePromotionCheck: checks, PostPromotionCheck: checks, ScaleDownDelay: time.Minute}}), true)
	cutover := false
	for _, s := range steps {
		if s.AfterCutover != cutover {
			t.Errorf("step %q: AfterCutover = %v, want %v", DescribeStep(s), s.AfterCutover, cutover)
		}
		if s.Event == EventCutover {
			cutover = true
			if s.Weight != 100 || s.Slot != SlotGreen {
				t.Errorf("cutover step = %+v, want weight 100 on green", s)
			}
		}
	}
}

func TestDescribeStep(t *testing.T) {
	tests := []struct {
		step Step
		want string
	}{
		{Step{Kind: StepHook, Event: EventDeploy}, "deploy"},
		{Step{Kind: StepHook, Event: EventCanaryWeight, Weight: 5}, "canary 5%"},
		{Step{Kind: StepHook, Event: EventPromote}, "promote to 100%"},
		{Step{Kind: StepHook, Event: "custom.event"}, "custom.event"},
		{Step{Kind: StepAwaitHealthy, Slot: SlotGreen}, "wait until green is healthy"},
		{Step{Kind: StepBake, Duration: 90 * time.Minute}, "bake 1h30m"},
		{Step{Kind: StepBake, Duration: 2 * time.Hour}, "bake 2h"},
		{Step{Kind: StepBake, Duration: 1500 * time.Millisecond}, "bake 1.5s"},
		{Step{Kind: StepGate}, "await promotion"},
		{Step{Kind: StepDelay, Slot: SlotGreen, Duration: 5 * time.Minute}, "promotion delay 5m"},
		{Step{Kind: StepDelay, Slot: SlotBlue, Duration: 5 * time.Minute}, "scale-down delay 5m"},
		{Step{Kind: StepVerify, CheckSet: CheckSetPostPromotion}, "post-promotion check"},
		{Step{Kind: "mystery"}, "mystery"},
	}
	for _, tt := range tests {
		if got := DescribeStep(tt.step); got != tt.want {
			t.Errorf("DescribeStep(%+v) = %q, want %q", tt.step, got, tt.want)
		}
	}
}

func TestRollbackSlot(t *testing.T) {
	tests := []struct {
		name     string
		strategy Strategy
		step     *Step
		want     string
	}{
		{"canary bake withdraws the canary", StrategyCanary, &Step{Kind: StepBake, Slot: SlotCanary}, SlotCanary},
		{"green before cutover is discarded", StrategyBlueGreen, &Step{Kind: StepAwaitHealthy, Slot: SlotGreen}, SlotGreen},
		{"after cutover switches back to blue", StrategyBlueGreen, &Step{Kind: StepVerify, Slot: SlotGreen, AfterCutover: true}, SlotBlue},
		{"direct restores stable", StrategyDirect, &Step{Kind: StepAwaitHealthy, Slot: SlotStable}, SlotStable},
		{"first deployment of a canary restores stable", StrategyCanary, &Step{Kind: StepAwaitHealthy, Slot: SlotStable}, SlotStable},
		{"past the end restores stable", StrategyCanary, nil, SlotStable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rollbackSlot(tt.strategy, tt.step); got != tt.want {
				t.Errorf("rollbackSlot = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPromotionCheck(t *testing.T) {
	gated := []Step{{Kind: StepHook, Event: EventGreenCreate}, {Kind: StepGate}, {Kind: StepHook, Event: EventCutover}}
	d := func(r *Rollout) *Deployment {
		return &Deployment{Package: "api", Environment: "prod", LiveRelease: "api@1", PendingRelease: "api@2", Status: StatusInProgress, Rollout: r}
	}
	promoted := &Promotion{Release: "api@2", By: "alice"}
	tests := []struct {
		name       string
		d          *Deployment
		release    string
		want       PromotionReadiness
		wantReason string
	}{
		{"at the gate", d(&Rollout{Release: "api@2", State: RolloutAwaitingPromotion, Steps: gated, StepIndex: 1}), "api@2", PromotionReady, ""},
		{"on its way to the gate", d(&Rollout{Release: "api@2", State: RolloutRunning, Steps: gated, StepIndex: 0}), "api@2", PromotionNotYet,
			"api@2 is still rolling out to api/prod (currently at the creation of green)"},
		{"promoted run stopped part-way", d(&Rollout{Release: "api@2", State: RolloutRunning, Steps: gated, StepIndex: 2, Promotion: promoted}), "api@2", PromotionReady, ""},
		{"promoted run stopped while rolling back", d(&Rollout{Release: "api@2", State: RolloutRollingBack, Steps: gated, StepIndex: 2, Promotion: promoted}), "api@2", PromotionReady, ""},
		{"past the gate without a promotion", d(&Rollout{Release: "api@2", State: RolloutRunning, Steps: gated, StepIndex: 2}), "api@2", PromotionRefused,
			"release api@2 is not pending promotion in api/prod (live: api@1, pending: api@2, status: in_progress)"},
		{"another release", d(&Rollout{Release: "api@2", State: RolloutAwaitingPromotion, Steps: gated, StepIndex: 1}), "api@3", PromotionRefused,
			"release api@3 is not pending promotion in api/prod"},
		{"no rollout", &Deployment{Package: "api", Environment: "prod", Status: StatusSucceeded, LiveRelease: "api@2"}, "api@2", PromotionRefused,
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
	base := RolloutError{Deployment: "api/prod", Release: "api@2", Step: "canary step 2 of 2 (weight 50%, bake 30m)", Reason: `check "health" failed 2 consecutive time(s)`}
	tests := []struct {
		name string
		mod  func(*RolloutError)
		want string
	}{
		{"rolled back", func(e *RolloutError) { e.RolledBack, e.RestoredRelease = true, "api@1" },
			`rollout of api@2 to api/prod failed at canary step 2 of 2 (weight 50%, bake 30m): check "health" failed 2 consecutive time(s). Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`},
		{"resumable interrupt", func(e *RolloutError) {
			e.Interrupted, e.Resumable, e.Reason = true, true, "the operation was cancelled (interrupt)"
		},
			"rollout of api@2 to api/prod was interrupted at canary step 2 of 2 (weight 50%, bake 30m): the operation was cancelled (interrupt). Nothing was rolled back; the rollout's position is saved and the next apply continues from this step."},
		{"left in place", func(e *RolloutError) { e.Timeout = true },
			`rollout of api@2 to api/prod failed at canary step 2 of 2 (weight 50%, bake 30m): check "health" failed 2 consecutive time(s). Traffic was left as it is (on_timeout = "fail" or nothing to restore).`},
		{"rollback failed", func(e *RolloutError) { e.RollbackErr = errCrash },
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
	canary := DeploymentSpec{Strategy: StrategyCanary, Canary: CanarySpec{Steps: []CanaryStep{{Weight: 10, Bake: 5 * time.Minute}, {Weight: 50, Bake: 5 * time.Minute}}}}
	tests := []struct {
		name    string
		spec    DeploymentSpec
		hasLive bool
		want    string
	}{
		{"direct first", DeploymentSpec{Strategy: StrategyDirect}, false, "deploy → wait until stable is healthy"},
		{"canary first goes direct", canary, false, "direct (first deployment: nothing to protect yet) → deploy → wait until stable is healthy"},
		{"canary update", canary, true, "canary 10% bake 5m → canary 50% bake 5m → promote to 100% (bakes and delays: 10m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RolloutSummary(resolvedForPlanning(tt.spec), tt.hasLive); got != tt.want {
				t.Errorf("RolloutSummary = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPaceStepsFromTheRunningConfiguration: what a step reads at run time is
// never stored, so a rollout read back from the store is paced again from
// the configuration of the pass that runs it.
func TestPaceStepsFromTheRunningConfiguration(t *testing.T) {
	planned := DeploymentSpec{Strategy: StrategyBlueGreen, BlueGreen: BlueGreenSpec{
		PromotionDelay: time.Minute, PrePromotionCheck: []MetricCheck{{Name: "pre", URL: "https://app.test/pre"}},
	}}.WithDefaults()
	steps, _ := PlanRollout(resolvedForPlanning(planned), true)
	stored, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	var resumed []Step
	if err := json.Unmarshal(stored, &resumed); err != nil {
		t.Fatal(err)
	}
	for _, s := range resumed {
		if s.Interval != 0 || s.FailureThreshold != 0 || s.Checks != nil || s.RecheckSlot != "" {
			t.Fatalf("stored step %q kept its run-time settings: %+v", DescribeStep(s), s)
		}
	}
	running := planned
	running.BlueGreen.CheckInterval, running.BlueGreen.FailureThreshold = 7*time.Second, 5
	paceSteps(StrategyBlueGreen, running, resumed)
	for _, s := range resumed {
		switch s.Kind {
		case StepDelay, StepVerify:
			if s.Interval != 7*time.Second || s.FailureThreshold != 5 {
				t.Errorf("step %q paced every %s with threshold %d, want 7s and 5", DescribeStep(s), s.Interval, s.FailureThreshold)
			}
		}
		if s.Kind == StepVerify && (len(s.Checks) != 1 || s.Checks[0].Name != "pre") {
			t.Errorf("pre-promotion verify runs %+v, want the pre check", s.Checks)
		}
	}
}
