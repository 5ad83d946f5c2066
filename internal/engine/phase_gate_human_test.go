package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Phase gates that wait on a person: an earlier phase stopped at its
// promotion gate, or a phase approval. A deployment waits for them only
// when the run plans the promotion or approval; otherwise it refuses
// within PlannedDecisionGrace of engine-clock time. Every test here runs on
// an auto clock, so no test waits on the wall clock.

// webCanaryHarness is issue 8 case 9: package web, phases canary(canary) →
// prod(prod); web@1 is live in both and web@2 waits at the promotion gate
// of its blue-green update in canary.
func webCanaryHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.env("canary", nil)
	for _, version := range []string{"1", "2"} {
		h.register(domain.Release{Package: "web", Version: version, Phases: []domain.Phase{
			{Name: "canary", Environments: []string{"canary"}},
			{Name: "prod", Environments: []string{"prod"}},
		}})
	}
	ctx := context.Background()
	for _, env := range []string{"canary", "prod"} {
		if _, err := h.e.Deploy(ctx, DeployRequest{Spec: webSpec(env, "web@1")}); err != nil {
			t.Fatalf("deploying web@1 to %s: %v", env, err)
		}
	}
	d, err := h.e.Deploy(ctx, DeployRequest{Spec: webSpec("canary", "web@2")})
	if err != nil || d.Status != domain.StatusAwaitingPromotion {
		t.Fatalf("web@2 in canary: %v, %v; want it at its promotion gate", d, err)
	}
	h.hooks.reset()
	return h
}

// webSpec is blue-green with manual promotion in canary, direct in prod.
func webSpec(env, release string) domain.DeploymentSpec {
	hook := testHook
	spec := domain.DeploymentSpec{Package: "web", Environment: env, Release: release, Hook: &hook,
		HealthCheck: &domain.HealthCheck{URL: "http://web.test/{slot}/health", Interval: time.Minute}}
	if env == "canary" {
		spec.Strategy = domain.StrategyBlueGreen
		spec.BlueGreen = domain.BlueGreenSpec{ManualPromotion: true}
	}
	return spec
}

// hookLog renders hook calls as "environment type".
func hookLog(h *harness) []string {
	var out []string
	for _, c := range h.hooks.all() {
		out = append(out, c.Environment+" "+c.Type)
	}
	return out
}

// receive waits for a result the code under test is bound to deliver; the
// limit only turns a hang into a failure.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s never happened", what)
	}
	var zero T
	return zero
}

// expectRefusedWithinGrace checks that err is an immediate refusal (not a
// wait that ended) and that it took the grace on the engine clock, no more.
func expectRefusedWithinGrace(t *testing.T, h *harness, started time.Time, err error) *gate.GateError {
	t.Helper()
	var gerr *gate.GateError
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want a *GateError", err)
	}
	if gerr.Waited {
		t.Errorf("the refusal is reported as a wait that ended: %v", err)
	}
	if waited := h.now().Sub(started); waited < gate.PlannedDecisionGrace || waited > gate.PlannedDecisionGrace+time.Second {
		t.Errorf("refused after %s of engine time; want the %s grace for a late plan and no more", waited, gate.PlannedDecisionGrace)
	}
	return gerr
}

func TestPhaseGateRefusesAtOnceBehindUnplannedPromotion(t *testing.T) {
	h := webCanaryHarness(t)
	started := h.now()
	_, err := h.e.Deploy(context.Background(), DeployRequest{Spec: webSpec("prod", "web@2"), KnownLiveRelease: "web@1"})
	gerr := expectRefusedWithinGrace(t, h, started, err)
	want := `release web@2 is waiting at its promotion gate in "canary" (phase 1 "canary"): nothing in this run promotes it, so prod cannot start. ` +
		`Promote it in web/canary first, or in the same run before this deployment`
	if err.Error() != want {
		t.Errorf("error:\n got  %s\n want %s", err, want)
	}
	wantGated := []gate.GatedDeployment{{DeploymentID: "web/canary", Environment: "canary", PhaseNumber: 1, PhaseName: "canary"}}
	if gerr.Cause != gate.GateCausePromotionGate || gerr.Release != "web@2" || gerr.Package != "web" || !slices.Equal(gerr.Gated, wantGated) {
		t.Errorf("gate error facts: cause %v, release %s, package %s, gated %+v; want web@2 held by %+v", gerr.Cause, gerr.Release, gerr.Package, gerr.Gated, wantGated)
	}
	if calls := hookLog(h); len(calls) != 0 {
		t.Errorf("hooks were sent despite the refusal: %v", calls)
	}
	if d := h.deployment("web/prod"); d.LiveRelease != "web@1" || d.Rollout == nil || d.Rollout.Release != "web@1" {
		t.Errorf("prod moved: live %s, rollout %+v", d.LiveRelease, d.Rollout)
	}
	if d := h.deployment("web/canary"); d.Status != domain.StatusAwaitingPromotion {
		t.Errorf("canary is %s, want it still awaiting promotion", d.Status)
	}
}

func TestPhaseGateWaitsForPlannedPromotion(t *testing.T) {
	for _, tt := range []struct {
		name   string
		lateBy int // questions answered "not planned" before the plan arrives
	}{
		{name: "planned before the deployment starts"},
		// The promotion resource is planned a moment after this
		// deployment started (siblings start in any order): within the
		// grace, the deployment waits instead of refusing.
		{name: "planned during the grace", lateBy: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := webCanaryHarness(t)
			ctx := context.Background()
			planned := newPlannedSet().promote("web/canary", "web@2")
			planned.lateBy = tt.lateBy
			done := make(chan error, 1)
			go func() {
				_, err := h.e.Deploy(ctx, DeployRequest{Spec: webSpec("prod", "web@2"), KnownLiveRelease: "web@1", Planned: planned})
				done <- err
			}()
			for range tt.lateBy + 1 {
				receive(t, planned.asked, "the gate asking whether a promotion is planned")
			}
			select {
			case err := <-done:
				t.Fatalf("prod did not wait for the planned promotion: %v", err)
			default:
			}
			if _, err := h.e.Promote(ctx, PromoteRequest{Deployment: "web/canary", Release: "web@2", By: "test"}); err != nil {
				t.Fatalf("promoting canary: %v", err)
			}
			if err := receive(t, done, "prod's deploy returning"); err != nil {
				t.Fatalf("prod after the promotion: %v", err)
			}
			want := []string{"canary cutover", "canary blue.drain", "prod deploy"}
			if got := hookLog(h); !equalStrings(got, want) {
				t.Errorf("hooks = %v, want %v", got, want)
			}
			if d := h.deployment("web/prod"); d.LiveRelease != "web@2" || d.Status != domain.StatusSucceeded {
				t.Errorf("prod = %s/%s, want web@2 live", d.LiveRelease, d.Status)
			}
		})
	}
}

// earlierPhasesLive makes api@2 live in staging and prod0, the phases
// before prod, and forgets the hooks that sent.
func earlierPhasesLive(t *testing.T, h *harness) {
	t.Helper()
	for _, env := range []string{"staging", "prod0"} {
		if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: gateSpec(env, "api@2")}); err != nil {
			t.Fatal(err)
		}
	}
	h.hooks.reset()
}

func TestPhaseGateRefusesAtOnceWithoutPlannedApproval(t *testing.T) {
	h := gateHarnessOn(t, enginetest.NewAutoClock(testStart), true)
	ctx := context.Background()
	earlierPhasesLive(t, h)
	// Planned: an approval of another phase, which does not count.
	planned := newPlannedSet().approve("api@2", "prod_canary")
	started := h.now()
	_, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod1", "api@2"), Planned: planned})
	gerr := expectRefusedWithinGrace(t, h, started, err)
	want := `release api@2 cannot be deployed to prod1 (phase 3 "prod"): the phase requires approval, none is recorded, and nothing in this run approves it, ` +
		`so prod1 cannot start. Approve phase "prod" of release api@2 first, or in the same run before this deployment`
	if err.Error() != want {
		t.Errorf("error:\n got  %s\n want %s", err, want)
	}
	if gerr.Cause != gate.GateCauseApproval || gerr.Release != "api@2" || gerr.PhaseNumber != 3 || gerr.PhaseName != "prod" || gerr.Environment != "prod1" {
		t.Errorf("gate error facts: cause %v, release %s, phase %d %q, environment %s; want the approval of phase 3 \"prod\" of api@2 for prod1",
			gerr.Cause, gerr.Release, gerr.PhaseNumber, gerr.PhaseName, gerr.Environment)
	}
	if calls := hookLog(h); len(calls) != 0 {
		t.Errorf("hooks were sent despite the refusal: %v", calls)
	}
	if _, err := h.e.GetDeployment(ctx, "api/prod1"); !records.IsNotFound(err) {
		t.Errorf("a refused deployment left a record (err = %v)", err)
	}
}

func TestPhaseGateWaitsForPlannedApproval(t *testing.T) {
	h := gateHarnessOn(t, enginetest.NewAutoClock(testStart), true)
	ctx := context.Background()
	earlierPhasesLive(t, h)
	planned := newPlannedSet().approve("api@2", "prod")
	done := make(chan error, 1)
	go func() {
		_, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod1", "api@2"), Planned: planned})
		done <- err
	}()
	receive(t, planned.asked, "the gate asking whether an approval is planned")
	if _, err := h.e.ApprovePhase(ctx, "api@2", "nope", "", "bob"); err == nil || !strings.Contains(err.Error(), `release api@2 has no phase "nope"`) {
		t.Errorf("approving an unknown phase: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("prod1 did not wait for the planned approval: %v", err)
	default:
	}
	a, err := h.e.ApprovePhase(ctx, "api@2", "prod", "change 42", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if a.By != "bob" || a.Note != "change 42" || a.Phase != "prod" {
		t.Errorf("approval = %+v", a)
	}
	if err := receive(t, done, "prod1's deploy returning"); err != nil {
		t.Fatalf("prod1 after the approval: %v", err)
	}
	if got, want := hookLog(h), []string{"prod1 deploy"}; !equalStrings(got, want) {
		t.Errorf("hooks = %v, want %v", got, want)
	}
	if d := h.deployment("api/prod1"); d.LiveRelease != "api@2" {
		t.Errorf("prod1 live = %q, want api@2", d.LiveRelease)
	}
}

// TestPhaseGateWaitEndsInWords: when the operation's context ends during a
// wait, the error says so in words (and still wraps the context's error
// for callers), never as Go's raw "context deadline exceeded".
func TestPhaseGateWaitEndsInWords(t *testing.T) {
	for _, tt := range []struct {
		name    string
		end     func(parent context.Context, planned *plannedSet) (context.Context, context.CancelFunc)
		wantErr error
		want    string
	}{
		{
			name: "timeout",
			end: func(parent context.Context, _ *plannedSet) (context.Context, context.CancelFunc) {
				return context.WithTimeout(parent, 20*time.Millisecond)
			},
			wantErr: context.DeadlineExceeded,
			want:    `gave up waiting for approval of phase "prod" of release api@2: an approval of it is planned in this run (the operation's timeout was reached)`,
		},
		{
			name: "interrupt",
			end: func(parent context.Context, planned *plannedSet) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(parent)
				go func() {
					<-planned.asked
					cancel()
				}()
				return ctx, cancel
			},
			wantErr: context.Canceled,
			want:    `gave up waiting for approval of phase "prod" of release api@2: an approval of it is planned in this run (the operation was cancelled)`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := gateHarness(t, true)
			earlierPhasesLive(t, h)
			// The approval is planned but never arrives.
			planned := newPlannedSet().approve("api@2", "prod")
			ctx, cancel := tt.end(context.Background(), planned)
			defer cancel()
			_, err := h.e.Deploy(ctx, DeployRequest{Spec: gateSpec("prod1", "api@2"), Planned: planned})
			var gerr *gate.GateError
			if !errors.As(err, &gerr) || !gerr.Waited || !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want a *GateError that waited until %v", err, tt.wantErr)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got  %s\n want %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "context ") {
				t.Errorf("error shows Go's context error: %s", err)
			}
		})
	}
}
