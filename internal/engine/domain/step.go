package domain

import (
	"fmt"
	"strings"
	"time"
)

// StepKind is what a rollout step does. A step's completion is decided by
// a switch over its kind in the state machine.
type StepKind string

const (
	// StepHook sends one lifecycle event; done when the target accepts it.
	StepHook StepKind = "hook"
	// StepAwaitHealthy polls the health check of a slot until it passes.
	StepAwaitHealthy StepKind = "await_healthy"
	// StepBake holds a traffic weight for Duration, running the checks
	// every interval; FailureThreshold consecutive failures roll back.
	StepBake StepKind = "bake"
	// StepGate stops at awaiting_promotion until an ocuroot_promotion.
	StepGate StepKind = "gate"
	// StepDelay waits for Duration without checks.
	StepDelay StepKind = "delay"
	// StepVerify runs the named check set once (pre/post promotion).
	StepVerify StepKind = "verify"
)

// Check sets a StepVerify can run.
const (
	CheckSetPrePromotion  = "pre_promotion"
	CheckSetPostPromotion = "post_promotion"
)

// Step is one entry of a rollout plan.
type Step struct {
	Kind     StepKind      `json:"kind"`
	Event    string        `json:"event,omitempty"`
	Weight   int           `json:"weight"`
	Slot     string        `json:"slot,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	CheckSet string        `json:"check_set,omitempty"`
	// AfterCutover marks steps whose failure must switch traffic back to
	// blue rather than discard green.
	AfterCutover bool `json:"after_cutover,omitempty"`

	// What the step loop reads to run the step, filled by the strategy that
	// planned it (PaceSteps). Never stored: every pass takes them from the
	// configuration it runs with, so a resumed rollout uses the settings of
	// the apply that resumed it.

	// Interval is the time between check rounds of a bake, a delay, a
	// verify or a re-check.
	Interval time.Duration `json:"-"`
	// FailureThreshold is how many consecutive failed rounds stop an
	// observed step, or how many tries a verify or a re-check gets.
	FailureThreshold int `json:"-"`
	// Checks are the metric checks a verify runs, or those a re-check runs
	// beyond health_check and check blocks.
	Checks []MetricCheck `json:"-"`
	// RecheckSlot, on a hook step that moves traffic to the new release or
	// removes the fallback, is the slot checked before the hook when the
	// rollout resumed (see recheckBeforeTraffic); empty: not guarded.
	RecheckSlot string `json:"-"`
}

// DescribeStep renders one step of a plan on its own ("canary 10%", "bake
// 5m"), for the plan line and history notes; where a rollout stands is
// told by StepTitle, in the terms the user configured.
func DescribeStep(s Step) string {
	switch s.Kind {
	case StepHook:
		switch s.Event {
		case EventDeploy:
			return "deploy"
		case EventCanaryWeight:
			return fmt.Sprintf("canary %d%%", s.Weight)
		case EventPromote:
			return "promote to 100%"
		case EventGreenCreate:
			return "create green"
		case EventCutover:
			return "cutover to green"
		case EventBlueDrain:
			return "drain blue"
		}
		return s.Event
	case StepAwaitHealthy:
		return fmt.Sprintf("wait until %s is healthy", s.Slot)
	case StepBake:
		return fmt.Sprintf("bake %s", FormatDuration(s.Duration))
	case StepGate:
		return "await promotion"
	case StepDelay:
		if s.Slot == SlotBlue {
			return fmt.Sprintf("scale-down delay %s", FormatDuration(s.Duration))
		}
		return fmt.Sprintf("promotion delay %s", FormatDuration(s.Duration))
	case StepVerify:
		return strings.ReplaceAll(s.CheckSet, "_", "-") + " check"
	}
	return string(s.Kind)
}

// DescribeRollout renders a plan as one line, e.g.
// "canary 10% bake 5m → canary 50% bake 5m → promote to 100%".
// A bake is folded into the weight before it to keep the line short.
func DescribeRollout(steps []Step) string {
	return DescribeRolloutWith(steps, func(Step) string { return "" })
}

// DescribeRolloutWith is DescribeRollout with analysis(step) appended to each
// step that has one.
func DescribeRolloutWith(steps []Step, analysis func(Step) string) string {
	parts := make([]string, 0, len(steps))
	for i := 0; i < len(steps); i++ {
		text := DescribeStep(steps[i]) + analysis(steps[i])
		if steps[i].Kind == StepHook && i+1 < len(steps) && steps[i+1].Kind == StepBake {
			text += " " + DescribeStep(steps[i+1]) + analysis(steps[i+1])
			i++
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, " → ")
}

// PlannedWait is the time a plan blocks on bakes and delays alone (checks,
// hooks and health waits come on top).
func PlannedWait(steps []Step) time.Duration {
	var total time.Duration
	for _, s := range steps {
		if s.Kind == StepBake || s.Kind == StepDelay {
			total += s.Duration
		}
	}
	return total
}

// FormatDuration prints a duration the way users write it: 5m (not 5m0s),
// 1h30m, 500ms.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
