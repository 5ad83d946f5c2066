package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestDeploymentSchemaDefaultsAreTheEngines walks the deployment resource
// schema and compares every attribute default with what the engine's
// WithDefaults fills in for an empty spec, so that what the documentation
// and the plan show as a default is what the engine would do without it.
// A new default in the schema fails here until it is listed below.
func TestDeploymentSchemaDefaultsAreTheEngines(t *testing.T) {
	ctx := context.Background()
	empty := domain.DeploymentSpec{Hook: &domain.HookConfig{}, HealthCheck: &domain.HealthCheck{}}.WithDefaults()
	want := map[string]string{
		"strategy":                     string(empty.Strategy),
		"progress_deadline":            domain.FormatDuration(empty.ProgressDeadline),
		"on_timeout":                   string(empty.OnTimeout),
		"canary.check_interval":        domain.FormatDuration(empty.Canary.CheckInterval),
		"canary.failure_threshold":     fmt.Sprint(empty.Canary.FailureThreshold),
		"canary.manual_promotion":      fmt.Sprint(empty.Canary.ManualPromotion),
		"blue_green.manual_promotion":  fmt.Sprint(empty.BlueGreen.ManualPromotion),
		"blue_green.promotion_delay":   domain.FormatDuration(empty.BlueGreen.PromotionDelay),
		"blue_green.scale_down_delay":  domain.FormatDuration(empty.BlueGreen.ScaleDownDelay),
		"hook.timeout":                 domain.FormatDuration(empty.Hook.Timeout),
		"hook.retry.attempts":          fmt.Sprint(empty.Hook.Retry.Attempts),
		"hook.retry.min_wait":          domain.FormatDuration(empty.Hook.Retry.MinWait),
		"hook.retry.max_wait":          domain.FormatDuration(empty.Hook.Retry.MaxWait),
		"health_check.timeout":         domain.FormatDuration(empty.HealthCheck.Timeout),
		"health_check.expected_status": fmt.Sprint(empty.HealthCheck.ExpectedStatus),
	}
	got := map[string]string{}
	collectDefaults(ctx, t, "", deploymentSchema(ctx).Attributes, deploymentSchema(ctx).Blocks, got)
	for at, value := range got {
		expected, listed := want[at]
		switch {
		case !listed:
			t.Errorf("%s defaults to %s in the schema, but the test does not know the engine's default: list it", at, value)
		case value != expected:
			t.Errorf("%s defaults to %s in the schema, but the engine's default is %s", at, value, expected)
		}
	}
	var missing []string
	for at := range want {
		if _, ok := got[at]; !ok {
			missing = append(missing, at)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no schema default for %s", strings.Join(missing, ", "))
	}
}

// collectDefaults renders the default of every attribute under prefix,
// nested blocks included, keyed by its dotted path.
func collectDefaults(ctx context.Context, t *testing.T, prefix string, attrs map[string]schema.Attribute, blocks map[string]schema.Block, out map[string]string) {
	t.Helper()
	for name, a := range attrs {
		if value, ok := attributeDefault(ctx, t, a); ok {
			out[prefix+name] = value
		}
	}
	for name, b := range blocks {
		switch b := b.(type) {
		case schema.SingleNestedBlock:
			collectDefaults(ctx, t, prefix+name+".", b.Attributes, b.Blocks, out)
		case schema.ListNestedBlock:
			collectDefaults(ctx, t, prefix+name+".", b.NestedObject.Attributes, b.NestedObject.Blocks, out)
		}
	}
}

// attributeDefault renders an attribute's default the way the engine's
// values are rendered above; ok is false when it has none.
func attributeDefault(ctx context.Context, t *testing.T, a schema.Attribute) (string, bool) {
	t.Helper()
	switch a := a.(type) {
	case schema.StringAttribute:
		if a.Default == nil {
			return "", false
		}
		resp := &defaults.StringResponse{}
		a.Default.DefaultString(ctx, defaults.StringRequest{}, resp)
		return resp.PlanValue.ValueString(), true
	case schema.Int64Attribute:
		if a.Default == nil {
			return "", false
		}
		resp := &defaults.Int64Response{}
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, resp)
		return fmt.Sprint(resp.PlanValue.ValueInt64()), true
	case schema.BoolAttribute:
		if a.Default == nil {
			return "", false
		}
		resp := &defaults.BoolResponse{}
		a.Default.DefaultBool(ctx, defaults.BoolRequest{}, resp)
		return fmt.Sprint(resp.PlanValue.ValueBool()), true
	case schema.ListAttribute:
		if a.Default == nil {
			return "", false
		}
		resp := &defaults.ListResponse{}
		a.Default.DefaultList(ctx, defaults.ListRequest{}, resp)
		var values []int64
		if diags := resp.PlanValue.ElementsAs(ctx, &values, false); diags.HasError() {
			t.Fatalf("list default: %v", diags)
		}
		return fmt.Sprint(values), true
	case schema.Float64Attribute:
		if a.Default != nil {
			t.Errorf("a float default is not compared yet: add it to attributeDefault")
		}
	}
	return "", false
}
