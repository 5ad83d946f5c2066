package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccReleasePlanDataSource_preview(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	wantGraph := `graph LR
  release(["web@2.1.0"])
  p1["1. staging"]
  release --> p1
  p1 --> p1e1("staging")
  p2["2. prod"]
  p1e1 -->|approval| p2
  p2 --> p2e1("prod-eu")
  p2 --> p2e2("prod-us")
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{{
			Config: providerBlock(store) + `
data "ocuroot_release_plan" "web" {
  package = "web"
  version = "2.1.0"
  phase {
    name         = "staging"
    environments = ["staging"]
  }
  phase {
    name              = "prod"
    environments      = ["prod-eu", "prod-us"]
    requires_approval = true
  }
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.ocuroot_release_plan.web", tfjsonpath.New("id"), knownvalue.StringExact("web@2.1.0")),
				statecheck.ExpectKnownValue("data.ocuroot_release_plan.web", tfjsonpath.New("graph"), knownvalue.StringExact(wantGraph)),
				statecheck.ExpectKnownValue("data.ocuroot_release_plan.web", tfjsonpath.New("phase_order"), knownvalue.ListExact([]knownvalue.Check{
					phaseOrderEntry(1, "staging", false, "staging"),
					phaseOrderEntry(2, "prod", true, "prod-eu", "prod-us"),
				})),
				// A preview registers nothing.
				storeCheck(releaseNotInStore(store, "web@2.1.0")),
			},
		}},
	})
}

func TestAccReleasePlanDataSource_diagnostics(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	const environmentX = `
resource "ocuroot_environment" "x" {
  name = "x"
}
`
	plan := func(phases string) string {
		return providerBlock(store) + `
data "ocuroot_release_plan" "web" {
  package = "web"
  version = "1"
` + phases + `
}
`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, shortUnknownEnvironmentGrace),
		Steps: []resource.TestStep{
			{
				Config: plan(`
  phase {
    name         = "a"
    environments = ["x"]
  }
  phase {
    name         = "b"
    environments = ["y", "x"]
  }`),
				ExpectError: diagnosticRegexp("Environment In Two Phases", `Environment "x" is in phase "a" and again in phase "b".`, "Attribute: phase[1].environments[1]"),
			},
			{
				Config:      plan(``),
				ExpectError: diagnosticRegexp("Release Has No Phases", "Release web@1 declares no phase block"),
			},
			{
				// The store knows an environment now: a typo is an error.
				Config:           providerBlock(store) + environmentX,
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				Config: environmentX + plan(`
  phase {
    name         = "a"
    environments = ["x", "z"]
  }`),
				ExpectError: diagnosticRegexp("Unknown Environment", `Environment "z" is not registered.`, "Attribute: phase[0].environments[1]"),
			},
			{
				// An empty phase is a warning only.
				Config: environmentX + plan(`
  phase {
    name         = "a"
    environments = []
  }
  phase {
    name         = "b"
    environments = ["x"]
  }`),
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.ocuroot_release_plan.web", tfjsonpath.New("phase_order"), knownvalue.ListExact([]knownvalue.Check{
						phaseOrderEntry(1, "a", false),
						phaseOrderEntry(2, "b", false, "x"),
					})),
					// A preview registers nothing.
					storeCheck(releaseNotInStore(store, "web@1")),
				},
			},
		},
	})
}
