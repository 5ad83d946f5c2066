package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// fakeQuerier answers PromQL queries from a script keyed by the slot the
// expanded query names (`slot="canary"`), and records every query.
type fakeQuerier struct {
	mu      sync.Mutex
	answers map[string][]domain.QueryAnswer // slot → answers in turn; the last one repeats
	asked   []domain.PromQuery
}

func newFakeQuerier() *fakeQuerier { return &fakeQuerier{answers: map[string][]domain.QueryAnswer{}} }

// script makes queries about slot answer these in turn, the last for good.
func (f *fakeQuerier) script(slot string, answers ...domain.QueryAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[slot] = answers
}

func (f *fakeQuerier) Query(_ context.Context, q domain.PromQuery) domain.QueryAnswer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, q)
	for slot, answers := range f.answers {
		if !strings.Contains(q.Query, `slot="`+slot+`"`) || len(answers) == 0 {
			continue
		}
		answer := answers[0]
		if len(answers) > 1 {
			f.answers[slot] = answers[1:]
		}
		return answer
	}
	return domain.QueryAnswer{Outcome: domain.QueryNoData}
}

func (f *fakeQuerier) queries() []domain.PromQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]domain.PromQuery(nil), f.asked...)
}

func sampleOf(v float64) domain.QueryAnswer {
	return domain.QueryAnswer{Outcome: domain.QuerySample, Value: v}
}

var noDataAnswer = domain.QueryAnswer{Outcome: domain.QueryNoData}

// promHarness is a harness whose engine queries a fakeQuerier, with the
// provider's Prometheus at http://prom.test:9090 and its credential.
func promHarness(t *testing.T) (*harness, *fakeQuerier) {
	t.Helper()
	querier := newFakeQuerier()
	h := newHarness(t)
	creds := map[string]domain.Credential{"hooks": testCredentials["hooks"], "metrics": {Headers: map[string]string{"Authorization": "Bearer prom-token"}}}
	h.e = h.engine(h.kv, Options{Querier: querier, Credentials: creds,
		Prometheus: domain.PrometheusServer{URL: "http://prom.test:9090", Credential: "metrics", Timeout: 3 * time.Second}})
	h.seedLive(1)
	return h, querier
}

// latencyQuery is the p99 of a slot's version, as the guide writes it.
const latencyQuery = `histogram_quantile(0.99, sum by (le) (rate(demo_request_duration_seconds_bucket{package="{package}",slot="{slot}",version="{version}"}[30s])))`

// promqlCanarySpec is a canary of one 10% step baking 5 minutes, checked
// every minute, failing after 2 rounds, on the p99 latency compared with
// stable.
func promqlCanarySpec() domain.DeploymentSpec {
	spec := testSpec(domain.StrategyCanary)
	spec.HealthCheck = nil
	spec.Canary = domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: 5 * time.Minute}}, CheckInterval: time.Minute, FailureThreshold: 2}
	spec.Checks = []domain.MetricCheck{{Name: "p99_latency", Max: floatPtr(1), PromQL: domain.PromQL{Query: latencyQuery,
		CompareToStable: &domain.StableComparison{MarginPercent: floatPtr(10)}}}}
	return spec
}

// TestPromQLCheck_canaryJudgedAgainstStable: every round asks the canary's
// query and the stable release's, with their slot and version, of the
// provider's Prometheus with its credential; the bake's history entry shows
// both values.
func TestPromQLCheck_canaryJudgedAgainstStable(t *testing.T) {
	h, querier := promHarness(t)
	querier.script(domain.SlotCanary, sampleOf(0.101))
	querier.script(domain.SlotStable, sampleOf(0.1))
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: promqlCanarySpec()})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	asked := querier.queries()
	if len(asked) != 10 {
		t.Fatalf("%d queries, want 2 for each of the 5 rounds", len(asked))
	}
	wantCanary := `histogram_quantile(0.99, sum by (le) (rate(demo_request_duration_seconds_bucket{package="api",slot="canary",version="2"}[30s])))`
	wantStable := `histogram_quantile(0.99, sum by (le) (rate(demo_request_duration_seconds_bucket{package="api",slot="stable",version="1"}[30s])))`
	if asked[0].Query != wantCanary || asked[1].Query != wantStable {
		t.Errorf("queries =\n %s\n %s\nwant\n %s\n %s", asked[0].Query, asked[1].Query, wantCanary, wantStable)
	}
	for _, q := range asked {
		if q.Server != "http://prom.test:9090" || q.Timeout != 3*time.Second || q.Headers["Authorization"] != "Bearer prom-token" {
			t.Fatalf("query sent to %s (timeout %s) with headers %v; want the provider's Prometheus, timeout and credential", q.Server, q.Timeout, q.Headers)
		}
	}
	if !h.historyHas(d, "baked 5m at 10%: 5 check round(s) passed, 0 failed; last comparison with stable: p99_latency = 0.101, at or below max 1; stable = 0.1: 1% higher (+0.001), within the 10% margin") {
		t.Errorf("history = %q, want the bake's entry to show the canary and stable values", h.historyReasons(d))
	}
}

// TestPromQLCheck_canaryWorseThanStableRollsBack: 1.5 times slower than
// stable fails the comparison although the absolute bound passes, and the
// reason shows both values.
func TestPromQLCheck_canaryWorseThanStableRollsBack(t *testing.T) {
	h, querier := promHarness(t)
	querier.script(domain.SlotCanary, sampleOf(0.15))
	querier.script(domain.SlotStable, sampleOf(0.1))
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: promqlCanarySpec()})
	rerr := asRolloutError(t, err)
	want := `check "p99_latency" failed 2 consecutive time(s) (failure_threshold 2) while baking at 10% traffic; last: ` +
		`p99_latency = 0.15, at or below max 1; stable = 0.1: 50% higher (+0.05), more than the 10% margin`
	if rerr.Reason != want || !rerr.RolledBack {
		t.Errorf("reason = %q\nwant %q", rerr.Reason, want)
	}
	assertEvents(t, h, "canary.weight 10 canary", "rollback 0 canary")
}

// TestPromQLCheck_noDataPolicies: no data fails a round by default; under
// the inconclusive policy it counts towards neither outcome, up to its
// limit, and a canary whose data arrives is promoted.
func TestPromQLCheck_noDataPolicies(t *testing.T) {
	errorRate := func(policy domain.NoDataPolicy, limit int) domain.DeploymentSpec {
		spec := promqlCanarySpec()
		spec.Canary.FailureThreshold = 1
		spec.Checks = []domain.MetricCheck{{Name: "error_rate", Max: floatPtr(0.05), PromQL: domain.PromQL{
			Query: `sum(rate(errors{slot="{slot}"}[1m])) / sum(rate(requests{slot="{slot}"}[1m]))`, NoData: policy, InconclusiveLimit: limit}}}
		return spec
	}

	t.Run("fail by default", func(t *testing.T) {
		h, querier := promHarness(t)
		querier.script(domain.SlotCanary, noDataAnswer)
		_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: errorRate("", 0)})
		rerr := asRolloutError(t, err)
		if !strings.Contains(rerr.Reason, `check "error_rate" failed 1 consecutive time(s) (failure_threshold 1) while baking at 10% traffic; last: no data: the query returned no series for the canary slot`) {
			t.Errorf("reason = %q, want the first round without data to fail", rerr.Reason)
		}
		if n := len(querier.queries()); n != 1 {
			t.Errorf("%d queries, want 1: the first round decides", n)
		}
	})

	t.Run("inconclusive until the data arrives", func(t *testing.T) {
		h, querier := promHarness(t)
		querier.script(domain.SlotCanary, noDataAnswer, domain.QueryAnswer{Outcome: domain.QuerySample, Value: nanValue()}, sampleOf(0.01))
		d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: errorRate(domain.NoDataInconclusive, 3)})
		if err != nil {
			t.Fatal(err)
		}
		assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
		// Two rounds had nothing to judge; the bake still needed its five
		// minutes, and its rounds after them passed.
		if !h.historyHas(d, "baked 5m at 10%: 3 check round(s) passed, 0 failed, 2 inconclusive (no data)") {
			t.Errorf("history = %q", h.historyReasons(d))
		}
		if d.Rollout.ChecksInconclusive != 2 || d.Rollout.ChecksFailed != 0 {
			t.Errorf("rollout counted %d inconclusive and %d failed rounds, want 2 and 0", d.Rollout.ChecksInconclusive, d.Rollout.ChecksFailed)
		}
	})

	t.Run("inconclusive past its limit fails", func(t *testing.T) {
		h, querier := promHarness(t)
		querier.script(domain.SlotCanary, noDataAnswer)
		_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: errorRate(domain.NoDataInconclusive, 2)})
		rerr := asRolloutError(t, err)
		want := `check "error_rate" failed 1 consecutive time(s) (failure_threshold 1) while baking at 10% traffic; last: ` +
			`inconclusive for 3 rounds in a row, more than its inconclusive_limit of 2, so this round counts as failed; no data: the query returned no series for the canary slot`
		if !strings.HasPrefix(rerr.Reason, want) {
			t.Errorf("reason = %q\nwant it to start %q", rerr.Reason, want)
		}
		if n := len(querier.queries()); n != 3 {
			t.Errorf("%d queries, want 3: two inconclusive rounds, then the failed one", n)
		}
	})
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// TestPromQLCheck_unreachablePrometheusIsNeverAPass: rounds that cannot ask
// Prometheus fail, whatever the no-data policy, and the reason says why.
func TestPromQLCheck_unreachablePrometheusIsNeverAPass(t *testing.T) {
	h, querier := promHarness(t)
	querier.script(domain.SlotCanary, sampleOf(0.1), domain.QueryAnswer{Outcome: domain.QueryUnreachable, Detail: "http://prom.test:9090: connect: connection refused"})
	querier.script(domain.SlotStable, sampleOf(0.1))
	spec := promqlCanarySpec()
	spec.Checks[0].NoData = domain.NoDataInconclusive
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	rerr := asRolloutError(t, err)
	want := `check "p99_latency" failed 2 consecutive time(s) (failure_threshold 2) while baking at 10% traffic; last: Prometheus unreachable: http://prom.test:9090: connect: connection refused`
	if rerr.Reason != want || !rerr.RolledBack {
		t.Errorf("reason = %q\nwant %q", rerr.Reason, want)
	}
	if d := h.deployment(testDepID); d.Rollout.ChecksPassed != 1 || d.Rollout.ChecksFailed != 2 {
		t.Errorf("rounds passed %d, failed %d; want 1 then 2", d.Rollout.ChecksPassed, d.Rollout.ChecksFailed)
	}
}

// TestPromQLCheck_blueGreenPrePromotion: a pre-promotion PromQL check
// compares green with blue; an inconclusive round uses none of its tries.
func TestPromQLCheck_blueGreenPrePromotion(t *testing.T) {
	h, querier := promHarness(t)
	querier.script(domain.SlotGreen, noDataAnswer, sampleOf(0.01))
	querier.script(domain.SlotBlue, sampleOf(0.01))
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.FailureThreshold = 1
	spec.BlueGreen.PrePromotionCheck = []domain.MetricCheck{{Name: "error_rate", Max: floatPtr(0.05), PromQL: domain.PromQL{
		Query: `errors{slot="{slot}",version="{version}"}`, NoData: domain.NoDataInconclusive,
		CompareToStable: &domain.StableComparison{Margin: floatPtr(0.01)}}}}
	d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	if !h.historyHas(d, "1 pre-promotion check(s) passed, 1 inconclusive (no data); last comparison with stable: error_rate = 0.01, at or below max 0.05; stable = 0.01: equal, within the margin of 0.01") {
		t.Errorf("history = %q", h.historyReasons(d))
	}
	asked := querier.queries()
	if len(asked) != 3 || !strings.Contains(asked[2].Query, `slot="blue",version="1"`) {
		t.Errorf("queries = %+v, want green (no data), then green and blue version 1", asked)
	}
}

// TestPromQLCheck_ownAddressAndCredential: a check with its own address
// does not borrow the provider's credential; one naming a credential uses
// it.
func TestPromQLCheck_ownAddressAndCredential(t *testing.T) {
	h, querier := promHarness(t)
	querier.script(domain.SlotCanary, sampleOf(0.1))
	querier.script(domain.SlotStable, sampleOf(0.1))
	spec := promqlCanarySpec()
	spec.Checks[0].Prometheus = "http://other-prom.test:9090"
	second := spec.Checks[0]
	second.Name, second.Credential = "named", "metrics"
	spec.Checks = append(spec.Checks, second)
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	asked := querier.queries()
	if asked[0].Server != "http://other-prom.test:9090" || len(asked[0].Headers) != 0 {
		t.Errorf("first check asked %s with %v, want its own server without the provider's credential", asked[0].Server, asked[0].Headers)
	}
	if asked[2].Server != "http://other-prom.test:9090" || asked[2].Headers["Authorization"] != "Bearer prom-token" {
		t.Errorf("second check asked %s with %v, want its own server with its named credential", asked[2].Server, asked[2].Headers)
	}
}

// TestPromQLCheck_noPrometheusRefusesBeforeSending: a run whose
// configuration names no Prometheus refuses a rollout with a PromQL check
// before any hook, like a missing credential.
func TestPromQLCheck_noPrometheusRefusesBeforeSending(t *testing.T) {
	h, querier := promHarness(t)
	h.e = h.engine(h.kv, Options{Querier: querier})
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: promqlCanarySpec()})
	var missing *domain.MissingPrometheusError
	if !errors.As(err, &missing) || missing.Block != `check "p99_latency"` || missing.Deployment != testDepID {
		t.Fatalf("err = %v (%T), want a *MissingPrometheusError naming the check", err, err)
	}
	if !strings.Contains(err.Error(), "nothing was sent and no traffic moved") {
		t.Errorf("message = %q", err)
	}
	assertEvents(t, h)
}

// TestRolloutSummary_namesTheAnalysis: the plan line names the checks each
// step runs, and which compare with stable.
func TestRolloutSummary_namesTheAnalysis(t *testing.T) {
	spec := promqlCanarySpec()
	spec.Checks = append(spec.Checks, domain.MetricCheck{Name: "error_rate", Max: floatPtr(0.05), PromQL: domain.PromQL{Query: "x"}})
	got := rollout.RolloutSummary(resolvedForPlanning(spec), true)
	want := "canary 10% bake 5m [analysis: p99_latency vs stable, error_rate] → promote to 100% (bakes and delays: 5m0s)"
	if got != want {
		t.Errorf("RolloutSummary = %q\nwant %q", got, want)
	}
	bg := testSpec(domain.StrategyBlueGreen)
	bg.BlueGreen.PromotionDelay = time.Minute
	bg.Checks = []domain.MetricCheck{{Name: "error_rate", Max: floatPtr(0.05), PromQL: domain.PromQL{Query: "x"}}}
	bg.BlueGreen.PrePromotionCheck = []domain.MetricCheck{{Name: "p99", Max: floatPtr(1), PromQL: domain.PromQL{Query: "x", CompareToStable: &domain.StableComparison{Margin: floatPtr(0.1)}}}}
	got = rollout.RolloutSummary(resolvedForPlanning(bg), true)
	want = "create green → wait until green is healthy → promotion delay 1m [analysis: error_rate] → pre-promotion check [analysis: p99 vs stable] → cutover to green → drain blue (bakes and delays: 1m0s)"
	if got != want {
		t.Errorf("RolloutSummary = %q\nwant %q", got, want)
	}
}
