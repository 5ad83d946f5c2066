package provider

import (
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
)

// The rules of ocuroot_deployment that involve more than one attribute,
// checked by ValidateConfig. Rules of a single attribute are validators in
// the schema.

// validateStrategySettings: a canary needs steps, weights must not
// decrease, and the settings block of a strategy that is not used is
// pointed out. That warning is only given when the strategy itself is
// valid: next to the error of a misspelt strategy it would only distract.
func validateStrategySettings(m *deploymentModel, diags *diag.Diagnostics) {
	strategy := m.Strategy.ValueString()
	if m.Strategy.IsNull() {
		strategy = string(engine.StrategyDirect)
	}
	valid := !m.Strategy.IsUnknown() && slices.Contains(engine.Strategies, strategy)
	if valid && strategy == string(engine.StrategyCanary) && (m.Canary == nil || len(m.Canary.Step) == 0) {
		// On a line the configuration has, which Terraform can show: the
		// canary block when there is one, else the strategy that asks for it.
		at := path.Root("strategy")
		if m.Canary != nil {
			at = path.Root("canary").AtName("step")
		}
		diags.AddAttributeError(at, "Canary Steps Missing",
			"strategy = \"canary\" needs a canary block with at least one step, e.g. canary { step { weight = 10, bake = \"5m\" } }.")
	}
	if valid && strategy != string(engine.StrategyCanary) && m.Canary != nil {
		diags.AddAttributeWarning(path.Root("canary"), "Canary Settings Ignored",
			fmt.Sprintf("The canary block only applies with strategy = \"canary\"; this deployment uses %q.", strategy))
	}
	if valid && strategy != string(engine.StrategyBlueGreen) && m.BlueGreen != nil {
		diags.AddAttributeWarning(path.Root("blue_green"), "Blue-Green Settings Ignored",
			fmt.Sprintf("The blue_green block only applies with strategy = \"blue_green\"; this deployment uses %q.", strategy))
	}
	if m.Canary == nil {
		return
	}
	for i := 1; i < len(m.Canary.Step); i++ {
		prev, cur := m.Canary.Step[i-1].Weight, m.Canary.Step[i].Weight
		if !prev.IsUnknown() && !cur.IsUnknown() && cur.ValueInt64() < prev.ValueInt64() {
			diags.AddAttributeError(path.Root("canary").AtName("step").AtListIndex(i).AtName("weight"), "Canary Weights Decrease",
				fmt.Sprintf("Step %d has weight %d, lower than the %d of the step before. Canary weights must not decrease.", i+1, cur.ValueInt64(), prev.ValueInt64()))
		}
	}
}

// validateEndpoints: a hook or health_check block needs its url, and the
// retry waits must be in order. A wait that does not parse is left to its
// own validator.
func validateEndpoints(m *deploymentModel, diags *diag.Diagnostics) {
	if h := m.Hook; h != nil {
		if h.URL.IsNull() {
			diags.AddAttributeError(path.Root("hook").AtName("url"), "Hook URL Missing", "A hook block needs a url.")
		}
		if rt := h.Retry; rt != nil && !rt.MinWait.IsNull() && !rt.MaxWait.IsNull() && !rt.MinWait.IsUnknown() && !rt.MaxWait.IsUnknown() {
			minWait, minErr := rt.MinWait.ValueGoDuration()
			maxWait, maxErr := rt.MaxWait.ValueGoDuration()
			if !minErr.HasError() && !maxErr.HasError() && maxWait < minWait {
				diags.AddAttributeError(path.Root("hook").AtName("retry").AtName("max_wait"), "Retry Waits Inverted",
					fmt.Sprintf("max_wait (%s) must be at least min_wait (%s).", maxWait, minWait))
			}
		}
	}
	if hc := m.HealthCheck; hc != nil && hc.URL.IsNull() {
		diags.AddAttributeError(path.Root("health_check").AtName("url"), "Health Check URL Missing", "A health_check block needs a url.")
	}
}

// validateAllMetricChecks applies validateMetricChecks to every list of
// metric checks of the deployment.
func validateAllMetricChecks(m *deploymentModel, diags *diag.Diagnostics) {
	for _, list := range m.metricCheckBlocks() {
		validateMetricChecks(list.checks, list.path, diags)
		validateCheckSources(list, diags)
	}
}

// metricCheckBlock is one list of metric check blocks and its path.
type metricCheckBlock struct {
	path   path.Path
	checks []metricCheckModel
}

// metricCheckBlocks lists the deployment's metric check blocks in schema
// order: check, then blue_green's pre- and post-promotion checks.
func (m *deploymentModel) metricCheckBlocks() []metricCheckBlock {
	lists := []metricCheckBlock{{path.Root("check"), m.Check}}
	if bg := m.BlueGreen; bg != nil {
		lists = append(lists,
			metricCheckBlock{path.Root("blue_green").AtName("pre_promotion_check"), bg.PrePromotionCheck},
			metricCheckBlock{path.Root("blue_green").AtName("post_promotion_check"), bg.PostPromotionCheck})
	}
	return lists
}
