package domain

import (
	"strings"
	"testing"
	"time"
)

// TestResolveAppliesDefaultsThenRules: a resolved spec has every default,
// and a spec that breaks a rule does not resolve.
func TestResolveAppliesDefaultsThenRules(t *testing.T) {
	resolved, err := Resolve(DeploymentSpec{Package: "api", Environment: "prod0", HealthCheck: &HealthCheck{URL: "https://api.example.com/health"}})
	if err != nil {
		t.Fatalf("Resolve = %v", err)
	}
	got := resolved.Spec()
	if got.Strategy != StrategyDirect || got.ProgressDeadline != DefaultProgressDeadline || got.HealthCheck.Timeout != DefaultHealthTimeout {
		t.Errorf("resolved spec lacks its defaults: %+v", got)
	}
	_, err = Resolve(DeploymentSpec{Package: "api", Environment: "prod0", Strategy: StrategyCanary})
	if err == nil || !strings.Contains(err.Error(), "at least one canary step") {
		t.Errorf("Resolve of a canary without steps = %v, want the rule's error", err)
	}
	_, err = Resolve(DeploymentSpec{Package: "api", Environment: "prod0", Hook: &HookConfig{URL: "https://d.example.com", Retry: RetryConfig{Attempts: 2, MinWait: time.Second}}})
	if err == nil || !strings.Contains(err.Error(), "max_wait") {
		t.Errorf("Resolve of a bad retry = %v, want the rule's error", err)
	}
}
