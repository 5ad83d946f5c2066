package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// headerRules is the part of every headers description that states what
// the plan-time validator enforces.
const headerRules = "Header names must be HTTP tokens (letters, digits and ``!#$%&'*+-.^_`|~``); values must not contain line breaks."

// headersValidator checks the headers maps of hook, health_check and the
// metric checks at plan time, on the path of the offending header. The
// value is sensitive, so messages name the header, never its value.
type headersValidator struct{}

var _ validator.Map = headersValidator{}

func httpHeaders() validator.Map { return headersValidator{} }

func (headersValidator) Description(context.Context) string {
	return "header names are HTTP tokens and values contain no CR or LF"
}

func (v headersValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (headersValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elements := req.ConfigValue.Elements()
	names := make([]string, 0, len(elements))
	for name := range elements {
		names = append(names, name)
	}
	sort.Strings(names) // a stable order of diagnostics
	for _, name := range names {
		value, ok := elements[name].(types.String)
		if !ok || value.IsUnknown() || value.IsNull() {
			value = types.StringValue("")
		}
		if err := domain.ValidateHeader(name, value.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(name), "Invalid HTTP Header", sentence(err.Error()))
		}
	}
}
