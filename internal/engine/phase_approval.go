package engine

import (
	"context"
	"fmt"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// ApprovePhase records the approval of a phase of a release; deployments
// of that release waiting on the phase proceed.
func (e *Engine) ApprovePhase(ctx context.Context, release, phase, note, by string) (records.Approval, error) {
	rel, err := e.store.GetRelease(ctx, release)
	if records.IsNotFound(err) {
		return records.Approval{}, fmt.Errorf("release %s is not registered", release)
	} else if err != nil {
		return records.Approval{}, fmt.Errorf("reading release %s: %w", release, err)
	}
	found := false
	for _, p := range rel.Phases {
		if p.Name == phase {
			found = true
		}
	}
	if !found {
		return records.Approval{}, fmt.Errorf("release %s has no phase %q", release, phase)
	}
	a := records.Approval{Release: release, Phase: phase, Note: note, By: by, ApprovedAt: e.clock.Now()}
	if err := e.store.PutApproval(ctx, a); err != nil {
		return records.Approval{}, fmt.Errorf("recording approval of phase %q of %s: %w", phase, release, err)
	}
	return a, nil
}

// PhaseApproval returns the recorded approval of a phase of a release, or
// ErrNotFound when nobody has approved it.
func (e *Engine) PhaseApproval(ctx context.Context, release, phase string) (records.Approval, error) {
	return e.store.GetApproval(ctx, release, phase)
}
