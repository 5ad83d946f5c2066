package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

func TestDurationRules(t *testing.T) {
	cases := []struct {
		name string
		rule domain.DurationRule
		in   time.Duration
		want bool
	}{
		{"bake of 1s", domain.RulePositive, time.Second, true},
		{"bake of 0s", domain.RulePositive, 0, false},
		{"negative bake", domain.RulePositive, -5 * time.Second, false},
		{"no delay", domain.RuleNonNegative, 0, true},
		{"negative delay", domain.RuleNonNegative, -time.Minute, false},
		{"interval at the minimum", domain.RulePollInterval, 100 * time.Millisecond, true},
		{"interval of 1ns", domain.RulePollInterval, time.Nanosecond, false},
		{"interval of 99ms", domain.RulePollInterval, 99 * time.Millisecond, false},
		{"interval of 0s", domain.RulePollInterval, 0, false},
	}
	for _, c := range cases {
		if got := c.rule.Allows(c.in); got != c.want {
			t.Errorf("%s: Allows(%s) = %v, want %v", c.name, c.in, got, c.want)
		}
	}
	descriptions := map[string]domain.DurationRule{"greater than 0": domain.RulePositive, "0 or more": domain.RuleNonNegative, "at least 100ms": domain.RulePollInterval}
	for want, rule := range descriptions {
		if got := rule.Describe(); got != want {
			t.Errorf("Describe() = %q, want %q", got, want)
		}
	}
}

func TestValidateStatusCode(t *testing.T) {
	for _, ok := range []int64{100, 200, 301, 503, 599} {
		if err := domain.ValidateStatusCode(ok); err != nil {
			t.Errorf("ValidateStatusCode(%d) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []int64{-1, 0, 99, 600, 999} {
		err := domain.ValidateStatusCode(bad)
		if err == nil || !strings.Contains(err.Error(), "status codes lie between 100 and 599") {
			t.Errorf("ValidateStatusCode(%d) = %v, want the range named", bad, err)
		}
	}
}

func TestValidateHeader(t *testing.T) {
	cases := []struct {
		name, value string
		wantErr     string
	}{
		{"Authorization", "Bearer abc", ""},
		{"X-Api-Key", "", ""},
		{"x_custom.header!", "v", ""},
		{"", "v", "a header name must not be empty"},
		{"Bad Header", "v", `header name "Bad Header" contains ' '`},
		{"X:Y", "v", `header name "X:Y" contains ':'`},
		{"Authorization", "Bearer abc\n", `the value of header "Authorization" contains a line break`},
		{"Authorization", "Bearer abc\r\nX-Evil: 1", `the value of header "Authorization" contains a line break`},
	}
	for _, c := range cases {
		err := domain.ValidateHeader(c.name, c.value)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("ValidateHeader(%q) = %v, want nil", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("ValidateHeader(%q) = %v, want an error containing %q", c.name, err, c.wantErr)
		case err != nil && c.value != "" && strings.Contains(err.Error(), c.value):
			t.Errorf("ValidateHeader(%q) quotes the header value: %v", c.name, err)
		}
	}
}

func TestWorstCaseBlocking(t *testing.T) {
	health := &domain.HealthCheck{URL: "https://svc.example.com/health"}
	canary := domain.DeploymentSpec{Strategy: domain.StrategyCanary, HealthCheck: health, ProgressDeadline: 5 * time.Minute,
		Canary: domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: 10 * time.Minute}, {Weight: 50, Bake: 20 * time.Minute}}}}
	manualCanary := canary
	manualCanary.Canary.ManualPromotion = true
	blueGreen := domain.DeploymentSpec{Strategy: domain.StrategyBlueGreen, HealthCheck: health, ProgressDeadline: 5 * time.Minute,
		BlueGreen: domain.BlueGreenSpec{PromotionDelay: time.Minute, ScaleDownDelay: 2 * time.Minute}}
	manualBlueGreen := blueGreen
	manualBlueGreen.BlueGreen.ManualPromotion = true
	noHealthCheck := blueGreen
	noHealthCheck.HealthCheck = nil
	cases := []struct {
		name    string
		spec    domain.DeploymentSpec
		hasLive bool
		want    time.Duration
		parts   int
	}{
		{"first deployment waits for health only", canary, false, 5 * time.Minute, 1},
		{"first deployment without a health check does not wait", domain.DeploymentSpec{}, false, 0, 0},
		{"default progress deadline", domain.DeploymentSpec{HealthCheck: health}, true, domain.DefaultProgressDeadline, 1},
		{"canary bakes", canary, true, 30 * time.Minute, 2},
		{"canary stops at the gate after its bakes", manualCanary, true, 30 * time.Minute, 2},
		{"blue-green: health, delays", blueGreen, true, 8 * time.Minute, 3},
		{"blue-green stops at the gate: delays block the promotion", manualBlueGreen, true, 5 * time.Minute, 1},
		{"blue-green without a health check", noHealthCheck, true, 3 * time.Minute, 2},
	}
	for _, c := range cases {
		got, parts := rollout.WorstCaseBlocking(resolvedForPlanning(c.spec), c.hasLive)
		if got != c.want || len(parts) != c.parts {
			t.Errorf("%s: WorstCaseBlocking = %s in %d parts, want %s in %d", c.name, got, len(parts), c.want, c.parts)
		}
	}
	_, parts := rollout.WorstCaseBlocking(resolvedForPlanning(canary), true)
	if parts[1].CanaryStep != 1 || parts[1].Duration != 20*time.Minute {
		t.Errorf("second bake part = %+v, want canary step 1 of 20m", parts[1])
	}
}

func TestValidateRetry(t *testing.T) {
	tests := []struct {
		name    string
		retry   domain.RetryConfig
		wantErr string
	}{
		{name: "defaults", retry: domain.DefaultRetry},
		{name: "single attempt, no waits", retry: domain.RetryConfig{Attempts: 1}},
		{name: "equal waits", retry: domain.RetryConfig{Attempts: 3, MinWait: time.Second, MaxWait: time.Second}},
		{name: "zero attempts", retry: domain.RetryConfig{Attempts: 0, MaxWait: time.Second},
			wantErr: "invalid hook retry settings: attempts must be at least 1, got 0"},
		{name: "negative min wait", retry: domain.RetryConfig{Attempts: 1, MinWait: -time.Second},
			wantErr: "invalid hook retry settings: min_wait must not be negative, got -1s"},
		{name: "max below min", retry: domain.RetryConfig{Attempts: 2, MinWait: 2 * time.Second, MaxWait: time.Second},
			wantErr: "invalid hook retry settings: max_wait (1s) must be at least min_wait (2s)"},
		{name: "several problems at once", retry: domain.RetryConfig{Attempts: -1, MinWait: time.Second},
			wantErr: "invalid hook retry settings: attempts must be at least 1, got -1; max_wait (0s) must be at least min_wait (1s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateRetry(tt.retry)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("ValidateRetry(%+v) = %q, want %q", tt.retry, got, tt.wantErr)
			}
		})
	}
}
