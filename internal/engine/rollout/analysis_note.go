package rollout

import (
	"fmt"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// stepAnalysis is what the PromQL checks of the current step showed in this
// pass: how many rounds were inconclusive, and the comparisons with the
// stable release of the newest round that made any. A step's history entry
// ends with it, so the values that let a canary through stay on record.
type stepAnalysis struct {
	inconclusive int
	comparisons  []string
}

// note takes in one round's results and what the round counted as.
func (a *stepAnalysis) note(results []domain.CheckResult, verdict roundVerdict) {
	if verdict == roundInconclusive {
		a.inconclusive++
	}
	var comparisons []string
	for _, res := range results {
		if res.Baseline != nil {
			comparisons = append(comparisons, res.Detail)
		}
	}
	if len(comparisons) > 0 {
		a.comparisons = comparisons
	}
}

// suffix renders the analysis for a history note: ", 2 inconclusive (no
// data); last comparison with stable: p99 = 0.1; stable = 0.1: equal,
// within the 10% margin". Empty when there is nothing to add, so a step
// without PromQL checks reads as before.
func (a stepAnalysis) suffix() string {
	var b strings.Builder
	if a.inconclusive > 0 {
		fmt.Fprintf(&b, ", %d inconclusive (no data)", a.inconclusive)
	}
	if len(a.comparisons) > 0 {
		b.WriteString("; last comparison with stable: ")
		b.WriteString(strings.Join(a.comparisons, "; "))
	}
	return b.String()
}

// analysisOf returns what names the metric checks a planned step of spec
// runs, for the plan line: " [analysis: error_rate, p99_latency vs stable]". Steps that run
// none, or only the health check, get nothing, so a plan without metric
// checks reads as before.
func analysisOf(spec domain.DeploymentSpec) func(domain.Step) string {
	return func(step domain.Step) string { return stepAnalysisNote(spec, step) }
}

func stepAnalysisNote(spec domain.DeploymentSpec, step domain.Step) string {
	var checks []domain.MetricCheck
	switch {
	case step.Kind == domain.StepBake, step.Kind == domain.StepDelay && step.Slot == domain.SlotGreen:
		checks = spec.Checks
	case step.Kind == domain.StepVerify:
		checks = step.Checks
	}
	if len(checks) == 0 {
		return ""
	}
	names := make([]string, len(checks))
	for i, mc := range checks {
		names[i] = mc.Name
		if mc.CompareToStable != nil {
			names[i] += " vs stable"
		}
	}
	return " [analysis: " + strings.Join(names, ", ") + "]"
}
