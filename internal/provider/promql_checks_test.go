package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// Canary analysis against a real Prometheus: each test starts its own
// server scraping its own demo target every second (enginetest), and the
// engine runs on the wall clock (onRealClock) because the data a check
// reads only appears as real scrapes happen. Bakes are a few seconds and
// checks run every second; nothing asserts how long a step took, and the
// no_data = "inconclusive" policy with a generous limit lets the first
// rounds of a canary come before its first samples on a loaded machine.

// The queries, as the guide "Canary analysis with Prometheus" writes them.
const (
	errorRateQuery = `sum(rate(demo_requests_total{package="{package}",environment="{environment}",version="{version}",status=~"5.."}[5s]))` +
		` / sum(rate(demo_requests_total{package="{package}",environment="{environment}",version="{version}"}[5s]))`
	p99LatencyQuery = `histogram_quantile(0.99, sum by (le) (rate(demo_request_duration_seconds_bucket{package="{package}",environment="{environment}",version="{version}"}[5s])))`
)

// startPrometheusTarget starts a demo target and a Prometheus scraping it.
func startPrometheusTarget(t *testing.T) (*demotarget.Target, string, *enginetest.Prometheus) {
	t.Helper()
	target, targetURL := startTarget(t)
	u, err := url.Parse(targetURL)
	if err != nil {
		t.Fatal(err)
	}
	return target, targetURL, enginetest.StartPrometheus(t, u.Host)
}

// promQLConfig is deployConfig with the provider's prometheus and no
// health check: the PromQL checks in settings are all that judge a slot.
func promQLConfig(store, targetURL, promURL, release, settings string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
  prometheus = {
    url     = %q
    timeout = "5s"
  }
}

resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

`+apiReleasesInProd0("1", "2")+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%s.id
  hook {
    url = "%s/hooks"
  }
%s
}
`+historyOf("api"), store, testHookSecret, promURL, release, targetURL, settings)
}

// promQLCheck renders a check block; extra holds its bounds and policies.
func promQLCheck(name, query, extra string) string {
	return fmt.Sprintf(`
  check {
    name  = %q
    query = %q
%s
  }
`, name, query, extra)
}

// canaryAnalysis is a canary of one 20%% step baking bake, checked every
// second, on the error rate (at most 5%%) and on the p99 latency (under a
// second, and no more than 10%% above stable's).
func canaryAnalysis(bake string, threshold int) string {
	return fmt.Sprintf(`
  strategy = "canary"
  canary {
    check_interval    = "1s"
    failure_threshold = %d
    step {
      weight = 20
      bake   = %q
    }
  }
`, threshold, bake) +
		promQLCheck("error_rate", errorRateQuery, `    max                = 0.05
    no_data            = "inconclusive"
    inconclusive_limit = 30`) +
		promQLCheck("p99_latency", p99LatencyQuery, `    max                = 1
    no_data            = "inconclusive"
    inconclusive_limit = 30
    compare_to_stable  = { margin_percent = 10 }`)
}

// waitForStableData waits, before a rollout, until Prometheus has the
// stable release's rates: the comparison needs them from the first round.
func waitForStableData(t *testing.T, prom *enginetest.Prometheus) {
	t.Helper()
	stable := strings.NewReplacer("{package}", "api", "{environment}", "prod0", "{version}", "1").Replace(p99LatencyQuery)
	prom.WaitForValue(t, stable, time.Minute)
}

// TestAccPromQL_healthyCanaryPromoted: a canary as fast and as correct as
// stable is promoted on PromQL checks; the plan names the analysis, and the
// bake's history entry shows the canary's and stable's p99 side by side.
func TestAccPromQL_healthyCanaryPromoted(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, targetURL, prom := startPrometheusTarget(t)
	settings := canaryAnalysis("3s", 2)
	resource.Test(t, resource.TestCase{
		// Real scrapes must happen while the bake runs.
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock),
		Steps: []resource.TestStep{
			{Config: promQLConfig(store, targetURL, prom.URL, "1", settings)},
			{
				PreConfig: func() { waitForStableData(t, prom) },
				Config:    promQLConfig(store, targetURL, prom.URL, "2", settings),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"), knownvalue.StringExact(
						"canary 20% bake 3s [analysis: error_rate, p99_latency vs stable] → promote to 100% (bakes and delays: 3s)")),
				}},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:20:canary", "promote:100:stable")),
					historyContains("api", "0 failed"),
					historyContains("api", "last comparison with stable: p99_latency = 0.09975, at or below max 1; stable = 0.09975: equal, within the 10% margin"),
				),
			},
		},
	})
}

// TestAccPromQL_errorsRollBack: a canary failing 20% of its requests is
// rolled back, the diagnostic quoting the error rate Prometheus computed.
func TestAccPromQL_errorsRollBack(t *testing.T) {
	t.Parallel()
	canaryRolledBack(t, func(target *demotarget.Target) { target.SetErrorShare("2", 0.2) },
		`check "error_rate" failed 2 consecutive time(s) (failure_threshold 2) while baking at 20% traffic; last: error_rate = 0.2, above max 0.05.`)
}

// TestAccPromQL_slowerThanStableRollsBack: a canary 1.5 times slower than
// stable is rolled back by the comparison, while its absolute bound (a p99
// under a second) passes, as the diagnostic shows.
func TestAccPromQL_slowerThanStableRollsBack(t *testing.T) {
	t.Parallel()
	canaryRolledBack(t, func(target *demotarget.Target) { target.SlowDown("2", 1.5) },
		`check "p99_latency" failed 2 consecutive time(s) (failure_threshold 2) while baking at 20% traffic; `+
			`last: p99_latency = 0.14975, at or below max 1; stable = 0.09975: 50.1% higher (+0.05), more than the 10% margin.`)
}

// canaryRolledBack deploys api@1, makes version 2 worse with worsen, and
// expects the canary of api@2 rolled back for reason, and the update
// proposed again.
func canaryRolledBack(t *testing.T, worsen func(*demotarget.Target), reason string) {
	t.Helper()
	store := newTestStorePath(t)
	target, targetURL, prom := startPrometheusTarget(t)
	settings := canaryAnalysis("30s", 2)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock), // real scrapes during the bake
		Steps: []resource.TestStep{
			{Config: promQLConfig(store, targetURL, prom.URL, "1", settings)},
			{
				PreConfig: func() {
					waitForStableData(t, prom)
					worsen(target)
				},
				Config: promQLConfig(store, targetURL, prom.URL, "2", settings),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@2 to api/prod0 failed at canary step 1 of 1 (weight 20%, bake 30s): ` +
					reason + ` Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`),
			},
			proposedAgain(promQLConfig(store, targetURL, prom.URL, "2", settings),
				planCheckTarget(target, expectEvents("deploy:100:stable", "canary.weight:20:canary", "rollback:0:canary"))),
		},
	})
}

// TestAccPromQL_noData: a canary nobody calls has no series. By default
// the first round without data fails; under the inconclusive policy rounds
// without data count towards nothing until its limit, then fail; and once
// the canary serves requests, the inconclusive rounds give way to passing
// ones and it is promoted.
func TestAccPromQL_noData(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, targetURL, prom := startPrometheusTarget(t)
	canary := func(noData string) string {
		return `
  strategy = "canary"
  canary {
    check_interval    = "1s"
    failure_threshold = 1
    step {
      weight = 20
      bake   = "2s"
    }
  }
` + promQLCheck("error_rate", errorRateQuery, "    max = 0.05\n"+noData)
	}
	failPolicy := canary("")
	inconclusive := canary("    no_data = \"inconclusive\"\n    inconclusive_limit = 2")
	patient := canary("    no_data = \"inconclusive\"\n    inconclusive_limit = 60")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock), // real scrapes during the bake
		Steps: []resource.TestStep{
			{Config: promQLConfig(store, targetURL, prom.URL, "1", failPolicy)},
			{
				PreConfig: func() {
					waitForStableData(t, prom)
					target.MuteTraffic("2", true)
				},
				Config: promQLConfig(store, targetURL, prom.URL, "2", failPolicy),
				ExpectError: diagPattern(`Deployment Rolled Back ... check "error_rate" failed 1 consecutive time(s) (failure_threshold 1) while baking at 20% traffic; ` +
					`last: no data: the query returned no series for the canary slot (no traffic yet, or no series match its labels): ` +
					`sum(rate(demo_requests_total{package="api",environment="prod0",version="2",status=~"5.."}[5s]))`),
			},
			{
				Config: promQLConfig(store, targetURL, prom.URL, "2", inconclusive),
				ExpectError: diagPattern(`Deployment Rolled Back ... check "error_rate" failed 1 consecutive time(s) (failure_threshold 1) while baking at 20% traffic; ` +
					`last: inconclusive for 3 rounds in a row, more than its inconclusive_limit of 2, so this round counts as failed; no data: the query returned no series`),
			},
			{
				PreConfig: func() { target.MuteTraffic("2", false) },
				Config:    promQLConfig(store, targetURL, prom.URL, "2", patient),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("ocuroot_deployment.api", "live_release", "api@2"),
					historyContains("api", "inconclusive (no data)"),
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:20:canary", "rollback:0:canary",
						"canary.weight:20:canary", "rollback:0:canary", "canary.weight:20:canary", "promote:100:stable")),
				),
			},
		},
	})
}

// TestAccPromQL_prometheusStoppedMidBake: Prometheus going away while a
// canary bakes is a failed round, never a pass, whatever the no-data
// policy: the canary is rolled back and the diagnostic says Prometheus was
// unreachable.
func TestAccPromQL_prometheusStoppedMidBake(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, targetURL, prom := startPrometheusTarget(t)
	settings := canaryAnalysis("5m", 2)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock), // real scrapes during the bake
		Steps: []resource.TestStep{
			{Config: promQLConfig(store, targetURL, prom.URL, "1", settings)},
			{
				PreConfig: func() {
					waitForStableData(t, prom)
					stopAfterQueries(t, prom, 4)
				},
				Config: promQLConfig(store, targetURL, prom.URL, "2", settings),
				ExpectError: diagPattern(`Deployment Rolled Back ... failed at canary step 1 of 1 (weight 20%, bake 5m): ` +
					`check "error_rate" failed 2 consecutive time(s) (failure_threshold 2) while baking at 20% traffic; ` +
					`last: Prometheus unreachable: ` + prom.URL + `: dial tcp ... connection refused. ` +
					`Rolled back: the rollback hook was accepted and 100% of traffic is back on api@1.`),
			},
			proposedAgain(promQLConfig(store, targetURL, prom.URL, "2", settings),
				planCheckTarget(target, expectEvents("deploy:100:stable", "canary.weight:20:canary", "rollback:0:canary"))),
		},
	})
}

// stopAfterQueries stops prom, in the background, once it has answered n
// more queries than now: the rollout's first rounds ran, and its bake has
// minutes to go.
func stopAfterQueries(t *testing.T, prom *enginetest.Prometheus, n int) {
	t.Helper()
	before, err := prom.QueryCount()
	if err != nil {
		t.Fatalf("reading Prometheus's query count: %v", err)
	}
	go func() {
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			if count, err := prom.QueryCount(); err == nil && count >= before+n {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		prom.Stop()
	}()
}

// TestAccPromQL_blueGreenPrePromotion: green, with preview traffic only, is
// judged against blue by a pre-promotion PromQL check before the cutover.
func TestAccPromQL_blueGreenPrePromotion(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, targetURL, prom := startPrometheusTarget(t)
	settings := `
  strategy = "blue_green"
  blue_green {
    check_interval    = "1s"
    failure_threshold = 2
` + strings.ReplaceAll(promQLCheck("error_rate", errorRateQuery, `    max                = 0.05
    no_data            = "inconclusive"
    inconclusive_limit = 30`), "  check {", "  pre_promotion_check {") +
		strings.ReplaceAll(promQLCheck("p99_latency", p99LatencyQuery, `    no_data            = "inconclusive"
    inconclusive_limit = 30
    compare_to_stable  = { margin_percent = 10, margin = 0.001 }`), "  check {", "  pre_promotion_check {") + `
  }
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store, onRealClock), // real scrapes before the cutover
		Steps: []resource.TestStep{
			{Config: promQLConfig(store, targetURL, prom.URL, "1", settings)},
			{
				PreConfig: func() { waitForStableData(t, prom) },
				Config:    promQLConfig(store, targetURL, prom.URL, "2", settings),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("rollout_plan"), knownvalue.StringExact(
						"create green → wait until green is healthy → pre-promotion check [analysis: error_rate, p99_latency vs stable] → cutover to green → drain blue")),
				}},
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "green.create:0:green", "cutover:100:green", "blue.drain:100:blue")),
					historyContains("api", "2 pre-promotion check(s) passed"),
					historyContains("api", "p99_latency = 0.09975; stable = 0.09975: equal, within the larger of the 10% and 0.001 margins (0.009975)"),
				),
			},
		},
	})
}

// TestAccPromQL_credentialFromTheProviderBlock: queries to the provider's
// Prometheus carry the headers of its named credential, on every round,
// and the token appears nowhere in the state; a credential the block does
// not define is refused at plan time on its path.
func TestAccPromQL_credentialFromTheProviderBlock(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	_, targetURL := startTarget(t)
	var mu sync.Mutex
	var queries int
	var unauthenticated []string
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries++
		if r.Header.Get("Authorization") != "Bearer prom-t0ken" {
			unauthenticated = append(unauthenticated, r.URL.Path)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.01"]}]}}`))
	}))
	defer prom.Close()
	config := func(release, credential string) string {
		return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
  credentials = {
    metrics = { headers = { Authorization = "Bearer prom-t0ken" } }
  }
  prometheus = {
    url        = %q
    credential = %q
  }
}

resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

`+apiReleasesInProd0("1", "2")+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%s.id
  hook {
    url = "%s/hooks"
  }
  strategy = "canary"
  canary {
    check_interval = "1m"
    step {
      weight = 10
      bake   = "5m"
    }
  }
%s
}
`, store, testHookSecret, prom.URL, credential, release, targetURL,
			promQLCheck("error_rate", errorRateQuery, "    max = 0.05")+
				promQLCheck("p99_latency", p99LatencyQuery, "    compare_to_stable = { margin_percent = 10 }"))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:      config("1", "metrics-typo"),
				PlanOnly:    true,
				ExpectError: diagnosticRegexp("Unknown Credential", `No credential "metrics-typo" is defined in the provider block (defined: "metrics")`),
			},
			{Config: config("1", "metrics")},
			{
				Config:            config("2", "metrics"),
				ConfigStateChecks: expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
				Check: func(s *terraform.State) error {
					mu.Lock()
					defer mu.Unlock()
					// Five rounds of a 5m bake checked every minute: the
					// error rate, then the p99 of the canary and of stable.
					if queries != 15 || len(unauthenticated) > 0 {
						return fmt.Errorf("%d queries, %d without the credential; want 15, all with it", queries, len(unauthenticated))
					}
					for _, rs := range s.RootModule().Resources {
						for key, value := range rs.Primary.Attributes {
							if strings.Contains(value, "prom-t0ken") {
								return fmt.Errorf("%s.%s holds the token", rs.Type, key)
							}
						}
					}
					if raw, err := os.ReadFile(store); err != nil || strings.Contains(string(raw), "prom-t0ken") {
						return fmt.Errorf("the engine store holds the token (or cannot be read: %v)", err)
					}
					return nil
				},
			},
		},
	})
}
