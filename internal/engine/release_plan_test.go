package engine

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// problemText renders a problem as "error phase[1].environments[0]: Summary".
func problemText(p domain.Problem) string {
	sev := "error"
	if p.Severity == domain.SeverityWarning {
		sev = "warning"
	}
	var path []string
	for _, s := range p.Path {
		if s.Index >= 0 {
			path = append(path, fmt.Sprintf("%s[%d]", s.Name, s.Index))
		} else {
			path = append(path, s.Name)
		}
	}
	return fmt.Sprintf("%s %s: %s", sev, strings.Join(path, "."), p.Summary)
}

func TestCheckReleaseFlow(t *testing.T) {
	phase := func(name string, envs ...string) domain.PhaseDraft {
		return domain.PhaseDraft{Name: name, Environments: envs}
	}
	tests := []struct {
		name      string
		draft     domain.ReleaseDraft
		known     map[string]bool
		want      []string
		wantInAny string // a phrase the details must contain
	}{
		{
			name:  "a good flow",
			draft: domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{phase("staging", "staging"), phase("prod", "prod1", "prod2")}},
			known: map[string]bool{"staging": true, "prod1": true, "prod2": true},
		},
		{
			name:      "no phases",
			draft:     domain.ReleaseDraft{Package: "api", Version: "2"},
			want:      []string{"error : Release Has No Phases"},
			wantInAny: "Release api@2 declares no phase block",
		},
		{
			name:      "duplicate phase names",
			draft:     domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{phase("prod", "a"), phase("prod", "b")}},
			want:      []string{"error phase[1].name: Duplicate Phase Name"},
			wantInAny: `Phase name "prod" is used by phase 1 and phase 2`,
		},
		{
			name:      "environment in two phases",
			draft:     domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{phase("canary", "prod0"), phase("prod", "prod1", "prod0")}},
			want:      []string{"error phase[1].environments[1]: Environment In Two Phases"},
			wantInAny: `Environment "prod0" is in phase "canary" and again in phase "prod"`,
		},
		{
			name:      "empty phase is a warning",
			draft:     domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{phase("staging", "staging"), phase("prod")}},
			want:      []string{"warning phase[1].environments: Empty Phase"},
			wantInAny: `Phase "prod" selects no environment`,
		},
		{
			name:  "invalid names",
			draft: domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{phase("bad name", "ok", "no/slash")}},
			want:  []string{"error phase[0].name: Invalid Phase Name", "error phase[0].environments[1]: Invalid Environment Name"},
		},
		{
			name:      "unknown environment",
			draft:     domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{phase("prod", "prod1", "prod9")}},
			known:     map[string]bool{"prod1": true},
			want:      []string{"error phase[0].environments[1]: Unknown Environment"},
			wantInAny: `Environment "prod9" is not registered`,
		},
		{
			name: "unknown values are skipped",
			draft: domain.ReleaseDraft{Package: "api", Version: "2", Phases: []domain.PhaseDraft{
				{NameUnknown: true, Environments: []string{"a"}},
				{Name: "prod", EnvironmentsUnknown: true},
				{NameUnknown: true, Environments: []string{"b"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := domain.CheckReleaseFlow(tt.draft, tt.known)
			var got []string
			var details []string
			for _, p := range problems {
				got = append(got, problemText(p))
				details = append(details, p.Detail)
			}
			if !equalStrings(got, tt.want) {
				t.Errorf("problems = %q\nwant %q", got, tt.want)
			}
			if tt.wantInAny != "" && !strings.Contains(strings.Join(details, "\n"), tt.wantInAny) {
				t.Errorf("details %q do not mention %q", details, tt.wantInAny)
			}
		})
	}
}

func TestPhaseOrder(t *testing.T) {
	phases := []domain.Phase{
		{Name: "staging", Environments: []string{"staging"}},
		{Name: "prod", Environments: []string{"prod2", "prod1"}, RequiresApproval: true},
	}
	got := domain.PhaseOrder(phases)
	want := []domain.PhaseOrderEntry{
		{Index: 1, Name: "staging", Environments: []string{"staging"}},
		{Index: 2, Name: "prod", Environments: []string{"prod2", "prod1"}, RequiresApproval: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PhaseOrder = %+v, want %+v", got, want)
	}
	// The result is a copy: changing it leaves the release alone.
	got[1].Environments[0] = "changed"
	if phases[1].Environments[0] != "prod2" {
		t.Error("PhaseOrder shares its environment slices with the release")
	}
	if got := domain.PhaseOrder(nil); len(got) != 0 {
		t.Errorf("PhaseOrder(nil) = %v, want empty", got)
	}
}

func TestMermaidGraph(t *testing.T) {
	tests := []struct {
		name   string
		phases []domain.Phase
		want   string
	}{
		{
			name:   "two phases",
			phases: []domain.Phase{{Name: "staging", Environments: []string{"staging"}}, {Name: "prod", Environments: []string{"prod1"}}},
			want: `graph LR
  release(["api@2"])
  p1["1. staging"]
  release --> p1
  p1 --> p1e1("staging")
  p2["2. prod"]
  p1e1 --> p2
  p2 --> p2e1("prod1")
`,
		},
		{
			name: "fan-in, approval and an empty phase",
			phases: []domain.Phase{
				{Name: "canary", Environments: []string{"eu", "us"}},
				{Name: "hold"},
				{Name: "prod", Environments: []string{"prod1"}, RequiresApproval: true},
			},
			want: `graph LR
  release(["api@2"])
  p1["1. canary"]
  release --> p1
  p1 --> p1e1("eu")
  p1 --> p1e2("us")
  p2["2. hold"]
  p1e1 --> p2
  p1e2 --> p2
  p3["3. prod"]
  p2 -->|approval| p3
  p3 --> p3e1("prod1")
`,
		},
		{
			name:   "names are quoted",
			phases: []domain.Phase{{Name: `we"ird`, Environments: []string{"a"}}},
			want: `graph LR
  release(["api@2"])
  p1["1. we\"ird"]
  release --> p1
  p1 --> p1e1("a")
`,
		},
		{
			name: "no phases",
			want: "graph LR\n  release([\"api@2\"])\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.MermaidGraph("api", "2", tt.phases); got != tt.want {
				t.Errorf("MermaidGraph =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestDeriveReleaseStatus(t *testing.T) {
	rel := domain.Release{Package: "api", Version: "2", Phases: []domain.Phase{
		{Name: "staging", Environments: []string{"staging"}},
		{Name: "prod", Environments: []string{"prod1", "prod2"}},
	}}
	live := func(env, release string) domain.Deployment {
		return domain.Deployment{Package: "api", Environment: env, LiveRelease: release, Status: domain.StatusSucceeded}
	}
	rolling := func(env string, state domain.RolloutState, status domain.Status) domain.Deployment {
		return domain.Deployment{Package: "api", Environment: env, LiveRelease: "api@1", Status: status,
			Rollout: &domain.Rollout{Release: "api@2", State: state}}
	}
	tornDown := domain.Deployment{Package: "api", Environment: "staging", LiveRelease: "api@2", Status: domain.StatusTornDown}
	tests := []struct {
		name        string
		byEnv       map[string]domain.Deployment
		wantOverall string
		wantPhases  []string // "name=status"
		wantEnvs    map[string]domain.Status
	}{
		{"nothing deployed", map[string]domain.Deployment{}, "pending", []string{"staging=pending", "prod=pending"}, map[string]domain.Status{"staging": domain.StatusPending}},
		{"older release everywhere", map[string]domain.Deployment{"staging": live("staging", "api@1")}, "pending", []string{"staging=pending", "prod=pending"}, nil},
		{"first phase rolling out", map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutRunning, domain.StatusInProgress)}, "in_progress",
			[]string{"staging=in_progress", "prod=pending"}, map[string]domain.Status{"staging": domain.StatusInProgress}},
		{"first phase awaiting promotion", map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion, domain.StatusAwaitingPromotion)}, "in_progress",
			[]string{"staging=in_progress", "prod=pending"}, map[string]domain.Status{"staging": domain.StatusAwaitingPromotion}},
		{"first phase done", map[string]domain.Deployment{"staging": live("staging", "api@2")}, "in_progress", []string{"staging=succeeded", "prod=pending"}, nil},
		{"half of the second phase", map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod1": live("prod1", "api@2")}, "in_progress",
			[]string{"staging=succeeded", "prod=in_progress"}, map[string]domain.Status{"prod1": domain.StatusSucceeded, "prod2": domain.StatusPending}},
		{"everything live", map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod1": live("prod1", "api@2"), "prod2": live("prod2", "api@2")}, "succeeded",
			[]string{"staging=succeeded", "prod=succeeded"}, nil},
		{"rolled back in the second phase", map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod1": rolling("prod1", domain.RolloutRolledBack, domain.StatusRolledBack)}, "failed",
			[]string{"staging=succeeded", "prod=failed"}, map[string]domain.Status{"prod1": domain.StatusRolledBack}},
		{"failed in the first phase", map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutFailed, domain.StatusFailed)}, "failed",
			[]string{"staging=failed", "prod=pending"}, nil},
		{"torn down does not count as live", map[string]domain.Deployment{"staging": tornDown}, "pending", []string{"staging=pending", "prod=pending"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			overall, phases, err := domain.DeriveReleaseStatus(rel, tt.byEnv)
			if err != nil {
				t.Fatal(err)
			}
			if overall != tt.wantOverall {
				t.Errorf("overall = %q, want %q", overall, tt.wantOverall)
			}
			var got []string
			envs := map[string]domain.Status{}
			for _, p := range phases {
				got = append(got, p.Name+"="+p.Status)
				for e, s := range p.Environments {
					envs[e] = s
				}
			}
			if !equalStrings(got, tt.wantPhases) {
				t.Errorf("phases = %v, want %v", got, tt.wantPhases)
			}
			for env, want := range tt.wantEnvs {
				if envs[env] != want {
					t.Errorf("environment %s = %q, want %q", env, envs[env], want)
				}
			}
		})
	}
}
