package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// endpointURL validates a URL the engine will call, at plan time and with
// the attribute's path: absolute http or https with a host, no credentials
// (they belong in headers), and for check URLs only the documented
// placeholders. The rules are the engine's own (engine.ValidateEndpointURL),
// so plan and apply can never disagree.
type endpointURL struct {
	kind domain.URLKind
}

var _ validator.String = endpointURL{}

// hookURLValidator is for hook urls, which take no placeholders.
func hookURLValidator() validator.String { return endpointURL{kind: domain.HookURL} }

// checkURLValidator is for health and metric check urls.
func checkURLValidator() validator.String { return endpointURL{kind: domain.CheckURL} }

// serverURLValidator is for the address of a Prometheus server.
func serverURLValidator() validator.String { return endpointURL{kind: domain.ServerURL} }

func (v endpointURL) Description(ctx context.Context) string {
	return v.MarkdownDescription(ctx)
}

func (v endpointURL) MarkdownDescription(context.Context) string {
	if v.kind == domain.HookURL || v.kind == domain.ServerURL {
		return "an absolute http or https URL without credentials or placeholders"
	}
	return "an absolute http or https URL without credentials; placeholders " + strings.Join(domain.URLPlaceholders, ", ") + " are allowed"
}

func (v endpointURL) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	// An unknown value (computed elsewhere) is checked by the engine at apply.
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := domain.ValidateEndpointURL(req.ConfigValue.ValueString(), v.kind); err != nil {
		// The engine's message never quotes the URL, so a credential in it
		// does not reach the plan output either.
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL", "The "+err.Error()+".")
	}
}
