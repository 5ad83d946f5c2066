package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// gatedRelease is api@2 with phases staging → prod_canary(prod0) →
// prod(prod1, prod2), the last one behind an approval.
func gatedRelease(version string, approval bool) Release {
	return Release{Package: "api", Version: version, Phases: []Phase{
		{Name: "staging", Environments: []string{"staging"}},
		{Name: "prod_canary", Environments: []string{"prod0"}},
		{Name: "prod", Environments: []string{"prod1", "prod2"}, RequiresApproval: approval},
	}}
}

func TestDecidePhaseGate(t *testing.T) {
	rel := gatedRelease("2", false)
	approvalRel := gatedRelease("2", true)
	live := func(env, release string) Deployment {
		return Deployment{Package: "api", Environment: env, LiveRelease: release, Status: StatusSucceeded}
	}
	rolling := func(env string, state RolloutState) Deployment {
		return Deployment{Package: "api", Environment: env, LiveRelease: "api@1", Status: StatusInProgress,
			Rollout: &Rollout{Release: "api@2", State: state}}
	}
	tests := []struct {
		name        string
		rel         Release
		env         string
		byEnv       map[string]Deployment
		approved    bool
		want        GateVerdict
		wantMissing []string
		wantReason  []string // phrases the reason must contain
	}{
		{name: "first phase opens at once", rel: rel, env: "staging", want: GateOpen},
		{name: "earlier phases live", rel: rel, env: "prod1",
			byEnv: map[string]Deployment{"staging": live("staging", "api@2"), "prod0": live("prod0", "api@2")}, want: GateOpen},
		{name: "earlier phase still baking", rel: rel, env: "prod1",
			byEnv:       map[string]Deployment{"staging": live("staging", "api@2"), "prod0": rolling("prod0", RolloutRunning)},
			want:        GateWait,
			wantMissing: []string{"prod0"},
			wantReason:  []string{`waiting for earlier phases: release api@2 is still rolling out to "prod0"`}},
		{name: "earlier phase awaiting promotion waits", rel: rel, env: "prod0",
			byEnv: map[string]Deployment{"staging": rolling("staging", RolloutAwaitingPromotion)}, want: GateWait, wantMissing: []string{"staging"}},
		{name: "earlier phase idle refuses naming it", rel: rel, env: "prod1",
			byEnv:       map[string]Deployment{"staging": live("staging", "api@2"), "prod0": live("prod0", "api@1")},
			want:        GateRefuse,
			wantMissing: []string{"prod0"},
			wantReason: []string{`release api@2 cannot be deployed to "prod1" (phase 3 "prod") yet`, `it is not live in "prod0" of earlier phases`,
				"nothing is rolling it out there", "depends_on = [ocuroot_deployment.<earlier phase>]", "one ocuroot_deployment resource block per phase"}},
		{name: "never deployed refuses naming every idle environment", rel: rel, env: "prod2",
			byEnv:       map[string]Deployment{"prod0": rolling("prod0", RolloutRunning)},
			want:        GateRefuse,
			wantMissing: []string{"staging", "prod0"},
			wantReason:  []string{`it is not live in "staging" of earlier phases`}},
		{name: "a failed rollout is idle", rel: rel, env: "prod0",
			byEnv: map[string]Deployment{"staging": rolling("staging", RolloutRolledBack)}, want: GateRefuse, wantMissing: []string{"staging"}},
		{name: "torn down is not live", rel: rel, env: "prod0",
			byEnv: map[string]Deployment{"staging": {Package: "api", Environment: "staging", LiveRelease: "api@2", Status: StatusTornDown}},
			want:  GateRefuse, wantMissing: []string{"staging"}},
		{name: "environment not in the release", rel: rel, env: "dev", want: GateRefuse,
			wantReason: []string{`environment "dev" is in no phase of release api@2 (phases: staging [staging], prod_canary [prod0], prod [prod1 prod2])`,
				"add it to a phase of the release"}},
		{name: "approval outstanding", rel: approvalRel, env: "prod1",
			byEnv: map[string]Deployment{"staging": live("staging", "api@2"), "prod0": live("prod0", "api@2")},
			want:  GateWait,
			wantReason: []string{`waiting for approval of phase "prod" of release api@2`,
				`ocuroot_promotion { release = "api@2", phase = "prod" }`}},
		{name: "approval given", rel: approvalRel, env: "prod1", approved: true,
			byEnv: map[string]Deployment{"staging": live("staging", "api@2"), "prod0": live("prod0", "api@2")}, want: GateOpen},
		{name: "approval does not skip earlier phases", rel: approvalRel, env: "prod1", approved: true,
			byEnv: map[string]Deployment{"staging": live("staging", "api@2")}, want: GateRefuse, wantMissing: []string{"prod0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DecidePhaseGate(tt.rel, tt.env, tt.byEnv, tt.approved)
			if got.Verdict != tt.want {
				t.Fatalf("verdict = %v, want %v (%s)", got.Verdict, tt.want, got.Reason)
			}
			if !equalStrings(got.Missing, tt.wantMissing) {
				t.Errorf("missing = %v, want %v", got.Missing, tt.wantMissing)
			}
			for _, phrase := range tt.wantReason {
				if !strings.Contains(got.Reason, phrase) {
					t.Errorf("reason %q\n does not contain %q", got.Reason, phrase)
				}
			}
			if tt.want == GateOpen && got.Reason != "" {
				t.Errorf("an open gate has reason %q", got.Reason)
			}
		})
	}
}

// gateHarness registers staging, prod0, prod1, prod2 and api@1/api@2 with
// the gated flow. It runs on the real clock with a short poll interval.
func gateHarness(t *testing.T, approval bool) *harness {
	h := newHarnessWith(t, RealClock{}, Options{PollInterval: 2 * time.Millisecond})
	for _, env := range []string{"staging", "prod0", "prod1", "prod2"} {
		h.env(env, nil)
	}
	h.register(gatedRelease("1", approval))
	h.register(gatedRelease("2", approval))
	return h
}

func gateSpec(env, release string) DeploymentSpec {
	hook := testHook
	return DeploymentSpec{Package: "api", Environment: env, Release: release, Hook: &hook}
}

// deployInBackground starts a Deploy that is expected to wait: it fails
// the test with notWaiting if the Deploy returns within 50ms.
func deployInBackground(t *testing.T, h *harness, spec DeploymentSpec, notWaiting string) <-chan error {
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
	var gerr *GateError
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want *GateError", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("refusal took %s; it should be immediate", elapsed)
	}
	for _, phrase := range []string{`"prod0"`, "depends_on", `"prod1" (phase 3 "prod")`} {
		if !strings.Contains(err.Error(), phrase) {
			t.Errorf("error %q does not mention %s", err, phrase)
		}
	}
	if gerr.Waited {
		t.Error("Waited is set on an immediate refusal")
	}
	if calls := h.hooks.all(); len(calls) != 0 {
		t.Errorf("hooks were sent despite the refusal: %v", calls)
	}
	if _, err := h.e.GetDeployment(ctx, "api/prod1"); !IsNotFound(err) {
		t.Errorf("a refused deployment left a record (err = %v)", err)
	}
}

func TestDeployRefusesEnvironmentOutsideTheRelease(t *testing.T) {
	h := gateHarness(t, false)
	h.env("dev", nil)
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: gateSpec("dev", "api@2")})
	var gerr *GateError
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
	h.hooks.onSend = func(_ context.Context, ev Event) {
		if ev.Environment == "prod0" && ev.Type == EventDeploy {
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
	if d := h.deployment("api/prod1"); d.LiveRelease != "api@2" || d.Status != StatusSucceeded {
		t.Errorf("prod1 = %s/%s, want api@2 live", d.LiveRelease, d.Status)
	}
}

func TestDeployWaitsForPhaseApproval(t *testing.T) {
	h := gateHarness(t, true)
	ctx := context.Background()
	for _, env := range []string{"staging", "prod0"} {
		if _, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec(env, "api@2")}); err != nil {
			t.Fatal(err)
		}
	}
	done := deployInBackground(t, h, gateSpec("prod1", "api@2"), "prod1 did not wait for the approval")
	if _, err := h.e.ApprovePhase(ctx, "api@2", "nope", "", "bob"); err == nil || !strings.Contains(err.Error(), `release api@2 has no phase "nope"`) {
		t.Errorf("approving an unknown phase: %v", err)
	}
	a, err := h.e.ApprovePhase(ctx, "api@2", "prod", "change 42", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if a.By != "bob" || a.Note != "change 42" || a.Phase != "prod" {
		t.Errorf("approval = %+v", a)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("prod1 still waits after the approval")
	}
	if d := h.deployment("api/prod1"); d.LiveRelease != "api@2" {
		t.Errorf("prod1 live = %q, want api@2", d.LiveRelease)
	}
}

func TestDeployGiveUpWaitingForApproval(t *testing.T) {
	h := gateHarness(t, true)
	ctx := context.Background()
	for _, env := range []string{"staging", "prod0"} {
		if _, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec(env, "api@2")}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod1", "api@2")})
	var gerr *GateError
	if !errors.As(err, &gerr) || !gerr.Waited || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a *GateError that waited until the deadline", err)
	}
	if !strings.Contains(err.Error(), `gave up waiting for approval of phase "prod"`) {
		t.Errorf("error = %q", err)
	}
}
