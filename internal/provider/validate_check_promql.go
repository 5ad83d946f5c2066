package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// validateCheckSources applies the rules about where a metric check reads
// its number: from a JSON url with a path, or from a PromQL query, never
// both and never neither; and the settings only a query has.
func validateCheckSources(list metricCheckBlock, diags *diag.Diagnostics) {
	afterCutover := list.path.Equal(path.Root("blue_green").AtName("post_promotion_check"))
	for i, c := range list.checks {
		block := list.path.AtListIndex(i)
		name := c.Name.ValueString()
		set := func(v attr.Value) bool { return !v.IsNull() }
		switch {
		case c.Query.IsUnknown() || c.URL.IsUnknown() || c.Path.IsUnknown():
			continue
		case set(c.Query) && (set(c.URL) || set(c.Path)):
			diags.AddAttributeError(block.AtName("query"), "Check Reads Two Sources", fmt.Sprintf(
				"Check %q sets query and also url or path. A check reads either a PromQL query from Prometheus or a path in a JSON url: remove one of them.", name))
		case set(c.Query):
			validatePromQLSettings(c, block, afterCutover, diags)
		case !set(c.URL) && !set(c.Path):
			diags.AddAttributeError(block.AtName("name"), "Check Without A Source", fmt.Sprintf(
				"%s (check %q) sets neither query nor url and path, so there is nothing to read. Set query (PromQL, asked of the provider's prometheus) "+
					"or url and path (a number in a JSON response).", block, name))
		case !set(c.Path):
			diags.AddAttributeError(block.AtName("url"), "Check Path Missing", fmt.Sprintf(
				"Check %q sets url but no path: say where the number is in the JSON response, such as path = \"error_rate\".", name))
		case !set(c.URL):
			diags.AddAttributeError(block.AtName("path"), "Check URL Missing", fmt.Sprintf(
				"Check %q sets path but no url: set the url of the JSON response the path reads, or use query for a PromQL check.", name))
		default:
			for attribute, v := range map[string]attr.Value{"prometheus_url": c.PrometheusURL, "no_data": c.NoData, "inconclusive_limit": c.InconclusiveLimit} {
				if set(v) {
					diags.AddAttributeError(block.AtName(attribute), "PromQL Setting Without A Query", fmt.Sprintf(
						"Check %q reads a JSON url, but %s applies to PromQL checks only (%s). Remove it, or replace url and path with query.", name, attribute, promQLOnlyAttributes))
				}
			}
			if c.CompareToStable != nil {
				diags.AddAttributeError(block.AtName("compare_to_stable"), "PromQL Setting Without A Query", fmt.Sprintf(
					"Check %q reads a JSON url, but compare_to_stable applies to PromQL checks only (%s). Remove it, or replace url and path with query.", name, promQLOnlyAttributes))
			}
		}
	}
}

// validatePromQLSettings checks the settings of a check with a query.
func validatePromQLSettings(c metricCheckModel, block path.Path, afterCutover bool, diags *diag.Diagnostics) {
	name := c.Name.ValueString()
	if !c.InconclusiveLimit.IsNull() && !c.NoData.IsUnknown() && c.NoData.ValueString() != "inconclusive" {
		diags.AddAttributeWarning(block.AtName("inconclusive_limit"), "Inconclusive Limit Without Effect", fmt.Sprintf(
			"Check %q sets inconclusive_limit, but its no_data policy is %q: a round without data fails at once and the limit is never reached. "+
				"Set no_data = \"inconclusive\", or remove inconclusive_limit.", name, orDefault(c.NoData.ValueString(), "fail")))
	}
	cmp := c.CompareToStable
	if cmp == nil {
		return
	}
	at := block.AtName("compare_to_stable")
	if afterCutover {
		diags.AddAttributeError(at, "Comparison After The Cutover", fmt.Sprintf(
			"Check %q compares with the stable release in a post_promotion_check, but after the cutover the new release serves all traffic and blue takes none: "+
				"there is nothing to compare with. Compare in a pre_promotion_check, where green (with preview traffic) is judged against blue.", name))
	}
	if cmp.MarginPercent.IsNull() && cmp.Margin.IsNull() {
		diags.AddAttributeError(at, "Comparison Without A Margin", fmt.Sprintf(
			"Check %q compares with the stable release but sets neither margin_percent nor margin: say how much worse than stable the canary may be, "+
				"such as margin_percent = 10 (10%% worse), margin = 0.01 (in the query's unit), or both (the larger is allowed).", name))
	}
}

func orDefault(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
