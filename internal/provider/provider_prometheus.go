package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// The Prometheus that PromQL checks query lives in the provider block for
// the reason named credentials do: every run evaluates it, a promotion or
// a resume in a later run included, and nothing of it is stored.

var pathPrometheus = path.Root("prometheus")

// prometheusModel is the provider's prometheus attribute.
type prometheusModel struct {
	URL        types.String  `tfsdk:"url"`
	Credential types.String  `tfsdk:"credential"`
	Timeout    durationValue `tfsdk:"timeout"`
}

func prometheusAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "The Prometheus server that PromQL checks (`query` in a `check` or pre/post-promotion check block) ask, " +
			"unless a check names its own `prometheus_url`. Like `credentials`, it is evaluated in every run and never stored, " +
			"so a promotion or a resume in a later run queries the same server. See the guide \"Canary analysis with Prometheus\".",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Base address of the Prometheus HTTP API, such as `http://prometheus.monitoring:9090` " +
					"(queries go to `<url>/api/v1/query`). Must be an absolute `http` or `https` URL without credentials: " +
					"name a `credential` for a token or basic auth. Redirects are never followed.",
				Validators: []validator.String{serverURLValidator()},
			},
			"credential": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of a credential in the provider's `credentials` whose headers go with every query to this server " +
					"(`{ Authorization = \"Bearer ...\" }`), for checks that name no `credential` of their own. Must be defined in `credentials`.",
				Validators: []validator.String{stringvalidator.RegexMatches(domain.NamePattern(), "must contain only letters, digits, '_', '.' and '-'")},
			},
			"timeout": schema.StringAttribute{
				CustomType: durationType{}, Optional: true,
				MarkdownDescription: fmt.Sprintf("How long one query may take before its check round counts as failed (Prometheus unreachable). Defaults to `%s`. ",
					domain.FormatDuration(domain.DefaultQueryTimeout)) + requestRule.describeRule(),
				Validators: []validator.String{requestRule},
			},
		},
	}
}

// prometheusFrom reads the provider's prometheus attribute. known is false
// when a value is computed by a resource and only known at apply: plan-time
// checks that a PromQL check has a server are then skipped.
func prometheusFrom(ctx context.Context, v types.Object, credentials map[string]domain.Credential, credentialsKnown bool, diags *diag.Diagnostics) (server domain.PrometheusServer, known bool) {
	if v.IsNull() {
		return domain.PrometheusServer{}, true
	}
	if v.IsUnknown() {
		return domain.PrometheusServer{}, false
	}
	var m prometheusModel
	diags.Append(v.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	if m.URL.IsUnknown() || m.Credential.IsUnknown() || m.Timeout.IsUnknown() {
		return domain.PrometheusServer{}, false
	}
	server = domain.PrometheusServer{URL: m.URL.ValueString(), Credential: m.Credential.ValueString(), Timeout: duration(m.Timeout)}
	if server.Timeout <= 0 {
		server.Timeout = domain.DefaultQueryTimeout
	}
	if name := server.Credential; name != "" && credentialsKnown {
		if _, ok := credentials[name]; !ok {
			diags.AddAttributeError(pathPrometheus.AtName("credential"), "Unknown Credential",
				fmt.Sprintf("No credential %q is defined in the provider block (defined: %s). Add it to credentials, for example:\n\n"+
					"credentials = {\n  %s = { headers = { Authorization = \"Bearer ${var.prometheus_token}\" } }\n}",
					name, definedCredentials(credentials), name))
		}
	}
	return server, true
}

// validatePrometheusAddresses refuses at plan time a PromQL check that
// would have no server: it names no prometheus_url, and the provider block
// sets no prometheus. The apply would refuse it before sending anything.
func (pd *providerData) validatePrometheusAddresses(m *deploymentModel, diags *diag.Diagnostics) {
	if pd == nil || !pd.prometheusKnown || pd.prometheus.URL != "" {
		return
	}
	for _, list := range m.metricCheckBlocks() {
		for i, c := range list.checks {
			if c.Query.IsNull() || c.Query.IsUnknown() || !c.PrometheusURL.IsNull() {
				continue
			}
			diags.AddAttributeError(list.path.AtListIndex(i).AtName("query"), "No Prometheus To Query", fmt.Sprintf(
				"Check %q has a PromQL query, but neither it (prometheus_url) nor the provider block (prometheus) names a Prometheus server to ask. "+
					"Add one to the provider configuration, for example:\n\nprovider \"ocuroot\" {\n  prometheus = { url = \"http://prometheus.monitoring:9090\" }\n}",
				c.Name.ValueString()))
		}
	}
}

func missingPrometheusWording(err error) (string, string, bool) {
	var missing *domain.MissingPrometheusError
	if !errors.As(err, &missing) {
		return "", "", false
	}
	return missing.Error(), fmt.Sprintf("The %s block of ocuroot_deployment %s has a PromQL query but no prometheus_url, and this run's provider \"ocuroot\" block sets no prometheus. "+
		"Nothing was sent and no traffic moved: the deployment stays where it is. "+
		"Add prometheus = { url = \"...\" } to the provider block in the configuration this run uses (every run needs it, like credentials), then apply again.",
		missing.Block, missing.Deployment), true
}
