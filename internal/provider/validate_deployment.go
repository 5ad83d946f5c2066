package provider

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// The rules of ocuroot_deployment that involve more than one attribute,
// checked by ValidateConfig. Rules of a single attribute are validators in
// the schema.

// validateStrategySettings: the engine's canary rules (a canary needs
// steps, weights must not decrease) on the attributes to fix, and the
// settings block of a strategy that is not used is pointed out. That
// warning is only given when the strategy itself is valid: next to the
// error of a misspelt strategy it would only distract.
func validateStrategySettings(m *deploymentModel, diags *diag.Diagnostics) {
	strategy := m.Strategy.ValueString()
	if m.Strategy.IsNull() {
		strategy = string(domain.StrategyDirect)
	}
	valid := !m.Strategy.IsUnknown() && slices.Contains(domain.Strategies, strategy)
	broken := canaryRulesBroken(m)
	for _, se := range broken {
		if se.Rule == domain.SpecRuleCanaryStepsMissing {
			addSpecErrorDiagnostic(se, m, diags)
		}
	}
	if valid && strategy != string(domain.StrategyCanary) && m.Canary != nil {
		diags.AddAttributeWarning(path.Root("canary"), "Canary Settings Ignored",
			fmt.Sprintf("The canary block only applies with strategy = \"canary\"; this deployment uses %q.", strategy))
	}
	if valid && strategy != string(domain.StrategyBlueGreen) && m.BlueGreen != nil {
		diags.AddAttributeWarning(path.Root("blue_green"), "Blue-Green Settings Ignored",
			fmt.Sprintf("The blue_green block only applies with strategy = \"blue_green\"; this deployment uses %q.", strategy))
	}
	for _, se := range broken {
		if se.Rule == domain.SpecRuleWeightsDecrease {
			addSpecErrorDiagnostic(se, m, diags)
		}
	}
}

// canaryRulesBroken asks the engine which of its canary rules the
// configuration breaks. Only what is known is judged: a strategy not known
// yet is none, and a rule that involves a weight not known yet is dropped.
// Weight ranges are left to the attribute's validator, which takes the
// engine's bounds (domain.MinCanaryWeight, MaxCanaryWeight).
func canaryRulesBroken(m *deploymentModel) []*domain.SpecError {
	spec := domain.DeploymentSpec{Strategy: domain.Strategy(m.Strategy.ValueString())}
	var unknown []bool
	if m.Canary != nil {
		for _, st := range m.Canary.Step {
			spec.Canary.Steps = append(spec.Canary.Steps, domain.CanaryStep{Weight: int(st.Weight.ValueInt64()), Bake: time.Minute})
			unknown = append(unknown, st.Weight.IsUnknown())
		}
	}
	var out []*domain.SpecError
	_, err := domain.Resolve(spec)
	for _, se := range domain.SpecErrors(err) {
		switch se.Rule {
		case domain.SpecRuleCanaryStepsMissing:
			out = append(out, se)
		case domain.SpecRuleWeightsDecrease:
			if !unknown[se.Index] && !unknown[se.Index-1] {
				out = append(out, se)
			}
		}
	}
	return out
}

// validateEndpoints: a hook or health_check block needs its url, and the
// retry waits must be in order (the engine's rule). A wait that does not
// parse is left to its own validator.
func validateEndpoints(m *deploymentModel, diags *diag.Diagnostics) {
	if h := m.Hook; h != nil {
		if h.URL.IsNull() {
			diags.AddAttributeError(path.Root("hook").AtName("url"), "Hook URL Missing", "A hook block needs a url.")
		}
		if rt := h.Retry; rt != nil && !rt.MinWait.IsNull() && !rt.MaxWait.IsNull() && !rt.MinWait.IsUnknown() && !rt.MaxWait.IsUnknown() {
			minWait, minErr := rt.MinWait.ValueGoDuration()
			maxWait, maxErr := rt.MaxWait.ValueGoDuration()
			if !minErr.HasError() && !maxErr.HasError() && !domain.RetryWaitsInOrder(minWait, maxWait) {
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
