package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// TestDeploymentPlanWarnsAboutUnplannedPromotionGate: the plan of a prod
// deployment warns when the canary phase of its release waits (or will
// wait, in this apply) at a promotion gate that nothing in the run opens,
// naming the ocuroot_promotion to add. Terraform's test harness cannot read
// warnings, so this calls the plan step directly, on an auto clock so the
// grace for a sibling's late plan costs no time.
func TestDeploymentPlanWarnsAboutUnplannedPromotionGate(t *testing.T) {
	t.Parallel()
	const atGate = `Earlier Phase Waits For Promotion: Release web@2 is waiting at its promotion gate in "canary" (phase 1 "canary"), ` +
		`and no ocuroot_promotion of it is planned, so this deployment to "prod" will be refused at apply instead of waiting. ` +
		`Add resource "ocuroot_promotion" "web_canary" { deployment = "web/canary", release = "web@2" } to this configuration ` +
		`and set depends_on = [ocuroot_promotion.web_canary] on this deployment, or apply the promotion first.`

	t.Run("the store shows the gate", func(t *testing.T) {
		ctx := context.Background()
		pd, clock := webPhasesProviderData(t, nil)
		seedWebCanary(t, pd, domain.StatusAwaitingPromotion)
		r := &deploymentResource{data: pd}
		started := clock.Now()
		if got := planWarnings(ctx, r, webPlan("prod", "web@2")); len(got) != 1 || got[0] != atGate {
			t.Errorf("warnings = %q\nwant [%q]", got, atGate)
		}
		if waited := clock.Now().Sub(started); waited < plannedDecisionGrace {
			t.Errorf("warned after %s; a sibling promotion gets %s to be planned first", waited, plannedDecisionGrace)
		}
		pd.notePlannedPromotion("web/canary", "web@2")
		if got := planWarnings(ctx, r, webPlan("prod", "web@2")); len(got) != 0 {
			t.Errorf("the promotion is planned in this run, still warned: %q", got)
		}
	})

	t.Run("a promotion planned during the grace", func(t *testing.T) {
		ctx := context.Background()
		var pd *providerData
		pd, _ = webPhasesProviderData(t, func() { pd.notePlannedPromotion("web/canary", "web@2") })
		seedWebCanary(t, pd, domain.StatusAwaitingPromotion)
		if got := planWarnings(ctx, &deploymentResource{data: pd}, webPlan("prod", "web@2")); len(got) != 0 {
			t.Errorf("a sibling promotion planned a moment later, still warned: %q", got)
		}
	})

	t.Run("this apply stops canary at the gate", func(t *testing.T) {
		ctx := context.Background()
		pd, _ := webPhasesProviderData(t, nil)
		seedWebCanary(t, pd, domain.StatusSucceeded)
		r := &deploymentResource{data: pd}
		canary := webPlan("canary", "web@2")
		canary.Strategy = types.StringValue(string(domain.StrategyBlueGreen))
		canary.BlueGreen = &blueGreenModel{ManualPromotion: types.BoolValue(true)}
		if got := planWarnings(ctx, r, canary); len(got) != 0 {
			t.Errorf("the first phase has nothing before it, got %q", got)
		}
		want := `Earlier Phase Waits For Promotion: Release web@2 will stop (in this apply) at its promotion gate in "canary" (phase 1 "canary"), ` +
			`and no ocuroot_promotion of it is planned, so this deployment to "prod" will be refused at apply instead of waiting.`
		if got := planWarnings(ctx, r, webPlan("prod", "web@2")); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("warnings = %q\nwant one starting %q", got, want)
		}
	})

	t.Run("no gate, no warning", func(t *testing.T) {
		pd, _ := webPhasesProviderData(t, nil)
		seedWebCanary(t, pd, domain.StatusSucceeded)
		if got := planWarnings(context.Background(), &deploymentResource{data: pd}, webPlan("prod", "web@2")); len(got) != 0 {
			t.Errorf("canary rolls out without a gate, got %q", got)
		}
	})
}

// webPhasesProviderData is provider data on a memory store with
// environments canary and prod and releases web@1, web@2 whose phases are
// canary then prod. onFirstWait runs when a check first waits on the clock.
func webPhasesProviderData(t *testing.T, onFirstWait func()) (*providerData, domain.Clock) {
	t.Helper()
	ctx := context.Background()
	var clock domain.Clock = enginetest.NewAutoClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	if onFirstWait != nil {
		clock = &firstWaitClock{Clock: clock, onFirstWait: onFirstWait}
	}
	pd, err := newProviderData(ctx, Options{KV: kvstore.NewMemoryKV(), Clock: clock}, providerSettings{credentialsKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"canary", "prod"} {
		if _, err := pd.engine.PutEnvironment(ctx, domain.Environment{Name: env}); err != nil {
			t.Fatal(err)
		}
	}
	for _, version := range []string{"1", "2"} {
		if _, err := pd.engine.RegisterRelease(ctx, domain.Release{Package: "web", Version: version, Phases: []domain.Phase{
			{Name: "canary", Environments: []string{"canary"}},
			{Name: "prod", Environments: []string{"prod"}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	return pd, clock
}

// seedWebCanary records web/canary with web@1 live and, at the gate,
// web@2 pending, as a blue-green deployment with manual promotion.
func seedWebCanary(t *testing.T, pd *providerData, status domain.Status) {
	t.Helper()
	seed := engine.SeedRequest{
		Spec: domain.DeploymentSpec{Package: "web", Environment: "canary", Release: "web@1", Strategy: domain.StrategyBlueGreen,
			BlueGreen: domain.BlueGreenSpec{ManualPromotion: true}},
		LiveRelease: "web@1", Status: status, TrafficPercent: 100,
	}
	if status == domain.StatusAwaitingPromotion {
		seed.PendingRelease, seed.TrafficPercent = "web@2", 0
	}
	if _, err := pd.engine.SeedDeployment(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
}

func webPlan(env, release string) *deploymentModel {
	return &deploymentModel{
		ID: types.StringValue("web/" + env), Environment: types.StringValue(env), Release: types.StringValue(release),
		Strategy: types.StringValue(string(domain.StrategyDirect)),
	}
}

// planWarnings runs the plan-time gate check and renders its warnings.
func planWarnings(ctx context.Context, r *deploymentResource, plan *deploymentModel) []string {
	resp := &resource.ModifyPlanResponse{}
	r.warnAboutApprovalWait(ctx, plan, resolvePlannedRollout(ctx, plan), resp)
	var out []string
	for _, d := range resp.Diagnostics.Warnings() {
		out = append(out, d.Summary()+": "+d.Detail())
	}
	return out
}

// firstWaitClock runs onFirstWait when the code under test first waits,
// standing in for a sibling resource planned a moment later.
type firstWaitClock struct {
	domain.Clock
	onFirstWait func()
	waited      bool
}

func (c *firstWaitClock) After(d time.Duration) <-chan time.Time {
	if !c.waited {
		c.waited = true
		c.onFirstWait()
	}
	return c.Clock.After(d)
}
