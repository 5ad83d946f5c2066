package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// RollbackNowRequest asks to send a deployment back to its previous live
// release at once: the fast rollback, with no canary steps and no bake.
type RollbackNowRequest struct {
	Deployment string // PACKAGE/ENVIRONMENT
	// Note says why (a ticket, an incident); it goes into the history.
	Note string
	By   string
	// Hook is used when this process never saw the deployment's hook
	// configuration (its URL is otherwise taken from the store).
	Hook *domain.HookConfig
}

// RollbackRefusedError says why there is nothing to roll back to.
type RollbackRefusedError struct{ Reason string }

func (r *RollbackRefusedError) Error() string { return r.Reason }

// RollbackTarget is the pure rule of RollbackNow. It returns the release
// to restore and whether the deployment's own rollout is withdrawn (one
// running, left part-way, waiting at its gate, or failed with its traffic
// left in place) rather than a settled release replaced; reason explains a
// refusal.
//
// Concrete example: api@1 went live, then a canary took api@2 live. The
// previous live release is api@1, recorded as the PreviousRelease of the
// api@2 rollout. Had that canary stopped at its gate instead, the rollback
// withdraws it and api@1, still live, stays. After a rollback (fast or
// not) the rollout of the withdrawn release is the last one recorded and
// the release live before api@1 is unknown, so a second rollback refuses
// rather than guess.
func RollbackTarget(d *domain.Deployment) (restore string, withdraw bool, reason string) {
	r := d.Rollout
	switch {
	case d.Status == domain.StatusTornDown:
		return "", false, fmt.Sprintf("%s was torn down; there is nothing to roll back", d.ID())
	case r != nil && (r.State.Active() || r.State == domain.RolloutFailed) && r.PreviousRelease == "":
		return "", false, fmt.Sprintf("the rollout of %s is the first deployment into %s: there is no earlier release to roll back to", r.Release, d.Environment)
	case r != nil && (r.State.Active() || r.State == domain.RolloutFailed):
		// A failed rollout left traffic as it was (on_timeout = "fail", or
		// its rollback event was refused): withdrawing it restores the slot
		// it had reached, like an active one.
		return r.PreviousRelease, true, ""
	case d.LiveRelease == "":
		return "", false, fmt.Sprintf("%s has no live release (status %s); there is nothing to roll back", d.ID(), d.Status)
	case r == nil:
		return "", false, fmt.Sprintf("%s has no rollout on record that made %s live (it was restored from Terraform state), so the release before it is unknown; "+
			"set the deployment's release to the one you want and apply", d.ID(), d.LiveRelease)
	case r.State != domain.RolloutSucceeded || r.Release != d.LiveRelease:
		return "", false, fmt.Sprintf("%s is live in %s because the rollout of %s ended %s; the release live before %s is not recorded, so there is nothing further to roll back to. "+
			"Set the deployment's release to the one you want and apply", d.LiveRelease, d.ID(), r.Release, r.State, d.LiveRelease)
	case r.PreviousRelease == "":
		return "", false, fmt.Sprintf("%s is the first release deployed to %s: there is no earlier release to roll back to", d.LiveRelease, d.ID())
	}
	return r.PreviousRelease, false, ""
}

// RollbackNow sends the rollback event for a deployment and records it as
// rolled back with its previous release live. Under the lease, so it never
// interleaves with a rollout; the decision is persisted (rolling_back)
// before the event goes out, so a killed process finishes the same rollback
// (same idempotency key) on the next apply instead of starting another.
//
//  1. A settled deployment gets a rollout of its own for the rollback: a
//     fresh rollout id, hence an idempotency key no earlier rollback used.
//  2. A rollout still active (left part-way or at its gate) is withdrawn
//     through its own rollback step, restoring the slot it had reached.
func (e *Engine) RollbackNow(ctx context.Context, req RollbackNowRequest) (_ *domain.Deployment, err error) {
	lease, err := e.acquireLease(ctx, req.Deployment, "rollback")
	if err != nil {
		return nil, err
	}
	defer lease.ReleaseInto(ctx, &err)
	d, err := e.store.GetDeployment(ctx, req.Deployment)
	if records.IsNotFound(err) {
		return nil, &RollbackRefusedError{Reason: fmt.Sprintf("deployment %s does not exist in the store; nothing to roll back", req.Deployment)}
	} else if err != nil {
		return nil, fmt.Errorf("reading deployment %s: %w", req.Deployment, err)
	}
	restore, withdraw, reason := RollbackTarget(d)
	if restore == "" {
		return d, &RollbackRefusedError{Reason: reason}
	}
	// Credentials are bound before the record changes: a run without them
	// refuses and leaves the deployment exactly as it was. The fast
	// rollback's own rollout keeps the live rollout's spec and the context
	// sees it through d.
	rc, err := e.resumeContext(ctx, d, req.Hook, lease)
	if err != nil {
		return d, err
	}
	why := "fast rollback requested by " + domain.OrNone(req.By) + rollout.NoteSuffix(req.Note)
	if withdraw {
		e.startWithdrawal(d, why)
	} else {
		e.startFastRollback(d, restore, why)
	}
	now := e.clock.Now()
	r := d.Rollout
	d.AddTransition(domain.Transition{Time: now, From: string(d.Status), To: string(domain.RolloutRollingBack), Release: r.Release,
		Reason: fmt.Sprintf("%s: restoring %s (%s slot)", why, restore, r.RollbackSlot)})
	e.log.Warn(ctx, "ocuroot: fast rollback", map[string]any{"deployment": d.ID(), "release": r.Release, "restore": restore, "by": req.By})
	if err := rc.Persist(ctx); err != nil {
		return d, err
	}
	// FinishRollback reports even a successful rollback as the *RolloutError it
	// was given (the failure path's contract); anything else is a failed
	// rollback event or a failed save, already recorded in the history.
	rerr := &domain.RolloutError{Deployment: d.ID(), Release: r.Release, Reason: why, Step: "rollback"}
	err = rc.FinishRollback(ctx, rerr)
	if err == error(rerr) && rerr.Unrecorded != nil {
		// Sent, but the store could not be reached to record it.
		rerr.Unrecorded.Done = fmt.Sprintf("The rollback hook was accepted: %s is restored", restore)
		return d, rerr.Unrecorded
	}
	if err == error(rerr) {
		return d, nil
	}
	if rerr.RollbackErr == nil {
		return d, err // the rollback went through but could not be saved
	}
	return d, errors.Join(fmt.Errorf("the rollback event of %s was not accepted: %w. Nothing was restored: %s keeps its traffic. "+
		"Fix the hook target and run the rollback again; it repeats this rollback with the same idempotency key",
		d.ID(), rerr.RollbackErr, r.Release), saveError(err, rerr))
}

// saveError is what FinishRollback joined to its *RolloutError besides it: the
// failure to save the outcome, or nil.
func saveError(joined error, rerr *domain.RolloutError) error {
	multi, ok := joined.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	var rest []error
	for _, e := range multi.Unwrap() {
		if e != error(rerr) {
			rest = append(rest, e)
		}
	}
	return errors.Join(rest...)
}

// startWithdrawal turns the deployment's active rollout into a rollback of
// itself. One already rolling back keeps its slot and key, so the event a
// dead process may have sent is repeated, not doubled.
func (e *Engine) startWithdrawal(d *domain.Deployment, why string) {
	r := d.Rollout
	if r.State != domain.RolloutRollingBack {
		r.RollbackSlot = rollout.RollbackSlot(r.Spec.Strategy, r.CurrentStep())
		r.State = domain.RolloutRollingBack
		r.FailureReason = why
	}
	r.StepAttempt++
}

// startFastRollback gives a settled deployment a rollout of its own that
// only rolls back: from the live release to restore, on the stable slot,
// with the live release's stored settings (hook URL, checks).
func (e *Engine) startFastRollback(d *domain.Deployment, restore, why string) {
	live := d.Rollout
	now := e.clock.Now()
	d.RolloutCount++
	d.Rollout = &domain.Rollout{
		ID: domain.NewRolloutID(d.LiveRelease, d.RolloutCount), Release: d.LiveRelease, PreviousRelease: restore,
		Spec: live.Spec, StepStartedAt: now, StepAttempt: 1, State: domain.RolloutRollingBack, StartedAt: now,
		FailureReason: why, RollbackSlot: domain.SlotStable,
	}
}
