package provider

import (
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// TestAccPromotion_freshStoreKeepsThePendingGate: a blue-green release
// waits at awaiting_promotion, then the embedded store disappears (a fresh
// CI runner). Terraform state is the system of record: the refresh restores
// the gate from state, so the promotion still cuts over and drains blue.
func TestAccPromotion_freshStoreKeepsThePendingGate(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", blueGreenManual)},
			{
				Config:            deployConfig(store, url, "2", blueGreenManual),
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
			},
			{
				PreConfig: func() {
					for _, f := range []string{store, store + ".lock"} {
						if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
							t.Fatal(err)
						}
					}
				},
				Config: deployConfig(store, url, "2", blueGreenManual) + promoteAPI(`"api@2"`, `note = "after the store was lost"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("ocuroot_promotion.p", plancheck.ResourceActionCreate),
					},
				},
				Check: checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
			},
			{
				Config:            deployConfig(store, url, "2", blueGreenManual) + promoteAPI(`"api@2"`, `note = "after the store was lost"`),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
			},
		},
	})
}
