package provider

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// canaryTwoBakes is a two-step canary; its bakes run on the test's fake
// clock.
const canaryTwoBakes = `
  strategy = "canary"
  canary {
    check_interval    = "1m"
    failure_threshold = 2
    step {
      weight = 20
      bake   = "5m"
    }
    step {
      weight = 50
      bake   = "5m"
    }
  }
`

// TestAccDeployment_sharedPostgresStore deploys from one workspace and reads
// the result from another through a shared PostgreSQL store: the second
// workspace has its own state and knows the deployment only from the store.
func TestAccDeployment_sharedPostgresStore(t *testing.T) {
	t.Parallel()
	if os.Getenv(resource.EnvTfAcc) == "" {
		// resource.Test would skip too, but only after a server was started.
		t.Skipf("acceptance tests are skipped unless %s is set", resource.EnvTfAcc)
	}
	storeURL := enginetest.StartPostgres(t)
	target, url := startTarget(t)
	const (
		deployed = "deploy:100:stable"
		canary20 = "canary.weight:20:canary"
		canary50 = "canary.weight:50:canary"
		promoted = "promote:100:stable"
	)

	// Workspace one deploys api@1, then api@2 as a canary.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, storeURL),
		Steps: []resource.TestStep{
			{
				Config:            postgresDeployConfig(t, storeURL, url, "1", canaryTwoBakes),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
				Check:             checkTarget(target, served("api@1", map[string]int{"api@1": 100}, deployed)),
			},
			{
				Config: postgresDeployConfig(t, storeURL, url, "2", canaryTwoBakes),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("canary 20% bake 5m → canary 50% bake 5m → promote to 100% (bakes and delays: 10m0s)")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check:             checkTarget(target, served("api@2", map[string]int{"api@2": 100}, deployed, canary20, canary50, promoted)),
			},
			// resource.Test ends by destroying what the workspace manages,
			// which would tear api down: hand the records off instead, so
			// they stay in the store (and running) for workspace two.
			{
				Config:           postgresProviderBlock(storeURL) + forgetDeployConfig,
				ConfigPlanChecks: emptyPlanAfterApply,
				Check:            checkTarget(target, served("api@2", map[string]int{"api@2": 100}, deployed, canary20, canary50, promoted)),
			},
		},
	})

	// Workspace two: fresh state, only the data source, same store.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, storeURL),
		Steps: []resource.TestStep{
			{
				Config: postgresProviderBlock(storeURL) + `
data "ocuroot_deployment" "api" {
  package     = "api"
  environment = "prod0"
}
`,
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.ocuroot_deployment.api", tfjsonpath.New("live_release"), knownvalue.StringExact("api@2")),
					statecheck.ExpectKnownValue("data.ocuroot_deployment.api", tfjsonpath.New("status"), knownvalue.StringExact("succeeded")),
				},
			},
		},
	})
}

// forgetDeployConfig removes everything deployConfig declares from state
// without destroying it (Terraform 1.7+ removed blocks).
const forgetDeployConfig = `
removed {
  from = ocuroot_deployment.api
  lifecycle {
    destroy = false
  }
}

removed {
  from = ocuroot_release.v1
  lifecycle {
    destroy = false
  }
}

removed {
  from = ocuroot_release.v2
  lifecycle {
    destroy = false
  }
}

removed {
  from = ocuroot_release.v3
  lifecycle {
    destroy = false
  }
}

removed {
  from = ocuroot_environment.prod0
  lifecycle {
    destroy = false
  }
}
`

// postgresDeployConfig is deployConfig on the PostgreSQL store at storeURL
// instead of an embedded file.
func postgresDeployConfig(t *testing.T, storeURL, targetURL, release, settings string) string {
	t.Helper()
	resources, ok := strings.CutPrefix(deployConfig("", targetURL, release, settings), providerBlockWithSecret(""))
	if !ok {
		t.Fatal("postgresDeployConfig: deployConfig no longer starts with the provider block this helper replaces")
	}
	return postgresProviderBlock(storeURL) + resources
}

// postgresProviderBlock configures the provider on a PostgreSQL store.
func postgresProviderBlock(storeURL string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = %q
  hook_secret = %q
}
`, storeURL, testHookSecret)
}
