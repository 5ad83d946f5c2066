package engine

import (
	"slices"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
)

func TestPreviewPhaseGate(t *testing.T) {
	atGate := func(env string) domain.Deployment {
		return domain.Deployment{Package: "api", Environment: env, LiveRelease: "api@1", Status: domain.StatusInProgress,
			Rollout: &domain.Rollout{Release: "api@2", State: domain.RolloutAwaitingPromotion}}
	}
	tests := []struct {
		name        string
		rel         domain.Release
		env         string
		facts       gate.GatePreviewFacts
		planned     *plannedSet
		wantGated   []gate.PreviewGate
		wantApprove bool
		wantIn      bool
	}{
		{name: "environment in no phase", rel: gatedRelease("2", false), env: "qa"},
		{name: "idle earlier phases are left to the apply", rel: gatedRelease("2", false), env: "prod1", wantIn: true},
		{name: "an earlier deployment at its gate, nothing planned", rel: gatedRelease("2", false), env: "prod0", wantIn: true,
			facts:     gate.GatePreviewFacts{Deployments: map[string]domain.Deployment{"staging": atGate("staging")}},
			wantGated: []gate.PreviewGate{{GatedDeployment: gate.GatedDeployment{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"}}}},
		{name: "an earlier deployment at its gate, its promotion planned", rel: gatedRelease("2", false), env: "prod0", wantIn: true,
			facts:   gate.GatePreviewFacts{Deployments: map[string]domain.Deployment{"staging": atGate("staging")}},
			planned: newPlannedSet().promote("api/staging", "api@2")},
		{name: "a rollout planned in this run stops at its gate", rel: gatedRelease("2", false), env: "prod0", wantIn: true,
			facts:     gate.GatePreviewFacts{StopsAtGate: map[string]bool{"staging": true}},
			wantGated: []gate.PreviewGate{{GatedDeployment: gate.GatedDeployment{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"}, InThisRun: true}}},
		{name: "approval neither recorded nor planned", rel: gatedRelease("2", true), env: "prod1", wantIn: true, wantApprove: true},
		{name: "approval recorded", rel: gatedRelease("2", true), env: "prod1", wantIn: true, facts: gate.GatePreviewFacts{Approved: true}},
		{name: "approval planned", rel: gatedRelease("2", true), env: "prod1", wantIn: true, planned: newPlannedSet().approve("api@2", "prod")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var planned gate.PlannedDecisions
			if tt.planned != nil {
				planned = tt.planned
			}
			got := gate.PreviewPhaseGate(tt.rel, tt.env, tt.facts, planned)
			if got.InRelease != tt.wantIn || got.ApprovalDue != tt.wantApprove || !slices.Equal(got.Gated, tt.wantGated) {
				t.Fatalf("preview = %+v, want in release %v, approval due %v, gated %+v", got, tt.wantIn, tt.wantApprove, tt.wantGated)
			}
			if got.Clear() != (len(tt.wantGated) == 0 && !tt.wantApprove) {
				t.Fatalf("Clear() = %v for %+v", got.Clear(), got)
			}
		})
	}
}
