package engine_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/hookhttp"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/promquery"
)

// promQLRoundBudget is what a check round of three PromQL checks may add
// over the time its queries take on their own.
const promQLRoundBudget = 50 * time.Millisecond

// benchPrometheus is a loopback stand-in for Prometheus's query API that
// answers every query with one sample, as fast as it can: what remains of
// a round's time is the engine's and the client's.
func benchPrometheus(b *testing.B) (*httptest.Server, *atomic.Int64) {
	b.Helper()
	var queries atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries.Add(1)
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.01"]}]}}`)
	}))
	b.Cleanup(srv.Close)
	return srv, &queries
}

// BenchmarkPromQLCheckRound runs a canary bake of 50 check rounds, each of
// three PromQL checks (an error rate, a success rate, and a p99 compared
// with stable: four queries), against a loopback Prometheus API, on the
// embedded store, with waits on a fake clock so only the work is timed.
// The same queries are then sent with a bare HTTP client: the difference,
// per round, is what the engine adds (placeholders, the client_golang
// client and its decoding, judging, persisting the round).
// Goal: at most 50 ms per round over the queries' own latency.
func BenchmarkPromQLCheckRound(b *testing.B) {
	const rounds = 50
	target := benchTarget(b)
	prom, queries := benchPrometheus(b)
	ctx := context.Background()
	checks := []domain.MetricCheck{
		{Name: "error_rate", Max: ptr(0.05), PromQL: domain.PromQL{
			Query: `sum(rate(http_requests_total{app="{package}",version="{version}",code=~"5.."}[1m])) / sum(rate(http_requests_total{app="{package}",version="{version}"}[1m]))`}},
		{Name: "success_rate", Min: ptr(0.0), PromQL: domain.PromQL{
			Query: `sum(rate(http_requests_total{app="{package}",version="{version}",code!~"5.."}[1m])) / sum(rate(http_requests_total{app="{package}",version="{version}"}[1m]))`}},
		{Name: "p99", Max: ptr(1), PromQL: domain.PromQL{
			Query:           `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="{package}",slot="{slot}",version="{version}"}[1m])))`,
			CompareToStable: &domain.StableComparison{MarginPercent: ptr(10)}}},
	}
	var engineTime, queryTime time.Duration
	var roundsRun int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := engine.New(engine.Options{
			Store: benchEngine(b).Store(), Clock: enginetest.NewAutoClock(time.Now()),
			Hooks: hookhttp.NewSender(nil), Checker: hookhttp.NewChecker(), DefaultHookSecret: "bench-secret",
			Querier: promquery.New(), Prometheus: domain.PrometheusServer{URL: prom.URL, Timeout: 5 * time.Second},
		})
		if _, err := e.PutEnvironment(ctx, domain.Environment{Name: "prod"}); err != nil {
			b.Fatal(err)
		}
		for _, v := range []string{"1", "2"} {
			if _, err := e.RegisterRelease(ctx, domain.Release{Package: "web", Version: v, Phases: []domain.Phase{{Name: "prod", Environments: []string{"prod"}}}}); err != nil {
				b.Fatal(err)
			}
		}
		spec := domain.DeploymentSpec{Package: "web", Environment: "prod", Release: "web@1", Hook: &domain.HookConfig{URL: target.URL + "/hook"}}
		if _, err := e.Deploy(ctx, engine.DeployRequest{Spec: spec}); err != nil {
			b.Fatal(err)
		}
		spec.Release, spec.Strategy, spec.Checks = "web@2", domain.StrategyCanary, checks
		spec.Canary = domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: rounds * time.Minute}}, CheckInterval: time.Minute}
		queries.Store(0)

		b.StartTimer()
		started := time.Now()
		if _, err := e.Deploy(ctx, engine.DeployRequest{Spec: spec}); err != nil {
			b.Fatal(err)
		}
		engineTime += time.Since(started)
		b.StopTimer()
		if got := queries.Load(); got != rounds*4 {
			b.Fatalf("%d queries, want 4 in each of %d rounds", got, rounds)
		}
		roundsRun += rounds
		queryTime += bareQueries(b, prom.URL, rounds*4)
	}
	perRound := engineTime / time.Duration(roundsRun)
	queriesPerRound := queryTime / time.Duration(roundsRun)
	overhead := perRound - queriesPerRound
	b.ReportMetric(float64(perRound.Microseconds())/1000, "ms/round")
	b.ReportMetric(float64(queriesPerRound.Microseconds())/1000, "query-ms/round")
	b.ReportMetric(float64(overhead.Microseconds())/1000, "overhead-ms/round")
	if overhead > promQLRoundBudget {
		b.Errorf("a round of three PromQL checks took %s, %s over its queries' own %s; the budget is %s", perRound, overhead, queriesPerRound, promQLRoundBudget)
	}
}

// bareQueries sends n instant queries the way client_golang does (a form
// POST to /api/v1/query) with a plain client and reads each answer: the
// queries' own latency, with nothing of the engine around them.
func bareQueries(b *testing.B, server string, n int) time.Duration {
	b.Helper()
	client := &http.Client{}
	form := url.Values{"query": {`sum(rate(http_requests_total{app="web",version="2"}[1m]))`}}.Encode()
	started := time.Now()
	for range n {
		resp, err := client.Post(server+"/api/v1/query", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return time.Since(started)
}

func ptr(v float64) *float64 { return &v }
