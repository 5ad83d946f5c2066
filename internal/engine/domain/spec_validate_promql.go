package domain

import (
	"errors"
	"fmt"
	"slices"
)

// validatePromQLChecks checks the PromQL checks of a spec; each error names
// the check's block. Whether the query parses is Prometheus's to say: the
// provider checks the syntax at plan time, and a query Prometheus refuses
// fails its check with Prometheus's own message.
func validatePromQLChecks(s DeploymentSpec) []error {
	var errs []error
	for _, list := range s.MetricCheckLists() {
		for _, mc := range *list.Checks {
			for _, err := range ValidatePromQLCheck(mc, list.Block == "blue_green post_promotion_check") {
				errs = append(errs, fmt.Errorf("%s %q: %w", list.Block, mc.Name, err))
			}
		}
	}
	return errs
}

// ValidatePromQLCheck checks the PromQL settings of one metric check.
// afterCutover is set for a post-promotion check, which has no stable
// release beside it to compare with. A check without a query must not use
// the settings that only a query has.
func ValidatePromQLCheck(mc MetricCheck, afterCutover bool) []error {
	var errs []error
	if !mc.IsPromQL() {
		if mc.Prometheus != "" || mc.NoData != "" || mc.InconclusiveLimit != 0 || mc.CompareToStable != nil {
			errs = append(errs, errors.New("prometheus_url, no_data, inconclusive_limit and compare_to_stable apply to PromQL checks only: set query"))
		}
		return errs
	}
	if mc.URL != "" || mc.Path != "" {
		errs = append(errs, errors.New("a check reads either a query from Prometheus or a path from a JSON url, not both"))
	}
	if err := ValidateQueryPlaceholders(mc.Query); err != nil {
		errs = append(errs, err)
	}
	if mc.NoData != "" && !slices.Contains(NoDataPolicies, string(mc.NoData)) {
		errs = append(errs, fmt.Errorf("no_data %q is not one of %v", mc.NoData, NoDataPolicies))
	}
	if mc.InconclusiveLimit < 0 {
		errs = append(errs, fmt.Errorf("inconclusive_limit must not be negative, got %d", mc.InconclusiveLimit))
	}
	if mc.Min == nil && mc.Max == nil && mc.CompareToStable == nil {
		errs = append(errs, errors.New("sets neither min, max nor compare_to_stable, so no value could ever fail it"))
	}
	if c := mc.CompareToStable; c != nil {
		errs = append(errs, validateStableComparison(*c, afterCutover)...)
	}
	return errs
}

func validateStableComparison(c StableComparison, afterCutover bool) []error {
	var errs []error
	if afterCutover {
		errs = append(errs, errors.New("compare_to_stable cannot run after the cutover: the new release is then the one serving, and blue takes no traffic to compare with; compare in a pre_promotion_check"))
	}
	if c.WorseWhen != "" && !slices.Contains(WorseDirections, string(c.WorseWhen)) {
		errs = append(errs, fmt.Errorf("compare_to_stable worse_when %q is not one of %v", c.WorseWhen, WorseDirections))
	}
	if c.MarginPercent == nil && c.Margin == nil {
		errs = append(errs, errors.New("compare_to_stable sets neither margin_percent nor margin: say how much worse than stable is allowed, such as margin_percent = 10"))
	}
	if c.MarginPercent != nil && *c.MarginPercent < 0 {
		errs = append(errs, fmt.Errorf("compare_to_stable margin_percent must not be negative, got %s", FormatMetric(*c.MarginPercent)))
	}
	if c.Margin != nil && *c.Margin < 0 {
		errs = append(errs, fmt.Errorf("compare_to_stable margin must not be negative, got %s", FormatMetric(*c.Margin)))
	}
	return errs
}
