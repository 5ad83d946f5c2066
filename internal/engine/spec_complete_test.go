package engine

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// The sender and the checker receive complete values: the defaults are
// applied once, by DeploymentSpec.WithDefaults, on every path that sends.

func TestDeployHandsTheSenderACompleteHook(t *testing.T) {
	h := newHarness(t)
	spec := testSpec(domain.StrategyDirect)
	spec.Hook = &domain.HookConfig{URL: testHook.URL, Secret: testHook.Secret}
	for _, c := range deployAndListHooks(t, h, spec) {
		if c.Config.Timeout != domain.DefaultHookTimeout || c.Config.Retry != domain.DefaultRetry {
			t.Errorf("hook %s sent with timeout %s and retry %+v, want the defaults %s and %+v",
				c.Type, c.Config.Timeout, c.Config.Retry, domain.DefaultHookTimeout, domain.DefaultRetry)
		}
	}
}

func TestTeardownHandsTheSenderACompleteHook(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	hook := domain.HookConfig{URL: testHook.URL, Secret: testHook.Secret}
	if err := h.e.Teardown(context.Background(), testPackage, testEnv, &hook); err != nil {
		t.Fatal(err)
	}
	calls := h.hooks.all()
	if len(calls) != 1 || calls[0].Config.Timeout != domain.DefaultHookTimeout || calls[0].Config.Retry != domain.DefaultRetry {
		t.Fatalf("teardown calls = %+v, want one with the default timeout and retry", calls)
	}
}

// TestTeardownRefusesInvalidRetry: a teardown validates its hook through
// the same DeploymentSpec.Validate as a deploy, before it takes the lease or sends.
func TestTeardownRefusesInvalidRetry(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	hook := testHook
	hook.Retry = domain.RetryConfig{Attempts: 2, MinWait: time.Second, MaxWait: time.Millisecond}
	err := h.e.Teardown(context.Background(), testPackage, testEnv, &hook)
	want := "tearing down api/prod: invalid hook retry settings: max_wait (1ms) must be at least min_wait (1s)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if calls := h.hooks.all(); len(calls) != 0 {
		t.Errorf("hooks sent despite the invalid retry: %+v", calls)
	}
	if d := h.deployment(testDepID); d.Status != domain.StatusSucceeded || d.LiveRelease != "api@1" {
		t.Errorf("a refused teardown changed the record: %s %s", d.Status, d.LiveRelease)
	}
	assertLeaseFree(t, h.kv, testDepID)
}

// TestDefaultHookSecretAppliedByTheEngine: a hook is signed with its own
// secret, else its named credential's, else the provider-level default.
func TestDefaultHookSecretAppliedByTheEngine(t *testing.T) {
	tests := []struct {
		name, hookSecret, credential, want string
	}{
		{name: "default when the hook has none", want: "provider-secret"},
		{name: "the hook's own secret wins", hookSecret: "hook-secret", want: "hook-secret"},
		{name: "the named credential's secret", credential: "hooks", want: "s3cret"},
		{name: "the own secret wins over the credential's", hookSecret: "hook-secret", credential: "hooks", want: "hook-secret"},
		{name: "a credential with headers only falls back to the default", credential: "headers-only", want: "provider-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWith(t, enginetest.NewAutoClock(testStart), Options{
				DefaultHookSecret: "provider-secret",
				Credentials: map[string]domain.Credential{
					"hooks":        {HookSecret: "s3cret"},
					"headers-only": {Headers: map[string]string{"X-Token": "t"}},
				},
			})
			spec := testSpec(domain.StrategyDirect)
			spec.Hook.Secret, spec.Hook.Credential = tt.hookSecret, tt.credential
			for _, c := range deployAndListHooks(t, h, spec) {
				if c.Config.Secret != tt.want {
					t.Errorf("hook %s handed to the sender with secret %q, want %q", c.Type, c.Config.Secret, tt.want)
				}
			}
		})
	}
}

func TestWithDefaultsCompletesTheHealthCheck(t *testing.T) {
	spec := domain.DeploymentSpec{HealthCheck: &domain.HealthCheck{URL: "http://app.test/health"}}.WithDefaults()
	hc := spec.HealthCheck
	if hc.Timeout != domain.DefaultHealthTimeout || hc.Interval != domain.DefaultCheckInterval || !reflect.DeepEqual(hc.ExpectedStatus, []int{200}) {
		t.Errorf("health check after defaults = %+v, want timeout %s, interval %s, expected [200]", *hc, domain.DefaultHealthTimeout, domain.DefaultCheckInterval)
	}
}

// deployAndListHooks deploys spec and returns the hook calls it made, at
// least one.
func deployAndListHooks(t *testing.T, h *harness, spec domain.DeploymentSpec) []sentHook {
	t.Helper()
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	calls := h.hooks.all()
	if len(calls) == 0 {
		t.Fatal("no hook was sent")
	}
	return calls
}
