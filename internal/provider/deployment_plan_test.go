package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// TestDeploymentPlanWarnsAboutApprovalWait: a deployment into a phase that
// requires approval warns at plan time unless the approval is recorded or
// planned in the same run. (Terraform's test harness cannot read warnings,
// so this calls the plan step directly.)
func TestDeploymentPlanWarnsAboutApprovalWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// On a fake clock, the grace for a sibling's late plan costs no time.
	pd, err := newProviderData(ctx, Options{KV: kvstore.NewMemoryKV(), Clock: newTestClock()}, providerSettings{credentialsKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"staging", "prod1"} {
		if _, err := pd.engine.PutEnvironment(ctx, domain.Environment{Name: env}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pd.engine.RegisterRelease(ctx, domain.Release{Package: "api", Version: "1", Phases: []domain.Phase{
		{Name: "staging", Environments: []string{"staging"}},
		{Name: "prod", Environments: []string{"prod1"}, RequiresApproval: true},
	}}); err != nil {
		t.Fatal(err)
	}
	r := &deploymentResource{data: pd}
	warnings := func(env string) []string {
		plan := &deploymentModel{Release: types.StringValue("api@1"), Environment: types.StringValue(env)}
		resp := &resource.ModifyPlanResponse{}
		r.warnAboutApprovalWait(ctx, plan, resolvePlannedRollout(ctx, plan), resp)
		var out []string
		for _, d := range resp.Diagnostics.Warnings() {
			out = append(out, d.Summary()+": "+d.Detail())
		}
		return out
	}

	if got := warnings("staging"); len(got) != 0 {
		t.Errorf("staging needs no approval, got %q", got)
	}
	got := warnings("prod1")
	if len(got) != 1 || !strings.Contains(got[0], `Deployment Needs Phase Approval: Phase "prod" of api@1 requires approval`) ||
		!strings.Contains(got[0], `ocuroot_promotion { release = "api@1", phase = "prod" }`) {
		t.Errorf("prod1 warning = %q", got)
	}
	pd.notePlannedApproval("api@1", "prod")
	if got := warnings("prod1"); len(got) != 0 {
		t.Errorf("approval planned in this run, still warned: %q", got)
	}
}
