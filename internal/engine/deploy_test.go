package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestDeployRefusesWhatIsNotRegistered: a deployment naming a release or
// environment the store does not hold is refused before any hook, with the
// missing thing as facts a caller can word its own way.
func TestDeployRefusesWhatIsNotRegistered(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		name string
		mod  func(*domain.DeploymentSpec)
		want NotRegisteredError
		text string
	}{
		{"release", func(s *domain.DeploymentSpec) { s.Release = "api@99" }, NotRegisteredError{Kind: KindRelease, Name: "api@99"},
			"release api@99 is not registered"},
		{"environment", func(s *domain.DeploymentSpec) { s.Environment = "mars" }, NotRegisteredError{Kind: KindEnvironment, Name: "mars"},
			`environment "mars" is not registered`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(domain.StrategyDirect)
			tt.mod(&spec)
			d, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
			var missing *NotRegisteredError
			if !errors.As(err, &missing) || *missing != tt.want {
				t.Fatalf("err = %#v, want %#v", err, tt.want)
			}
			if d != nil {
				t.Errorf("a refused deployment returned a record: %+v", d)
			}
			if err.Error() != tt.text {
				t.Errorf("error = %q, want %q", err, tt.text)
			}
			expectDomainWords(t, err.Error())
		})
	}
	if calls := h.hooks.all(); len(calls) != 0 {
		t.Errorf("refused deployments sent hooks: %v", h.hooks.strings())
	}
}
