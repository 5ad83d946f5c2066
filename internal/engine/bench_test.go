package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/hookhttp"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Speed goals live here, not in timed tests. Run with
//
//	go test ./internal/engine/ -run '^$' -bench . -benchtime 1x

// benchTarget is a loopback HTTP target that accepts every hook and
// reports every slot healthy.
func benchTarget(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchEngine is an engine on the embedded store in a fresh directory,
// sending real HTTP hooks and checks, on the real clock.
func benchEngine(b *testing.B) *engine.Engine {
	b.Helper()
	kv, err := store.OpenBoltKV(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = kv.Close() })
	return engine.New(engine.Options{
		Store:             records.NewStore(kv),
		Clock:             domain.RealClock{},
		Hooks:             hookhttp.NewSender(nil),
		Checker:           hookhttp.NewChecker(),
		DefaultHookSecret: "bench-secret",
		PollInterval:      50 * time.Millisecond,
	})
}

func benchSpec(srv *httptest.Server, env, release string) domain.DeploymentSpec {
	return domain.DeploymentSpec{
		Package: "web", Environment: env, Release: release,
		Hook:        &domain.HookConfig{URL: srv.URL + "/hook"},
		HealthCheck: &domain.HealthCheck{URL: srv.URL + "/health/{environment}/{slot}", Interval: 100 * time.Millisecond},
	}
}

// BenchmarkDirectDeployments1000 deploys one release to 1000 environments
// of one phase at once, each a first deployment through the direct
// strategy: lease, phase gate, five persisted transitions, a signed deploy
// hook and a health probe, all over loopback HTTP on the embedded store.
// Goal: under 5 s per 1000 on 2 cores.
func BenchmarkDirectDeployments1000(b *testing.B) {
	const n = 1000
	srv := benchTarget(b)
	ctx := context.Background()
	envs := make([]string, n)
	for i := range envs {
		envs[i] = fmt.Sprintf("edge-%04d", i)
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := benchEngine(b)
		// Registration is not what is measured: write it straight to the KV
		// concurrently so bbolt batches the commits.
		var setup sync.WaitGroup
		for _, env := range envs {
			setup.Add(1)
			go func() {
				defer setup.Done()
				if err := e.Store().PutEnvironment(ctx, domain.Environment{Name: env, CreatedAt: time.Now()}); err != nil {
					b.Error(err)
				}
			}()
		}
		setup.Wait()
		if _, err := e.RegisterRelease(ctx, domain.Release{Package: "web", Version: "1", Phases: []domain.Phase{{Name: "everywhere", Environments: envs}}}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, env := range envs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := e.Deploy(ctx, engine.DeployRequest{Spec: benchSpec(srv, env, "web@1")})
				if err == nil && d.Status != domain.StatusSucceeded {
					err = fmt.Errorf("%s: status %s", env, d.Status)
				}
				errs <- err
			}()
		}
		wg.Wait()
		total += time.Since(start)
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/1000deploys")
}

// BenchmarkCanaryBakeOverhead runs a canary of two 500ms bakes (checks
// every 100ms) on the real clock and reports how long the rollout took
// beyond the bakes themselves: hooks, checks, persistence and scheduling.
func BenchmarkCanaryBakeOverhead(b *testing.B) {
	const bake = 500 * time.Millisecond
	srv := benchTarget(b)
	e := benchEngine(b)
	ctx := context.Background()
	if _, err := e.PutEnvironment(ctx, domain.Environment{Name: "prod"}); err != nil {
		b.Fatal(err)
	}
	register := func(v int) string {
		rel, err := e.RegisterRelease(ctx, domain.Release{Package: "web", Version: fmt.Sprint(v), Phases: []domain.Phase{{Name: "prod", Environments: []string{"prod"}}}})
		if err != nil {
			b.Fatal(err)
		}
		return rel.ID()
	}
	if _, err := e.Deploy(ctx, engine.DeployRequest{Spec: benchSpec(srv, "prod", register(0))}); err != nil {
		b.Fatal(err)
	}
	var overhead time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		spec := benchSpec(srv, "prod", register(i+1))
		spec.Strategy = domain.StrategyCanary
		spec.Canary = domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: bake}, {Weight: 50, Bake: bake}}, CheckInterval: 100 * time.Millisecond}
		spec.HealthCheck.Interval = 0 // follow the canary's check interval
		b.StartTimer()

		start := time.Now()
		d, err := e.Deploy(ctx, engine.DeployRequest{Spec: spec})
		elapsed := time.Since(start)
		if err != nil || d.Status != domain.StatusSucceeded {
			b.Fatalf("canary: %v (status %v)", err, d.Status)
		}
		overhead += elapsed - domain.PlannedWait(d.Rollout.Steps)
	}
	b.ReportMetric(float64(overhead.Milliseconds())/float64(b.N), "overhead-ms/op")
}
