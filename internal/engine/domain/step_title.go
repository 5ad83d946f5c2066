package domain

import (
	"fmt"
	"strings"
	"time"
)

// A rollout plan has more steps than the user wrote: a canary step block
// becomes a weight change and a bake, and the strategy adds health waits,
// gates and checks. What a user reads names a step as they configured it,
// never by its index in the plan ("step 2/5" counts steps nobody wrote).

// StepTitle names step i of a plan where it follows "at" in diagnostics,
// history reasons and logs: "canary step 2 of 2 (weight 50%, bake 2s)" for
// both halves of a canary step block, and what the step is for otherwise:
// "the cutover", "the wait for health of green".
func StepTitle(steps []Step, i int) string {
	if i < 0 || i >= len(steps) {
		return "the end of the rollout"
	}
	if c, ok := canaryStepAt(steps, i); ok {
		return c.String()
	}
	return "the " + stepPurpose(steps[i])
}

// StepStage names step i as a history transition's from or to, where the
// weight change and the bake of one canary step are told apart:
// "canary step 1 of 2: weight 10%", "canary step 1 of 2: bake 30m",
// "cutover".
func StepStage(steps []Step, i int) string {
	if i < 0 || i >= len(steps) {
		return "complete"
	}
	c, ok := canaryStepAt(steps, i)
	switch {
	case !ok:
		return stepPurpose(steps[i])
	case c.atBake:
		return fmt.Sprintf("canary step %d of %d: bake %s", c.number, c.of, FormatDuration(c.bake))
	default:
		return fmt.Sprintf("canary step %d of %d: weight %d%%", c.number, c.of, c.weight)
	}
}

// StepIndex is the plan's own "2/5", kept for logs as a secondary detail.
func StepIndex(steps []Step, i int) string {
	return fmt.Sprintf("%d/%d", i+1, len(steps))
}

// stepPurpose says what a step other than a canary step is for, without
// an article.
func stepPurpose(s Step) string {
	switch s.Kind {
	case StepHook:
		switch s.Event {
		case EventDeploy:
			return "deploy"
		case EventPromote:
			return "promotion to 100%"
		case EventGreenCreate:
			return "creation of green"
		case EventCutover:
			return "cutover"
		case EventBlueDrain:
			return "drain of blue"
		case EventCanaryWeight:
			return fmt.Sprintf("canary weight %d%%", s.Weight)
		}
		return s.Event + " hook"
	case StepAwaitHealthy:
		return "wait for health of " + s.Slot
	case StepBake:
		return "bake " + FormatDuration(s.Duration)
	case StepGate:
		return "promotion gate"
	case StepDelay:
		if s.Slot == SlotBlue {
			return fmt.Sprintf("scale-down delay (%s)", FormatDuration(s.Duration))
		}
		return fmt.Sprintf("promotion delay (%s)", FormatDuration(s.Duration))
	case StepVerify:
		return strings.ReplaceAll(s.CheckSet, "_", "-") + " checks"
	}
	return string(s.Kind)
}

// canaryStep is one strategy.canary.step block as the plan runs it.
type canaryStep struct {
	number, of int // "step 2 of 2", counting the blocks as written
	weight     int
	bake       time.Duration
	atBake     bool // the bake rather than the weight change
}

func (c canaryStep) String() string {
	return fmt.Sprintf("canary step %d of %d (weight %d%%, bake %s)", c.number, c.of, c.weight, FormatDuration(c.bake))
}

// canaryStepAt finds the canary step block that step i belongs to: its
// canary.weight hook, or the bake right after that hook.
func canaryStepAt(steps []Step, i int) (canaryStep, bool) {
	isWeight := func(s Step) bool { return s.Kind == StepHook && s.Event == EventCanaryWeight }
	hook := i
	switch {
	case isWeight(steps[i]):
	case steps[i].Kind == StepBake && i > 0 && isWeight(steps[i-1]):
		hook = i - 1
	default:
		return canaryStep{}, false
	}
	c := canaryStep{weight: steps[hook].Weight, atBake: hook != i}
	for j, s := range steps {
		if isWeight(s) {
			c.of++
			if j <= hook {
				c.number++
			}
		}
	}
	if hook+1 < len(steps) && steps[hook+1].Kind == StepBake {
		c.bake = steps[hook+1].Duration
	}
	return c, true
}
