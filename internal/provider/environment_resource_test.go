package provider

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

func environmentConfig(storePath, name, attributes string) string {
	return providerBlock(storePath) + fmt.Sprintf(`
resource "ocuroot_environment" "test" {
  name       = %q
  attributes = %s
}
`, name, attributes)
}

func TestAccEnvironmentResource_lifecycle(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		CheckDestroy:             destroyCheck(noEnvironmentsInStore(store)),
		Steps: []resource.TestStep{
			{
				// Create: the id is the name, known at plan time.
				Config: environmentConfig(store, "staging", `{ type = "staging" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_environment.test", plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue("ocuroot_environment.test", tfjsonpath.New("id"), knownvalue.StringExact("staging")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_environment.test", tfjsonpath.New("id"), knownvalue.StringExact("staging")),
					statecheck.ExpectKnownValue("ocuroot_environment.test", tfjsonpath.New("attributes"),
						knownvalue.MapExact(map[string]knownvalue.Check{"type": knownvalue.StringExact("staging")})),
					storeCheck(environmentInStore(store, "staging", map[string]string{"type": "staging"})),
				},
			},
			{
				// Update attributes in place.
				Config: environmentConfig(store, "staging", `{ type = "staging", region = "eu" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_environment.test", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					storeCheck(environmentInStore(store, "staging", map[string]string{"type": "staging", "region": "eu"})),
				},
			},
			{
				ResourceName:      "ocuroot_environment.test",
				ImportState:       true,
				ImportStateId:     "staging",
				ImportStateVerify: true,
			},
			{
				ResourceName:  "ocuroot_environment.test",
				ImportState:   true,
				ImportStateId: "absent",
				ExpectError:   diagnosticRegexp("Cannot Import Environment", `Environment "absent" is not registered`),
			},
			{
				// A new name replaces the environment: the old record goes.
				Config: environmentConfig(store, "stage", `{ type = "staging", region = "eu" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_environment.test", plancheck.ResourceActionDestroyBeforeCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					storeCheck(
						environmentInStore(store, "stage", map[string]string{"type": "staging", "region": "eu"}),
						environmentNotInStore(store, "staging"),
					),
				},
			},
		},
	})
}

func TestAccEnvironmentResource_invalidName(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{{
			Config:      environmentConfig(store, "prod eu", `{}`),
			ExpectError: diagnosticRegexp("Invalid Attribute Value Match", "Attribute name must be a valid environment name", `got: prod eu`),
		}},
	})
}

// Destroying an environment that still has a live deployment is refused;
// once the deployment is gone the same destroy succeeds.
func TestAccEnvironmentResource_refusesDestroyWithLiveDeployments(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	onlyProvider := providerBlock(store)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           environmentConfig(store, "prod", `{ type = "prod" }`),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() { saveTestDeployment(t, store, "api", "prod", "api@1", domain.StatusSucceeded) },
				Config:    onlyProvider,
				ExpectError: diagnosticRegexp("Environment Still Has Live Deployments",
					`Environment "prod" still has 1 live deployment(s): api/prod.`, "Destroy those deployments first", "The environment was kept."),
			},
			{
				PreConfig:         func() { saveTestDeployment(t, store, "api", "prod", "api@1", domain.StatusTornDown) },
				Config:            onlyProvider,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{storeCheck(environmentNotInStore(store, "prod"))},
			},
		},
	})
}

// Two provider processes (here: two provider instances) writing to one
// embedded store file at once lose nothing, and the file stays private.
func TestEnvironmentAndReleaseWrites_twoProvidersOneStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storePath := newTestStorePath(t)
	const perProvider = 100 // records each provider writes: half environments, half releases
	first, err := newProviderData(ctx, Options{Version: "test"}, providerSettings{location: "file://" + storePath, credentialsKnown: true})
	if err != nil {
		t.Fatalf("first provider: %v", err)
	}
	second, err := newProviderData(ctx, Options{Version: "test"}, providerSettings{location: "file://" + storePath, credentialsKnown: true})
	if err != nil {
		t.Fatalf("second provider: %v", err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 2*perProvider)
	for p, pd := range []*providerData{first, second} {
		for worker := 0; worker < 4; worker++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := worker; i < perProvider/2; i += 4 {
					env := fmt.Sprintf("env-%d-%d", p, i)
					if _, err := pd.engine.PutEnvironment(ctx, domain.Environment{Name: env, Attributes: map[string]string{"provider": fmt.Sprint(p)}}); err != nil {
						errs <- fmt.Errorf("provider %d: put %s: %w", p, env, err)
					}
					rel := domain.Release{Package: fmt.Sprintf("pkg-%d", p), Version: fmt.Sprint(i),
						Phases: []domain.Phase{{Name: "only", Environments: []string{env}}}}
					if _, err := pd.engine.RegisterRelease(ctx, rel); err != nil {
						errs <- fmt.Errorf("provider %d: register %s: %w", p, rel.ID(), err)
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Read everything back through a third, fresh instance.
	reader, err := newProviderData(ctx, Options{Version: "test"}, providerSettings{location: "file://" + storePath, credentialsKnown: true})
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	envs, err := reader.engine.ListEnvironments(ctx, nil)
	if err != nil {
		t.Fatalf("list environments: %v", err)
	}
	if len(envs) != perProvider {
		t.Errorf("store holds %d environments, want %d", len(envs), perProvider)
	}
	for p := 0; p < 2; p++ {
		for i := 0; i < perProvider/2; i++ {
			id := domain.ReleaseID(fmt.Sprintf("pkg-%d", p), fmt.Sprint(i))
			if _, err := reader.engine.GetRelease(ctx, id); err != nil {
				t.Errorf("release %s: %v", id, err)
			}
		}
	}
	info, err := os.Stat(storePath)
	if err != nil {
		t.Fatalf("stat store: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("store file mode = %v, want 0600", mode)
	}
}

// saveTestDeployment writes a deployment record the way the rollout engine
// would, standing in for an ocuroot_deployment resource.
func saveTestDeployment(t *testing.T, storePath, pkg, env, liveRelease string, status domain.Status) {
	t.Helper()
	eng, kv := openTestEngine(t, storePath)
	defer kv.Close()
	ctx := context.Background()
	d, err := eng.Store().GetDeployment(ctx, domain.DeploymentID(pkg, env))
	if records.IsNotFound(err) {
		d, err = &domain.Deployment{Package: pkg, Environment: env}, nil
	}
	if err != nil {
		t.Fatalf("read deployment: %v", err)
	}
	d.LiveRelease, d.Status, d.TrafficPercent = liveRelease, status, 100
	if err := eng.Store().SaveDeployment(ctx, d); err != nil {
		t.Fatalf("save deployment: %v", err)
	}
}
