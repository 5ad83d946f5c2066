package provider

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
)

// twoPhaseRelease is web@2 with phases canary(canary) → prod(prod), prod
// behind an approval when approval is set.
func twoPhaseRelease(approval bool) domain.Release {
	return domain.Release{Package: "web", Version: "2", Phases: []domain.Phase{
		{Name: "canary", Environments: []string{"canary"}},
		{Name: "prod", Environments: []string{"prod"}, RequiresApproval: approval},
	}}
}

// gateRefusal is the error the engine returns for the decision of
// deploying rel to prod with canary in the given state.
func gateRefusal(t *testing.T, rel domain.Release, canary *domain.Deployment) *gate.GateError {
	t.Helper()
	byEnv := map[string]domain.Deployment{}
	if canary != nil {
		byEnv["canary"] = *canary
	}
	decision := gate.DecidePhaseGate(rel, "prod", byEnv, false, nil)
	if decision.Verdict != gate.GateRefuse {
		t.Fatalf("decision = %+v, want a refusal", decision)
	}
	return &gate.GateError{GateDecision: decision}
}

// TestEngineErrorTextWordsGatesForTerraform: each refusal of the phase gate
// reads, word for word, with the resources and depends_on a user adds.
func TestEngineErrorTextWordsGatesForTerraform(t *testing.T) {
	atGate := &domain.Deployment{Package: "web", Environment: "canary", LiveRelease: "web@1", PendingRelease: "web@2",
		Status: domain.StatusAwaitingPromotion, Rollout: &domain.Rollout{Release: "web@2", State: domain.RolloutAwaitingPromotion}}
	live := &domain.Deployment{Package: "web", Environment: "canary", LiveRelease: "web@2", Status: domain.StatusSucceeded}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{
			name: "earlier phase at its promotion gate",
			err:  gateRefusal(t, twoPhaseRelease(false), atGate),
			want: `release web@2 is waiting at its promotion gate in "canary" (phase 1 "canary"): nothing in this run promotes it, so prod cannot start. ` +
				`Apply resource "ocuroot_promotion" "web_canary" { deployment = "web/canary", release = "web@2" } first, ` +
				`or in the same run with depends_on = [ocuroot_promotion.web_canary] on this deployment`,
		},
		{
			name: "earlier phase idle",
			err:  gateRefusal(t, twoPhaseRelease(false), nil),
			want: `release web@2 cannot be deployed to "prod" (phase 2 "prod") yet: it is not live in "canary" of earlier phases, and nothing is rolling it out there. ` +
				`Phases run in order: make this deployment depend on the deployments of the earlier phase (depends_on = [ocuroot_deployment.<earlier phase>]) ` +
				`or declare one ocuroot_deployment resource block per phase, each depending on the one before`,
		},
		{
			name: "approval missing",
			err:  gateRefusal(t, twoPhaseRelease(true), live),
			want: `release web@2 cannot be deployed to prod (phase 2 "prod"): the phase requires approval, none is recorded, and nothing in this run approves it, so prod cannot start. ` +
				`To approve it, apply an ocuroot_promotion { release = "web@2", phase = "prod" } first, or in the same run with depends_on on this deployment`,
		},
		{
			name: "environment in no phase keeps the engine's words",
			err:  &gate.GateError{GateDecision: gate.DecidePhaseGate(twoPhaseRelease(false), "dev", nil, false, nil)},
			want: `environment "dev" is in no phase of release web@2 (phases: canary [canary], prod [prod]); add it to a phase of the release or deploy another release there`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := engineErrorText(tt.err); got != tt.want {
				t.Errorf("text:\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

// TestEngineErrorTextNamesTheTimeoutsBlock: when the operation's timeout
// ends a wait or a rollout, the text says where that timeout is set.
func TestEngineErrorTextNamesTheTimeoutsBlock(t *testing.T) {
	waitingForApproval := gate.GateDecision{Verdict: gate.GateWait, Cause: gate.GateCauseApproval, Release: "web@2", PhaseName: "prod",
		Reason: `waiting for approval of phase "prod" of release web@2: an approval of it is planned in this run`}
	interrupted := &domain.RolloutError{Deployment: "web/prod", Release: "web@2", Step: "canary step 1 of 1 (weight 20%, bake 30s)",
		Reason: "the operation's timeout was reached", Interrupted: true, Timeout: true, RolledBack: true, RestoredRelease: "web@1"}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{
			name: "gate wait",
			err:  &gate.GateError{GateDecision: waitingForApproval, Waited: true, Err: context.DeadlineExceeded},
			want: `gave up waiting for approval of phase "prod" of release web@2: an approval of it is planned in this run ` +
				`(the operation's timeout was reached; raise it in the resource's timeouts block if this wait is expected to take longer)`,
		},
		{
			name: "gate wait interrupted names no timeout",
			err:  &gate.GateError{GateDecision: waitingForApproval, Waited: true, Err: context.Canceled},
			want: `gave up waiting for approval of phase "prod" of release web@2: an approval of it is planned in this run (the operation was cancelled)`,
		},
		{
			name: "promotion wait, wrapped",
			err: fmt.Errorf("promoting web/canary: %w", &gate.WaitEndedError{
				Waiting: "waiting for web/canary to reach awaiting_promotion for web@2", Err: context.DeadlineExceeded}),
			want: `promoting web/canary: gave up waiting for web/canary to reach awaiting_promotion for web@2 ` +
				`(the operation's timeout was reached; raise it in the resource's timeouts block if this wait is expected to take longer)`,
		},
		{
			name: "rollout interrupted by the timeout, joined to a store error",
			err:  errors.Join(interrupted, errors.New("saving the record: disk full")),
			want: `rollout of web@2 to web/prod was interrupted at canary step 1 of 1 (weight 20%, bake 30s): the operation's timeout was reached (Terraform timeouts block). ` +
				"Rolled back: the rollback hook was accepted and 100% of traffic is back on web@1.\nsaving the record: disk full",
		},
		{
			name: "health wait ended by the timeout quotes the last probe after the timeouts block",
			err: &domain.RolloutError{Deployment: "web/prod", Release: "web@2", Step: "the wait for health of stable",
				Reason: "the operation's timeout was reached", Interrupted: true, Timeout: true, Resumable: true,
				LastCheck: `check "health" failed: GET http://web.test/health: status 503, expected 200; body: "warming up"`},
			want: `rollout of web@2 to web/prod was interrupted at the wait for health of stable: the operation's timeout was reached (Terraform timeouts block); ` +
				`the last check "health" failed: GET http://web.test/health: status 503, expected 200; body: "warming up". ` +
				"Nothing was rolled back; the rollout's position is saved and the next apply continues from this step.",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := engineErrorText(tt.err); got != tt.want {
				t.Errorf("text:\n got  %s\n want %s", got, tt.want)
			}
		})
	}
	if interrupted.Reason != "the operation's timeout was reached" {
		t.Errorf("wording the error changed the engine's reason to %q", interrupted.Reason)
	}
}

// TestEngineErrorTextNamesTheResourceToDeclare covers the refusals that
// name something missing or in the way.
func TestEngineErrorTextNamesTheResourceToDeclare(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{
			name: "release not registered",
			err:  &engine.NotRegisteredError{Kind: engine.KindRelease, Name: "api@99"},
			want: "release api@99 is not registered: declare it with an ocuroot_release resource and reference its id",
		},
		{
			name: "environment not registered",
			err:  &engine.NotRegisteredError{Kind: engine.KindEnvironment, Name: "mars"},
			want: `environment "mars" is not registered: declare it with an ocuroot_environment resource and reference it`,
		},
		{
			name: "environment still in use",
			err:  &domain.EnvironmentInUseError{Environment: "prod", Deployments: []string{"api/prod", "web/prod"}},
			want: `environment "prod" still has 2 live deployment(s): api/prod, web/prod. Destroy those deployments first ` +
				`(reference the environment from each ocuroot_deployment so Terraform destroys them before the environment)`,
		},
		{
			name: "a rollout that failed on its own is left as it is",
			err:  &domain.RolloutError{Deployment: "api/prod", Release: "api@2", Step: "the deploy", Reason: "hook returned 500", Timeout: true},
			want: "rollout of api@2 to api/prod failed at the deploy: hook returned 500. " +
				"Traffic was left as it is (on_timeout = \"fail\" or nothing to restore).",
		},
		{
			name: "other errors are left as they are",
			err:  errors.New("reading deployment api/prod: store is closed"),
			want: "reading deployment api/prod: store is closed",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := engineErrorText(tt.err); got != tt.want {
				t.Errorf("text:\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

func TestProblemDetailAdvisesDeclaringTheEnvironment(t *testing.T) {
	problems := domain.CheckReleaseFlow(domain.ReleaseDraft{Package: "api", Version: "1", Phases: []domain.PhaseDraft{
		{Name: "prod", Environments: []string{"prod9"}},
	}}, map[string]bool{"prod": true})
	if len(problems) != 1 || problems[0].Code != domain.ProblemUnknownEnvironment {
		t.Fatalf("problems = %+v, want one unknown environment", problems)
	}
	want := `Environment "prod9" is not registered. Declare it with an ocuroot_environment resource (and reference that resource so it is created first). ` +
		"If the environment is declared in this configuration, select it from the resource, for example " +
		"`environments = [for e in ocuroot_environment.all : e.name]` (or add `depends_on`), so that it is planned before this release."
	if got := problemDetail(problems[0]); got != want {
		t.Errorf("detail:\n got  %s\n want %s", got, want)
	}
	other := domain.Problem{Code: domain.ProblemEmptyPhase, Detail: "Phase \"prod\" selects no environment."}
	if got := problemDetail(other); got != other.Detail {
		t.Errorf("detail of another rule = %q, want the engine's %q", got, other.Detail)
	}
}

func TestPromotionResourceName(t *testing.T) {
	for _, tt := range []struct{ pkg, env, want string }{
		{"web", "canary", "web_canary"},
		{"api", "eu.prod-1", "api_eu_prod-1"},
		{"9lives", "prod", "promote_9lives_prod"},
	} {
		if got := promotionResourceName(tt.pkg, tt.env); got != tt.want {
			t.Errorf("promotionResourceName(%q, %q) = %q, want %q", tt.pkg, tt.env, got, tt.want)
		}
	}
}
