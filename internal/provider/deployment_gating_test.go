package provider

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestAccDeployment_phaseOrder refuses a prod deployment of a release that
// staging has never run, naming staging and how to order the resources;
// with depends_on the same configuration deploys staging, then prod.
func TestAccDeployment_phaseOrder(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	prodOnly := phasedConfig(store, false, phasedDeployment("prod", "prod1", url, ""))
	ordered := phasedConfig(store, false,
		phasedDeployment("staging", "staging", url, "")+
			phasedDeployment("prod", "prod1", url, "depends_on = [ocuroot_deployment.staging]"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config: prodOnly,
				ExpectError: diagPattern(`Deployment Blocked By Phase Order ... release api@1 cannot be deployed to "prod1" (phase 2 "prod") yet: ` +
					`it is not live in "staging" of earlier phases, and nothing is rolling it out there. ... (depends_on = [ocuroot_deployment.<earlier phase>])`),
			},
			// Refused before anything moved: nothing was sent, and the
			// deployment is not left in state.
			proposedAgain(prodOnly,
				plancheck.ExpectResourceAction("ocuroot_deployment.prod", plancheck.ResourceActionCreate),
				planCheckTarget(target, expectEvents()),
			),
			{
				Config:            ordered,
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.prod", "succeeded", "api@1", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, func(target *demotarget.Target) error {
						staging, _ := acceptedCall(target, hookreceiver.EventDeploy, "staging")
						prod, _ := acceptedCall(target, hookreceiver.EventDeploy, "prod1")
						if got := eventLog(target); len(got) != 2 || staging.Time.IsZero() || prod.Time.IsZero() {
							return fmt.Errorf("want one deploy to staging and one to prod1, got %v", got)
						}
						if !staging.Time.Before(prod.Time) {
							return fmt.Errorf("prod1 was deployed at %s, before staging at %s", prod.Time, staging.Time)
						}
						return nil
					}),
				),
			},
		},
	})
}

// TestAccDeployment_leaseAcrossProviderInstances runs two provider
// instances (two engines, as two terraform processes would) on one embedded
// store file, each rolling out the same deployment at once. The lease lets
// one rollout run at a time: the target never sees their events
// interleaved, and a second run of the release that is already live does
// nothing. It drives the engines directly and needs no terraform binary.
func TestAccDeployment_leaseAcrossProviderInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	first, second := openProviderData(t, store), openProviderData(t, store)

	if _, err := first.engine.PutEnvironment(ctx, domain.Environment{Name: "prod0"}); err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"1", "2", "3"} {
		rel := domain.Release{Package: "api", Version: version, Phases: []domain.Phase{{Name: "prod", Environments: []string{"prod0"}}}}
		if _, err := second.engine.RegisterRelease(ctx, rel); err != nil {
			t.Fatal(err)
		}
	}
	spec := func(version string) domain.DeploymentSpec {
		return domain.DeploymentSpec{
			Package: "api", Environment: "prod0", Release: "api@" + version, Strategy: domain.StrategyCanary,
			Canary: domain.CanarySpec{CheckInterval: 100 * time.Millisecond, Steps: []domain.CanaryStep{
				{Weight: 20, Bake: 500 * time.Millisecond}, {Weight: 60, Bake: 500 * time.Millisecond},
			}},
			Hook:        &domain.HookConfig{URL: url + "/hooks", Retry: domain.RetryConfig{Attempts: 2, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}},
			HealthCheck: &domain.HealthCheck{URL: url + "/health/{package}/{environment}/{slot}/{version}", Interval: 100 * time.Millisecond},
		}
	}
	if _, err := first.engine.Deploy(ctx, engine.DeployRequest{Spec: spec("1")}); err != nil {
		t.Fatalf("first deployment: %v", err)
	}
	canaryOf := func(release string) []string {
		return []string{"canary.weight:20:canary:" + release, "canary.weight:60:canary:" + release, "promote:100:stable:" + release}
	}

	t.Run("same release twice", func(t *testing.T) {
		results := deployConcurrently(t, [2]*providerData{first, second}, [2]domain.DeploymentSpec{spec("2"), spec("2")})
		for i, d := range results {
			if d.LiveRelease != "api@2" || d.Status != domain.StatusSucceeded {
				t.Errorf("run %d returned %s live %q, want succeeded with api@2 live", i+1, d.Status, d.LiveRelease)
			}
		}
		// One rollout ran; the other found api@2 live once it had the lease.
		if err := expectRollouts(target, [][]string{canaryOf("api@2")}); err != nil {
			t.Error(err)
		}
	})

	t.Run("two releases", func(t *testing.T) {
		before := len(target.HookEvents())
		results := deployConcurrently(t, [2]*providerData{first, second}, [2]domain.DeploymentSpec{spec("3"), spec("1")})
		events := rolloutEvents(target.HookEvents()[before:])
		// Both are new releases: both roll out in full, one after the
		// other, and the one that ran last is live.
		last := "api@1"
		if len(events) > 0 && events[0].text == canaryOf("api@1")[0] {
			last = "api@3"
		}
		firstRun, secondRun := canaryOf("api@3"), canaryOf("api@1")
		if last == "api@3" {
			firstRun, secondRun = secondRun, firstRun
		}
		if err := expectRolloutGroups(events, [][]string{firstRun, secondRun}); err != nil {
			t.Error(err)
		}
		if err := expectLive(target, "api", "prod0", last, map[string]int{last: 100}); err != nil {
			t.Error(err)
		}
		for i, d := range results {
			if d.Status != domain.StatusSucceeded {
				t.Errorf("run %d returned %s", i+1, d.Status)
			}
		}
	})

	if lease, _, err := first.engine.Store().KV().Get(ctx, "lease", "api/prod0"); err == nil {
		t.Errorf("the lease is still held after both runs: %s", lease)
	}
}

// openProviderData opens a provider's engine on the store file, as one
// terraform process would.
func openProviderData(t *testing.T, store string) *providerData {
	t.Helper()
	pd, err := newProviderData(context.Background(), Options{}, providerSettings{location: "file://" + store, hookSecret: testHookSecret, credentialsKnown: true})
	if err != nil {
		t.Fatalf("open provider data on %s: %v", store, err)
	}
	t.Cleanup(func() { _ = pd.engine.Store().KV().Close() })
	return pd
}

// deployConcurrently starts both deploys at the same moment and waits for
// both; each must succeed.
func deployConcurrently(t *testing.T, pds [2]*providerData, specs [2]domain.DeploymentSpec) [2]*domain.Deployment {
	t.Helper()
	var results [2]*domain.Deployment
	var errs [2]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range pds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			results[i], errs[i] = pds[i].engine.Deploy(ctx, engine.DeployRequest{Spec: specs[i]})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d (%s): %v", i+1, specs[i].Release, err)
		}
		if results[i] == nil {
			t.Fatalf("run %d (%s) returned no deployment", i+1, specs[i].Release)
		}
	}
	return results
}

// rolloutEvent is one accepted event with the rollout it belongs to.
type rolloutEvent struct {
	rollout string
	text    string // type:weight:slot:release
}

func rolloutEvents(calls []demotarget.Call) []rolloutEvent {
	out := make([]rolloutEvent, 0, len(calls))
	for _, c := range calls {
		out = append(out, rolloutEvent{c.Event.RolloutID, fmt.Sprintf("%s:%d:%s:%s", c.Event.Type, c.Event.Weight, c.Event.Slot, c.Event.Release)})
	}
	return out
}

// expectRollouts checks the canary rollouts after the first deployment.
func expectRollouts(target *demotarget.Target, want [][]string) error {
	events := rolloutEvents(target.HookEvents())
	if len(events) == 0 || events[0].text != "deploy:100:stable:api@1" {
		return fmt.Errorf("first event is not the deploy of api@1: %v", events)
	}
	return expectRolloutGroups(events[1:], want)
}

// expectRolloutGroups checks that events form contiguous runs, one per
// rollout id (never two rollouts interleaved), with the wanted contents.
func expectRolloutGroups(events []rolloutEvent, want [][]string) error {
	var groups [][]string
	var ids []string
	for _, ev := range events {
		if len(ids) == 0 || ids[len(ids)-1] != ev.rollout {
			if slices.Contains(ids, ev.rollout) {
				return fmt.Errorf("events of rollout %s are interleaved with another rollout's: %v", ev.rollout, events)
			}
			ids = append(ids, ev.rollout)
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], ev.text)
	}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		return fmt.Errorf("rollouts seen by the target:\n got  %v\n want %v", groups, want)
	}
	return nil
}
