package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// compareToStableModel is a check's compare_to_stable attribute.
type compareToStableModel struct {
	WorseWhen     types.String  `tfsdk:"worse_when"`
	MarginPercent types.Float64 `tfsdk:"margin_percent"`
	Margin        types.Float64 `tfsdk:"margin"`
}

// promQLCheckAttributes are the attributes of a metric check block that
// make it a PromQL check (engine.PromQL).
func promQLCheckAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"query": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "A PromQL instant query, asked of Prometheus instead of reading `url` and `path`; it must return exactly one sample, " +
				"such as `sum(rate(http_requests_total{app=\"{package}\",version=\"{version}\",code=~\"5..\"}[1m])) / sum(rate(http_requests_total{app=\"{package}\",version=\"{version}\"}[1m]))`. " +
				"May contain `{package}`, `{environment}`, `{version}`, `{release}` and `{slot}`: inside a quoted label value they are escaped for it " +
				"(and quoted for the regular expression after `=~` or `!~`). Its syntax is checked at plan time by Prometheus's own parser. " +
				"Every round distinguishes its outcomes: one sample (judged), no data (an empty result, or NaN such as 0/0 without traffic: see `no_data`), " +
				"several series (failed: aggregate them), ±Inf (failed), Prometheus unreachable (failed, never a pass) and a query Prometheus refuses (failed, in its words). " +
				"The server is the provider's `prometheus` unless `prometheus_url` is set.",
			Validators: []validator.String{promQLQuery()},
		},
		"prometheus_url": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Address of the Prometheus this check's `query` asks, instead of the provider's `prometheus.url`. " +
				"The provider's `prometheus.credential` is then not sent: name this check's own `credential` if the server needs one. " +
				"Must be an absolute `http` or `https` URL without credentials or placeholders.",
			Validators: []validator.String{serverURLValidator()},
		},
		"no_data": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "What a round counts as when the `query` has nothing to judge (an empty result, or NaN): " +
				"`fail` (the default) counts it as a failed round; `inconclusive` counts it towards neither outcome, " +
				"for up to `inconclusive_limit` rounds in a row, then as failed. Use `inconclusive` when a canary's first rounds may come before its first samples.",
			Validators: []validator.String{stringvalidator.OneOf(domain.NoDataPolicies...)},
		},
		"inconclusive_limit": schema.Int64Attribute{
			Optional: true,
			MarkdownDescription: fmt.Sprintf("With `no_data = \"inconclusive\"`: how many rounds in a row may have no data before one counts as failed. "+
				"Inconclusive rounds do not count towards `failure_threshold`, and a bake still needs a passing round to finish. Defaults to `%d`.", domain.DefaultInconclusiveLimit),
			Validators: []validator.Int64{int64validator.AtLeast(1)},
		},
		"compare_to_stable": schema.SingleNestedAttribute{
			Optional: true,
			MarkdownDescription: "Judge the canary (or, in a pre-promotion check, green) against the stable (or blue) release: the same `query` is also asked " +
				"with the stable release's `{slot}`, `{version}` and `{release}`, and the check fails when the canary's value is worse by more than the margin. " +
				"Both values appear in the history entry of the step and in any diagnostic. Not allowed in `post_promotion_check`: after the cutover there is no stable release taking traffic.",
			Attributes: map[string]schema.Attribute{
				"worse_when": schema.StringAttribute{
					Optional: true,
					MarkdownDescription: "`higher` (the default: error rates, latencies) or `lower` (success rates, throughput): " +
						"which way the canary's value must not move away from stable's.",
					Validators: []validator.String{stringvalidator.OneOf(domain.WorseDirections...)},
				},
				"margin_percent": schema.Float64Attribute{
					Optional: true,
					MarkdownDescription: "Allowed difference as a percentage of the stable value: `10` lets a canary be up to 10% worse. " +
						"A stable value of 0 then allows no difference at all; add `margin` for that case.",
					Validators: []validator.Float64{float64validator.AtLeast(0)},
				},
				"margin": schema.Float64Attribute{
					Optional: true,
					MarkdownDescription: "Allowed difference in the query's own unit: `0.01` lets an error rate be one point higher. " +
						"With `margin_percent` as well, the larger of the two is allowed. At least one of them must be set.",
					Validators: []validator.Float64{float64validator.AtLeast(0)},
				},
			},
		},
	}
}

// promQLOnlyAttributes are the attributes that only a check with a query
// uses, for the diagnostic that refuses them on a JSON check.
var promQLOnlyAttributes = strings.Join([]string{"prometheus_url", "no_data", "inconclusive_limit", "compare_to_stable"}, ", ")

// promQL maps a check block's PromQL attributes onto the engine's.
func (c metricCheckModel) promQL() domain.PromQL {
	q := domain.PromQL{
		Query: c.Query.ValueString(), Prometheus: c.PrometheusURL.ValueString(),
		NoData: domain.NoDataPolicy(c.NoData.ValueString()), InconclusiveLimit: int(c.InconclusiveLimit.ValueInt64()),
	}
	if cmp := c.CompareToStable; cmp != nil {
		q.CompareToStable = &domain.StableComparison{
			WorseWhen:     domain.WorseDirection(cmp.WorseWhen.ValueString()),
			MarginPercent: float64Ptr(cmp.MarginPercent),
			Margin:        float64Ptr(cmp.Margin),
		}
	}
	return q
}

// float64Ptr is a known number, or nil.
func float64Ptr(v types.Float64) *float64 {
	if v.IsNull() || v.IsUnknown() {
		return nil
	}
	f := v.ValueFloat64()
	return &f
}
