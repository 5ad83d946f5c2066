package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccEnvironmentsDataSource_filter(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	names := func(ns ...string) knownvalue.Check {
		checks := make([]knownvalue.Check, 0, len(ns))
		for _, n := range ns {
			checks = append(checks, knownvalue.StringExact(n))
		}
		return knownvalue.ListExact(checks)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{{
			Config: providerBlock(store) + referenceEnvironments + `
resource "ocuroot_environment" "bare" {
  name = "dev"
}

data "ocuroot_environments" "all" {
  depends_on = [ocuroot_environment.all, ocuroot_environment.bare]
}

data "ocuroot_environments" "prod" {
  depends_on = [ocuroot_environment.all]
  attributes = { type = "prod" }
}

data "ocuroot_environments" "canary" {
  depends_on = [ocuroot_environment.all]
  attributes = { type = "prod", canary = "true" }
}

data "ocuroot_environments" "none" {
  depends_on = [ocuroot_environment.all]
  attributes = { type = "qa" }
}
`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.ocuroot_environments.all", tfjsonpath.New("names"),
					names("dev", "prod0", "prod1", "prod2", "prod3", "prod4", "staging")),
				statecheck.ExpectKnownValue("data.ocuroot_environments.all", tfjsonpath.New("id"), knownvalue.StringExact("environments")),
				statecheck.ExpectKnownValue("data.ocuroot_environments.prod", tfjsonpath.New("names"),
					names("prod0", "prod1", "prod2", "prod3", "prod4")),
				statecheck.ExpectKnownValue("data.ocuroot_environments.canary", tfjsonpath.New("names"), names("prod0")),
				statecheck.ExpectKnownValue("data.ocuroot_environments.canary", tfjsonpath.New("id"),
					knownvalue.StringExact("environments?canary=true&type=prod")),
				statecheck.ExpectKnownValue("data.ocuroot_environments.canary", tfjsonpath.New("environments"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"name": knownvalue.StringExact("prod0"),
						"attributes": knownvalue.MapExact(map[string]knownvalue.Check{
							"type":   knownvalue.StringExact("prod"),
							"canary": knownvalue.StringExact("true"),
						}),
					}),
				})),
				statecheck.ExpectKnownValue("data.ocuroot_environments.all", tfjsonpath.New("environments").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"name":       knownvalue.StringExact("dev"),
					"attributes": knownvalue.MapExact(map[string]knownvalue.Check{}),
				})),
				statecheck.ExpectKnownValue("data.ocuroot_environments.none", tfjsonpath.New("names"), names()),
			},
		}, destroyForEachStep(store)},
	})
}
