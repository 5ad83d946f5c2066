package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// TestStoreFaults_planTimeGateChecks: the plan of a deployment into a later
// phase reads whether that deployment runs a release, the release, each
// earlier phase's deployment (is it waiting at its promotion gate?) and the
// phase's approval. Each of those reads fails in turn: the plan must say so
// with an error naming the record and the store, never carry on as if the
// gate were open or the approval recorded, and write nothing. (Terraform's
// test harness cannot read the warnings a clean plan gives, so this calls
// the plan step directly; TestAccStoreFaults_everyOperation covers the
// single-phase plan through terraform.)
func TestStoreFaults_planTimeGateChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := kvstore.NewMemoryKV()
	arrangeCanaryAtGateBeforeApproval(t, mem)
	start := snapshotStore(t, mem)

	plan := func(kv records.KV) diag.Diagnostics {
		pd, err := newProviderData(ctx, Options{KV: kv, Clock: newTestClock()}, providerSettings{credentialsKnown: true})
		if err != nil {
			t.Fatal(err)
		}
		resp := &resource.ModifyPlanResponse{}
		web := webPlan("prod", "web@2")
		(&deploymentResource{data: pd}).warnAboutApprovalWait(ctx, web, resolvePlannedRollout(ctx, web), resp)
		return resp.Diagnostics
	}

	clean := newFaultKV(restoreSnapshot(t, start))
	warnings := plan(clean)
	var summaries []string
	for _, d := range warnings {
		summaries = append(summaries, d.Summary())
	}
	if got := strings.Join(summaries, ", "); got != "Earlier Phase Waits For Promotion, Deployment Needs Phase Approval" {
		t.Fatalf("clean plan diagnostics = %q, want the gate and the approval warned about", got)
	}
	ops := clean.opsSince(0)
	for _, want := range []kvOp{{"Get", "deployment", "web/prod"}, {"Get", "release", "web@2"}, {"Get", "deployment", "web/canary"}, {"Get", "approval", "web@2#prod"}} {
		if !slices.Contains(ops, want) {
			t.Fatalf("the plan never did %s; it did %v", want, ops)
		}
	}

	t.Logf("the plan makes %d store reads; each fails in turn", len(ops))
	for n := 1; n <= len(ops); n++ {
		mem := restoreSnapshot(t, start)
		before := snapshotStore(t, mem) // revisions as restored
		kv := newFaultKV(mem)
		kv.failNth(n)
		diags := plan(kv)
		op := ops[n-1]
		errs := diags.Errors()
		if len(errs) != 1 {
			t.Errorf("op %d (%s): want one error, got %v", n, op, diags)
			continue
		}
		if summary, detail := errs[0].Summary(), errs[0].Detail(); summary != summaryStoreRead ||
			!strings.Contains(detail, injectedStoreText) || !strings.Contains(detail, `"`+op.Key+`"`) || !strings.Contains(detail, nextAfterPlanRead) {
			t.Errorf("op %d (%s): %s: %s", n, op, summary, detail)
		}
		if len(diags.Warnings()) != 0 {
			t.Errorf("op %d (%s): the plan went on to warn from what it could not read: %v", n, op, diags.Warnings())
		}
		if d := before.diff(snapshotStore(t, mem)); d != "" {
			t.Errorf("op %d (%s): the plan wrote to the store: %s", n, op, d)
		}
	}
}

// arrangeCanaryAtGateBeforeApproval stores environments canary and prod,
// release web@2 whose phases are canary, then prod with requires_approval,
// and web/canary waiting at its promotion gate for web@2.
func arrangeCanaryAtGateBeforeApproval(t *testing.T, kv records.KV) {
	t.Helper()
	ctx := context.Background()
	pd, err := newProviderData(ctx, Options{KV: kv, Clock: newTestClock()}, providerSettings{credentialsKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"canary", "prod"} {
		if _, err := pd.engine.PutEnvironment(ctx, domain.Environment{Name: env}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pd.engine.RegisterRelease(ctx, domain.Release{Package: "web", Version: "2", Phases: []domain.Phase{
		{Name: "canary", Environments: []string{"canary"}},
		{Name: "prod", Environments: []string{"prod"}, RequiresApproval: true},
	}}); err != nil {
		t.Fatal(err)
	}
	seedWebCanary(t, pd, domain.StatusAwaitingPromotion)
	d, err := pd.engine.GetDeployment(ctx, "web/canary")
	if err != nil {
		t.Fatal(err)
	}
	// The seeded record is kept beside the store; a save stores it.
	if err := pd.engine.Store().SaveDeployment(ctx, d); err != nil {
		t.Fatal(err)
	}
}
