package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

const oneStepCanary = `
  strategy = "canary"
  canary {
    check_interval = "1m"
    step {
      weight = 10
      bake   = "5m"
    }
  }
`

// leaveCanaryUnfinished plays a run that was killed mid-bake: another
// process starts a canary of release on the store and stops as soon as the
// canary takes traffic, leaving the rollout running in the store with its
// lease released, exactly what a SIGKILLed provider leaves once its lease
// lapses. on_timeout = "fail" keeps the interrupted run from rolling back.
func leaveCanaryUnfinished(t *testing.T, store, targetURL string, target *demotarget.Target, release string) {
	t.Helper()
	pd := openProviderData(t, store)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			for _, c := range callsOf(target, domain.EventCanaryWeight) {
				if c.Event.Release == release {
					cancel()
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	spec := domain.DeploymentSpec{
		Package: "api", Environment: "prod0", Release: release, Strategy: domain.StrategyCanary,
		Canary: domain.CanarySpec{CheckInterval: 100 * time.Millisecond, Steps: []domain.CanaryStep{{Weight: 10, Bake: time.Hour}}},
		// Signed with the provider's hook_secret, as the configuration's
		// hook block (which sets no secret of its own) is.
		Hook:      &domain.HookConfig{URL: targetURL + "/hooks"},
		OnTimeout: domain.OnTimeoutFail,
	}
	_, err := pd.engine.Deploy(ctx, engine.DeployRequest{Spec: spec})
	if err == nil {
		t.Fatalf("the arranged rollout of %s finished; it should have been interrupted mid-bake", release)
	}
	d, err := pd.engine.GetDeployment(context.Background(), "api/prod0")
	if err != nil {
		t.Fatalf("read deployment: %v", err)
	}
	if d.UnfinishedRolloutBesides("api@1") == nil {
		t.Fatalf("arranged record has no unfinished rollout of %s: %+v", release, d.Rollout)
	}
}

// TestAccDeployment_revertAfterInterruptedRollout is issue 8 case 3: a run
// dies mid-bake of api@2 and the configuration goes back to api@1. The plan
// must not be "No changes": it is an update that rolls the stranded canary
// back, and after it api@1 serves alone.
func TestAccDeployment_revertAfterInterruptedRollout(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           deployConfig(store, url, "1", oneStepCanary),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() { leaveCanaryUnfinished(t, store, url, target, "api@2") },
				Config:    deployConfig(store, url, "1", oneStepCanary) + historyOf("api"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"),
							knownvalue.StringExact("roll back the unfinished rollout of api@2; api@1 stays live")),
						plancheck.ExpectUnknownValue("ocuroot_deployment.api", tfjsonpath.New("pending_release")),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "rollback:0:canary")),
					checkTarget(target, func(target *demotarget.Target) error {
						return expectLive(target, "api", "prod0", "api@1", map[string]int{"api@1": 100})
					}),
					historyContains("api", "api@2"),
				),
			},
		},
	})
}

// TestAccDeployment_driftFromAnotherWorkspace: another workspace sharing
// the store rolled api@2 out while this state says api@1. Refresh reports
// it and the plan moves the deployment back to the configured api@1.
func TestAccDeployment_driftFromAnotherWorkspace(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           deployConfig(store, url, "1", ""),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() {
					pd := openProviderData(t, store)
					spec := domain.DeploymentSpec{Package: "api", Environment: "prod0", Release: "api@2",
						Hook: &domain.HookConfig{URL: url + "/hooks", Secret: testHookSecret}}
					if _, err := pd.engine.Deploy(context.Background(), engine.DeployRequest{Spec: spec}); err != nil {
						t.Fatalf("the other workspace's rollout of api@2: %v", err)
					}
				},
				Config: deployConfig(store, url, "1", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						refreshedValue{address: "ocuroot_deployment.api", attribute: "release", want: "api@2"},
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("release"), knownvalue.StringExact("api@1"))),
				Check: checkTarget(target, expectEvents("deploy:100:stable", "deploy:100:stable", "deploy:100:stable")),
			},
		},
	})
}

// TestAccStore_planNeverWrites: a fresh runner (the embedded store lost)
// plans with the existing state. The plan is empty and the store file
// stays empty; the next apply stores the records again and still canaries
// against the live release.
func TestAccStore_planNeverWrites(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           deployConfig(store, url, "1", oneStepCanary),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() { removeStoreFiles(t, store) },
				Config:    deployConfig(store, url, "1", oneStepCanary),
				PlanOnly:  true,
			},
			{
				PreConfig: func() {
					if err := storeHoldsNoRecords(store); err != nil {
						t.Fatalf("after a plan on a fresh store: %v", err)
					}
				},
				Config:           deployConfig(store, url, "2", oneStepCanary),
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
					storeCheck(environmentInStore(store, "prod0", map[string]string{"type": "prod"}),
						releaseInStore(store, "api@1", func(domain.Release) error { return nil }))),
				Check: checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "promote:100:stable")),
			},
		},
	})
}

// TestAccEnvironment_deletedByAnotherWorkspace: another workspace sharing
// the store destroyed the environment. The refresh reports it gone (the
// plan creates it again) instead of silently registering it again, and the
// plan leaves the store as it was.
func TestAccEnvironment_deletedByAnotherWorkspace(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	cfg := environmentConfig(store, "eu1", `{ type = "prod" }`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigPlanChecks: emptyPlanAfterApply},
			{
				PreConfig: func() {
					eng, kv := openTestEngine(t, store)
					defer kv.Close()
					if err := eng.DeleteEnvironment(context.Background(), "eu1"); err != nil {
						t.Fatalf("the other workspace's destroy: %v", err)
					}
				},
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					if err := environmentNotInStore(store, "eu1")(); err != nil {
						t.Fatalf("the plan wrote to the store: %v", err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_environment.test", plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: []statecheck.StateCheck{storeCheck(environmentInStore(store, "eu1", map[string]string{"type": "prod"}))},
			},
		},
	})
}

func removeStoreFiles(t *testing.T, store string) {
	t.Helper()
	for _, p := range []string{store, store + ".lock", store + ".restored.json"} {
		if err := removeIfExists(p); err != nil {
			t.Fatalf("remove %s: %v", p, err)
		}
	}
}

// storeHoldsNoRecords checks the store file itself, ignoring anything kept
// beside it for the next apply.
func storeHoldsNoRecords(store string) error {
	kv, _, err := kvstore.OpenKV(context.Background(), "file://"+store, "")
	if err != nil {
		return err
	}
	defer kv.Close()
	for _, kind := range []string{"environment", "release", "deployment"} {
		entries, err := kv.List(context.Background(), kind)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return fmt.Errorf("the store holds %d %s record(s), first %q", len(entries), kind, entries[0].Key)
		}
	}
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
