package engine

import (
	"context"
	"fmt"
)

// ApprovePhase records the approval of a phase of a release; deployments
// of that release waiting on the phase proceed.
func (e *Engine) ApprovePhase(ctx context.Context, release, phase, note, by string) (Approval, error) {
	rel, err := e.store.GetRelease(ctx, release)
	if IsNotFound(err) {
		return Approval{}, fmt.Errorf("release %s is not registered", release)
	} else if err != nil {
		return Approval{}, fmt.Errorf("reading release %s: %w", release, err)
	}
	found := false
	for _, p := range rel.Phases {
		if p.Name == phase {
			found = true
		}
	}
	if !found {
		return Approval{}, fmt.Errorf("release %s has no phase %q", release, phase)
	}
	a := Approval{Release: release, Phase: phase, Note: note, By: by, ApprovedAt: e.clock.Now()}
	if err := e.store.PutApproval(ctx, a); err != nil {
		return Approval{}, fmt.Errorf("recording approval of phase %q of %s: %w", phase, release, err)
	}
	return a, nil
}

// PhaseApproval returns the recorded approval of a phase of a release, or
// ErrNotFound when nobody has approved it.
func (e *Engine) PhaseApproval(ctx context.Context, release, phase string) (Approval, error) {
	return e.store.GetApproval(ctx, release, phase)
}
