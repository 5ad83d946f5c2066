package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Every plan-time rule of the flow, with the message and the attribute path
// a user reads.
func TestAccReleaseResource_planDiagnostics(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	release := func(body string) string {
		return `
resource "ocuroot_release" "api" {
  package = "api"
  version = "1"
` + body + `
}
`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, shortUnknownEnvironmentGrace),
		Steps: []resource.TestStep{
			{
				Config: providerBlock(store) + release(`
  phase {
    name         = "canary"
    environments = ["prod0"]
  }
  phase {
    name         = "prod"
    environments = ["prod0", "prod1"]
  }`),
				ExpectError: diagnosticRegexp("Environment In Two Phases",
					`Environment "prod0" is in phase "canary" and again in phase "prod".`, "Attribute: phase[1].environments[0]"),
			},
			{
				Config: providerBlock(store) + release(`
  phase {
    name         = "prod"
    environments = ["prod0"]
  }
  phase {
    name         = "prod"
    environments = ["prod1"]
  }`),
				ExpectError: diagnosticRegexp("Duplicate Phase Name",
					`Phase name "prod" is used by phase 1 and phase 2.`, "Attribute: phase[1].name"),
			},
			{
				Config:      providerBlock(store) + release(``),
				ExpectError: diagnosticRegexp("Release Has No Phases", "Release api@1 declares no phase block"),
			},
			{
				Config: providerBlock(store) + release(`
  phase {
    name         = "prod eu"
    environments = ["prod0"]
  }`),
				ExpectError: diagnosticRegexp("Invalid Phase Name", `phase name "prod eu" must match`, "Attribute: phase[0].name"),
			},
			{
				Config: providerBlock(store) + release(`
  phase {
    name         = "prod"
    environments = ["prod0", "prod 1"]
  }`),
				ExpectError: diagnosticRegexp("Invalid Environment Name", `environment "prod 1" must match`, "Attribute: phase[0].environments[1]"),
			},
			{
				Config: providerBlock(store) + `
resource "ocuroot_release" "api" {
  package = "api/v2"
  version = "1"
  phase {
    name         = "prod"
    environments = ["prod0"]
  }
}
`,
				ExpectError: diagnosticRegexp("Invalid Attribute Value Match", "Attribute package must be a valid package name", "got: api/v2"),
			},
			{
				Config: providerBlock(store) + `
resource "ocuroot_release" "api" {
  package = "api"
  version = "1 beta"
  phase {
    name         = "prod"
    environments = ["prod0"]
  }
}
`,
				ExpectError: diagnosticRegexp("Invalid Attribute Value Match", "Attribute version must be a valid version", "got: 1 beta"),
			},
			{
				// The store knows no environment yet, but this plan declares
				// one: a typo in the release is caught in the same plan, as
				// long as the release is ordered after the environments
				// (depends_on here; usually a reference).
				Config: providerBlock(store) + `
resource "ocuroot_environment" "staging" {
  name = "staging"
}
` + release(`
  depends_on = [ocuroot_environment.staging]
  phase {
    name         = "staging"
    environments = ["stagin"]
  }`),
				ExpectError: diagnosticRegexp("Unknown Environment", `Environment "stagin" is not registered.`,
					"[for e in ocuroot_environment.all : e.name]", "Attribute: phase[0].environments[0]"),
			},
			{
				Config:           providerBlock(store) + twoEnvironments,
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				// The store now knows staging and prod.
				Config: providerBlock(store) + twoEnvironments + release(`
  phase {
    name         = "staging"
    environments = ["staging"]
  }
  phase {
    name         = "prod"
    environments = ["prod", "prod-us"]
  }`),
				ExpectError: diagnosticRegexp("Unknown Environment", `Environment "prod-us" is not registered.`, "Attribute: phase[1].environments[1]"),
			},
			{
				// An empty phase is only a warning: the apply goes through.
				Config: releaseConfig(store, "1", `
  phase {
    name         = "staging"
    environments = [for name in [ocuroot_environment.staging.name] : name if name == "nowhere"]
  }
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod.name]
  }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("phase_order"), knownvalue.ListExact([]knownvalue.Check{
							phaseOrderEntry(1, "staging", false),
							phaseOrderEntry(2, "prod", false, "prod"),
						})),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					storeCheck(releaseInStore(store, "api@1", func(rel domain.Release) error {
						if len(rel.Phases) != 2 || len(rel.Phases[0].Environments) != 0 {
							return fmt.Errorf("stored phases = %+v", rel.Phases)
						}
						return nil
					})),
				},
			},
		},
	})
}

// The warning for an empty phase, and the path of every problem, as the
// diagnostics the framework receives (Terraform does not let acceptance
// tests read warnings).
func TestReleaseFlowDiagnostics_pathsAndSeverities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	envs := func(names ...string) types.List {
		list, _ := types.ListValueFrom(ctx, types.StringType, names)
		return list
	}
	phases, d := types.ListValueFrom(ctx, types.ObjectType{AttrTypes: phaseBlockAttrTypes}, []phaseBlockModel{
		{Name: types.StringValue("staging"), Environments: envs(), RequiresApproval: types.BoolValue(false)},
		{Name: types.StringValue("prod"), Environments: envs("prod0", "prod0"), RequiresApproval: types.BoolValue(false)},
		{Name: types.StringUnknown(), Environments: types.ListUnknown(types.StringType), RequiresApproval: types.BoolValue(false)},
	})
	if d.HasError() {
		t.Fatalf("building phases: %v", d)
	}
	flow, d := readReleaseFlow(ctx, types.StringValue("api"), types.StringValue("1"), phases)
	if d.HasError() {
		t.Fatalf("readReleaseFlow: %v", d)
	}
	if flow.complete {
		t.Error("a flow with an unknown phase must not be complete")
	}
	diags := checkReleaseFlow(ctx, nil, flow, nil)
	want := []struct {
		severity diag.Severity
		summary  string
		path     path.Path
	}{
		{diag.SeverityWarning, "Empty Phase", path.Root("phase").AtListIndex(0).AtName("environments")},
		{diag.SeverityError, "Environment In Two Phases", path.Root("phase").AtListIndex(1).AtName("environments").AtListIndex(1)},
	}
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d: %v", len(diags), len(want), diags)
	}
	for i, w := range want {
		got := diags[i]
		withPath, ok := got.(diag.DiagnosticWithPath)
		if got.Severity() != w.severity || got.Summary() != w.summary || !ok || !withPath.Path().Equal(w.path) {
			t.Errorf("diagnostic %d = %v %q at %v, want %v %q at %v", i, got.Severity(), got.Summary(), pathOf(got), w.severity, w.summary, w.path)
		}
	}
}

func pathOf(d diag.Diagnostic) string {
	if withPath, ok := d.(diag.DiagnosticWithPath); ok {
		return withPath.Path().String()
	}
	return "(none)"
}
