package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// gatedRelease is api@2 with phases staging → prod_canary(prod0) →
// prod(prod1, prod2), the last one behind an approval.
func gatedRelease(version string, approval bool) domain.Release {
	return domain.Release{Package: "api", Version: version, Phases: []domain.Phase{
		{Name: "staging", Environments: []string{"staging"}},
		{Name: "prod_canary", Environments: []string{"prod0"}},
		{Name: "prod", Environments: []string{"prod1", "prod2"}, RequiresApproval: approval},
	}}
}

func TestDecidePhaseGate(t *testing.T) {
	rel := gatedRelease("2", false)
	approvalRel := gatedRelease("2", true)
	live := func(env, release string) domain.Deployment {
		return domain.Deployment{Package: "api", Environment: env, LiveRelease: release, Status: domain.StatusSucceeded}
	}
	rolling := func(env string, state domain.RolloutState) domain.Deployment {
		return domain.Deployment{Package: "api", Environment: env, LiveRelease: "api@1", Status: domain.StatusInProgress,
			Rollout: &domain.Rollout{Release: "api@2", State: state}}
	}
	bothEarlierLive := map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod0": live("prod0", "api@2")}
	promotionOf := func(deploymentID, release string) *plannedSet {
		return newPlannedSet().promote(deploymentID, release)
	}
	tests := []struct {
		name        string
		rel         domain.Release
		env         string
		byEnv       map[string]domain.Deployment
		approved    bool
		planned     *plannedSet // nil: nothing planned
		want        gate.GateVerdict
		wantCause   gate.GateCause
		wantMissing []string
		wantIdle    []string
		wantGated   []gate.GatedDeployment
		wantReason  []string // phrases the explanation (reason and advice) must contain
	}{
		{name: "first phase opens at once", rel: rel, env: "staging", want: gate.GateOpen},
		{name: "earlier phases live", rel: rel, env: "prod1", byEnv: bothEarlierLive, want: gate.GateOpen},
		{name: "earlier phase still baking", rel: rel, env: "prod1",
			byEnv:       map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod0": rolling("prod0", domain.RolloutRunning)},
			want:        gate.GateWait,
			wantCause:   gate.GateCauseEarlierPhaseRollingOut,
			wantMissing: []string{"prod0"},
			wantReason:  []string{`waiting for earlier phases: release api@2 is still rolling out to "prod0"`}},
		{name: "earlier phase at its promotion gate, nothing planned, refuses naming the promotion", rel: rel, env: "prod0",
			byEnv:       map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion)},
			want:        gate.GateRefuse,
			wantCause:   gate.GateCausePromotionGate,
			wantMissing: []string{"staging"},
			wantGated:   []gate.GatedDeployment{{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"}},
			wantReason: []string{`release api@2 is waiting at its promotion gate in "staging" (phase 1 "staging"): nothing in this run promotes it, so prod0 cannot start.`,
				`Promote it in api/staging first, or in the same run before this deployment`}},
		{name: "earlier phase at its promotion gate, promotion planned, waits", rel: rel, env: "prod0",
			byEnv:       map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion)},
			planned:     promotionOf("api/staging", "api@2"),
			want:        gate.GateWait,
			wantCause:   gate.GateCauseEarlierPhaseRollingOut,
			wantMissing: []string{"staging"},
			wantReason:  []string{`waiting for earlier phases: release api@2 waits at its promotion gate in "staging" for the promotion planned in this run`}},
		{name: "a planned promotion of another release does not count", rel: rel, env: "prod0",
			byEnv:     map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion)},
			planned:   promotionOf("api/staging", "api@3"),
			want:      gate.GateRefuse,
			wantCause: gate.GateCausePromotionGate, wantMissing: []string{"staging"},
			wantGated: []gate.GatedDeployment{{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"}}},
		{name: "a planned promotion of another deployment does not count", rel: rel, env: "prod0",
			byEnv:     map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion)},
			planned:   promotionOf("api/prod0", "api@2"),
			want:      gate.GateRefuse,
			wantCause: gate.GateCausePromotionGate, wantMissing: []string{"staging"},
			wantGated: []gate.GatedDeployment{{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"}}},
		{name: "a gate nobody opens refuses even while another phase still rolls out", rel: rel, env: "prod1",
			byEnv:       map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion), "prod0": rolling("prod0", domain.RolloutRunning)},
			want:        gate.GateRefuse,
			wantCause:   gate.GateCausePromotionGate,
			wantMissing: []string{"staging", "prod0"},
			wantGated:   []gate.GatedDeployment{{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"}},
			wantReason:  []string{`promotion gate in "staging" (phase 1 "staging"): nothing in this run promotes it, so prod1 cannot start`}},
		{name: "two gates name both promotions", rel: rel, env: "prod1",
			byEnv:     map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion), "prod0": rolling("prod0", domain.RolloutAwaitingPromotion)},
			want:      gate.GateRefuse,
			wantCause: gate.GateCausePromotionGate, wantMissing: []string{"staging", "prod0"},
			wantGated: []gate.GatedDeployment{
				{DeploymentID: "api/staging", Environment: "staging", PhaseNumber: 1, PhaseName: "staging"},
				{DeploymentID: "api/prod0", Environment: "prod0", PhaseNumber: 2, PhaseName: "prod_canary"},
			},
			wantReason: []string{`in "staging" (phase 1 "staging") and in "prod0" (phase 2 "prod_canary")`,
				`Promote it in api/staging and api/prod0 first`}},
		{name: "planned gate and rolling phase wait for both", rel: rel, env: "prod1",
			byEnv:       map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion), "prod0": rolling("prod0", domain.RolloutRunning)},
			planned:     promotionOf("api/staging", "api@2"),
			want:        gate.GateWait,
			wantCause:   gate.GateCauseEarlierPhaseRollingOut,
			wantMissing: []string{"staging", "prod0"},
			wantReason:  []string{`still rolling out to "prod0"; release api@2 waits at its promotion gate in "staging"`}},
		{name: "earlier phase idle refuses naming it", rel: rel, env: "prod1",
			byEnv:       map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod0": live("prod0", "api@1")},
			want:        gate.GateRefuse,
			wantCause:   gate.GateCauseEarlierPhaseIdle,
			wantMissing: []string{"prod0"},
			wantIdle:    []string{"prod0"},
			wantReason: []string{`release api@2 cannot be deployed to "prod1" (phase 3 "prod") yet`, `it is not live in "prod0" of earlier phases`,
				"nothing is rolling it out there. Phases run in order: deploy the release to the earlier phases first, or in the same run before this deployment"}},
		{name: "an idle phase is named before a gate", rel: rel, env: "prod1",
			byEnv:     map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutAwaitingPromotion)},
			want:      gate.GateRefuse,
			wantCause: gate.GateCauseEarlierPhaseIdle, wantMissing: []string{"staging", "prod0"}, wantIdle: []string{"prod0"},
			wantReason: []string{`it is not live in "prod0" of earlier phases`}},
		{name: "never deployed refuses naming every idle environment", rel: rel, env: "prod2",
			byEnv:       map[string]domain.Deployment{"prod0": rolling("prod0", domain.RolloutRunning)},
			want:        gate.GateRefuse,
			wantCause:   gate.GateCauseEarlierPhaseIdle,
			wantMissing: []string{"staging", "prod0"},
			wantIdle:    []string{"staging"},
			wantReason:  []string{`it is not live in "staging" of earlier phases`}},
		{name: "a failed rollout is idle", rel: rel, env: "prod0",
			byEnv: map[string]domain.Deployment{"staging": rolling("staging", domain.RolloutRolledBack)}, want: gate.GateRefuse,
			wantCause: gate.GateCauseEarlierPhaseIdle, wantMissing: []string{"staging"}, wantIdle: []string{"staging"}},
		{name: "torn down is not live", rel: rel, env: "prod0",
			byEnv: map[string]domain.Deployment{"staging": {Package: "api", Environment: "staging", LiveRelease: "api@2", Status: domain.StatusTornDown}},
			want:  gate.GateRefuse, wantCause: gate.GateCauseEarlierPhaseIdle, wantMissing: []string{"staging"}, wantIdle: []string{"staging"}},
		{name: "environment not in the release", rel: rel, env: "dev", want: gate.GateRefuse, wantCause: gate.GateCauseNotInRelease,
			wantReason: []string{`environment "dev" is in no phase of release api@2 (phases: staging [staging], prod_canary [prod0], prod [prod1 prod2])`,
				"add it to a phase of the release"}},
		{name: "approval outstanding, nothing planned, refuses", rel: approvalRel, env: "prod1", byEnv: bothEarlierLive,
			want:      gate.GateRefuse,
			wantCause: gate.GateCauseApproval,
			wantReason: []string{`release api@2 cannot be deployed to prod1 (phase 3 "prod"): the phase requires approval, none is recorded, ` +
				`and nothing in this run approves it, so prod1 cannot start. ` +
				`Approve phase "prod" of release api@2 first, or in the same run before this deployment`}},
		{name: "approval planned waits", rel: approvalRel, env: "prod1", byEnv: bothEarlierLive,
			planned:    newPlannedSet().approve("api@2", "prod"),
			want:       gate.GateWait,
			wantCause:  gate.GateCauseApproval,
			wantReason: []string{`waiting for approval of phase "prod" of release api@2: an approval of it is planned in this run`}},
		{name: "approval of another phase does not count", rel: approvalRel, env: "prod1", byEnv: bothEarlierLive,
			planned: newPlannedSet().approve("api@2", "staging"), want: gate.GateRefuse, wantCause: gate.GateCauseApproval},
		{name: "missing approval refuses without waiting for earlier phases", rel: approvalRel, env: "prod1",
			byEnv:     map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod0": rolling("prod0", domain.RolloutRunning)},
			want:      gate.GateRefuse,
			wantCause: gate.GateCauseApproval, wantMissing: []string{"prod0"}},
		{name: "planned approval still waits for earlier phases first", rel: approvalRel, env: "prod1",
			byEnv:     map[string]domain.Deployment{"staging": live("staging", "api@2"), "prod0": rolling("prod0", domain.RolloutRunning)},
			planned:   newPlannedSet().approve("api@2", "prod"),
			want:      gate.GateWait,
			wantCause: gate.GateCauseEarlierPhaseRollingOut, wantMissing: []string{"prod0"},
			wantReason: []string{`still rolling out to "prod0"`}},
		{name: "approval given", rel: approvalRel, env: "prod1", approved: true, byEnv: bothEarlierLive, want: gate.GateOpen},
		{name: "approval does not skip earlier phases", rel: approvalRel, env: "prod1", approved: true,
			byEnv: map[string]domain.Deployment{"staging": live("staging", "api@2")}, want: gate.GateRefuse,
			wantCause: gate.GateCauseEarlierPhaseIdle, wantMissing: []string{"prod0"}, wantIdle: []string{"prod0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var planned gate.PlannedDecisions
			if tt.planned != nil {
				planned = tt.planned
			}
			got := gate.DecidePhaseGate(tt.rel, tt.env, tt.byEnv, tt.approved, planned)
			if got.Verdict != tt.want || got.Cause != tt.wantCause {
				t.Fatalf("verdict, cause = %v, %v; want %v, %v (%s)", got.Verdict, got.Cause, tt.want, tt.wantCause, got.Reason)
			}
			if !equalStrings(got.Missing, tt.wantMissing) {
				t.Errorf("missing = %v, want %v", got.Missing, tt.wantMissing)
			}
			if !equalStrings(got.Idle, tt.wantIdle) {
				t.Errorf("idle = %v, want %v", got.Idle, tt.wantIdle)
			}
			if !slices.Equal(got.Gated, tt.wantGated) {
				t.Errorf("gated = %+v, want %+v", got.Gated, tt.wantGated)
			}
			if got.Release != tt.rel.ID() || got.Package != tt.rel.Package || got.Environment != tt.env {
				t.Errorf("facts = %s %s %s, want %s %s %s", got.Release, got.Package, got.Environment, tt.rel.ID(), tt.rel.Package, tt.env)
			}
			if k := tt.rel.PhaseOf(tt.env); k >= 0 && (got.PhaseNumber != k+1 || got.PhaseName != tt.rel.Phases[k].Name) {
				t.Errorf("phase = %d %q, want %d %q", got.PhaseNumber, got.PhaseName, k+1, tt.rel.Phases[k].Name)
			}
			for _, phrase := range tt.wantReason {
				if !strings.Contains(got.Explanation(), phrase) {
					t.Errorf("explanation %q\n does not contain %q", got.Explanation(), phrase)
				}
			}
			if tt.want == gate.GateOpen && got.Explanation() != "" {
				t.Errorf("an open gate has reason %q", got.Explanation())
			}
			if tt.want == gate.GateWait && got.Advice != "" {
				t.Errorf("a wait has advice %q", got.Advice)
			}
			expectDomainWords(t, got.Explanation())
		})
	}
}

// TestDecidePhaseGateBlueGreenCanaryPhase is issue 8 case 9 as a user
// reads it: the whole refusal, word for word.
func TestDecidePhaseGateBlueGreenCanaryPhase(t *testing.T) {
	rel := domain.Release{Package: "web", Version: "2", Phases: []domain.Phase{
		{Name: "canary", Environments: []string{"canary"}},
		{Name: "prod", Environments: []string{"prod"}},
	}}
	canary := domain.Deployment{Package: "web", Environment: "canary", LiveRelease: "web@1", PendingRelease: "web@2",
		Status: domain.StatusAwaitingPromotion, Rollout: &domain.Rollout{Release: "web@2", State: domain.RolloutAwaitingPromotion}}
	got := gate.DecidePhaseGate(rel, "prod", map[string]domain.Deployment{"canary": canary}, false, nil)
	want := `release web@2 is waiting at its promotion gate in "canary" (phase 1 "canary"): nothing in this run promotes it, so prod cannot start. ` +
		`Promote it in web/canary first, or in the same run before this deployment`
	if got.Verdict != gate.GateRefuse || got.Explanation() != want {
		t.Errorf("decision = %v %q\nwant refusal %q", got.Verdict, got.Explanation(), want)
	}
	wantGated := []gate.GatedDeployment{{DeploymentID: "web/canary", Environment: "canary", PhaseNumber: 1, PhaseName: "canary"}}
	if !slices.Equal(got.Gated, wantGated) {
		t.Errorf("gated = %+v, want %+v", got.Gated, wantGated)
	}
}

// expectDomainWords fails when engine text gives Terraform advice: the
// provider adds that wording, the engine speaks of releases, phases,
// environments, deployments, promotions and approvals.
func expectDomainWords(t *testing.T, text string) {
	t.Helper()
	for _, word := range []string{"ocuroot_", "depends_on", "Terraform", "resource"} {
		if strings.Contains(text, word) {
			t.Errorf("engine text %q speaks of %q", text, word)
		}
	}
}

// plannedSet is a PlannedDecisions listing what a run plans. lateBy makes
// it answer "not planned" to that many questions first, as when a sibling
// resource's plan arrives a moment after the deployment started; asked
// receives a signal after each question.
type plannedSet struct {
	mu         sync.Mutex
	promotions map[string]bool
	approvals  map[string]bool
	lateBy     int
	questions  int
	asked      chan struct{}
}

func newPlannedSet() *plannedSet {
	return &plannedSet{promotions: map[string]bool{}, approvals: map[string]bool{}, asked: make(chan struct{}, 1)}
}

func (p *plannedSet) promote(deploymentID, release string) *plannedSet {
	p.promotions[deploymentID+"#"+release] = true
	return p
}

func (p *plannedSet) approve(release, phase string) *plannedSet {
	p.approvals[release+"#"+phase] = true
	return p
}

func (p *plannedSet) PromotionPlanned(deploymentID, release string) bool {
	return p.answer(p.promotions[deploymentID+"#"+release])
}

func (p *plannedSet) ApprovalPlanned(release, phase string) bool {
	return p.answer(p.approvals[release+"#"+phase])
}

func (p *plannedSet) answer(planned bool) bool {
	p.mu.Lock()
	p.questions++
	late := p.questions <= p.lateBy
	p.mu.Unlock()
	select {
	case p.asked <- struct{}{}:
	default:
	}
	return planned && !late
}

// gateHarness registers staging, prod0, prod1, prod2 and api@1/api@2 with
// the gated flow. It runs on the real clock with a short poll interval.
func gateHarness(t *testing.T, approval bool) *harness {
	return gateHarnessOn(t, domain.RealClock{}, approval)
}

// gateHarnessOn is gateHarness on the given clock.
func gateHarnessOn(t *testing.T, clock domain.Clock, approval bool) *harness {
	opts := Options{}
	if _, real := clock.(domain.RealClock); real {
		opts.PollInterval = 2 * time.Millisecond
	}
	h := newHarnessWith(t, clock, opts)
	for _, env := range []string{"staging", "prod0", "prod1", "prod2"} {
		h.env(env, nil)
	}
	h.register(gatedRelease("1", approval))
	h.register(gatedRelease("2", approval))
	return h
}

func gateSpec(env, release string) domain.DeploymentSpec {
	hook := testHook
	return domain.DeploymentSpec{Package: "api", Environment: env, Release: release, Hook: &hook}
}

// deployInBackground starts a Deploy that is expected to wait: it fails
// the test with notWaiting if the Deploy returns within 50ms.
func deployInBackground(t *testing.T, h *harness, spec domain.DeploymentSpec, notWaiting string) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("%s: %v", notWaiting, err)
	case <-time.After(50 * time.Millisecond):
	}
	return done
}

func TestDeployRefusesWhenEarlierPhaseIsIdle(t *testing.T) {
	h := gateHarness(t, false)
	ctx := context.Background()
	// prod0 runs the old release and nothing is rolling the new one out.
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("staging", "api@2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod0", "api@1"), KnownLiveRelease: "api@1"}); err != nil {
		t.Fatal(err)
	}
	h.hooks.reset()

	start := time.Now()
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod1", "api@2")})
	var gerr *gate.GateError
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want *GateError", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("refusal took %s; it should be immediate", elapsed)
	}
	for _, phrase := range []string{`"prod0"`, "Phases run in order", `"prod1" (phase 3 "prod")`} {
		if !strings.Contains(err.Error(), phrase) {
			t.Errorf("error %q does not mention %s", err, phrase)
		}
	}
	if gerr.Cause != gate.GateCauseEarlierPhaseIdle || !equalStrings(gerr.Idle, []string{"prod0"}) || gerr.Release != "api@2" || gerr.PhaseName != "prod" {
		t.Errorf("gate error facts: cause %v, idle %v, release %s, phase %q; want the idle prod0 before phase prod of api@2",
			gerr.Cause, gerr.Idle, gerr.Release, gerr.PhaseName)
	}
	if gerr.Waited {
		t.Error("Waited is set on an immediate refusal")
	}
	if calls := h.hooks.all(); len(calls) != 0 {
		t.Errorf("hooks were sent despite the refusal: %v", calls)
	}
	if _, err := h.e.GetDeployment(ctx, "api/prod1"); !records.IsNotFound(err) {
		t.Errorf("a refused deployment left a record (err = %v)", err)
	}
}

func TestDeployRefusesEnvironmentOutsideTheRelease(t *testing.T) {
	h := gateHarness(t, false)
	h.env("dev", nil)
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: gateSpec("dev", "api@2")})
	var gerr *gate.GateError
	if !errors.As(err, &gerr) || !strings.Contains(err.Error(), `environment "dev" is in no phase of release api@2`) {
		t.Fatalf("err = %v, want a *GateError naming dev", err)
	}
}

func TestDeployWaitsForEarlierPhaseRollingOut(t *testing.T) {
	h := gateHarness(t, false)
	ctx := context.Background()
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("staging", "api@2")}); err != nil {
		t.Fatal(err)
	}
	h.hooks.reset()
	// prod0's deploy hook is held until the test lets it go.
	held := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.hooks.onSend = func(_ context.Context, ev domain.Event) {
		if ev.Environment == "prod0" && ev.Type == domain.EventDeploy {
			entered <- struct{}{}
			<-held
		}
	}
	phase2 := make(chan error, 1)
	go func() {
		_, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod0", "api@2")})
		phase2 <- err
	}()
	<-entered

	// prod1 must wait, not refuse and not run, while prod0 is rolling out.
	phase3 := deployInBackground(t, h, gateSpec("prod1", "api@2"), "prod1 did not wait for prod0")
	close(held)
	if err := <-phase2; err != nil {
		t.Fatal(err)
	}
	if err := <-phase3; err != nil {
		t.Fatalf("prod1 after prod0 finished: %v", err)
	}
	var order []string
	for _, c := range h.hooks.all() {
		order = append(order, c.Environment+" "+c.Type)
	}
	if want := []string{"prod0 deploy", "prod1 deploy"}; !equalStrings(order, want) {
		t.Errorf("hooks = %v, want %v", order, want)
	}
	if d := h.deployment("api/prod1"); d.LiveRelease != "api@2" || d.Status != domain.StatusSucceeded {
		t.Errorf("prod1 = %s/%s, want api@2 live", d.LiveRelease, d.Status)
	}
}
