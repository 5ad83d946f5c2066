package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// BenchmarkHistory shows that what a deployment costs does not depend on how
// many rollouts it went through: each operation runs against a deployment
// with 10 past rollouts and one with 5,000 (about 20,000 transitions), on
// the embedded store. Run with
//
//	go test ./internal/engine/ -run '^$' -bench History -benchmem
//
// Read is a refresh's GetDeployment; StepPersist records one transition and
// saves the record, as every step of a rollout does; Deploy is a whole
// direct rollout (lease, five persists, a hook and a health probe through
// in-process fakes), so only the store's share varies.
func BenchmarkHistory(b *testing.B) {
	for _, past := range []int{10, 5000} {
		b.Run(fmt.Sprintf("Read/rollouts=%d", past), func(b *testing.B) {
			e := historyBenchEngine(b, past)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.GetDeployment(ctx, testDepID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("StepPersist/rollouts=%d", past), func(b *testing.B) {
			e := historyBenchEngine(b, past)
			ctx := context.Background()
			d, err := e.GetDeployment(ctx, testDepID)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.AddTransition(domain.Transition{Time: e.clock.Now(), From: "canary step 1 of 2: bake 30m", To: "canary step 2 of 2: weight 50%",
					Release: "api@2", Reason: "baked 30m at 10%: 30 check round(s) passed, 0 failed"})
				if err := e.store.SaveDeployment(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Deploy/rollouts=%d", past), func(b *testing.B) {
			e := historyBenchEngine(b, past)
			ctx := context.Background()
			spec := testSpec(domain.StrategyDirect)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Alternate between two releases so that every Deploy is a
				// real rollout.
				spec.Release = releaseID(2 + i%2)
				if _, err := e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// historyBenchEngine is an engine on a fresh embedded store holding the
// fixture environment and releases, and a deployment of api@1 that went
// through past rollouts of four transitions each.
func historyBenchEngine(b *testing.B, past int) *Engine {
	b.Helper()
	kv, err := store.OpenBoltKV(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = kv.Close() })
	e := New(Options{Store: records.NewStore(kv), Clock: enginetest.NewAutoClock(testStart), Hooks: newFakeHooks(), Checker: newFakeChecker(), Credentials: testCredentials})
	ctx := context.Background()
	if _, err := e.PutEnvironment(ctx, domain.Environment{Name: testEnv}); err != nil {
		b.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		rel := domain.Release{Package: testPackage, Version: fmt.Sprint(v), Phases: []domain.Phase{{Name: "production", Environments: []string{testEnv}}}}
		if _, err := e.RegisterRelease(ctx, rel); err != nil {
			b.Fatal(err)
		}
	}
	if err := seedPastRollouts(ctx, e.store, past); err != nil {
		b.Fatal(err)
	}
	return e
}

// seedPastRollouts stores api/prod with api@1 live after past direct
// rollouts, each leaving the four transitions a real one records.
func seedPastRollouts(ctx context.Context, s *records.Store, past int) error {
	at := testStart.Add(-time.Duration(past) * time.Hour)
	d := &domain.Deployment{Package: testPackage, Environment: testEnv, Status: domain.StatusPending, CreatedAt: at}
	for n := 1; n <= past; n++ {
		release := releaseID(1)
		d.AddTransition(domain.Transition{Time: at, From: string(d.Status), To: string(domain.StatusInProgress), Release: release,
			Reason: "direct deployment: deploy → wait until stable is healthy"})
		d.AddTransition(domain.Transition{Time: at, From: "deploy", To: "wait for health of stable", Release: release,
			Reason: `deploy: hook "deploy" accepted (HTTP 200 after 1 attempt(s))`})
		d.AddTransition(domain.Transition{Time: at, From: "wait for health of stable", To: "complete", Release: release,
			Reason: "stable healthy after 1 probe(s)"})
		d.Record(at, domain.StatusSucceeded, release, release+" is live: completed all 2 steps in 0s")
		at = at.Add(time.Hour)
	}
	d.RolloutCount, d.LiveRelease, d.TrafficPercent = past, releaseID(1), 100
	return s.SaveDeployment(ctx, d)
}
