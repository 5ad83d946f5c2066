package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// promQLQueryValidator checks a check's PromQL query at plan time with
// Prometheus's own parser, so a typo is an error on the query's attribute
// path in `terraform plan`, not a canary rolled back at its first round.
// It checks syntax only: whether the series exist, and the features a
// particular server enables, are for that server to say at run time.
//
// The parser is worth its weight: measured on the release build
// (CGO_ENABLED=0), it adds 2.06 MB to the binary (36.70 -> 38.76 MB) and
// no cold-build time beyond the noise (about 100 s of CPU either way),
// and it turns a typo into a plan error instead of a canary rolled back.
type promQLQueryValidator struct{}

var _ validator.String = promQLQueryValidator{}

func promQLQuery() validator.String { return promQLQueryValidator{} }

func (promQLQueryValidator) Description(context.Context) string {
	return "a PromQL instant query returning one number, with placeholders inside label values"
}

func (v promQLQueryValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

// queryParser accepts everything some Prometheus may enable (experimental
// functions, fill modifiers, UTF-8 names): refusing what the user's server
// runs would be worse than letting that server refuse what it does not.
var queryParser = parser.NewParser(parser.Options{
	EnableExperimentalFunctions: true,
	EnableBinopFillModifiers:    true,
	EnableUnquotedUTF8Names:     true,
})

// sampleQueryValues stand in for the placeholders while parsing.
var sampleQueryValues = domain.Placeholders{Package: "package", Environment: "environment", Version: "1.0", Release: "package@1.0", Slot: "canary"}

func (promQLQueryValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := checkPromQLQuery(req.ConfigValue.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid PromQL Query", fmt.Sprintf("%s: %s", req.Path, problem))
	}
}

// checkPromQLQuery says what is wrong with a query, or "".
func checkPromQLQuery(query string) string {
	if err := domain.ValidateQueryPlaceholders(query); err != nil {
		return "the " + err.Error() + "."
	}
	expr, err := queryParser.ParseExpr(domain.ExpandQueryPlaceholders(query, sampleQueryValues))
	if err != nil {
		return fmt.Sprintf("Prometheus's parser refuses it: %v. (Placeholders were replaced by sample values before parsing.)", err)
	}
	switch expr.Type() {
	case parser.ValueTypeMatrix:
		return "it returns a range vector (a selector such as [5m] outside a function like rate), but a check needs one value: " +
			"wrap it, for example sum(rate(...[5m]))."
	case parser.ValueTypeString:
		return "it returns a string, but a check needs a number."
	}
	return ""
}
