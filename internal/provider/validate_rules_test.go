package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// oneDiagnostic asserts diags holds exactly one diagnostic, with this
// summary, on the attribute at (the path Terraform shows the user's line
// for), whose detail contains every fragment; or none when summary is
// empty.
func oneDiagnostic(t *testing.T, name string, diags diag.Diagnostics, summary string, at path.Path, fragments ...string) {
	t.Helper()
	if summary == "" {
		if len(diags) != 0 {
			t.Errorf("%s: want no diagnostic, got %v", name, diags)
		}
		return
	}
	if len(diags) != 1 || diags[0].Summary() != summary {
		t.Errorf("%s: want one %q diagnostic, got %v", name, summary, diags)
		return
	}
	if withPath, ok := diags[0].(diag.DiagnosticWithPath); !ok {
		t.Errorf("%s: %q is on no attribute, want it on %s", name, summary, at)
	} else if !withPath.Path().Equal(at) {
		t.Errorf("%s: %q is on %s, want it on %s", name, summary, withPath.Path(), at)
	}
	for _, f := range fragments {
		if !strings.Contains(diags[0].Detail(), f) {
			t.Errorf("%s: detail %q does not contain %q", name, diags[0].Detail(), f)
		}
	}
	if strings.Contains(diags[0].Detail(), `\n`) || strings.Contains(diags[0].Detail(), "Given Value") {
		t.Errorf("%s: detail carries a framework artefact: %q", name, diags[0].Detail())
	}
}

func TestDurationRuleValidator(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule    durationRule
		value   string
		summary string
		detail  string
	}{
		{bakeRule, "5m", "", ""},
		{bakeRule, "abc", "Invalid Duration", `x is "abc", which is not a duration. Write a number with a unit`},
		{bakeRule, "-5s", "Duration Out Of Range", `x is "-5s", but it must be greater than 0. A bake of 0 or less would skip the bake`},
		{bakeRule, "0s", "Duration Out Of Range", "must be greater than 0"},
		{deadlineRule, "-1m", "Duration Out Of Range", "must be greater than 0"},
		{timeoutRule, "-5m", "Duration Out Of Range", "A timeout of 0 or less"},
		{intervalRule, "1ns", "Duration Out Of Range", `x is "1ns", but it must be at least 100ms`},
		{intervalRule, "100ms", "", ""},
		{requestRule, "0s", "Duration Out Of Range", "must be at least 100ms"},
		{delayRule, "0s", "", ""},
		{delayRule, "-1m", "Duration Out Of Range", "must be 0 or more"},
		{retryWaitRule, "-1ms", "Duration Out Of Range", "must be 0 or more"},
	}
	for _, c := range cases {
		resp := &validator.StringResponse{}
		c.rule.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(c.value)}, resp)
		oneDiagnostic(t, c.value, resp.Diagnostics, c.summary, path.Root("x"), c.detail)
	}
}

// TestDurationValueLeavesParseErrorsToTheRule: the type reports nothing
// itself and toSpec does not report again, so "abc" is one error.
func TestDurationValueLeavesParseErrorsToTheRule(t *testing.T) {
	t.Parallel()
	abc := durationValue{GoDuration: timetypes.GoDuration{StringValue: types.StringValue("abc")}}
	resp := &xattr.ValidateAttributeResponse{}
	abc.ValidateAttribute(context.Background(), xattr.ValidateAttributeRequest{Path: path.Root("bake")}, resp)
	oneDiagnostic(t, "ValidateAttribute", resp.Diagnostics, "", path.Empty())
	m := deploymentModel{Release: types.StringValue("api@1"), ProgressDeadline: abc, Canary: &canaryModel{Step: []canaryStepModel{{Weight: types.Int64Value(10), Bake: abc}}}}
	spec, diags := m.toSpec(context.Background(), "")
	oneDiagnostic(t, "toSpec", diags, "", path.Empty())
	if spec.ProgressDeadline != 0 || spec.Canary.Steps[0].Bake != 0 {
		t.Errorf("unparsable durations read as %s and %s, want 0", spec.ProgressDeadline, spec.Canary.Steps[0].Bake)
	}
	sixty := durationValue{GoDuration: timetypes.NewGoDurationValueFromStringMust("60s")}
	equal, _ := sixty.StringSemanticEquals(context.Background(), goDuration(60e9))
	if !equal {
		t.Error(`"60s" is not semantically equal to "1m"`)
	}
}

// TestEveryDurationAttributeHasARule walks the deployment schema: every
// duration (and every timeout) carries exactly one durationRule.
func TestEveryDurationAttributeHasARule(t *testing.T) {
	t.Parallel()
	var walk func(prefix string, attrs map[string]schema.Attribute, blocks map[string]schema.Block)
	count := 0
	walk = func(prefix string, attrs map[string]schema.Attribute, blocks map[string]schema.Block) {
		for name, a := range attrs {
			s, ok := a.(schema.StringAttribute)
			_, isDuration := s.CustomType.(durationType)
			if !ok || !(isDuration || strings.HasPrefix(prefix, "timeouts.")) {
				continue
			}
			count++
			rules := 0
			for _, v := range s.Validators {
				if _, isRule := v.(durationRule); isRule {
					rules++
				}
			}
			if rules != 1 || len(s.Validators) != 1 {
				t.Errorf("%s%s has validators %v, want exactly one durationRule", prefix, name, s.Validators)
			}
			if !strings.Contains(s.MarkdownDescription, "must be") {
				t.Errorf("%s%s: the description does not state the rule: %q", prefix, name, s.MarkdownDescription)
			}
		}
		for name, b := range blocks {
			switch b := b.(type) {
			case schema.SingleNestedBlock:
				walk(prefix+name+".", b.Attributes, b.Blocks)
			case schema.ListNestedBlock:
				walk(prefix+name+"[*].", b.NestedObject.Attributes, b.NestedObject.Blocks)
			}
		}
	}
	s := deploymentSchema(context.Background())
	walk("", s.Attributes, s.Blocks)
	if count != 14 {
		t.Errorf("found %d duration attributes, want 14 (11 durations and 3 timeouts)", count)
	}
}

func TestHeadersValidator(t *testing.T) {
	t.Parallel()
	headers := path.Root("headers")
	cases := []struct {
		headers map[string]string
		summary string
		at      path.Path
		detail  string
	}{
		{map[string]string{"Authorization": "Bearer t0ken"}, "", path.Empty(), ""},
		{map[string]string{"Bad Name": "x"}, "Invalid HTTP Header", headers.AtMapKey("Bad Name"), `Header name "Bad Name" contains ' '`},
		{map[string]string{"X-Token": "s3cret\n"}, "Invalid HTTP Header", headers.AtMapKey("X-Token"), `The value of header "X-Token" contains a line break`},
	}
	for _, c := range cases {
		elements := map[string]attr.Value{}
		for k, v := range c.headers {
			elements[k] = types.StringValue(v)
		}
		resp := &validator.MapResponse{}
		httpHeaders().ValidateMap(context.Background(), validator.MapRequest{Path: headers, ConfigValue: types.MapValueMust(types.StringType, elements)}, resp)
		oneDiagnostic(t, "headers", resp.Diagnostics, c.summary, c.at, c.detail)
		if len(resp.Diagnostics) == 1 && strings.Contains(resp.Diagnostics[0].Detail(), "s3cret") {
			t.Errorf("the detail shows the header value: %q", resp.Diagnostics[0].Detail())
		}
	}
}

func TestStatusCodeAndCheckPathValidators(t *testing.T) {
	t.Parallel()
	for code, summary := range map[int64]string{200: "", 599: "", 100: "", 999: "Invalid Status Code", -1: "Invalid Status Code", 99: "Invalid Status Code"} {
		resp := &validator.Int64Response{}
		at := path.Root("expected_status").AtListIndex(0)
		statusCode().ValidateInt64(context.Background(), validator.Int64Request{Path: at, ConfigValue: types.Int64Value(code)}, resp)
		oneDiagnostic(t, "status", resp.Diagnostics, summary, at, "expected_status[0]: ", "status codes lie between 100 and 599")
	}
	for value, summary := range map[string]string{"error_rate": "", "": "Empty Check Path", "  ": "Empty Check Path"} {
		resp := &validator.StringResponse{}
		at := path.Root("check").AtListIndex(0).AtName("path")
		nonEmptyCheckPath().ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: types.StringValue(value)}, resp)
		oneDiagnostic(t, "path", resp.Diagnostics, summary, at, "check[0].path is empty")
	}
}

func TestValidateMetricChecks(t *testing.T) {
	t.Parallel()
	check := func(name string, min, max types.Float64) metricCheckModel {
		return metricCheckModel{Name: types.StringValue(name), Min: min, Max: max}
	}
	none, unknown := types.Float64Null(), types.Float64Unknown()
	checks := path.Root("check")
	cases := []struct {
		name    string
		checks  []metricCheckModel
		summary string
		at      path.Path
		detail  string
	}{
		{"max only", []metricCheckModel{check("a", none, types.Float64Value(1))}, "", path.Empty(), ""},
		{"bound not known yet", []metricCheckModel{check("a", unknown, none)}, "", path.Empty(), ""},
		{"no bounds", []metricCheckModel{check("a", none, none)}, "Check Without Bounds", checks.AtListIndex(0).AtName("name"), `check[0] (check "a") sets neither min nor max`},
		{"inverted", []metricCheckModel{check("a", types.Float64Value(2), types.Float64Value(1))}, "Check Bounds Inverted", checks.AtListIndex(0).AtName("max"), "max (1) is below min (2)"},
		{"duplicate", []metricCheckModel{check("a", none, types.Float64Value(1)), check("a", none, types.Float64Value(1))}, "Duplicate Check Name", checks.AtListIndex(1).AtName("name"), `"a" is used twice`},
	}
	for _, c := range cases {
		var diags diag.Diagnostics
		validateMetricChecks(c.checks, checks, &diags)
		oneDiagnostic(t, c.name, diags, c.summary, c.at, c.detail)
	}
}

// TestStrategyWarningsOnlyForAValidStrategy: a misspelt strategy gets its
// own error from the schema and no warning about the canary block.
func TestStrategyWarningsOnlyForAValidStrategy(t *testing.T) {
	t.Parallel()
	canary := &canaryModel{Step: []canaryStepModel{{Weight: types.Int64Value(10)}}}
	cases := []struct {
		strategy string
		summary  string
		at       path.Path
	}{
		{"canry", "", path.Empty()},
		{"direct", "Canary Settings Ignored", path.Root("canary")},
		{"canary", "", path.Empty()},
	}
	for _, c := range cases {
		var diags diag.Diagnostics
		validateStrategySettings(&deploymentModel{Strategy: types.StringValue(c.strategy), Canary: canary}, &diags)
		oneDiagnostic(t, c.strategy, diags, c.summary, c.at)
	}
}

// TestCanaryStepsMissingIsOnALineOfTheConfiguration: without a canary
// block the error is on the strategy that asks for one; with an empty block,
// on its steps.
func TestCanaryStepsMissingIsOnALineOfTheConfiguration(t *testing.T) {
	t.Parallel()
	detail := `strategy = "canary" needs a canary block with at least one step`
	var diags diag.Diagnostics
	validateStrategySettings(&deploymentModel{Strategy: types.StringValue("canary")}, &diags)
	oneDiagnostic(t, "no canary block", diags, "Canary Steps Missing", path.Root("strategy"), detail)
	diags = nil
	validateStrategySettings(&deploymentModel{Strategy: types.StringValue("canary"), Canary: &canaryModel{}}, &diags)
	oneDiagnostic(t, "empty canary block", diags, "Canary Steps Missing", path.Root("canary").AtName("step"), detail)
}
