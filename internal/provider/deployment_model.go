package provider

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// deploymentModel is the Terraform view of ocuroot_deployment.
type deploymentModel struct {
	ID               types.String       `tfsdk:"id"`
	Environment      types.String       `tfsdk:"environment"`
	Release          types.String       `tfsdk:"release"`
	Package          types.String       `tfsdk:"package"`
	Strategy         types.String       `tfsdk:"strategy"`
	ProgressDeadline durationValue      `tfsdk:"progress_deadline"`
	OnTimeout        types.String       `tfsdk:"on_timeout"`
	RolloutPlan      types.String       `tfsdk:"rollout_plan"`
	Status           types.String       `tfsdk:"status"`
	LiveRelease      types.String       `tfsdk:"live_release"`
	PendingRelease   types.String       `tfsdk:"pending_release"`
	TrafficPercent   types.Int64        `tfsdk:"traffic_percent"`
	LastTransition   types.Object       `tfsdk:"last_transition"`
	Canary           *canaryModel       `tfsdk:"canary"`
	BlueGreen        *blueGreenModel    `tfsdk:"blue_green"`
	Hook             *hookModel         `tfsdk:"hook"`
	HealthCheck      *healthCheckModel  `tfsdk:"health_check"`
	Check            []metricCheckModel `tfsdk:"check"`
	Timeouts         timeouts.Value     `tfsdk:"timeouts"`
}

type canaryModel struct {
	CheckInterval    durationValue     `tfsdk:"check_interval"`
	FailureThreshold types.Int64       `tfsdk:"failure_threshold"`
	ManualPromotion  types.Bool        `tfsdk:"manual_promotion"`
	Step             []canaryStepModel `tfsdk:"step"`
}

type canaryStepModel struct {
	Weight types.Int64   `tfsdk:"weight"`
	Bake   durationValue `tfsdk:"bake"`
}

type blueGreenModel struct {
	ManualPromotion    types.Bool         `tfsdk:"manual_promotion"`
	PromotionDelay     durationValue      `tfsdk:"promotion_delay"`
	ScaleDownDelay     durationValue      `tfsdk:"scale_down_delay"`
	CheckInterval      durationValue      `tfsdk:"check_interval"`
	FailureThreshold   types.Int64        `tfsdk:"failure_threshold"`
	PrePromotionCheck  []metricCheckModel `tfsdk:"pre_promotion_check"`
	PostPromotionCheck []metricCheckModel `tfsdk:"post_promotion_check"`
}

type hookModel struct {
	URL             types.String  `tfsdk:"url"`
	Secret          types.String  `tfsdk:"secret"`
	SecretWO        types.String  `tfsdk:"secret_wo"`
	SecretWOVersion types.Int64   `tfsdk:"secret_wo_version"`
	Headers         types.Map     `tfsdk:"headers"`
	HeadersWO       types.Map     `tfsdk:"headers_wo"`
	Credential      types.String  `tfsdk:"credential"`
	Timeout         durationValue `tfsdk:"timeout"`
	Retry           *retryModel   `tfsdk:"retry"`
}

type retryModel struct {
	Attempts types.Int64   `tfsdk:"attempts"`
	MinWait  durationValue `tfsdk:"min_wait"`
	MaxWait  durationValue `tfsdk:"max_wait"`
}

type healthCheckModel struct {
	URL            types.String  `tfsdk:"url"`
	Interval       durationValue `tfsdk:"interval"`
	Timeout        durationValue `tfsdk:"timeout"`
	ExpectedStatus types.List    `tfsdk:"expected_status"`
	Headers        types.Map     `tfsdk:"headers"`
	HeadersWO      types.Map     `tfsdk:"headers_wo"`
	Credential     types.String  `tfsdk:"credential"`
}

type metricCheckModel struct {
	Name       types.String  `tfsdk:"name"`
	URL        types.String  `tfsdk:"url"`
	Path       types.String  `tfsdk:"path"`
	Min        types.Float64 `tfsdk:"min"`
	Max        types.Float64 `tfsdk:"max"`
	Headers    types.Map     `tfsdk:"headers"`
	HeadersWO  types.Map     `tfsdk:"headers_wo"`
	Credential types.String  `tfsdk:"credential"`
	// The PromQL attributes (check_promql_schema.go).
	Query             types.String          `tfsdk:"query"`
	PrometheusURL     types.String          `tfsdk:"prometheus_url"`
	NoData            types.String          `tfsdk:"no_data"`
	InconclusiveLimit types.Int64           `tfsdk:"inconclusive_limit"`
	CompareToStable   *compareToStableModel `tfsdk:"compare_to_stable"`
}

// duration reads a duration attribute; null or unknown is zero (the
// engine's default applies). An unparsable value is zero as well: its
// attribute's durationRule validator has already refused it at plan time,
// and reporting it here again would show the user the same mistake twice.
func duration(v durationValue) time.Duration {
	if v.IsNull() || v.IsUnknown() {
		return 0
	}
	d, err := time.ParseDuration(v.ValueString())
	if err != nil {
		return 0
	}
	return d
}

func metricChecks(ctx context.Context, in []metricCheckModel, diags *diag.Diagnostics) []domain.MetricCheck {
	out := make([]domain.MetricCheck, 0, len(in))
	for _, c := range in {
		mc := domain.MetricCheck{
			Name: c.Name.ValueString(), URL: c.URL.ValueString(), Path: c.Path.ValueString(),
			Headers: ownHeaders(ctx, c.Headers, c.HeadersWO, diags), Credential: c.Credential.ValueString(),
		}
		if !c.Min.IsNull() && !c.Min.IsUnknown() {
			v := c.Min.ValueFloat64()
			mc.Min = &v
		}
		if !c.Max.IsNull() && !c.Max.IsUnknown() {
			v := c.Max.ValueFloat64()
			mc.Max = &v
		}
		mc.PromQL = c.promQL()
		out = append(out, mc)
	}
	return out
}

// ownHeaders are a block's own headers: headers, or headers_wo when the
// model was read from the configuration (write-only values are null in
// plan and state).
func ownHeaders(ctx context.Context, headers, writeOnly types.Map, diags *diag.Diagnostics) map[string]string {
	if own := headerMap(ctx, headers, diags); len(own) > 0 {
		return own
	}
	return headerMap(ctx, writeOnly, diags)
}

// headerMap reads a sensitive headers map; null or unknown is none.
func headerMap(ctx context.Context, v types.Map, diags *diag.Diagnostics) map[string]string {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	headers := map[string]string{}
	diags.Append(v.ElementsAs(ctx, &headers, false)...)
	return headers
}

// packageOf returns the package of a release id, "" when unknown.
func packageOf(release types.String) string {
	if release.IsNull() || release.IsUnknown() {
		return ""
	}
	pkg, _, err := domain.ParseReleaseID(release.ValueString())
	if err != nil {
		return ""
	}
	return pkg
}

// toSpec converts the model into an engine spec. writeOnlySecret is the
// hook's secret_wo, read from the configuration (never from plan or state).
// A hook with neither secret is signed with the provider's hook_secret,
// which the engine applies.
func (m *deploymentModel) toSpec(ctx context.Context, writeOnlySecret string) (domain.DeploymentSpec, diag.Diagnostics) {
	var diags diag.Diagnostics
	spec := domain.DeploymentSpec{
		Package:          packageOf(m.Release),
		Environment:      m.Environment.ValueString(),
		Release:          m.Release.ValueString(),
		Strategy:         domain.Strategy(m.Strategy.ValueString()),
		ProgressDeadline: duration(m.ProgressDeadline),
		OnTimeout:        domain.TimeoutAction(m.OnTimeout.ValueString()),
		Checks:           metricChecks(ctx, m.Check, &diags),
	}
	if c := m.Canary; c != nil {
		spec.Canary = domain.CanarySpec{
			CheckInterval:    duration(c.CheckInterval),
			FailureThreshold: int(c.FailureThreshold.ValueInt64()),
			ManualPromotion:  c.ManualPromotion.ValueBool(),
		}
		for _, s := range c.Step {
			spec.Canary.Steps = append(spec.Canary.Steps, domain.CanaryStep{
				Weight: int(s.Weight.ValueInt64()),
				Bake:   duration(s.Bake),
			})
		}
	}
	if bg := m.BlueGreen; bg != nil {
		spec.BlueGreen = domain.BlueGreenSpec{
			ManualPromotion:    bg.ManualPromotion.ValueBool(),
			PromotionDelay:     duration(bg.PromotionDelay),
			ScaleDownDelay:     duration(bg.ScaleDownDelay),
			PrePromotionCheck:  metricChecks(ctx, bg.PrePromotionCheck, &diags),
			PostPromotionCheck: metricChecks(ctx, bg.PostPromotionCheck, &diags),
			CheckInterval:      duration(bg.CheckInterval),
			FailureThreshold:   int(bg.FailureThreshold.ValueInt64()),
		}
	}
	if h := m.Hook; h != nil && !h.URL.IsNull() {
		hook := domain.HookConfig{
			URL:     h.URL.ValueString(),
			Secret:  cmp.Or(writeOnlySecret, h.Secret.ValueString()),
			Timeout: duration(h.Timeout),
		}
		hook.Headers = ownHeaders(ctx, h.Headers, h.HeadersWO, &diags)
		hook.Credential = h.Credential.ValueString()
		if r := h.Retry; r != nil {
			hook.Retry = domain.RetryConfig{
				Attempts: int(r.Attempts.ValueInt64()),
				MinWait:  duration(r.MinWait),
				MaxWait:  duration(r.MaxWait),
			}
		}
		spec.Hook = &hook
	}
	if hc := m.HealthCheck; hc != nil && !hc.URL.IsNull() {
		check := domain.HealthCheck{
			URL:        hc.URL.ValueString(),
			Interval:   duration(hc.Interval),
			Timeout:    duration(hc.Timeout),
			Headers:    ownHeaders(ctx, hc.Headers, hc.HeadersWO, &diags),
			Credential: hc.Credential.ValueString(),
		}
		if !hc.ExpectedStatus.IsNull() && !hc.ExpectedStatus.IsUnknown() {
			var codes []int64
			diags.Append(hc.ExpectedStatus.ElementsAs(ctx, &codes, false)...)
			for _, c := range codes {
				check.ExpectedStatus = append(check.ExpectedStatus, int(c))
			}
		}
		spec.HealthCheck = &check
	}
	return spec, diags
}

// seedRequest describes the deployment as state records it, for a refresh
// that finds no record in the store; false when the state cannot be read
// as a spec (diags says why).
func (m *deploymentModel) seedRequest(ctx context.Context, diags *diag.Diagnostics) (engine.SeedRequest, bool) {
	spec, ds := m.toSpec(ctx, "")
	diags.Append(ds...)
	if diags.HasError() {
		return engine.SeedRequest{}, false
	}
	return engine.SeedRequest{
		Spec: spec, LiveRelease: m.LiveRelease.ValueString(), PendingRelease: m.PendingRelease.ValueString(),
		TrafficPercent: int(m.TrafficPercent.ValueInt64()), Status: domain.Status(m.Status.ValueString()),
	}, true
}

// applyRecord copies what the engine knows into the computed attributes.
// It reads the record only: the history log stays out of refresh, so a
// refresh costs the same after a thousand rollouts as after one.
func (m *deploymentModel) applyRecord(d *domain.Deployment) diag.Diagnostics {
	m.ID = types.StringValue(d.ID())
	m.Package = types.StringValue(d.Package)
	m.Status = types.StringValue(string(d.Status))
	m.LiveRelease = optionalString(d.LiveRelease)
	m.PendingRelease = optionalString(d.PendingRelease)
	m.TrafficPercent = types.Int64Value(int64(d.TrafficPercent))
	var diags diag.Diagnostics
	m.LastTransition, diags = transitionValue(d.LastTransition)
	return diags
}

// applyRecord copies the record into the data source's attributes the way
// the resource reads it: one mapping, so both show a record alike.
func (m *deploymentDataModel) applyRecord(d *domain.Deployment) diag.Diagnostics {
	var read deploymentModel
	diags := read.applyRecord(d)
	m.ID, m.Package, m.Status = read.ID, read.Package, read.Status
	m.LiveRelease, m.PendingRelease = read.LiveRelease, read.PendingRelease
	m.TrafficPercent, m.LastTransition = read.TrafficPercent, read.LastTransition
	return diags
}

// recentHistory reads the newest limit transitions of d from the engine's
// history log, oldest first (limit 0: all of them).
func recentHistory(ctx context.Context, e *engine.Engine, d *domain.Deployment, limit int) ([]domain.Transition, error) {
	return e.HistoryOf(ctx, d, limit)
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// transitionValue is one history entry as a Terraform object; null when
// there is none (a record restored from state, or never saved).
func transitionValue(t *domain.Transition) (types.Object, diag.Diagnostics) {
	if t == nil {
		return types.ObjectNull(historyAttrTypes), nil
	}
	return types.ObjectValue(historyAttrTypes, map[string]attr.Value{
		"time":    types.StringValue(t.Time.UTC().Format(time.RFC3339Nano)),
		"from":    types.StringValue(t.From),
		"to":      types.StringValue(t.To),
		"release": types.StringValue(t.Release),
		"reason":  types.StringValue(t.Reason),
	})
}

// historyValue is a list of history entries, oldest first.
func historyValue(entries []domain.Transition) (types.List, diag.Diagnostics) {
	values := make([]attr.Value, 0, len(entries))
	var diags diag.Diagnostics
	for i := range entries {
		obj, ds := transitionValue(&entries[i])
		diags.Append(ds...)
		values = append(values, obj)
	}
	list, ds := types.ListValue(types.ObjectType{AttrTypes: historyAttrTypes}, values)
	diags.Append(ds...)
	return list, diags
}

// keepRolloutStatus carries the computed rollout attributes over from the
// prior state: when no rollout runs, they stay what they were.
func (m *deploymentModel) keepRolloutStatus(prior *deploymentModel) {
	m.Status, m.LiveRelease, m.PendingRelease = prior.Status, prior.LiveRelease, prior.PendingRelease
	m.TrafficPercent, m.LastTransition = prior.TrafficPercent, prior.LastTransition
}

// unknownRolloutStatus marks the computed rollout attributes as known only
// after the apply: a rollout will run.
func (m *deploymentModel) unknownRolloutStatus() {
	m.Status, m.LiveRelease, m.PendingRelease = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	m.TrafficPercent = types.Int64Unknown()
	m.LastTransition = types.ObjectUnknown(historyAttrTypes)
}

// takeWriteOnlyValues copies the headers_wo maps of configured (the model
// read from the configuration) into m, a plan whose write-only values are
// null. Blocks are matched by position: plan and configuration hold the
// same blocks in the same order. The check lists are copied first so the
// caller's plan model is left as it was.
func (m *deploymentModel) takeWriteOnlyValues(configured *deploymentModel) {
	if m.Hook != nil && configured.Hook != nil {
		hook := *m.Hook
		hook.HeadersWO = configured.Hook.HeadersWO
		m.Hook = &hook
	}
	if m.HealthCheck != nil && configured.HealthCheck != nil {
		hc := *m.HealthCheck
		hc.HeadersWO = configured.HealthCheck.HeadersWO
		m.HealthCheck = &hc
	}
	m.Check = withWriteOnlyHeaders(m.Check, configured.Check)
	if m.BlueGreen != nil && configured.BlueGreen != nil {
		bg := *m.BlueGreen
		bg.PrePromotionCheck = withWriteOnlyHeaders(bg.PrePromotionCheck, configured.BlueGreen.PrePromotionCheck)
		bg.PostPromotionCheck = withWriteOnlyHeaders(bg.PostPromotionCheck, configured.BlueGreen.PostPromotionCheck)
		m.BlueGreen = &bg
	}
}

func withWriteOnlyHeaders(planned, configured []metricCheckModel) []metricCheckModel {
	if len(planned) == 0 {
		return planned
	}
	out := slices.Clone(planned)
	for i := range out {
		if i < len(configured) {
			out[i].HeadersWO = configured[i].HeadersWO
		}
	}
	return out
}
