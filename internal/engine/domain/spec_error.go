package domain

import (
	"fmt"
	"strings"
)

// SpecRule names a rule of a deployment spec, so that a caller can word a
// broken rule its own way (the provider words it for a Terraform
// attribute) without checking the rule again.
type SpecRule int

const (
	SpecRuleOther SpecRule = iota
	// SpecRuleCanaryStepsMissing: the canary strategy has no step.
	SpecRuleCanaryStepsMissing
	// SpecRuleWeightRange: a canary weight outside 1..100.
	SpecRuleWeightRange
	// SpecRuleWeightsDecrease: a canary weight lower than the one before.
	SpecRuleWeightsDecrease
	// SpecRuleDuration: a duration outside its DurationRule.
	SpecRuleDuration
	// SpecRuleHeader: a header ValidateHeader refuses.
	SpecRuleHeader
	// SpecRuleStatusCode: an expected status code ValidateStatusCode refuses.
	SpecRuleStatusCode
)

// SpecError is one rule a deployment spec breaks, on the field it breaks it.
type SpecError struct {
	Rule SpecRule
	// Field is the spec's field in dotted form, its list marked "[]":
	// "canary.steps[].weight", "health_check.expected_status[]",
	// "progress_deadline".
	Field string
	// Index is the 0-based place in the list Field marks with "[]"; -1
	// when Field has no list.
	Index int
	// Key is the map key within Field: the name of a refused header.
	Key string
	// Value and Previous are the facts of the weight rules: the weight and,
	// for SpecRuleWeightsDecrease, the weight of the step before.
	Value, Previous int
	// Message is the engine's own wording.
	Message string
}

func (e *SpecError) Error() string { return e.Message }

// specFieldName is field with its list index filled in, 1-based as people
// count: "canary.steps[2].bake".
func specFieldName(field string, index int) string {
	if index < 0 {
		return field
	}
	return strings.Replace(field, "[]", fmt.Sprintf("[%d]", index+1), 1)
}

// SpecErrors lists the SpecErrors err holds (errors.Join and wrapping are
// followed), in order.
func SpecErrors(err error) []*SpecError {
	var out []*SpecError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if se, ok := err.(*SpecError); ok {
			out = append(out, se)
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}
