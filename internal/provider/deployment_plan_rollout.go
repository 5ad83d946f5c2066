package provider

import (
	"context"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// plannedRollout is the rollout a plan previews: the planned configuration
// resolved once by the engine, and its steps planned once for each answer
// the plan path needs to "is a release live already". The rollout_plan
// attribute, the timeout checks and the gate preview all read it.
type plannedRollout struct {
	spec  domain.ResolvedSpec
	steps map[bool][]domain.Step
}

// stepsFor returns the steps of the rollout, planned on first use.
func (p *plannedRollout) stepsFor(hasLiveRelease bool) []domain.Step {
	if steps, ok := p.steps[hasLiveRelease]; ok {
		return steps
	}
	steps, _ := rollout.PlanRollout(p.spec, hasLiveRelease)
	p.steps[hasLiveRelease] = steps
	return steps
}

// resolvePlannedRollout builds the spec from the plan and resolves it. It
// returns nil when the plan cannot be turned into a valid spec: the schema's
// validators and ValidateConfig report the mistake on its attribute's path,
// and nothing is planned from it.
func resolvePlannedRollout(ctx context.Context, plan *deploymentModel) *plannedRollout {
	spec, diags := plan.toSpec(ctx, "")
	if diags.HasError() {
		return nil
	}
	standInForUnknowns(plan, &spec)
	resolved, err := domain.Resolve(spec)
	if err != nil {
		return nil
	}
	return &plannedRollout{spec: resolved, steps: map[bool][]domain.Step{}}
}

// Stand-ins for values known only at apply, such as an environment or a
// URL taken from another resource. They never change the steps, but the
// engine's rules refuse them empty; with a valid stand-in the plan still
// shows the rollout and checks it against the timeouts.
const (
	standInName  = "known-after-apply"
	standInURL   = "https://known-after-apply.invalid/"
	standInQuery = "vector(0)"
)

// standInForUnknowns puts a stand-in into spec wherever the plan has an
// unknown value the engine's rules would refuse empty.
func standInForUnknowns(plan *deploymentModel, spec *domain.DeploymentSpec) {
	if plan.Environment.IsUnknown() {
		spec.Environment = standInName
	}
	if h := plan.Hook; h != nil && h.URL.IsUnknown() && spec.Hook != nil {
		hook := *spec.Hook
		hook.URL = standInURL
		spec.Hook = &hook
	}
	if hc := plan.HealthCheck; hc != nil && hc.URL.IsUnknown() && spec.HealthCheck != nil {
		check := *spec.HealthCheck
		check.URL = standInURL
		spec.HealthCheck = &check
	}
	standInForUnknownChecks(plan.Check, spec.Checks)
	if bg := plan.BlueGreen; bg != nil {
		standInForUnknownChecks(bg.PrePromotionCheck, spec.BlueGreen.PrePromotionCheck)
		standInForUnknownChecks(bg.PostPromotionCheck, spec.BlueGreen.PostPromotionCheck)
	}
}

// standInForUnknownChecks does standInForUnknowns for one list of metric
// checks; toSpec builds checks in the order of the blocks.
func standInForUnknownChecks(blocks []metricCheckModel, checks []domain.MetricCheck) {
	for i := range checks {
		if i >= len(blocks) {
			return
		}
		b := blocks[i]
		switch {
		case b.Query.IsUnknown() && (b.URL.IsUnknown() || b.URL.IsNull()):
			checks[i].Query = standInQuery
		case b.URL.IsUnknown() && checks[i].Query == "":
			checks[i].URL = standInURL
		}
		if standIn := 0.0; b.Min.IsUnknown() || b.Max.IsUnknown() {
			checks[i].Min = &standIn
		}
		if b.PrometheusURL.IsUnknown() {
			checks[i].Prometheus = standInURL
		}
	}
}
