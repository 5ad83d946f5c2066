package provider

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestAccDeployment_keysNeverReusedAfterStoreLoss is issue 8 case 4: api@3
// is rolled back, the embedded store is lost, and api@3 is rolled out
// again. The second rollout must not reuse the first one's idempotency
// keys, or a receiver that deduplicates (as the hook contract says it
// should) would silently drop it.
func TestAccDeployment_keysNeverReusedAfterStoreLoss(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", oneStepCanary), ConfigPlanChecks: emptyPlanAfterApply},
			{
				PreConfig:   func() { target.MarkBad("3") },
				Config:      deployConfig(store, url, "3", oneStepCanary),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@3 to api/prod0 failed`),
			},
			{
				PreConfig: func() {
					target.MarkGood("3")
					removeStoreFiles(t, store)
				},
				Config:            deployConfig(store, url, "3", oneStepCanary),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@3", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "rollback:0:canary",
						"canary.weight:10:canary", "promote:100:stable")),
					checkTarget(target, distinctRolloutKeys("api@3", domain.EventCanaryWeight, 2)),
				),
			},
		},
	})
}

// distinctRolloutKeys checks that the events of type of release came from
// want different rollouts, each under its own idempotency key, and that the
// target never treated one as a duplicate of another.
func distinctRolloutKeys(release, eventType string, want int) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		keys, rollouts := map[string]bool{}, map[string]bool{}
		for _, c := range callsOf(target, eventType) {
			if c.Event.Release != release {
				continue
			}
			if c.Duplicate {
				return fmt.Errorf("the target dropped %s of %s as a duplicate of key %s", eventType, release, c.IdempotencyKey)
			}
			keys[c.IdempotencyKey] = true
			rollouts[c.Event.RolloutID] = true
		}
		if len(keys) != want || len(rollouts) != want {
			return fmt.Errorf("%s of %s: %d distinct key(s) from %d rollout(s), want %d of each (keys %v)", eventType, release, len(keys), len(rollouts), want, keys)
		}
		return nil
	}
}

// TestAccStore_corruptedFileIsAClearError is issue 8 case 5: a damaged
// embedded store file is a diagnostic that names the file and the way out,
// never a crashed provider; moving the file aside recovers from state
// without redeploying anything.
func TestAccStore_corruptedFileIsAClearError(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	cfg := deployConfig(store, url, "1", "")
	// The plan's first read (the environments of the release's phases)
	// meets the damaged file.
	corrupted := diagnosticRegexp("Cannot List Environments", "embedded store "+store+" is corrupted",
		"Move it aside, e.g. mv "+store+" "+store+".corrupt; the next apply re-seeds it from Terraform state")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigPlanChecks: emptyPlanAfterApply},
			{
				PreConfig:   func() { corruptStoreFile(t, store) },
				Config:      cfg,
				PlanOnly:    true,
				ExpectError: corrupted,
			},
			{
				PreConfig: func() {
					if err := os.Rename(store, store+".corrupt"); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				Check: checkTarget(target, expectEvents("deploy:100:stable")),
			},
		},
	})
}

// corruptStoreFile overwrites both of bbolt's meta pages (the first two
// pages of the file) with garbage, which no reader can get past.
func corruptStoreFile(t *testing.T, store string) {
	t.Helper()
	f, err := os.OpenFile(store, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	_, err = f.WriteAt(bytes.Repeat([]byte{0xA5}, 2*pageSize), 0)
	// The file was written: its Close can report a write the system could
	// not complete, and the next step must read the damage this wrote.
	if err = errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
}
