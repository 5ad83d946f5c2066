package domain

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The rules of single fields of a spec, applied by Validate so that every
// caller is checked, not only the provider's plan.

// The share of traffic a canary step may send to the new release, in
// percent. The provider's schema validates weights with these bounds.
const (
	MinCanaryWeight = 1
	MaxCanaryWeight = 100
)

// validateCanarySteps: the canary strategy needs steps, each weight lies in
// MinCanaryWeight..MaxCanaryWeight and weights do not decrease.
func validateCanarySteps(s DeploymentSpec) []error {
	var errs []error
	if s.Strategy == StrategyCanary && len(s.Canary.Steps) == 0 {
		errs = append(errs, &SpecError{Rule: SpecRuleCanaryStepsMissing, Field: "canary.steps", Index: -1,
			Message: "the canary strategy needs at least one canary step"})
	}
	for i, st := range s.Canary.Steps {
		if st.Weight < MinCanaryWeight || st.Weight > MaxCanaryWeight {
			errs = append(errs, &SpecError{Rule: SpecRuleWeightRange, Field: "canary.steps[].weight", Index: i, Value: st.Weight,
				Message: fmt.Sprintf("canary step %d: weight %d must be between %d and %d", i+1, st.Weight, MinCanaryWeight, MaxCanaryWeight)})
		}
		if prev := s.Canary.Steps[max(i-1, 0)].Weight; i > 0 && st.Weight < prev {
			errs = append(errs, &SpecError{Rule: SpecRuleWeightsDecrease, Field: "canary.steps[].weight", Index: i, Value: st.Weight, Previous: prev,
				Message: fmt.Sprintf("canary step %d: weight %d is lower than the step before (%d); weights must not decrease", i+1, st.Weight, prev)})
		}
	}
	return errs
}

// validateSpecFields applies the duration, header and status code rules.
// Durations left at 0 are checked after WithDefaults, which fills them.
// Check intervals and request timeouts are not held to RulePollInterval
// here: WithDefaults replaces any that is not positive, and a caller driving
// the engine on a fast clock (its own tests) polls faster than a
// configuration may; the provider refuses them at plan time with the rule.
func validateSpecFields(s DeploymentSpec) []error {
	var errs []error
	duration := func(field string, index int, d time.Duration, rule DurationRule) {
		if !rule.Allows(d) {
			errs = append(errs, &SpecError{Rule: SpecRuleDuration, Field: field, Index: index,
				Message: fmt.Sprintf("%s is %s, but it must be %s", specFieldName(field, index), FormatDuration(d), rule.Describe())})
		}
	}
	headers := func(field string, index int, where string, hs map[string]string) {
		for _, name := range slices.Sorted(maps.Keys(hs)) {
			if err := ValidateHeader(name, hs[name]); err != nil {
				errs = append(errs, &SpecError{Rule: SpecRuleHeader, Field: field, Index: index, Key: name, Message: where + " headers: " + err.Error()})
			}
		}
	}
	for i, st := range s.Canary.Steps {
		duration("canary.steps[].bake", i, st.Bake, RulePositive)
	}
	duration("progress_deadline", -1, s.ProgressDeadline, RulePositive)
	duration("blue_green.promotion_delay", -1, s.BlueGreen.PromotionDelay, RuleNonNegative)
	duration("blue_green.scale_down_delay", -1, s.BlueGreen.ScaleDownDelay, RuleNonNegative)
	if h := s.Hook; h != nil {
		headers("hook.headers", -1, "hook", h.Headers)
	}
	if hc := s.HealthCheck; hc != nil {
		headers("health_check.headers", -1, "health_check", hc.Headers)
		for i, code := range hc.ExpectedStatus {
			if err := ValidateStatusCode(int64(code)); err != nil {
				errs = append(errs, &SpecError{Rule: SpecRuleStatusCode, Field: "health_check.expected_status[]", Index: i, Message: "health_check.expected_status: " + err.Error()})
			}
		}
	}
	for _, list := range s.MetricCheckLists() {
		for i, mc := range *list.Checks {
			headers(strings.ReplaceAll(list.Block, " ", ".")+"[].headers", i, fmt.Sprintf("%s %q", list.Block, mc.Name), mc.Headers)
		}
	}
	return errs
}
