package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Pass is everything one pass of the state machine works with:
// what was read, what is being built, and the clients to act through.
type Pass struct {
	// m is the machine this pass runs on: its clients and clock.
	m *Machine
	// d is the deployment record; d.Rollout is the rollout being walked.
	d *domain.Deployment
	// spec is the live configuration, hook secret included (never saved).
	spec domain.DeploymentSpec
	// creds are the secrets and headers this pass signs and probes with,
	// resolved before anything is sent (BindCredentials).
	creds BoundCredentials
	// env supplies the attributes sent with every event.
	env domain.Environment
	// lease is held for the whole pass.
	lease *lease.Held
	// resumed is set when this pass continues a step an earlier pass was
	// interrupted in (a killed provider, Ctrl-C with on_timeout = "fail").
	resumed bool
	// passedThisPass is set once a check round passed in this pass of the
	// engine. Rounds a dead process ran before a resume do not count: after
	// a resume, a hook that moves more traffic waits for one of its own.
	passedThisPass bool
	// lastCheck is the last check result of the current step that a
	// probe returned whole, so a timeout or an interrupt while waiting on
	// checks can say what it last saw. Nil until a probe of this step
	// answered in this pass.
	lastCheck *domain.CheckResult
	// outage is set while the store cannot be reached; saved is where it
	// last acknowledged the rollout (see store_outage.go).
	outage storeOutage
	saved  savedPosition
	// unrecordedRollbackKey is the key step of a rollback whose decision
	// the store did not record (see rollbackKeyStep).
	unrecordedRollbackKey string
	// analysis is what the current step's PromQL checks showed in this
	// pass, for the step's history entry (analysis_note.go).
	analysis stepAnalysis
}

// NewPass starts a pass over deployment d with the configuration of this
// run (spec, its secrets bound in creds), under lease.
func (m *Machine) NewPass(d *domain.Deployment, spec domain.DeploymentSpec, creds BoundCredentials, env domain.Environment, lease *lease.Held) *Pass {
	return &Pass{m: m, d: d, spec: spec, creds: creds, env: env, lease: lease}
}

func (rc *Pass) r() *domain.Rollout { return rc.d.Rollout }

// version is the version of the release being rolled out, for events and
// check placeholders.
func (rc *Pass) version() string { return domain.VersionOf(rc.r().Release) }

// StepTitle names step i as the user configured it, for diagnostics,
// history reasons and logs: "canary step 2 of 2 (weight 50%, bake 2s)",
// "the cutover" (step_title.go).
func (rc *Pass) StepTitle(i int) string { return domain.StepTitle(rc.r().Steps, i) }

// StepStage names step i in a history transition's from and to.
func (rc *Pass) stepStage(i int) string { return domain.StepStage(rc.r().Steps, i) }

// StepIndex is the plan's "2/5", a secondary detail for logs.
func (rc *Pass) stepIndex(i int) string { return domain.StepIndex(rc.r().Steps, i) }

// Persist saves the record. Every transition goes through here before the
// machine moves on, so a killed process resumes at the saved step. A save
// that fails because the store cannot be reached starts an outage (see
// store_outage.go); the first save that lands ends it.
func (rc *Pass) Persist(ctx context.Context) error {
	rc.d.UpdatedAt = rc.m.Clock.Now()
	err := rc.m.Store.SaveDeployment(ctx, rc.d)
	if errors.Is(err, records.ErrConflict) && len(rc.outage.lostAnswers) > 0 && rc.adoptLandedSave(ctx) {
		err = rc.m.Store.SaveDeployment(ctx, rc.d)
	}
	if err != nil {
		if rc.storeUnreachable(ctx, err) {
			rc.outage.lostAnswers = append(rc.outage.lostAnswers, rc.d.UpdatedAt)
		}
		return fmt.Errorf("saving deployment %s: %w", rc.d.ID(), err)
	}
	// A teardown saves a record that may have no rollout (one restored
	// from Terraform state): there is no position to remember then.
	if r := rc.r(); r != nil {
		rc.saved = savedPosition{known: true, state: r.State, step: r.StepIndex, traffic: rc.d.TrafficPercent}
	}
	if rc.storeAnswered(ctx) {
		return rc.Persist(ctx) // the note on the outage goes to the store at once
	}
	return nil
}

// stepOutcomeKind is what running one step decided.
type stepOutcomeKind int

const (
	// The zero value decides nothing: it is what a step returns with an
	// error (the pass was interrupted), and it is kept apart from stepDone
	// so that an outcome left empty never advances the rollout.
	_ stepOutcomeKind = iota
	// stepDone: advance to the next step.
	stepDone
	// stepAtGate: stop at awaiting_promotion.
	stepAtGate
	// stepFailed: a check or a hook failed; start the failure path.
	stepFailed
	// stepTimedOut: the progress deadline passed (or the store stayed
	// away too long); on_timeout decides between rolling back and leaving
	// traffic as it is.
	stepTimedOut
	// stepHeld: the store stopped answering before the step moved traffic;
	// hold until it is back, then run the step again.
	stepHeld
)

// stepOutcome is what running one step decided, and why.
type stepOutcome struct {
	kind stepOutcomeKind
	// detail is the history note of a done step, or the reason of a
	// failed or timed-out one.
	detail string
}

// Run walks the rollout from its current step to the end, a gate, or a
// failure. It is the whole state machine: a flat loop where every path ends
// in exactly one persist.
func (rc *Pass) Run(ctx context.Context) (*domain.Deployment, error) {
	r := rc.r()
	// A resume counts each attempt at the step it continues; a step
	// reached normally is on its first.
	rc.resumed = r.StepAttempt > 1
	// The strategy that planned the steps says what each reads at run time,
	// from the configuration of this pass.
	PaceSteps(r.Spec.Strategy, rc.spec, r.Steps)
	for {
		switch r.State {
		case domain.RolloutRollingBack:
			return rc.d, rc.FinishRollback(ctx, &domain.RolloutError{Deployment: rc.d.ID(), Release: r.Release, Reason: r.FailureReason})
		case domain.RolloutAwaitingPromotion:
			return rc.d, nil
		case domain.RolloutRunning:
		default:
			return rc.d, nil
		}
		step := r.CurrentStep()
		if step == nil {
			return rc.d, rc.complete(ctx)
		}
		// No step runs while the store is away: it could move traffic on a
		// lease this run cannot renew.
		if rc.outage.active() {
			held, err := rc.holdForStore(ctx, step)
			if err != nil {
				return rc.d, rc.interrupted(ctx, err)
			}
			if held.kind != stepDone {
				return rc.d, rc.fail(ctx, held)
			}
		}
		if err := rc.lease.Renew(ctx); err != nil {
			if rc.storeUnreachable(ctx, err) {
				continue
			}
			return rc.d, rc.interrupted(ctx, err)
		}
		outcome, err := rc.runStep(ctx, step)
		if err != nil {
			return rc.d, rc.interrupted(ctx, err)
		}
		switch outcome.kind {
		case stepFailed, stepTimedOut:
			return rc.d, rc.fail(ctx, outcome)
		case stepAtGate:
			return rc.d, rc.openGate(ctx)
		case stepDone:
			// An advance the store did not take is held at the top of the
			// loop, and saved from there.
			if err := rc.advance(ctx, outcome.detail); err != nil && !rc.storeUnreachable(ctx, err) {
				return rc.d, err
			}
		case stepHeld:
			// Held at the top of the loop; the step runs again after.
		}
	}
}

// advance moves to the next step and persists that transition.
func (rc *Pass) advance(ctx context.Context, note string) error {
	r := rc.r()
	now := rc.m.Clock.Now()
	from, fromIndex := rc.stepStage(r.StepIndex), rc.stepIndex(r.StepIndex)
	fields := map[string]any{
		"deployment": rc.d.ID(), "release": r.Release, "step": from, "step_index": fromIndex, "weight": rc.d.TrafficPercent,
		"checks_passed": r.ChecksPassed, "checks_failed": r.ChecksFailed, "note": note,
	}
	if step := r.Steps[r.StepIndex]; step.Duration > 0 {
		fields["bake_elapsed"], fields["bake_total"] = r.StepObserved.Round(time.Millisecond), step.Duration
	}
	r.StepIndex++
	r.StepStartedAt = now
	r.StepObserved = 0
	r.StepAttempt = 1
	r.ConsecutiveFailures = 0
	r.ConsecutiveInconclusive = 0
	rc.lastCheck = nil
	rc.analysis = stepAnalysis{}
	to := rc.stepStage(r.StepIndex)
	rc.d.AddTransition(domain.Transition{Time: now, From: from, To: to, Release: r.Release, Reason: note})
	fields["next"] = to
	rc.m.Log.Info(ctx, "ocuroot: step done", fields)
	return rc.Persist(ctx)
}

// complete marks the rollout succeeded.
func (rc *Pass) complete(ctx context.Context) error {
	r := rc.r()
	now := rc.m.Clock.Now()
	r.FinishedAt = now
	rc.d.LiveRelease = r.Release
	rc.d.PendingRelease = ""
	rc.d.TrafficPercent = 100
	rc.d.MoveRollout(now, domain.RolloutSucceeded, fmt.Sprintf("%s is live: completed all %d steps in %s", r.Release, len(r.Steps), now.Sub(r.StartedAt).Round(time.Millisecond)))
	rc.m.Log.Info(ctx, "ocuroot: rollout succeeded", map[string]any{
		"deployment": rc.d.ID(), "release": r.Release, "checks_passed": r.ChecksPassed, "checks_failed": r.ChecksFailed,
	})
	if err := rc.persistWithin(ctx); err != nil {
		return rc.unrecordedEnd(ctx, err, fmt.Sprintf("The rollout of %s to %s completed: %s is live", r.Release, rc.d.ID(), r.Release), nextApplyResendsStep)
	}
	return nil
}

// openGate stops at awaiting_promotion: the apply ends successfully and a
// promotion continues the rollout later.
func (rc *Pass) openGate(ctx context.Context) error {
	r := rc.r()
	rc.d.PendingRelease = r.Release
	rc.d.MoveRollout(rc.m.Clock.Now(), domain.RolloutAwaitingPromotion,
		fmt.Sprintf("%s is ready at %d%% traffic; waiting to be promoted (live: %s)", r.Release, rc.d.TrafficPercent, domain.OrNone(rc.d.LiveRelease)))
	rc.m.Log.Info(ctx, "ocuroot: awaiting promotion", map[string]any{"deployment": rc.d.ID(), "release": r.Release, "traffic_percent": rc.d.TrafficPercent})
	if err := rc.persistWithin(ctx); err != nil {
		return rc.unrecordedEnd(ctx, err, fmt.Sprintf("The rollout of %s to %s reached its promotion gate at %d%% of traffic", r.Release, rc.d.ID(), rc.d.TrafficPercent),
			nextApplyResumes+" and stops at the gate again")
	}
	return nil
}

// unrecordedEnd is the error of a pass that ended well but whose last save
// did not land: an UnrecordedError when the store could not be reached,
// the store's error otherwise.
func (rc *Pass) unrecordedEnd(ctx context.Context, err error, done, nextApply string) error {
	if !rc.storeUnreachable(ctx, err) {
		return err
	}
	u := rc.unrecorded(done, nextApply)
	rc.m.Log.Warn(ctx, "ocuroot: the store could not record the end of the rollout", map[string]any{"deployment": rc.d.ID(), "error": u.Error()})
	return u
}

// fail starts the failure path: roll back (the default, and always for a
// failed check or hook) or, for a timeout with on_timeout = "fail", leave
// traffic where it is.
func (rc *Pass) fail(ctx context.Context, outcome stepOutcome) error {
	r := rc.r()
	rerr := &domain.RolloutError{Deployment: rc.d.ID(), Release: r.Release, Step: rc.StepTitle(r.StepIndex), Reason: outcome.detail, Timeout: outcome.kind == stepTimedOut}
	if rerr.Timeout && rc.spec.OnTimeout == domain.OnTimeoutFail {
		return rc.markFailed(ctx, rerr)
	}
	return rc.startRollback(ctx, rerr)
}

// interrupted handles a cancelled context (the operation's timeout or an
// interrupt) or a store error. The position is already saved. With
// on_timeout = rollback the previous release is restored on a detached
// context within the grace period; otherwise the next apply resumes from
// the saved step.
func (rc *Pass) interrupted(ctx context.Context, cause error) error {
	r := rc.r()
	if ctx.Err() == nil {
		return fmt.Errorf("rollout of %s to %s stopped at %s: %w", r.Release, rc.d.ID(), rc.StepTitle(r.StepIndex), cause)
	}
	rerr := &domain.RolloutError{Deployment: rc.d.ID(), Release: r.Release, Step: rc.StepTitle(r.StepIndex),
		Reason: interruptionReason(ctx), Interrupted: true, Timeout: errors.Is(ctx.Err(), context.DeadlineExceeded),
		LastCheck: describeLastCheck(rc.lastCheck)}
	if rc.spec.OnTimeout == domain.OnTimeoutFail || r.PreviousRelease == "" {
		rerr.Resumable = true
		rc.m.Log.Warn(ctx, "ocuroot: rollout interrupted; position saved", map[string]any{
			"deployment": rc.d.ID(), "step": rerr.Step, "step_index": rc.stepIndex(r.StepIndex), "last_check": rerr.LastCheck})
		return rerr
	}
	detached, cancel := context.WithTimeout(context.WithoutCancel(ctx), rc.spec.RollbackGrace)
	defer cancel()
	return rc.startRollback(detached, rerr)
}

func interruptionReason(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "the operation's timeout was reached"
	}
	// A signal to the provider or a vanished terraform cancels with a cause
	// that says which; a plain cancel is Terraform's own interrupt.
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return "the operation was cancelled: " + cause.Error()
	}
	return "the operation was cancelled (interrupt)"
}

func (rc *Pass) markFailed(ctx context.Context, rerr *domain.RolloutError) error {
	r := rc.r()
	now := rc.m.Clock.Now()
	r.FailureReason = rerr.Reason
	r.FinishedAt = now
	rc.d.MoveRollout(now, domain.RolloutFailed, fmt.Sprintf("failed at %s: %s; traffic left at %d%%", rerr.Step, rerr.Reason, rc.d.TrafficPercent))
	if err := rc.persistWithin(ctx); err != nil {
		if !rc.storeUnreachable(ctx, err) {
			return errors.Join(rerr, err)
		}
		rerr.Unrecorded = rc.unrecorded("", nextApplyResumes)
	}
	return rerr
}
