package provider

import (
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// TestAccStoreFaults_terraformShowsEachFailure fails one store read or
// write in each flow of a real terraform run and reads the diagnostic as
// terraform prints it: the plan of a stranded rollout's withdrawal, the
// apply that withdraws it, the refresh that restores a deployment at its
// gate on a fresh store (it used to crash the provider: "Plugin did not
// respond"), the promotion, and the import of a promotion. After each,
// the store is healthy again and the next step must succeed.
func TestAccStoreFaults_terraformShowsEachFailure(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t) // named in the configuration, never opened: the KV is injected
	_, url := startTarget(t)
	mem := kvstore.NewMemoryKV()
	kv := newFaultKV(mem)
	useLocalTerraform(t)
	inFlight := &rpcsInFlight{}
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"ocuroot": inFlight.factory(NewProtocolServer(NewWithOptions(Options{Version: "test", Clock: newTestClock(), KV: kv})())),
	}
	// readsDeploymentIn matches a read of the deployment's record while
	// terraform waits for method on it: only the deployment's own requests
	// read that record with Get, so overlapping requests do not count.
	readsDeploymentIn := func(method string) func(kvOp) bool {
		return func(op kvOp) bool {
			return op.Method == "Get" && op.Kind == "deployment" && op.Key == "api/prod0" && inFlight.busy(method)
		}
	}
	deploymentSave := func(op kvOp) bool { return op.Method == "Apply" && op.Kind == "deployment" && op.Key == "api/prod0" }
	leaseRead := func(op kvOp) bool { return op.Method == "Get" && op.Kind == "lease" && op.Key == "api/prod0" }
	stable := deployConfig(store, url, "1", blueGreenManual)
	gated := deployConfig(store, url, "2", blueGreenManual)
	promoted := gated + promotionConfig("api", "ocuroot_deployment.api.id", `"api@2"`, "")
	var atGate storeSnapshot
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{Config: stable},
			{
				// Plan: the read that looks for a stranded rollout fails.
				PreConfig: func() {
					strandAtGate(t, mem, url, "api@2")
					kv.failMatching(1, readsDeploymentIn("PlanResourceChange"))
				},
				Config:   stable,
				PlanOnly: true,
				ExpectError: diagnosticRegexp("Cannot Read Ocuroot Store",
					`Checking api/prod0 for an unfinished rollout to roll back failed: reading deployment "api/prod0" in the store (injected) failed: injected fault`,
					"Nothing was written to the store"),
			},
			{
				// Apply: the withdrawal's first save fails.
				PreConfig: func() {
					kv.failMatching(1, deploymentSave)
				},
				Config: stable,
				ExpectError: diagnosticRegexp("Cannot Write Ocuroot Store",
					`writing deployment "api/prod0" in the store (injected) failed: injected fault`,
					"The rollout stopped at its last saved step"),
			},
			{
				PreConfig:         kv.heal,
				Config:            stable,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
			},
			{Config: gated},
			{
				// Refresh on a fresh store: the refresh finds no record, and
				// the seeding reads it twice more; the last of those fails
				// (it used to leave a nil record that the seeding used).
				PreConfig: func() {
					atGate = snapshotStore(t, mem)
					emptyStore(t, mem)
					kv.failMatching(3, readsDeploymentIn("ReadResource"))
				},
				Config:   gated,
				PlanOnly: true,
				ExpectError: diagnosticRegexp("Cannot Read Ocuroot Store",
					"The store has no record of api/prod0, and restoring it from Terraform state failed:",
					`reading deployment "api/prod0" in the store (injected) failed: injected fault`),
			},
			{
				// Promotion: reading the lease it must take fails.
				PreConfig: func() {
					kv.heal()
					fillStore(t, mem, atGate)
					kv.failMatching(1, leaseRead)
				},
				Config: promoted,
				ExpectError: diagnosticRegexp("Cannot Read Ocuroot Store",
					`reading lease "api/prod0" in the store (injected) failed: injected fault`,
					"The promotion stopped at its last saved step"),
			},
			{
				PreConfig: kv.heal,
				Config:    promoted,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_promotion.api", tfjsonpath.New("live_release"), knownvalue.StringExact("api@2")),
				},
			},
			{
				// Import: the promotion's record cannot be read; this is no
				// "No promotion recorded".
				PreConfig:     func() { kv.failMatching(1, readsDeploymentIn("ImportResourceState")) },
				Config:        promoted,
				ResourceName:  "ocuroot_promotion.api",
				ImportState:   true,
				ImportStateId: "api/prod0#api@2",
				ExpectError: diagnosticRegexp("Cannot Read Ocuroot Store",
					`Importing the promotion of api@2 in api/prod0 failed: reading deployment "api/prod0" in the store (injected) failed`),
			},
			{PreConfig: kv.heal, Config: promoted, PlanOnly: true},
		},
	})
}

// rpcsInFlight counts the requests of each method a provider is answering.
type rpcsInFlight struct {
	mu    sync.Mutex
	count map[string]int
}

func (f *rpcsInFlight) busy(method string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[method] > 0
}

func (f *rpcsInFlight) enter(method string) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil {
		f.count = map[string]int{}
	}
	f.count[method]++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.count[method]--
	}
}

func (f *rpcsInFlight) factory(newServer func() tfprotov6.ProviderServer) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		return observedServer{ProviderServer: newServer(), observe: func(method string, _ any) func() { return f.enter(method) }}, nil
	}
}
