package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccDeployment_importAfterRollback imports a deployment whose last
// rollout, of api@2, was rolled back: api@1 serves all the traffic. The
// store's record still says rolled_back at 0% (that describes api@2); the
// import records api@1 as it runs, succeeded at 100%, and the refresh
// that follows every import keeps it. An import block of a configuration
// running api@1 plans no change.
func TestAccDeployment_importAfterRollback(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	const deadline = `progress_deadline = "2m"`
	settled := map[string]string{"release": "api@1", "live_release": "api@1", "status": "succeeded", "traffic_percent": "100"}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", deadline)},
			{
				PreConfig:   func() { target.MarkBad("2") },
				Config:      deployConfig(store, url, "2", deadline),
				ExpectError: diagPattern(`Deployment Rolled Back ... 100% of traffic is back on api@1.`),
			},
			{
				Config:           deployConfig(store, url, "2", deadline),
				ResourceName:     "ocuroot_deployment.api",
				ImportState:      true,
				ImportStateId:    "api/prod0",
				ImportStateCheck: importedAttributes("api/prod0", settled),
			},
			{
				Config:          deployConfig(store, url, "1", deadline),
				ResourceName:    "ocuroot_deployment.api",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   "api/prod0",
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("status"), knownvalue.StringExact("succeeded")),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("traffic_percent"), knownvalue.Int64Exact(100)),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("live_release"), knownvalue.StringExact("api@1")),
					},
				},
			},
		},
	})
}

// importedAttributes checks the flat attributes of the imported instance
// with the given id.
func importedAttributes(id string, want map[string]string) resource.ImportStateCheckFunc {
	return func(states []*terraform.InstanceState) error {
		for _, s := range states {
			if s.ID != id {
				continue
			}
			for name, value := range want {
				if got := s.Attributes[name]; got != value {
					return fmt.Errorf("imported %s: %s = %q, want %q", id, name, got, value)
				}
			}
			return nil
		}
		return fmt.Errorf("no imported instance has id %s", id)
	}
}
