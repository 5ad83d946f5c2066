package engine

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// namedCredentials are the provider-level credentials of the tests below:
// a hook secret with a header of its own, and a metrics token.
var namedCredentials = map[string]domain.Credential{
	"payments": {HookSecret: "payments-secret", Headers: map[string]string{"X-Hook-Token": "hook-token"}},
	"metrics":  {Headers: map[string]string{"Authorization": "Bearer metrics-token"}},
}

// blueGreenWithNamedCredentials is a manual blue-green rollout whose hook,
// health check and pre- and post-promotion checks name credentials.
func blueGreenWithNamedCredentials() domain.DeploymentSpec {
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ManualPromotion = true
	spec.Hook = &domain.HookConfig{URL: testHook.URL, Credential: "payments"}
	spec.HealthCheck.Credential = "metrics"
	spec.BlueGreen.PrePromotionCheck = []domain.MetricCheck{{Name: "warm", URL: "http://metrics.test/{slot}", Path: "x", Credential: "metrics"}}
	spec.BlueGreen.PostPromotionCheck = []domain.MetricCheck{{Name: "p99", URL: "http://metrics.test/{slot}", Path: "x", Credential: "metrics"}}
	return spec
}

// TestPromotionInAnotherProcessUsesNamedCredentials: a promotion by a
// process that neither started the rollout nor saw its configuration
// (a later terraform run) signs every hook with the named credential's
// secret, sends its headers, and probes with the metrics token: the
// provider configuration is all it needs.
func TestPromotionInAnotherProcessUsesNamedCredentials(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	starter := h.engine(h.kv, Options{Credentials: namedCredentials})
	if _, err := starter.Deploy(ctx, DeployRequest{Spec: blueGreenWithNamedCredentials()}); err != nil {
		t.Fatal(err)
	}
	raw, _, err := h.kv.Get(ctx, records.KindDeployment, testDepID)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"payments-secret", "hook-token", "metrics-token"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the stored record holds the credential value %q", secret)
		}
	}
	h.hooks.reset()

	checker := &headerRecordingChecker{fakeChecker: newFakeChecker()}
	promoter := h.engine(h.kv, Options{Credentials: namedCredentials, Checker: checker, DefaultHookSecret: "provider-default"})
	d, err := promoter.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	calls := h.hooks.all()
	if len(calls) == 0 {
		t.Fatal("the promotion sent no hook")
	}
	for _, c := range calls {
		if c.Config.Secret != "payments-secret" || c.Config.Headers["X-Hook-Token"] != "hook-token" {
			t.Errorf("hook %s sent with secret %q and headers %v; want the payments credential's", c.Type, c.Config.Secret, c.Config.Headers)
		}
	}
	lines := checker.lines()
	if len(lines) == 0 {
		t.Fatal("the promotion ran no check")
	}
	for _, line := range lines {
		if !strings.HasSuffix(line, "Authorization=Bearer metrics-token") {
			t.Errorf("check %q ran without the metrics credential", line)
		}
	}
}

// TestLaterRunWithoutTheDeploymentsCredentialRefuses: a promotion, a fast
// rollback or a teardown in a process that lacks a secret or headers the
// deployment was configured with refuses before sending anything: no hook,
// no probe, the record exactly as it was, and an error that names the
// block and what is missing.
func TestLaterRunWithoutTheDeploymentsCredentialRefuses(t *testing.T) {
	tests := []struct {
		name string
		// configure changes the manual blue-green spec the first run applies.
		configure func(*domain.DeploymentSpec)
		// later are the credentials of the later run.
		later     map[string]domain.Credential
		wantBlock string
		wantOwn   []string
		wantNamed string
	}{
		{
			name:      "the hook's own secret",
			configure: func(s *domain.DeploymentSpec) { s.Hook.Secret = "own-secret" },
			later:     namedCredentials, wantBlock: "hook", wantOwn: []string{"secret"},
		},
		{
			name:      "the hook's own headers",
			configure: func(s *domain.DeploymentSpec) { s.Hook.Headers = map[string]string{"X-Hook-Token": "own"} },
			later:     namedCredentials, wantBlock: "hook", wantOwn: []string{"X-Hook-Token"},
		},
		{
			name: "the health check's own headers",
			configure: func(s *domain.DeploymentSpec) {
				s.HealthCheck.Credential = ""
				s.HealthCheck.Headers = map[string]string{"Authorization": "Bearer own"}
			},
			later: namedCredentials, wantBlock: "health_check", wantOwn: []string{"Authorization"},
		},
		{
			name: "a pre-promotion check's own headers",
			configure: func(s *domain.DeploymentSpec) {
				s.BlueGreen.PrePromotionCheck[0].Credential = ""
				s.BlueGreen.PrePromotionCheck[0].Headers = map[string]string{"X-Api-Key": "own"}
			},
			later: namedCredentials, wantBlock: `blue_green pre_promotion_check "warm"`, wantOwn: []string{"X-Api-Key"},
		},
		{
			name:      "a named credential the later run does not define",
			configure: func(*domain.DeploymentSpec) {},
			later:     map[string]domain.Credential{"payments": namedCredentials["payments"]},
			wantBlock: "health_check", wantNamed: "metrics",
		},
	}
	operations := []struct {
		name string
		run  func(ctx context.Context, e *Engine) error
	}{
		{"promotion", func(ctx context.Context, e *Engine) error {
			_, err := e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
			return err
		}},
		{"fast rollback", func(ctx context.Context, e *Engine) error {
			_, err := e.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID, By: "alice"})
			return err
		}},
	}
	for _, tt := range tests {
		for _, op := range operations {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				h := newHarness(t)
				h.seedLive(1)
				ctx := context.Background()
				spec := blueGreenWithNamedCredentials()
				tt.configure(&spec)
				if _, err := h.engine(h.kv, Options{Credentials: namedCredentials}).Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
					t.Fatal(err)
				}
				before, _, err := h.kv.Get(ctx, records.KindDeployment, testDepID)
				if err != nil {
					t.Fatal(err)
				}
				h.hooks.reset()
				checker := &headerRecordingChecker{fakeChecker: newFakeChecker()}
				later := h.engine(h.kv, Options{Credentials: tt.later, Checker: checker, DefaultHookSecret: "provider-default"})

				err = op.run(ctx, later)
				var missing *domain.MissingCredentialError
				if !errors.As(err, &missing) {
					t.Fatalf("err = %v; want a *MissingCredentialError", err)
				}
				if missing.Deployment != testDepID || missing.Block != tt.wantBlock || missing.Credential != tt.wantNamed || !slices.Equal(missing.Own, tt.wantOwn) {
					t.Errorf("refusal = %+v; want block %q, own %v, named %q", *missing, tt.wantBlock, tt.wantOwn, tt.wantNamed)
				}
				if !strings.Contains(err.Error(), "nothing was sent and no traffic moved") {
					t.Errorf("the error does not say that nothing happened: %v", err)
				}
				if calls := h.hooks.all(); len(calls) != 0 {
					t.Errorf("hooks sent despite the refusal: %v", h.hooks.strings())
				}
				if lines := checker.lines(); len(lines) != 0 {
					t.Errorf("checks run despite the refusal: %q", lines)
				}
				after, _, err := h.kv.Get(ctx, records.KindDeployment, testDepID)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(before, after) {
					t.Errorf("the refused %s changed the stored record:\nbefore %s\nafter  %s", op.name, before, after)
				}
				assertLeaseFree(t, h.kv, testDepID)
			})
		}
	}
}

// TestSameProcessKeepsTheDeploymentsOwnCredentials: the run that applied
// the configuration (a promotion in the same terraform apply) has the own
// secret and headers and uses them.
func TestSameProcessKeepsTheDeploymentsOwnCredentials(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	spec := blueGreenWithNamedCredentials()
	spec.Hook.Secret = "own-secret"
	spec.Hook.Headers = map[string]string{"X-Own": "yes"}
	e := h.engine(h.kv, Options{Credentials: namedCredentials})
	if _, err := e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	h.hooks.reset()
	if _, err := e.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range h.hooks.all() {
		if c.Config.Secret != "own-secret" || c.Config.Headers["X-Own"] != "yes" || c.Config.Headers["X-Hook-Token"] != "hook-token" {
			t.Errorf("hook %s sent with secret %q and headers %v; want the own secret, the own header and the credential's", c.Type, c.Config.Secret, c.Config.Headers)
		}
	}
}

// TestTeardownRefusesWithoutTheOwnSecret: state keeps no write-only secret,
// so a destroy in a later run gets a hook without one; the stored record
// says the deployment had its own, and the teardown refuses instead of
// signing with the provider's default.
func TestTeardownRefusesWithoutTheOwnSecret(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	spec.Hook = &domain.HookConfig{URL: testHook.URL, Secret: "write-only-secret"}
	if _, err := h.engine(h.kv, Options{}).Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	h.hooks.reset()
	later := h.engine(h.kv, Options{DefaultHookSecret: "provider-default"})
	err := later.Teardown(ctx, testPackage, testEnv, &domain.HookConfig{URL: testHook.URL})
	var missing *domain.MissingCredentialError
	if !errors.As(err, &missing) || missing.Block != "hook" || !slices.Equal(missing.Own, []string{"secret"}) {
		t.Fatalf("err = %v; want a refusal naming the hook's own secret", err)
	}
	if calls := h.hooks.all(); len(calls) != 0 {
		t.Errorf("hooks sent despite the refusal: %v", h.hooks.strings())
	}
	if d := h.deployment(testDepID); d.Status != domain.StatusSucceeded || d.LiveRelease != "api@1" {
		t.Errorf("the refused teardown changed the record: %s %s", d.Status, d.LiveRelease)
	}
	assertLeaseFree(t, h.kv, testDepID)
}

// TestAdoptCredentialSettingsReachesTheGate: a rollout waiting at its gate
// with the hook's own secret is refused by a later run; once the
// configuration names a provider credential instead (applied without a new
// rollout), the later run's promotion signs with that credential.
func TestAdoptCredentialSettingsReachesTheGate(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	spec := blueGreenWithNamedCredentials()
	spec.Hook.Credential, spec.Hook.Secret = "", "own-secret"
	if _, err := h.engine(h.kv, Options{Credentials: namedCredentials}).Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	later := h.engine(h.kv, Options{Credentials: namedCredentials})
	var missing *domain.MissingCredentialError
	if _, err := later.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"}); !errors.As(err, &missing) {
		t.Fatalf("promotion before the settings changed: err = %v; want a refusal", err)
	}

	fixed := blueGreenWithNamedCredentials()
	changed, err := h.engine(h.kv, Options{Credentials: namedCredentials}).AdoptCredentialSettings(ctx, fixed)
	if err != nil || !changed {
		t.Fatalf("AdoptCredentialSettings = %v, %v; want the record changed", changed, err)
	}
	if again, err := later.AdoptCredentialSettings(ctx, fixed); err != nil || again {
		t.Errorf("adopting the same settings again = %v, %v; want no change", again, err)
	}
	stored := h.deployment(testDepID)
	if r := stored.Rollout; r.State != domain.RolloutAwaitingPromotion || r.Spec.Hook.Credential != "payments" || r.Spec.Hook.Own.Secret {
		t.Fatalf("stored rollout = %s, hook %+v; want still at its gate, naming payments, no own secret", r.State, *r.Spec.Hook)
	}
	h.hooks.reset()
	if _, err := later.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range h.hooks.all() {
		if c.Config.Secret != "payments-secret" {
			t.Errorf("hook %s signed with %q; want the payments credential's secret", c.Type, c.Config.Secret)
		}
	}
}

// TestAdoptCredentialSettingsReachesASettledDeployment: a deployment whose
// hook had a write-only secret of its own, moved since into a provider
// credential by a settings-only apply, is torn down and rolled back by
// later runs signed with that credential instead of being refused.
func TestAdoptCredentialSettingsReachesASettledDeployment(t *testing.T) {
	for _, op := range []string{"teardown", "fast rollback"} {
		t.Run(op, func(t *testing.T) {
			h := newHarness(t)
			h.seedLive(1)
			ctx := context.Background()
			spec := testSpec(domain.StrategyDirect)
			spec.Hook = &domain.HookConfig{URL: testHook.URL, Secret: "write-only-secret"}
			if _, err := h.engine(h.kv, Options{}).Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
				t.Fatal(err)
			}
			fixed := spec
			fixed.Hook = &domain.HookConfig{URL: testHook.URL, Credential: "payments"}
			if changed, err := h.engine(h.kv, Options{Credentials: namedCredentials}).AdoptCredentialSettings(ctx, fixed); err != nil || !changed {
				t.Fatalf("AdoptCredentialSettings = %v, %v; want the settled record changed", changed, err)
			}
			h.hooks.reset()
			later := h.engine(h.kv, Options{Credentials: namedCredentials, DefaultHookSecret: "provider-default"})
			var err error
			if op == "teardown" {
				err = later.Teardown(ctx, testPackage, testEnv, fixed.Hook)
			} else {
				_, err = later.RollbackNow(ctx, RollbackNowRequest{Deployment: testDepID, By: "alice"})
			}
			if err != nil {
				t.Fatal(err)
			}
			calls := h.hooks.all()
			if len(calls) == 0 {
				t.Fatalf("the %s sent no hook", op)
			}
			for _, c := range calls {
				if c.Config.Secret != "payments-secret" {
					t.Errorf("hook %s signed with %q; want the payments credential's secret", c.Type, c.Config.Secret)
				}
			}
		})
	}
}
