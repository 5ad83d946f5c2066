package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Issue 8 case 9: a human gate in an earlier phase (a blue-green manual
// promotion, or a phase approval) must not hang the later phases. Without
// a promotion or approval in the run, the later deployment is refused
// promptly, naming the ocuroot_promotion to apply; with one in the same
// configuration, the whole apply succeeds in order.

// TestAccDeployment_promotionGateInEarlierPhase: web@2 stops at the
// blue-green promotion gate in the canary phase. Prod is refused at once
// (not after its update timeout); adding the promotion to the same
// configuration, with prod depending only on the canary deployment, runs
// canary's cutover and then prod's deploy in one apply.
func TestAccDeployment_promotionGateInEarlierPhase(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	v2 := webPhasesConfig(store, url, webPhases{version: "2", canaryManual: true})
	promoted := webPhasesConfig(store, url, webPhases{version: "2", canaryManual: true, extra: `
resource "ocuroot_promotion" "web_canary" {
  deployment = ocuroot_deployment.canary.id
  release    = ocuroot_release.v2.id
}
`})
	var started time.Time
	resource.Test(t, resource.TestCase{
		// Real clock: prod waits at its gate for a promotion applied later in
		// the same run.
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock),
		Steps: []resource.TestStep{
			{
				// First deployments go live directly: no gate yet.
				Config:            webPhasesConfig(store, url, webPhases{version: "1", canaryManual: true}),
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.prod", "succeeded", "web@1", "", 100),
			},
			{
				PreConfig: func() { started = time.Now() },
				Config:    v2,
				ExpectError: diagPattern(`Deployment Blocked By Phase Order ... ` +
					`release web@2 is waiting at its promotion gate in "canary" (phase 1 "canary"): nothing in this run promotes it, so prod cannot start. ` +
					`Apply resource "ocuroot_promotion" "web_canary" { deployment = "web/canary", release = "web@2" } first, ` +
					`or in the same run with depends_on = [ocuroot_promotion.web_canary] on this deployment`),
			},
			proposedAgain(v2,
				// Refused at once, not after prod's 30m update timeout.
				returnedWithin(&started, 5*time.Minute),
				refreshedValue{"ocuroot_deployment.canary", "status", "awaiting_promotion"},
				refreshedValue{"ocuroot_deployment.prod", "live_release", "web@1"},
				plancheck.ExpectResourceAction("ocuroot_deployment.prod", plancheck.ResourceActionUpdate),
				planCheckTarget(target, webServicesSaw(map[string][]string{
					"canary": {"deploy web@1", "green.create web@2"},
					"prod":   {"deploy web@1"},
				})),
			),
			{
				Config: promoted,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_promotion.web_canary", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("ocuroot_deployment.prod", plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.prod", "succeeded", "web@2", "", 100),
					storeCheck(func() error { return expectWebLive(target, "canary", "web@2") })),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, func(target *demotarget.Target) error {
						if err := webServicesSaw(map[string][]string{
							"canary": {"deploy web@1", "green.create web@2", "cutover web@2", "blue.drain web@2"},
							"prod":   {"deploy web@1", "deploy web@2"},
						})(target); err != nil {
							return err
						}
						return inOrder(target, "canary green.create web@2", "canary cutover web@2", "prod deploy web@2")
					}),
					cutoverAfterPromotion(target, "ocuroot_promotion.web_canary"),
				),
			},
		},
	})
}

// TestAccDeployment_phaseApprovalNotPlanned: prod's phase of web@2 requires
// approval. Without an ocuroot_promotion approving it, prod is refused at
// once; with one in the same configuration (prod does not even depend on
// it), prod waits for it and deploys after the approval is recorded.
func TestAccDeployment_phaseApprovalNotPlanned(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	v2 := webPhasesConfig(store, url, webPhases{version: "2", prodApproval: true})
	approved := webPhasesConfig(store, url, webPhases{version: "2", prodApproval: true, extra: `
resource "ocuroot_promotion" "approve_prod" {
  release = ocuroot_release.v2.id
  phase   = "prod"
  note    = "CAB-7"
}
`})
	var started time.Time
	resource.Test(t, resource.TestCase{
		// Real clock: prod waits at its gate for a promotion applied later in
		// the same run.
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock),
		Steps: []resource.TestStep{
			{
				Config:            webPhasesConfig(store, url, webPhases{version: "1", prodApproval: true}),
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.prod", "succeeded", "web@1", "", 100),
			},
			{
				PreConfig: func() { started = time.Now() },
				Config:    v2,
				ExpectError: diagPattern(`Deployment Blocked By Phase Order ... ` +
					`release web@2 cannot be deployed to prod (phase 2 "prod"): the phase requires approval, none is recorded, ` +
					`and nothing in this run approves it, so prod cannot start. ` +
					`To approve it, apply an ocuroot_promotion { release = "web@2", phase = "prod" } first, or in the same run with depends_on on this deployment`),
			},
			proposedAgain(v2,
				returnedWithin(&started, 5*time.Minute),
				refreshedValue{"ocuroot_deployment.prod", "live_release", "web@1"},
				planCheckTarget(target, webServicesSaw(map[string][]string{
					"canary": {"deploy web@1", "deploy web@2"},
					"prod":   {"deploy web@1"},
				})),
			),
			{
				Config:            approved,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.prod", "succeeded", "web@2", "", 100),
				Check: checkTarget(target, func(target *demotarget.Target) error {
					if err := webServicesSaw(map[string][]string{"prod": {"deploy web@1", "deploy web@2"}})(target); err != nil {
						return err
					}
					return deployedAfterApproval(store, target)
				}),
			},
		},
	})
}

// webPhases shapes webPhasesConfig: both deployments run web@version.
type webPhases struct {
	version      string
	canaryManual bool   // canary is blue-green with manual promotion and a 5s promotion delay (else direct)
	prodApproval bool   // web@2's prod phase requires approval
	extra        string // more resources
}

// webPhasesConfig declares environments canary and prod, releases web@1 and
// web@2 whose phases are canary then prod, and a deployment per phase; prod
// depends on canary and may take 30m to update.
func webPhasesConfig(store, targetURL string, o webPhases) string {
	canaryStrategy := ""
	if o.canaryManual {
		canaryStrategy = `
  strategy = "blue_green"
  blue_green {
    manual_promotion = true
    # Longer than the grace for a late plan: prod must wait for the
    # promotion in flight, not be refused or race ahead of the cutover.
    promotion_delay  = "5s"
  }`
	}
	deployment := func(name, settings string) string {
		cfg := phasedDeployment(name, name, targetURL, settings)
		return strings.Replace(cfg, "ocuroot_release.v1.id", "ocuroot_release.v"+o.version+".id", 1)
	}
	release := func(version string, approval bool) string {
		return fmt.Sprintf(`
resource "ocuroot_release" "v%s" {
  package = "web"
  version = %q
  phase {
    name         = "canary"
    environments = [ocuroot_environment.canary.name]
  }
  phase {
    name              = "prod"
    environments      = [ocuroot_environment.prod.name]
    requires_approval = %t
  }
}
`, version, version, approval)
	}
	return providerBlockWithSecret(store) + `
resource "ocuroot_environment" "canary" {
  name = "canary"
}

resource "ocuroot_environment" "prod" {
  name = "prod"
}
` + release("1", false) + release("2", o.prodApproval) +
		deployment("canary", canaryStrategy) +
		deployment("prod", `
  depends_on = [ocuroot_deployment.canary]
  progress_deadline = "1m"
  timeouts {
    update = "30m"
  }`) + o.extra
}

// webServicesSaw compares the accepted "type release" events of each web
// service with want.
func webServicesSaw(want map[string][]string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		for env, events := range want {
			var got []string
			for _, c := range target.HookEvents() {
				if c.Event.Package == "web" && c.Event.Environment == env {
					got = append(got, c.Event.Type+" "+c.Event.Release)
				}
			}
			if !slices.Equal(got, events) {
				return fmt.Errorf("hook events of web/%s:\n got  %v\n want %v", env, got, events)
			}
		}
		return nil
	}
}

// inOrder checks that the target accepted the events, each rendered as
// "environment type release", in this order.
func inOrder(target *demotarget.Target, events ...string) error {
	var log []string
	for _, c := range target.HookEvents() {
		log = append(log, c.Event.Environment+" "+c.Event.Type+" "+c.Event.Release)
	}
	at := -1
	for _, ev := range events {
		i := slices.Index(log, ev)
		if i < 0 {
			return fmt.Errorf("the target never accepted %q; it saw %v", ev, log)
		}
		if i < at {
			return fmt.Errorf("%q came before %q; want %s in that order (log %v)", ev, events[slices.Index(events, ev)-1], strings.Join(events, " → "), log)
		}
		at = i
	}
	return nil
}

// cutoverAfterPromotion checks that canary's cutover reached the target
// after the promotion in state was recorded.
func cutoverAfterPromotion(target *demotarget.Target, address string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s is not in state", address)
		}
		promotedAt, err := time.Parse(time.RFC3339Nano, rs.Primary.Attributes["promoted_at"])
		if err != nil {
			return fmt.Errorf("%s.promoted_at: %w", address, err)
		}
		cutover, ok := acceptedCall(target, hookreceiver.EventCutover, "canary")
		if !ok {
			return fmt.Errorf("canary never received its cutover")
		}
		if cutover.Time.Before(promotedAt) {
			return fmt.Errorf("canary was cut over at %s, before the promotion at %s", cutover.Time, promotedAt)
		}
		return nil
	}
}

// expectWebLive checks what the target serves in one web environment.
func expectWebLive(target *demotarget.Target, env, live string) error {
	return expectLive(target, "web", env, live, map[string]int{live: 100})
}

// deployedAfterApproval checks that the approval of web@2's prod phase is
// in the store and that prod's deploy of web@2 came after it.
func deployedAfterApproval(store string, target *demotarget.Target) error {
	kv, _, err := kvstore.OpenKV(context.Background(), "file://"+store, "")
	if err != nil {
		return err
	}
	defer kv.Close()
	approval, err := records.NewStore(kv).GetApproval(context.Background(), "web@2", "prod")
	if err != nil {
		return fmt.Errorf("approval of phase prod of web@2: %w", err)
	}
	for _, c := range target.HookEvents() {
		if c.Event.Environment == "prod" && c.Event.Type == hookreceiver.EventDeploy && c.Event.Release == "web@2" {
			if c.Time.Before(approval.ApprovedAt) {
				return fmt.Errorf("prod was deployed at %s, before the approval at %s", c.Time, approval.ApprovedAt)
			}
			return nil
		}
	}
	return fmt.Errorf("prod never received the deploy of web@2")
}
