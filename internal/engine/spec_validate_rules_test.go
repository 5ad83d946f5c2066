package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestValidateAppliesFieldRules: Validate refuses what the provider refuses
// at plan time, so a caller other than Terraform is checked too; each
// refusal is a SpecError naming the field.
func TestValidateAppliesFieldRules(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*domain.DeploymentSpec)
		wantRule  domain.SpecRule
		wantField string
		wantIndex int
		wantText  string
	}{
		{"bake of 0", func(s *domain.DeploymentSpec) { s.Canary.Steps[1].Bake = 0 },
			domain.SpecRuleDuration, "canary.steps[].bake", 1, "must be greater than 0"},
		{"negative promotion delay", func(s *domain.DeploymentSpec) { s.BlueGreen.PromotionDelay = -time.Second },
			domain.SpecRuleDuration, "blue_green.promotion_delay", -1, "must be 0 or more"},
		{"header with a line break", func(s *domain.DeploymentSpec) {
			s.HealthCheck.Headers = map[string]string{"Authorization": "Bearer x\r\nX-Evil: 1"}
		},
			domain.SpecRuleHeader, "health_check.headers", -1, "line break"},
		{"header name that is no token", func(s *domain.DeploymentSpec) { s.Hook.Headers = map[string]string{"Bad Name": "v"} },
			domain.SpecRuleHeader, "hook.headers", -1, "HTTP does not allow"},
		{"status code out of range", func(s *domain.DeploymentSpec) { s.HealthCheck.ExpectedStatus = []int{200, 999} },
			domain.SpecRuleStatusCode, "health_check.expected_status[]", 1, "999 is not an HTTP status code"},
		{"weight above 100", func(s *domain.DeploymentSpec) { s.Canary.Steps[1].Weight = 150 },
			domain.SpecRuleWeightRange, "canary.steps[].weight", 1, "must be between 1 and 100"},
		{"weights decrease", func(s *domain.DeploymentSpec) { s.Canary.Steps[0].Weight = 60 },
			domain.SpecRuleWeightsDecrease, "canary.steps[].weight", 1, "weights must not decrease"},
		{"canary without steps", func(s *domain.DeploymentSpec) { s.Canary.Steps = nil },
			domain.SpecRuleCanaryStepsMissing, "canary.steps", -1, "at least one canary step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := canarySpec()
			tt.edit(&spec)
			err := spec.WithDefaults().Validate()
			if err == nil {
				t.Fatal("Validate accepted the spec")
			}
			found := domain.SpecErrors(err)
			if len(found) != 1 {
				t.Fatalf("SpecErrors = %v, want one (error: %v)", found, err)
			}
			se := found[0]
			if se.Rule != tt.wantRule || se.Field != tt.wantField || se.Index != tt.wantIndex || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("SpecError = %+v, want rule %v on %s[%d] saying %q", se, tt.wantRule, tt.wantField, tt.wantIndex, tt.wantText)
			}
			if strings.Contains(err.Error(), "Bearer") {
				t.Fatalf("the error quotes a header value: %v", err)
			}
		})
	}
}

// TestValidateRefusesBadURL: a URL with a credential never reaches the
// store, whoever calls.
func TestValidateRefusesBadURL(t *testing.T) {
	spec := canarySpec()
	spec.HealthCheck.URL = "ftp://app.test/health"
	if err := spec.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "health_check") {
		t.Fatalf("Validate = %v, want a refusal of the health_check url", err)
	}
}

func TestValidateAcceptsTheTestSpec(t *testing.T) {
	if err := canarySpec().WithDefaults().Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
}
