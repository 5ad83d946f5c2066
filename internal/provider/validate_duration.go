package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// durationRule validates a duration attribute at plan time: it parses, and
// it lies in the range the engine can run. Both failures are one error on
// the attribute's path that quotes the value and states the rule.
type durationRule struct {
	rule domain.DurationRule
	// why says what a value outside the range would do, for the detail.
	why string
}

var _ validator.String = durationRule{}

// Every duration attribute uses one of these.
var (
	bakeRule      = durationRule{domain.RulePositive, "A bake of 0 or less would skip the bake and its checks and promote at once."}
	deadlineRule  = durationRule{domain.RulePositive, "A deadline of 0 or less would give up before the first probe."}
	timeoutRule   = durationRule{domain.RulePositive, "A timeout of 0 or less would stop the operation before it starts."}
	delayRule     = durationRule{domain.RuleNonNegative, "Use \"0s\" for no delay."}
	retryWaitRule = durationRule{domain.RuleNonNegative, "Use \"0s\" to retry at once."}
	intervalRule  = durationRule{domain.RulePollInterval, "A shorter interval would flood the endpoint with requests."}
	requestRule   = durationRule{domain.RulePollInterval, "A shorter timeout would fail every request before it is answered."}
)

func (v durationRule) Description(context.Context) string {
	return "a duration such as \"30s\", \"5m\" or \"1h30m\", " + v.rule.Describe()
}

func (v durationRule) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

// describeRule is the sentence the docs show next to a duration attribute.
func (v durationRule) describeRule() string {
	return "A duration such as `30s`, `5m` or `1h30m` (units `ms`, `s`, `m`, `h`); must be " + v.rule.Describe() + "."
}

func (v durationRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(raw)
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Duration", fmt.Sprintf(
			"%s is %q, which is not a duration. Write a number with a unit, such as \"30s\", \"5m\" or \"1h30m\" "+
				"(units: \"ms\", \"s\", \"m\", \"h\"); it must be %s.", req.Path, raw, v.rule.Describe()))
		return
	}
	if !v.rule.Allows(d) {
		resp.Diagnostics.AddAttributeError(req.Path, "Duration Out Of Range", fmt.Sprintf(
			"%s is %q, but it must be %s. %s", req.Path, raw, v.rule.Describe(), v.why))
	}
}
