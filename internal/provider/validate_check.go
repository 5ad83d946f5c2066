package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// statusCodeValidator checks one expected_status of a health check.
type statusCodeValidator struct{}

var _ validator.Int64 = statusCodeValidator{}

func statusCode() validator.Int64 { return statusCodeValidator{} }

func (statusCodeValidator) Description(context.Context) string {
	return fmt.Sprintf("an HTTP status code between %d and %d", domain.MinStatusCode, domain.MaxStatusCode)
}

func (v statusCodeValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (statusCodeValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := domain.ValidateStatusCode(req.ConfigValue.ValueInt64()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Status Code", fmt.Sprintf("%s: %s.", req.Path, err))
	}
}

// checkPathValidator refuses an empty JSON path: it would select nothing,
// and the check would fail on every round for a reason the user cannot see
// in the configuration.
type checkPathValidator struct{}

var _ validator.String = checkPathValidator{}

func nonEmptyCheckPath() validator.String { return checkPathValidator{} }

func (checkPathValidator) Description(context.Context) string { return "a non-empty JSON path" }

func (v checkPathValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (checkPathValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if strings.TrimSpace(req.ConfigValue.ValueString()) == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Empty Check Path", fmt.Sprintf(
			"%s is empty. Say where the number is in the JSON response, such as \"error_rate\" or \"data.latency.p99\".", req.Path))
	}
}

// validateMetricChecks applies the rules that involve more than one
// attribute of a metric check block: unique names within the list, at
// least one bound, and bounds in order. at is the path of the list.
func validateMetricChecks(checks []metricCheckModel, at path.Path, diags *diag.Diagnostics) {
	seen := map[string]bool{}
	for i, c := range checks {
		block := at.AtListIndex(i)
		if !c.Name.IsUnknown() {
			if seen[c.Name.ValueString()] {
				diags.AddAttributeError(block.AtName("name"), "Duplicate Check Name",
					fmt.Sprintf("Check name %q is used twice; names identify checks in history and diagnostics.", c.Name.ValueString()))
			}
			seen[c.Name.ValueString()] = true
		}
		if c.Min.IsNull() && c.Max.IsNull() && c.CompareToStable == nil {
			// On the check's name: Terraform shows no line for a path
			// ending at a block of a list (it would show the resource's
			// first line), but shows the name line, which says which check.
			diags.AddAttributeError(block.AtName("name"), "Check Without Bounds", fmt.Sprintf(
				"%s (check %q) sets neither min nor max, so no value could ever fail it. Set min, max or both, for example max = 0.01 for an error rate "+
					"(or, for a PromQL check, compare_to_stable).",
				block, c.Name.ValueString()))
		}
		if !c.Min.IsNull() && !c.Max.IsNull() && !c.Min.IsUnknown() && !c.Max.IsUnknown() && c.Min.ValueFloat64() > c.Max.ValueFloat64() {
			diags.AddAttributeError(block.AtName("max"), "Check Bounds Inverted",
				fmt.Sprintf("max (%v) is below min (%v); no value could pass.", c.Max.ValueFloat64(), c.Min.ValueFloat64()))
		}
	}
}
