package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// A real PostgreSQL store stopped in the middle of a canary bake. The
// server is stopped (and started again) from the target's health handler,
// while the engine waits for that probe's answer, so the outage begins and
// ends at a chosen check round however fast the fake clock runs.

// outageDeployConfig is a canary of 20% then 50%, each baking 5m, on the
// PostgreSQL store at storeURL; with the 15s health interval of
// deployConfig that is 20 check rounds per bake. The probe timeout leaves
// room for a server restart inside a probe.
func outageDeployConfig(t *testing.T, storeURL, targetURL, release string) string {
	t.Helper()
	const interval = `interval = "15s"`
	cfg := postgresDeployConfig(t, storeURL, targetURL, release, canaryTwoBakes)
	if !strings.Contains(cfg, interval) {
		t.Fatal("outageDeployConfig: deployConfig no longer sets the health interval this helper extends")
	}
	return strings.Replace(cfg, interval, interval+"\n    timeout  = \"30s\"", 1)
}

// storeSwitch stops the PostgreSQL server at the stopAt-th health probe of
// the api@2 canary and, when startAt > 0, starts it again at the
// startAt-th, before the probe is answered.
type storeSwitch struct {
	t       *testing.T
	server  *enginetest.PostgresServer
	stopAt  int
	startAt int

	mu     sync.Mutex
	probes int
}

func (s *storeSwitch) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/health/api/prod0/canary/2" {
			s.mu.Lock()
			s.probes++
			n := s.probes
			s.mu.Unlock()
			var err error
			switch n {
			case s.stopAt:
				err = s.server.Stop()
			case s.startAt:
				err = s.server.Start()
			}
			if err != nil {
				s.t.Errorf("canary probe %d: %v", n, err)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// startOutageTarget starts a recording target whose canary probes switch
// the store as sw says.
func startOutageTarget(t *testing.T, sw *storeSwitch) (*demotarget.Target, string) {
	t.Helper()
	target := demotarget.New(demotarget.Options{Secret: testHookSecret})
	srv := httptest.NewServer(sw.wrap(target.Handler()))
	t.Cleanup(func() {
		target.Close()
		srv.Close()
	})
	return target, srv.URL
}

// noKeyReusedForAnotherEvent fails when two hook calls carry the same
// Idempotency-Key but not the same event (attempt and time aside): a
// receiver that deduplicates would answer the second with the first's
// result, and a strict one would refuse it.
func noKeyReusedForAnotherEvent(target *demotarget.Target) error {
	first := map[string]hookreceiver.Event{}
	for _, c := range target.Calls() {
		ev := c.Event
		ev.Attempt, ev.Time = 0, time.Time{}
		if earlier, ok := first[c.IdempotencyKey]; ok && !reflect.DeepEqual(earlier, ev) {
			return fmt.Errorf("Idempotency-Key %s was sent with two different events:\n  %+v\n  %+v", c.IdempotencyKey, earlier, ev)
		}
		first[c.IdempotencyKey] = ev
	}
	return nil
}

// storeHistoryHas checks that the store's history of api/prod0 holds a
// reason containing text.
func storeHistoryHas(storeURL, text string) func() error {
	return func() error {
		ctx := context.Background()
		kv, _, err := kvstore.OpenKV(ctx, storeURL, "")
		if err != nil {
			return err
		}
		defer kv.Close()
		eng := engine.New(engine.Options{Store: records.NewStore(kv)})
		d, err := eng.GetDeployment(ctx, "api/prod0")
		if err != nil {
			return err
		}
		history, err := eng.HistoryOf(ctx, d, 0)
		if err != nil {
			return err
		}
		var reasons []string
		for _, tr := range history {
			if strings.Contains(tr.Reason, text) {
				return nil
			}
			reasons = append(reasons, tr.Reason)
		}
		return fmt.Errorf("the store's history of api/prod0 has no %q:\n%s", text, strings.Join(reasons, "\n"))
	}
}

// TestAccDeployment_postgresOutageLongerThanTheBound: PostgreSQL stops at
// the third check round of the bake at 20% and stays down. The apply keeps
// checking for two minutes, then rolls back (on_timeout = "rollback") and
// says the store could not record it. Once PostgreSQL is back, the next
// apply records that rollback by sending the same event under the same
// key, then rolls api@2 out again; no key is ever reused for another event.
func TestAccDeployment_postgresOutageLongerThanTheBound(t *testing.T) {
	t.Parallel()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance tests are skipped unless %s is set", resource.EnvTfAcc)
	}
	pg := enginetest.StartOwnPostgres(t)
	sw := &storeSwitch{t: t, server: pg, stopAt: 3}
	target, url := startOutageTarget(t, sw)
	const (
		deployed  = "deploy:100:stable"
		canary20  = "canary.weight:20:canary"
		canary50  = "canary.weight:50:canary"
		rollback  = "rollback:0:canary"
		promoted  = "promote:100:stable"
		storeDown = "The store could not record this"
	)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, pg.URL()),
		Steps: []resource.TestStep{
			{
				Config:            outageDeployConfig(t, pg.URL(), url, "1"),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@1", "", 100),
			},
			{
				Config: outageDeployConfig(t, pg.URL(), url, "2"),
				ExpectError: diagnosticRegexp("Deployment Rolled Back",
					"rollout of api@2 to api/prod0 failed at canary step 1 of 2 (weight 20%, bake 5m): the store could not be reached for 2m0s while baking at 20% traffic",
					"Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.",
					storeDown, "it still shows the rollout running at canary step 1 of 2 (weight 20%, bake 5m) with 20% of traffic.",
					"The next apply sends the same rollback hook again, with the same Idempotency-Key"),
				Check: checkTarget(target, served("api@1", map[string]int{"api@1": 100}, deployed, canary20, rollback)),
			},
			{
				PreConfig: func() {
					if err := pg.Start(); err != nil {
						t.Fatal(err)
					}
				},
				Config: outageDeployConfig(t, pg.URL(), url, "2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						planCheckTarget(target, served("api@1", map[string]int{"api@1": 100}, deployed, canary20, rollback)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
					storeCheck(storeHistoryHas(pg.URL(), "recording the rollback an earlier run sent while the store could not be reached"))),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100}, deployed, canary20, rollback, canary20, canary50, promoted)),
					checkTarget(target, repeatedOnce(hookreceiver.EventRollback)),
					checkTarget(target, noKeyReusedForAnotherEvent),
				),
			},
		},
	})
}

// TestAccDeployment_postgresOutageShorterThanTheBound: PostgreSQL stops at
// the third check round of the bake at 20% and is back at the sixth. The
// apply rides it out: the bake goes on with its checks, and the rollout
// completes as if nothing happened, the outage noted in the history.
func TestAccDeployment_postgresOutageShorterThanTheBound(t *testing.T) {
	t.Parallel()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance tests are skipped unless %s is set", resource.EnvTfAcc)
	}
	pg := enginetest.StartOwnPostgres(t)
	sw := &storeSwitch{t: t, server: pg, stopAt: 3, startAt: 6}
	target, url := startOutageTarget(t, sw)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, pg.URL()),
		Steps: []resource.TestStep{
			{
				Config:           outageDeployConfig(t, pg.URL(), url, "1"),
				ConfigPlanChecks: emptyPlanAfterApply,
			},
			{
				Config:           outageDeployConfig(t, pg.URL(), url, "2"),
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
					storeCheck(storeHistoryHas(pg.URL(), "the store could not be reached for 45s; traffic was held at 20% and 3 check round(s) ran meanwhile (0 failed)"))),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, served("api@2", map[string]int{"api@2": 100},
						"deploy:100:stable", "canary.weight:20:canary", "canary.weight:50:canary", "promote:100:stable")),
					checkTarget(target, noKeyReusedForAnotherEvent),
				),
			},
		},
	})
}

// repeatedOnce checks that the target saw exactly one repeat (a call with
// an Idempotency-Key that had already succeeded), of the given event type.
func repeatedOnce(eventType string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		var repeats []string
		for _, c := range target.Calls() {
			if c.Duplicate {
				repeats = append(repeats, c.Event.Type+" "+c.IdempotencyKey)
			}
		}
		if len(repeats) != 1 || !strings.HasPrefix(repeats[0], eventType+" ") {
			return fmt.Errorf("repeated calls %v, want one repeat of %s", repeats, eventType)
		}
		return nil
	}
}
