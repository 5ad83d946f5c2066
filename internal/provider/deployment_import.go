package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// An import must plan no change when the configuration matches what was
// deployed (Terraform 1.12+ checks this for import by identity), so the
// imported state carries the settings stored with the deployment's last
// rollout rather than schema defaults.
//
// The store keeps the spec after the engine filled its defaults, so the
// mapping back is a best guess where a default and an explicit value look
// alike: an optional attribute with no schema default (health_check.interval,
// blue_green.check_interval and failure_threshold) is left unset when it
// holds the value the engine would have filled in; an optional block
// (canary, blue_green, hook.retry) is present when the strategy uses it or
// a setting differs from its default. Secrets and headers are never stored:
// a configuration that sets them plans an in-place update that only
// records them in state, and no rollout.

// adoptedDeployment is a stored deployment as an import or a listed result
// records it: the release in effect with the status and traffic share that
// describe it (engine.Adoption), and the settings of its last rollout.
func adoptedDeployment(d *domain.Deployment) (deploymentModel, diag.Diagnostics) {
	adopted := d.Adoption()
	m := deploymentModel{
		Environment: types.StringValue(d.Environment), Release: types.StringValue(adopted.Release),
		Strategy:    types.StringValue(string(domain.StrategyDirect)),
		OnTimeout:   types.StringValue(string(domain.OnTimeoutRollback)),
		RolloutPlan: types.StringValue("none (imported)"),
	}
	m.ProgressDeadline = goDuration(domain.DefaultProgressDeadline)
	m.Timeouts = nullTimeouts()
	if d.Rollout != nil {
		// What was deployed, so a matching configuration plans no change.
		m.applyStoredSpec(d.Rollout.Spec)
	}
	diags := m.applyRecord(d)
	m.Status = types.StringValue(string(adopted.Status))
	m.TrafficPercent = types.Int64Value(int64(adopted.TrafficPercent))
	return m, diags
}

// keepSettledReading keeps an adopted state's reading of its release on
// refresh. An import records a settled release as succeeded at 100% even
// when the record's last rollout, of another release, was rolled back
// (engine.Adoption); the record itself still says rolled_back at 0%. While
// the release stays settled the state keeps its reading; a workspace whose
// own rollout was rolled back holds rolled_back and keeps seeing it.
func keepSettledReading(prior, refreshed *deploymentModel, d *domain.Deployment) {
	adoptedReading := prior.Status.ValueString() == string(domain.StatusSucceeded) && prior.TrafficPercent.ValueInt64() == 100
	if adoptedReading && prior.Release.Equal(refreshed.Release) && d.SettledOn(refreshed.Release.ValueString()) {
		refreshed.Status, refreshed.TrafficPercent = prior.Status, prior.TrafficPercent
	}
}

// applyStoredSpec fills the configuration attributes of m from the spec
// stored with a rollout.
func (m *deploymentModel) applyStoredSpec(spec domain.DeploymentSpec) {
	if spec.Strategy != "" {
		m.Strategy = types.StringValue(string(spec.Strategy))
	}
	if spec.OnTimeout != "" {
		m.OnTimeout = types.StringValue(string(spec.OnTimeout))
	}
	if spec.ProgressDeadline > 0 {
		m.ProgressDeadline = goDuration(spec.ProgressDeadline)
	}
	m.Canary = importedCanary(spec)
	m.BlueGreen = importedBlueGreen(spec)
	m.Hook = importedHook(spec.Hook)
	m.HealthCheck = importedHealthCheck(spec)
	m.Check = importedMetricChecks(spec.Checks)
}

func importedCanary(spec domain.DeploymentSpec) *canaryModel {
	c := spec.Canary
	customised := len(c.Steps) > 0 || c.ManualPromotion ||
		c.CheckInterval != domain.DefaultCheckInterval || c.FailureThreshold != domain.DefaultFailureThreshold
	if spec.Strategy != domain.StrategyCanary && !customised {
		return nil
	}
	m := &canaryModel{
		CheckInterval:    goDuration(c.CheckInterval),
		FailureThreshold: types.Int64Value(int64(c.FailureThreshold)),
		ManualPromotion:  types.BoolValue(c.ManualPromotion),
		Step:             []canaryStepModel{},
	}
	for _, s := range c.Steps {
		m.Step = append(m.Step, canaryStepModel{Weight: types.Int64Value(int64(s.Weight)), Bake: goDuration(s.Bake)})
	}
	return m
}

func importedBlueGreen(spec domain.DeploymentSpec) *blueGreenModel {
	bg := spec.BlueGreen
	// What the engine fills into the two settings left unset.
	filledInterval, filledThreshold := spec.Canary.CheckInterval, spec.Canary.FailureThreshold
	if spec.HealthCheck != nil && spec.HealthCheck.Interval > 0 {
		filledInterval = spec.HealthCheck.Interval
	}
	customised := bg.ManualPromotion || bg.PromotionDelay > 0 || bg.ScaleDownDelay > 0 ||
		len(bg.PrePromotionCheck) > 0 || len(bg.PostPromotionCheck) > 0 ||
		bg.CheckInterval != filledInterval || bg.FailureThreshold != filledThreshold
	if spec.Strategy != domain.StrategyBlueGreen && !customised {
		return nil
	}
	m := &blueGreenModel{
		ManualPromotion:    types.BoolValue(bg.ManualPromotion),
		PromotionDelay:     goDuration(bg.PromotionDelay),
		ScaleDownDelay:     goDuration(bg.ScaleDownDelay),
		CheckInterval:      nullDuration(),
		FailureThreshold:   types.Int64Null(),
		PrePromotionCheck:  importedMetricChecks(bg.PrePromotionCheck),
		PostPromotionCheck: importedMetricChecks(bg.PostPromotionCheck),
	}
	if bg.CheckInterval != filledInterval {
		m.CheckInterval = goDuration(bg.CheckInterval)
	}
	if bg.FailureThreshold != filledThreshold {
		m.FailureThreshold = types.Int64Value(int64(bg.FailureThreshold))
	}
	return m
}

func importedHook(hook *domain.HookConfig) *hookModel {
	if hook == nil {
		return nil
	}
	m := &hookModel{
		URL: types.StringValue(hook.URL), Secret: types.StringNull(), SecretWO: types.StringNull(),
		SecretWOVersion: types.Int64Null(), Headers: types.MapNull(types.StringType), Timeout: goDuration(hook.Timeout),
		HeadersWO: types.MapNull(types.StringType), Credential: optionalString(hook.Credential),
	}
	if hook.Retry != domain.DefaultRetry {
		m.Retry = &retryModel{
			Attempts: types.Int64Value(int64(hook.Retry.Attempts)),
			MinWait:  goDuration(hook.Retry.MinWait),
			MaxWait:  goDuration(hook.Retry.MaxWait),
		}
	}
	return m
}

func importedHealthCheck(spec domain.DeploymentSpec) *healthCheckModel {
	hc := spec.HealthCheck
	if hc == nil {
		return nil
	}
	codes := make([]attr.Value, 0, len(hc.ExpectedStatus))
	for _, c := range hc.ExpectedStatus {
		codes = append(codes, types.Int64Value(int64(c)))
	}
	m := &healthCheckModel{
		URL: types.StringValue(hc.URL), Interval: nullDuration(), Timeout: goDuration(hc.Timeout),
		ExpectedStatus: types.ListValueMust(types.Int64Type, codes), Headers: types.MapNull(types.StringType),
		HeadersWO: types.MapNull(types.StringType), Credential: optionalString(hc.Credential),
	}
	if hc.Interval != spec.Canary.CheckInterval {
		m.Interval = goDuration(hc.Interval)
	}
	return m
}

func importedMetricChecks(checks []domain.MetricCheck) []metricCheckModel {
	out := []metricCheckModel{}
	for _, c := range checks {
		m := metricCheckModel{
			Name: types.StringValue(c.Name), URL: types.StringValue(c.URL), Path: types.StringValue(c.Path),
			Min: types.Float64Null(), Max: types.Float64Null(), Headers: types.MapNull(types.StringType),
			HeadersWO: types.MapNull(types.StringType), Credential: optionalString(c.Credential),
		}
		if c.Min != nil {
			m.Min = types.Float64Value(*c.Min)
		}
		if c.Max != nil {
			m.Max = types.Float64Value(*c.Max)
		}
		out = append(out, m)
	}
	return out
}

// nullDuration is an unset duration attribute.
func nullDuration() durationValue {
	return durationValue{GoDuration: timetypes.NewGoDurationNull()}
}
