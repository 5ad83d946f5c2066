package provider

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Plan-time diagnostics about credentials, read from the plan step itself:
// Terraform's test harness cannot read warnings, and these tests assert the
// attribute path each diagnostic is attached to.

// planCredentialsProvider is provider data on a memory store holding
// environment prod0 and release api@1 (phase prod: prod0), with the named
// credentials metrics and payments.
func planCredentialsProvider(t *testing.T) *providerData {
	t.Helper()
	ctx := context.Background()
	pd, err := newProviderData(ctx, Options{KV: kvstore.NewMemoryKV(), Clock: newTestClock()}, providerSettings{
		credentials: map[string]domain.Credential{
			"metrics":  {Headers: map[string]string{"Authorization": probeToken}},
			"payments": {HookSecret: paymentsHookSecret, Headers: map[string]string{"X-Hook-Token": paymentsHookToken}},
		},
		credentialsKnown: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pd.engine.PutEnvironment(ctx, domain.Environment{Name: "prod0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pd.engine.RegisterRelease(ctx, domain.Release{Package: "api", Version: "1", Phases: []domain.Phase{
		{Name: "prod", Environments: []string{"prod0"}},
	}}); err != nil {
		t.Fatal(err)
	}
	return pd
}

// plannedDeployment is the configuration of a new deployment of api@1
// into prod0: the attributes in set (path → value), everything else null.
// The plan Terraform proposes for a create is the configuration with
// write-only values nulled; ModifyPlan reads the write-only ones from the
// configuration.
func plannedDeployment(t *testing.T, r *deploymentResource, set map[string]any) (tfsdk.Config, tfsdk.Plan) {
	t.Helper()
	ctx := context.Background()
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	s := schemaResp.Schema
	empty := tftypes.NewValue(s.Type().TerraformType(ctx), nil)
	// Built as a Plan, which can be set attribute by attribute; a Config
	// cannot.
	config := tfsdk.Plan{Schema: s, Raw: empty}
	plan := tfsdk.Plan{Schema: s, Raw: empty}
	values := map[string]any{"environment": "prod0", "release": "api@1"}
	for p, v := range set {
		values[p] = v
	}
	paths := make([]string, 0, len(values))
	for p := range values {
		paths = append(paths, p)
	}
	slices.Sort(paths) // a list element's first attribute creates it
	for _, p := range paths {
		at := attributePath(p)
		if diags := config.SetAttribute(ctx, at, values[p]); diags.HasError() {
			t.Fatalf("configuration %s: %v", p, diags)
		}
		if strings.HasSuffix(p, "_wo") {
			continue
		}
		if diags := plan.SetAttribute(ctx, at, values[p]); diags.HasError() {
			t.Fatalf("plan %s: %v", p, diags)
		}
	}
	return tfsdk.Config{Schema: s, Raw: config.Raw}, plan
}

// attributePath parses "hook.secret_wo" or "check.0.headers".
func attributePath(dotted string) path.Path {
	parts := strings.Split(dotted, ".")
	p := path.Root(parts[0])
	for _, part := range parts[1:] {
		if i, err := strconv.Atoi(part); err == nil {
			p = p.AtListIndex(i)
			continue
		}
		p = p.AtName(part)
	}
	return p
}

// modifyPlan runs the deployment's plan step for a create.
func modifyPlan(t *testing.T, r *deploymentResource, set map[string]any) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	config, plan := plannedDeployment(t, r, set)
	req := resource.ModifyPlanRequest{
		Config: config, Plan: plan,
		State: tfsdk.State{Schema: plan.Schema, Raw: tftypes.NewValue(plan.Schema.Type().TerraformType(ctx), nil)},
	}
	resp := resource.ModifyPlanResponse{Plan: plan}
	r.ModifyPlan(ctx, req, &resp)
	return resp.Diagnostics
}

// diagnosticsAt renders the diagnostics with the given summary as their
// attribute paths, sorted.
func diagnosticsAt(diags diag.Diagnostics, summary string) []string {
	var out []string
	for _, d := range diags {
		if d.Summary() != summary {
			continue
		}
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			out = append(out, wp.Path().String())
		} else {
			out = append(out, "(no path)")
		}
	}
	slices.Sort(out)
	return out
}

// Settings of the cases below.
var (
	blueGreenGate = map[string]any{"strategy": "blue_green", "blue_green.manual_promotion": true}
	canaryGate    = map[string]any{"strategy": "canary", "canary.manual_promotion": true, "canary.step.0.weight": int64(50), "canary.step.0.bake": "5m"}
	canaryNoGate  = map[string]any{"strategy": "canary", "canary.step.0.weight": int64(50), "canary.step.0.bake": "5m"}
	hookURL       = map[string]any{"hook.url": "https://hooks.example.com/hooks"}
	healthURL     = map[string]any{"health_check.url": "https://api.example.com/health/{slot}"}
	tokenHeader   = map[string]string{"Authorization": probeToken}
)

// metricCheckAt is a metric check block at block (check.0,
// blue_green.pre_promotion_check.0, …) with extra attributes.
func metricCheckAt(block string, extra map[string]any) map[string]any {
	out := map[string]any{
		block + ".name": "error_rate", block + ".url": "https://metrics.example.com/{slot}",
		block + ".path": "error_rate", block + ".max": 0.1,
	}
	for k, v := range extra {
		out[block+"."+k] = v
	}
	return out
}

func settings(parts ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, part := range parts {
		for k, v := range part {
			out[k] = v
		}
	}
	return out
}

// TestOwnCredentialsAtGateWarnAtPlan: a rollout that stops at a promotion
// gate while its hook or checks carry values of their own (secret_wo,
// headers, headers_wo) is warned about at plan time, on each such
// attribute: the run that opens the gate will not have them. Without a
// gate, or with named credentials, there is nothing to warn about.
func TestOwnCredentialsAtGateWarnAtPlan(t *testing.T) {
	t.Parallel()
	r := &deploymentResource{data: planCredentialsProvider(t)}
	for _, tt := range []struct {
		name string
		set  map[string]any
		want []string
	}{
		{"blue-green gate, the hook's write-only secret",
			settings(blueGreenGate, hookURL, map[string]any{"hook.secret_wo": "own-secret"}),
			[]string{"hook.secret_wo"}},
		{"canary gate, the health check's headers",
			settings(canaryGate, healthURL, map[string]any{"health_check.headers": tokenHeader}),
			[]string{"health_check.headers"}},
		{"canary gate, the hook's headers and a check's write-only headers",
			settings(canaryGate, hookURL, map[string]any{"hook.headers": map[string]string{"X-Team": "payments"}},
				metricCheckAt("check.0", map[string]any{"headers_wo": tokenHeader})),
			[]string{"check[0].headers_wo", "hook.headers"}},
		{"blue-green gate, a pre-promotion check's headers",
			settings(blueGreenGate, metricCheckAt("blue_green.pre_promotion_check.0", map[string]any{"headers": tokenHeader})),
			[]string{"blue_green.pre_promotion_check[0].headers"}},
		{"canary without a gate",
			settings(canaryNoGate, hookURL, healthURL, map[string]any{"hook.secret_wo": "own-secret", "health_check.headers": tokenHeader}),
			nil},
		{"direct",
			settings(hookURL, map[string]any{"hook.secret_wo": "own-secret"}),
			nil},
		{"blue-green gate naming credentials",
			settings(blueGreenGate, hookURL, healthURL,
				map[string]any{"hook.credential": "payments", "health_check.credential": "metrics"},
				metricCheckAt("blue_green.pre_promotion_check.0", map[string]any{"credential": "metrics"})),
			nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			diags := modifyPlan(t, r, tt.set)
			if diags.HasError() {
				t.Fatalf("the plan failed: %v", diags)
			}
			if got := diagnosticsAt(diags, "Credential Not Available To A Later Run"); !slices.Equal(got, tt.want) {
				t.Errorf("warnings at %q, want %q", got, tt.want)
			}
			for _, d := range diags.Warnings() {
				if d.Summary() == "Credential Not Available To A Later Run" &&
					!strings.Contains(d.Detail(), `Move the value to the provider block's credentials and name it here with credential = "NAME"`) {
					t.Errorf("the warning does not name the fix: %s", d.Detail())
				}
			}
		})
	}
}

// TestUnknownCredentialRefusedAtPlan: a block naming a credential the
// provider block does not define is a plan-time error on that block's
// credential attribute, naming the credentials there are. When the
// provider's credentials are not known at plan time, the check waits for
// the apply.
func TestUnknownCredentialRefusedAtPlan(t *testing.T) {
	t.Parallel()
	r := &deploymentResource{data: planCredentialsProvider(t)}
	canary := settings(canaryNoGate, hookURL, healthURL,
		map[string]any{"hook.credential": "nope", "health_check.credential": "metrics"},
		metricCheckAt("check.0", map[string]any{"credential": "metrics"}),
		metricCheckAt("check.1", map[string]any{"credential": "nope"}))
	canary["check.1.name"] = "latency"
	blueGreen := settings(blueGreenGate, healthURL, map[string]any{"health_check.credential": "nope"},
		metricCheckAt("blue_green.pre_promotion_check.0", map[string]any{"credential": "nope"}),
		metricCheckAt("blue_green.post_promotion_check.0", map[string]any{"credential": "payments"}))

	diags := modifyPlan(t, r, canary)
	if got, want := diagnosticsAt(diags, "Unknown Credential"), []string{"check[1].credential", "hook.credential"}; !slices.Equal(got, want) {
		t.Errorf("canary: errors at %q, want %q (diagnostics: %v)", got, want, diags)
	}
	for _, d := range diags.Errors() {
		if want := `No credential "nope" is defined in the provider block (defined: "metrics", "payments")`; !strings.Contains(d.Detail(), want) {
			t.Errorf("detail %q lacks %q", d.Detail(), want)
		}
	}
	diags = modifyPlan(t, r, blueGreen)
	if got, want := diagnosticsAt(diags, "Unknown Credential"), []string{"blue_green.pre_promotion_check[0].credential", "health_check.credential"}; !slices.Equal(got, want) {
		t.Errorf("blue-green: errors at %q, want %q (diagnostics: %v)", got, want, diags)
	}

	r.data.credentialsKnown = false
	if diags := modifyPlan(t, r, canary); diags.HasError() {
		t.Errorf("with the provider's credentials unknown at plan time, the plan failed: %v", diags)
	}
}
