package provider

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Issue 21: a store that fails is never "nothing there". These tests fail
// the store at one operation, for every operation a real terraform run
// makes, and check what the user is told and what is left in the store.

// injectedStoreText is how every store failure in these tests reads: the
// engine names the record and the store (an injected store describes
// itself as "injected"; a real one by its redacted location).
const injectedStoreText = "in the store (injected) failed: " + "injected fault: the store did not answer"

// faultSegment is one recorded step of TestAccStoreFaults_everyOperation.
type faultSegment struct {
	name  string
	start storeSnapshot // the store as the step found it
}

// TestAccStoreFaults_everyOperation records what terraform sends through
// five steps: create; plan and apply with a rollout stranded in the store
// (planned as a withdrawal, rolled back by the update); an update that
// stops at its promotion gate, read back by the deployment and history data
// sources; a refresh on a fresh store that restores everything from state,
// the deployment at its gate (the seeding that used to crash); and the
// promotion, then the destroy. Then, for each step, it plays the conversation back
// once cleanly to count the store operations, and once more for every n
// with the nth operation failing (see checkFaultAt).
func TestAccStoreFaults_everyOperation(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t) // named in the configuration, never opened: the KV is injected
	target, url := startTarget(t)
	_ = target
	mem := kvstore.NewMemoryKV()
	rec := newRPCRecorder()
	useLocalTerraform(t)
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"ocuroot": rec.factory(NewProtocolServer(NewWithOptions(Options{Version: "test", Clock: newTestClock(), KV: mem})())),
	}
	var segments []faultSegment
	begin := func(name string) func() {
		return func() {
			rec.mark(name)
			segments = append(segments, faultSegment{name: name, start: snapshotStore(t, mem)})
		}
	}
	gated := deployConfig(store, url, "2", blueGreenManual)
	// The data sources read the record and its history after the apply.
	// (Not on a fresh store: with an injected store nothing carries the
	// records a refresh restored to the plan's process.)
	gatedAndRead := gated + historyOf("api") + `
data "ocuroot_deployment" "api" {
  package     = "api"
  environment = "prod0"
  limit       = 1
  depends_on  = [ocuroot_deployment.api]
}
`
	var atGate storeSnapshot
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				PreConfig:        begin("create"),
				Config:           deployConfig(store, url, "1", blueGreenManual),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				PreConfig: func() {
					strandAtGate(t, mem, url, "api@2")
					begin("withdraw stranded rollout")()
				},
				Config: deployConfig(store, url, "1", blueGreenManual),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
			},
			{
				PreConfig:         begin("update to the gate"),
				Config:            gatedAndRead,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "awaiting_promotion", "api@1", "api@2", 0),
			},
			{
				PreConfig: func() {
					atGate = snapshotStore(t, mem)
					emptyStore(t, mem) // a fresh runner: state knows everything, the store nothing
					begin("refresh on a fresh store")()
				},
				Config:   gated,
				PlanOnly: true,
			},
			{
				PreConfig: func() {
					// The store is back. (An injected store has no file
					// beside it to carry restored records from a plan to
					// its apply, so the promotion runs on the full store.)
					fillStore(t, mem, atGate)
					begin("promote")()
				},
				Config: gated + promotionConfig("api", "ocuroot_deployment.api.id", `"api@2"`, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_promotion.api", tfjsonpath.New("live_release"), knownvalue.StringExact("api@2")),
				},
			},
		},
	})

	total := 0
	for _, seg := range segments {
		calls := rec.segment(seg.name)
		t.Run(seg.name, func(t *testing.T) {
			total += checkEveryFault(t, calls, seg.start)
		})
	}
	t.Logf("%d store operations failed in turn across %d steps", total, len(segments))
}

// faultRun is the store and the servers of one played-back run.
type faultRun struct {
	kv    *faultKV
	mem   *kvstore.MemoryKV
	serve func() tfprotov6.ProviderServer
}

func newFaultRun(t *testing.T, start storeSnapshot) *faultRun {
	mem := restoreSnapshot(t, start)
	kv := newFaultKV(mem)
	return &faultRun{kv: kv, mem: mem, serve: NewProtocolServer(NewWithOptions(Options{Version: "test", Clock: newTestClock(), KV: kv})())}
}

// processStart is where a provider process of a clean run began: its
// first call, the store operations made before it, and the store then.
type processStart struct {
	call  int
	ops   int
	store storeSnapshot
}

// checkEveryFault plays calls back from start once cleanly, then once for
// each store operation n of the clean run with the nth failing, and
// checks each with checkFaultAt. It returns the number of operations.
//
// Terraform runs a provider process per command, and nothing but the
// store passes from one to the next; so a run that fails operation n
// starts from the clean run's store at the start of the process that made
// it, and plays back that process and the ones after.
func checkEveryFault(t *testing.T, calls []rpcCall, start storeSnapshot) int {
	clean := newFaultRun(t, start)
	opsBefore := make([]int, len(calls)) // store operations before call i
	processes := map[int]processStart{}
	outcome := replay(calls, 0, clean.serve, func(i int) {
		opsBefore[i] = clean.kv.opCount()
		if _, seen := processes[calls[i].server]; !seen {
			processes[calls[i].server] = processStart{call: i, ops: opsBefore[i], store: snapshotStore(t, clean.mem)}
		}
	})
	if outcome.panicked != "" || outcome.stoppedAt >= 0 {
		t.Fatalf("the clean replay failed: %s%v", outcome.panicked, renderDiagnostics(outcome.diagnostics))
	}
	ops := clean.kv.opsSince(0)
	for _, op := range ops {
		if !slices.Contains(storeKinds, op.Kind) && op.Kind != "" {
			t.Fatalf("the store was asked about %s records, which storeKinds does not list: snapshots would miss them", op.Kind)
		}
	}
	// A provider process that wrote nothing in the clean run (a plan, a
	// refresh) must write nothing when a read fails either.
	writers := map[int]bool{}
	callOf := make([]int, len(ops)+1) // the call each operation (1-based) was made in
	for i, call := range calls {
		end := len(ops)
		if i+1 < len(calls) {
			end = opsBefore[i+1]
		}
		for n := opsBefore[i]; n < end; n++ {
			callOf[n+1] = i
			if ops[n].writes() {
				writers[call.server] = true
			}
		}
	}
	// What each process leaves: the store the next one starts from.
	leaves := map[int]string{}
	for server, p := range processes {
		leaves[server] = storeOutcome(t, snapshotStore(t, clean.mem))
		next := len(calls)
		for _, other := range processes {
			if other.call > p.call && other.call < next {
				next = other.call
				leaves[server] = storeOutcome(t, other.store)
			}
		}
	}
	for n := 1; n <= len(ops); n++ {
		failing := calls[callOf[n]]
		checkFaultAt(t, calls, processes[failing.server], n, ops[n-1], failing, writers[failing.server], leaves[failing.server])
	}
	return len(ops)
}

// checkFaultAt plays calls back from the process that made store operation
// n, with that operation failing (expected is what it was in the clean
// run), and checks:
//
//  1. nothing panics;
//  2. a diagnostic names the failure: its detail says what was read or
//     written (the record's key) in which store. It is an error, except
//     for the release of a lease by an operation that succeeded: a warning;
//  3. the store: when the failing process wrote nothing in the clean run
//     (writer false), it is exactly as that process found it, revisions
//     included; otherwise it is consistent (consistencyProblems);
//  4. after a failed write, the command run again from the failed request
//     on the now healthy store leaves it as the clean run's command did
//     (want, a storeOutcome), so the commands after it go on as in the
//     clean run. After a failed read the store is as it was, so running
//     again is the clean run itself.
func checkFaultAt(t *testing.T, calls []rpcCall, from processStart, n int, expected kvOp, failing rpcCall, writer bool, want string) {
	t.Helper()
	run := newFaultRun(t, from.store)
	atProcessStart := snapshotStore(t, run.mem) // revisions as restored
	run.kv.failNth(n - from.ops)
	var afterProcess storeSnapshot // the store as the failing process left it
	outcome := replay(calls, from.call, run.serve, func(i int) {
		if afterProcess == nil && calls[i].server != failing.server {
			afterProcess = snapshotStore(t, run.mem)
		}
	})
	if afterProcess == nil {
		afterProcess = snapshotStore(t, run.mem)
	}
	if outcome.panicked != "" {
		t.Fatalf("op %d (%s): the provider panicked: %s", n, expected, outcome.panicked)
	}
	failed := run.kv.failedOps()
	if len(failed) != 1 || failed[0] != expected {
		t.Errorf("op %d: the run made other store calls than the clean run: failed %v, expected %s", n, failed, expected)
		return
	}
	op := failed[0]
	where := failing.String()
	leaseRelease := op.Method == "Delete" && op.Kind == "lease"
	diag, ok := diagnosticNaming(outcome.diagnostics, op)
	switch {
	case !ok:
		t.Errorf("op %d (%s) in %s: no diagnostic says the store failed it; diagnostics: %s", n, op, where, renderDiagnostics(outcome.diagnostics))
	case diag.Severity != tfprotov6.DiagnosticSeverityError && !leaseRelease:
		t.Errorf("op %d (%s): the failure is only a %v: %s", n, op, diag.Severity, diag.Summary)
	case !strings.HasPrefix(diag.Summary, "Cannot ") && diag.Summary != "Deployment Lease Not Released":
		t.Errorf("op %d (%s): summary %q does not say the store could not be read or written", n, op, diag.Summary)
	}

	if !writer {
		if op.writes() {
			t.Errorf("op %d (%s): a write from a provider process that only reads", n, op)
		}
		if d := atProcessStart.diff(afterProcess); d != "" {
			t.Errorf("op %d (%s) failed in %s, which writes nothing, yet the store changed: %s", n, op, where, d)
		}
		return
	}
	if problems := consistencyProblems(t, restoreSnapshot(t, afterProcess), op); len(problems) > 0 {
		t.Errorf("op %d (%s) failed in %s and left the store inconsistent: %s", n, op, where, strings.Join(problems, "; "))
	}
	if outcome.stoppedAt < 0 {
		if !leaseRelease {
			t.Errorf("op %d (%s): the run went on to the end", n, op)
		}
		return
	}
	run.kv.heal()
	again := replay(retryFrom(calls, outcome.stoppedAt), 0, run.serve, nil)
	if again.panicked != "" || again.stoppedAt >= 0 {
		t.Errorf("op %d (%s): running again on a healthy store failed at %v: %s%s", n, op, again.stoppedAt, again.panicked, renderDiagnostics(again.diagnostics))
		return
	}
	if got := storeOutcome(t, snapshotStore(t, run.mem)); got != want {
		t.Errorf("op %d (%s): running %s again on a healthy store left it elsewhere than the clean run:\n got %s\nwant %s", n, op, where, got, want)
	}
}

// retryFrom is what the command sends when the user runs it again after
// the call at index failed: the rest of its process's calls from that one,
// after the configuration and plans the process made before it (a fresh
// process learns what this run plans from them).
func retryFrom(calls []rpcCall, index int) []rpcCall {
	server := calls[index].server
	var out []rpcCall
	for _, c := range calls[:index] {
		if c.server == server && (c.method == "ConfigureProvider" || c.method == "PlanResourceChange") {
			out = append(out, c)
		}
	}
	for _, c := range calls[index:] {
		if c.server != server {
			break
		}
		out = append(out, c)
	}
	return out
}

// diagnosticNaming finds the diagnostic that reports op's failure.
func diagnosticNaming(diags []replayDiagnostic, op kvOp) (replayDiagnostic, bool) {
	record := fmt.Sprintf("%q", op.Key)
	switch {
	case op.Method == "Scan":
		record = fmt.Sprintf("%q", strings.TrimSuffix(op.Key, "/"))
	case op.Method == "List":
		record = "listing the " + op.Kind
	}
	for _, d := range diags {
		if strings.Contains(d.Detail, injectedStoreText) && strings.Contains(d.Detail, record) {
			return d, true
		}
	}
	return replayDiagnostic{}, false
}

func renderDiagnostics(diags []replayDiagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "\n  [%v] %s: %s (%s)", d.Severity, d.Summary, d.Detail, d.call)
	}
	return b.String()
}
