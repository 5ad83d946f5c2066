package provider

import (
	"context"
	"sync"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// plannedFlows are the phases of the releases planned by this provider
// process in the current run, so a deployment or a phase approval planned
// in the same run is checked against the release as configured, before the
// apply registers it in the store.
type plannedFlows struct {
	mu sync.Mutex
	// byRelease maps a release id to its phases; nil phases with an entry
	// present: the release is planned, but its phases are not known yet.
	byRelease map[string][]domain.Phase
}

// note records the phases of a planned release; known is false when some
// phase is not known until apply.
func (f *plannedFlows) note(release string, phases []domain.Phase, known bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byRelease == nil {
		f.byRelease = map[string][]domain.Phase{}
	}
	if !known {
		phases = nil
	}
	f.byRelease[release] = phases
}

// get returns the planned phases of a release; planned says whether the
// release was planned at all, known whether its phases are known.
func (f *plannedFlows) get(release string) (phases []domain.Phase, planned, known bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	phases, planned = f.byRelease[release]
	return phases, planned, phases != nil
}

// releaseLookup is what a plan-time rule knows about a release.
type releaseLookup int

const (
	// releasePhasesKnown: the phases are known, from this run or the store.
	releasePhasesKnown releaseLookup = iota
	// releasePhasesUnknown: the release is planned, its phases are not known yet.
	releasePhasesUnknown
	// releaseNotFound: neither planned in this run nor stored.
	releaseNotFound
)

// releasePhases finds the phases of a release: as planned in this run
// (what the apply will register), else as stored. A release planned in
// this run may be planned a moment after the resource asking (siblings
// are planned in any order), so a release found nowhere is looked for
// again within the planned-decision grace. A store that cannot be read
// ends the search with its error: "not found" would be a guess.
func (pd *providerData) releasePhases(ctx context.Context, release string) ([]domain.Phase, releaseLookup, error) {
	var phases []domain.Phase
	var readErr error
	outcome := releaseNotFound
	look := func() bool {
		if planned, isPlanned, known := pd.releaseFlows.get(release); isPlanned {
			phases, outcome = planned, releasePhasesUnknown
			if known {
				outcome = releasePhasesKnown
			}
			return true
		}
		rel, err := pd.engine.GetRelease(ctx, release)
		switch {
		case err == nil:
			phases, outcome = rel.Phases, releasePhasesKnown
			return true
		case !records.IsNotFound(err):
			readErr = err
			return true
		}
		return false
	}
	pd.awaitPlanned(ctx, look)
	return phases, outcome, readErr
}
