package provider

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// referenceEnvironments declares staging and prod0..prod4 with for_each;
// prod0 is the canary.
const referenceEnvironments = `
locals {
  environments = {
    staging = { type = "staging" }
    prod0   = { type = "prod", canary = "true" }
    prod1   = { type = "prod" }
    prod2   = { type = "prod" }
    prod3   = { type = "prod" }
    prod4   = { type = "prod" }
  }
}

resource "ocuroot_environment" "all" {
  for_each   = local.environments
  name       = each.key
  attributes = each.value
}
`

// referenceRelease selects each phase's environments with for expressions
// over the environment resources' attributes.
func referenceRelease(version string) string {
	return fmt.Sprintf(`
resource "ocuroot_release" "api" {
  package     = "api"
  version     = %q
  artifact    = "registry.example/api:%s"
  description = "reference scenario"

  phase {
    name         = "staging"
    environments = [for e in ocuroot_environment.all : e.name if e.attributes.type == "staging"]
  }
  phase {
    name         = "prod_canary"
    environments = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") == "true"]
  }
  phase {
    name              = "prod"
    requires_approval = true
    environments      = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") != "true"]
  }
}
`, version, version)
}

const referenceGraph = `graph LR
  release(["api@1.0.0"])
  p1["1. staging"]
  release --> p1
  p1 --> p1e1("staging")
  p2["2. prod_canary"]
  p1e1 --> p2
  p2 --> p2e1("prod0")
  p3["3. prod"]
  p2e1 -->|approval| p3
  p3 --> p3e1("prod1")
  p3 --> p3e2("prod2")
  p3 --> p3e3("prod3")
  p3 --> p3e4("prod4")
`

// phaseOrderEntry builds the expected value of one phase_order element.
func phaseOrderEntry(index int64, name string, requiresApproval bool, envs ...string) knownvalue.Check {
	envChecks := make([]knownvalue.Check, 0, len(envs))
	for _, env := range envs {
		envChecks = append(envChecks, knownvalue.StringExact(env))
	}
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"index":             knownvalue.Int64Exact(index),
		"name":              knownvalue.StringExact(name),
		"environments":      knownvalue.ListExact(envChecks),
		"requires_approval": knownvalue.Bool(requiresApproval),
	})
}

var referencePhaseOrder = knownvalue.ListExact([]knownvalue.Check{
	phaseOrderEntry(1, "staging", false, "staging"),
	phaseOrderEntry(2, "prod_canary", false, "prod0"),
	phaseOrderEntry(3, "prod", true, "prod1", "prod2", "prod3", "prod4"),
})

// The key feature: the flow is known, and exactly right, in the plan that
// creates the environments and the release together.
func TestAccReleaseResource_referenceScenarioKnownAtPlanTime(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{{
			Config: providerBlock(store) + referenceEnvironments + referenceRelease("1.0.0"),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("ocuroot_release.api", plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("id"), knownvalue.StringExact("api@1.0.0")),
					plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("phase_order"), referencePhaseOrder),
					plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("graph"), knownvalue.StringExact(referenceGraph)),
					plancheck.ExpectUnknownValue("ocuroot_release.api", tfjsonpath.New("status")),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("phase_order"), referencePhaseOrder),
				statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("graph"), knownvalue.StringExact(referenceGraph)),
				statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("status"), knownvalue.StringExact("pending")),
				statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("phase_status"), knownvalue.ListExact([]knownvalue.Check{
					phaseStatusEntry("staging", "pending"), phaseStatusEntry("prod_canary", "pending"), phaseStatusEntry("prod", "pending"),
				})),
				statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("archived"), knownvalue.Bool(false)),
				storeCheck(releaseInStore(store, "api@1.0.0", func(rel domain.Release) error {
					if len(rel.Phases) != 3 || !rel.Phases[2].RequiresApproval || len(rel.Phases[2].Environments) != 4 {
						return fmt.Errorf("stored phases = %+v", rel.Phases)
					}
					return nil
				})),
			},
		}, destroyForEachStep(store)},
	})
}

// destroyForEachStep destroys everything before the test ends: the
// framework's final state shim cannot read for_each instances
// (hashicorp/terraform-plugin-sdk#536), an empty state it can.
func destroyForEachStep(storePath string) resource.TestStep {
	return resource.TestStep{
		Config:           providerBlock(storePath),
		ConfigPlanChecks: emptyPlanAfterApply,
		ConfigStateChecks: []statecheck.StateCheck{
			storeCheck(noEnvironmentsInStore(storePath)),
		},
	}
}

func phaseStatusEntry(name, status string) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"name":   knownvalue.StringExact(name),
		"status": knownvalue.StringExact(status),
	})
}

const twoEnvironments = `
resource "ocuroot_environment" "staging" {
  name       = "staging"
  attributes = { type = "staging" }
}

resource "ocuroot_environment" "prod" {
  name       = "prod"
  attributes = { type = "prod" }
}
`

// releaseConfig is a release over the two environments with a custom body.
func releaseConfig(storePath, version, body string) string {
	return providerBlock(storePath) + twoEnvironments + fmt.Sprintf(`
resource "ocuroot_release" "api" {
  package = "api"
  version = %q
%s
}
`, version, body)
}

const stagingThenProd = `
  phase {
    name         = "staging"
    environments = [ocuroot_environment.staging.name]
  }
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod.name]
  }
`

func TestAccReleaseResource_lifecycle(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	updatedGraph := `graph LR
  release(["api@1"])
  p1["1. all"]
  release --> p1
  p1 --> p1e1("staging")
  p1 --> p1e2("prod")
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		CheckDestroy:             destroyCheck(releaseNotInStore(store, "api@1"), noEnvironmentsInStore(store)),
		Steps: []resource.TestStep{
			{
				Config: releaseConfig(store, "1", `  description = "first"`+"\n"+stagingThenProd),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("phase_order"), knownvalue.ListExact([]knownvalue.Check{
							phaseOrderEntry(1, "staging", false, "staging"),
							phaseOrderEntry(2, "prod", false, "prod"),
						})),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("id"), knownvalue.StringExact("api@1")),
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("description"), knownvalue.StringExact("first")),
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("artifact"), knownvalue.Null()),
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("metadata"), knownvalue.Null()),
				},
			},
			{
				// Description and metadata change in place; the flow stays.
				Config: releaseConfig(store, "1", `  description = "second"
  metadata    = { commit = "abc123" }
`+stagingThenProd),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_release.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("graph"), knownvalue.StringRegexp(regexp.MustCompile(`p2\["2\. prod"\]`))),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					storeCheck(releaseInStore(store, "api@1", func(rel domain.Release) error {
						if rel.Description != "second" || rel.Metadata["commit"] != "abc123" {
							return fmt.Errorf("stored release = %+v", rel)
						}
						return nil
					})),
				},
			},
			{
				// The phases change in place too, and the new flow is known in the plan.
				Config: releaseConfig(store, "1", `  description = "second"
  metadata    = { commit = "abc123" }
  phase {
    name         = "all"
    environments = [ocuroot_environment.staging.name, ocuroot_environment.prod.name]
  }
`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_release.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("graph"), knownvalue.StringExact(updatedGraph)),
						plancheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("phase_order"), knownvalue.ListExact([]knownvalue.Check{
							phaseOrderEntry(1, "all", false, "staging", "prod"),
						})),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					storeCheck(releaseInStore(store, "api@1", func(rel domain.Release) error {
						if len(rel.Phases) != 1 || rel.Phases[0].Name != "all" {
							return fmt.Errorf("stored phases = %+v", rel.Phases)
						}
						return nil
					})),
				},
			},
			{
				ResourceName:      "ocuroot_release.api",
				ImportState:       true,
				ImportStateId:     "api@1",
				ImportStateVerify: true,
			},
			{
				ResourceName:  "ocuroot_release.api",
				ImportState:   true,
				ImportStateId: "api-1",
				ExpectError:   diagnosticRegexp("Invalid Release Import Id", `Release id "api-1" must have the form PACKAGE@VERSION.`),
			},
			{
				ResourceName:  "ocuroot_release.api",
				ImportState:   true,
				ImportStateId: "api@9",
				ExpectError:   diagnosticRegexp("Cannot Import Release", "Release api@9 is not registered in the ocuroot store"),
			},
		},
	})
}

// A new version replaces the release (destroy, then create). Destroying the
// old release deletes its record when nothing runs it, and archives it when
// a deployment still does.
func TestAccReleaseResource_newVersionReplaces(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	replaced := resource.ConfigPlanChecks{
		PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_release.api", plancheck.ResourceActionDestroyBeforeCreate)},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           releaseConfig(store, "1", stagingThenProd),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				Config:           releaseConfig(store, "2", stagingThenProd),
				ConfigPlanChecks: replaced,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("id"), knownvalue.StringExact("api@2")),
					storeCheck(releaseNotInStore(store, "api@1"), releaseInStore(store, "api@2", releaseArchived(false))),
				},
			},
			{
				// A deployment runs api@2 in staging: replacing it archives it.
				PreConfig:        func() { saveTestDeployment(t, store, "api", "staging", "api@2", domain.StatusSucceeded) },
				Config:           releaseConfig(store, "3", stagingThenProd),
				ConfigPlanChecks: replaced,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("status"), knownvalue.StringExact("pending")),
					storeCheck(releaseInStore(store, "api@2", releaseArchived(true)), releaseInStore(store, "api@3", releaseArchived(false))),
				},
			},
			{
				// Tear the stand-in deployment down so the environments can go.
				PreConfig: func() { saveTestDeployment(t, store, "api", "staging", "api@2", domain.StatusTornDown) },
				Config:    releaseConfig(store, "3", stagingThenProd),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// Terraform state is the system of record: a runner whose embedded store
// is empty (a fresh CI machine) plans no change and recreates nothing; the
// refresh restores the records without writing, and the next write stores them.
func TestAccReleaseResource_emptyStoreKeepsState(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	// worker names its environments literally: no dependency orders it after
	// the environments, so it may be planned before they are registered again.
	config := providerBlock(store) + referenceEnvironments + referenceRelease("1.0.0") + `
resource "ocuroot_release" "worker" {
  package = "worker"
  version = "7"
  phase {
    name         = "staging"
    environments = ["staging"]
  }
  phase {
    name         = "prod"
    environments = ["prod0", "prod1"]
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           config,
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() {
					if err := os.Remove(store); err != nil {
						t.Fatalf("remove store: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_release.api", tfjsonpath.New("graph"), knownvalue.StringExact(referenceGraph)),
					// Nothing changed, so nothing was written: the records
					// restored from state wait beside the store file.
					storeCheck(func() error { return storeHoldsNoRecords(store) }),
				},
			},
			{
				// The next apply that writes stores them all.
				Config: config + `
resource "ocuroot_release" "worker8" {
  package = "worker"
  version = "8"
  phase {
    name         = "staging"
    environments = ["staging"]
  }
}
`,
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					storeCheck(
						releaseInStore(store, "api@1.0.0", releaseArchived(false)),
						releaseInStore(store, "worker@7", releaseArchived(false)),
						releaseInStore(store, "worker@8", releaseArchived(false)),
						environmentInStore(store, "prod0", map[string]string{"type": "prod", "canary": "true"}),
						environmentInStore(store, "staging", map[string]string{"type": "staging"}),
					),
				},
			},
			destroyForEachStep(store),
		},
	})
}

func releaseArchived(want bool) func(domain.Release) error {
	return func(rel domain.Release) error {
		if rel.Archived != want {
			return fmt.Errorf("release %s archived = %v, want %v", rel.ID(), rel.Archived, want)
		}
		return nil
	}
}
