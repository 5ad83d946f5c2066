package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// TestAccResourceIdentity: on Terraform 1.12+ every resource carries an
// identity of the attributes that name it, and an import block can use it
// instead of an id string. An import by identity whose configuration
// matches what was deployed plans no change (the framework fails the step
// on any planned action): the deployment's hook, health check and retry
// settings come back from the store. (Older Terraform ignores identity;
// the rest of the suite runs the same resources there.)
func TestAccResourceIdentity(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	_, url := startTarget(t)
	config := deployConfig(store, url, "1", "")
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("ocuroot_environment.prod0", map[string]knownvalue.Check{
						"name": knownvalue.StringExact("prod0"),
					}),
					statecheck.ExpectIdentity("ocuroot_release.v1", map[string]knownvalue.Check{
						"package": knownvalue.StringExact("api"),
						"version": knownvalue.StringExact("1"),
					}),
					statecheck.ExpectIdentity("ocuroot_deployment.api", map[string]knownvalue.Check{
						"package":     knownvalue.StringExact("api"),
						"environment": knownvalue.StringExact("prod0"),
					}),
				},
			},
			{
				Config:          config,
				ResourceName:    "ocuroot_deployment.api",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config:          config,
				ResourceName:    "ocuroot_release.v1",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config:          config,
				ResourceName:    "ocuroot_environment.prod0",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// TestAccResourceIdentityCanaryWithChecks: the settings a canary
// deployment is usually written with (steps, a metric check, a manual
// promotion, an explicit on_timeout) come back from the store on import,
// so an import by identity of a matching configuration plans no change.
func TestAccResourceIdentityCanaryWithChecks(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	_, url := startTarget(t)
	config := deployConfig(store, url, "1", fmt.Sprintf(`
  strategy          = "canary"
  on_timeout        = "fail"
  progress_deadline = "5m"
  canary {
    # Not health_check's 15s: an interval equal to the canary's reads
    # back as unset (the store cannot tell them apart).
    check_interval    = "200ms"
    failure_threshold = 2
    step {
      weight = 25
      bake   = "200ms"
    }
    step {
      weight = 50
      bake   = "1m30s"
    }
  }
  check {
    name = "error_rate"
    url  = "%s/metrics/{package}/{environment}/{slot}/{version}"
    path = "error_rate"
    max  = 0.1
  }
`, url))
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: config},
			{
				Config:          config,
				ResourceName:    "ocuroot_deployment.api",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// TestAccPromotionIdentity: a promotion's identity is its release and
// either the deployment it promoted or the phase it approved; an import
// block can name either kind by identity and plans no change.
func TestAccPromotionIdentity(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	_, url := startTarget(t)
	config := deployConfig(store, url, "2", blueGreenManual) + promoteAPI(`"api@2"`, "") + `
resource "ocuroot_release" "gated" {
  package = "gated"
  version = "1"
  phase {
    name              = "prod"
    environments      = [ocuroot_environment.prod0.name]
    requires_approval = true
  }
}

resource "ocuroot_promotion" "approval" {
  release = ocuroot_release.gated.id
  phase   = "prod"
}
`
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", blueGreenManual)},
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("ocuroot_promotion.p", map[string]knownvalue.Check{
						"release":    knownvalue.StringExact("api@2"),
						"deployment": knownvalue.StringExact("api/prod0"),
						"phase":      knownvalue.Null(),
					}),
					statecheck.ExpectIdentity("ocuroot_promotion.approval", map[string]knownvalue.Check{
						"release":    knownvalue.StringExact("gated@1"),
						"deployment": knownvalue.Null(),
						"phase":      knownvalue.StringExact("prod"),
					}),
				},
			},
			{
				Config:          config,
				ResourceName:    "ocuroot_promotion.p",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config:          config,
				ResourceName:    "ocuroot_promotion.approval",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}
