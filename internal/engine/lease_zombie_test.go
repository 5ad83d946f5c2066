package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// TestLeaseOfZombieProcessIsDead: a holder on this machine whose process
// has exited but not been reaped is as dead as one the kernel forgot: the
// list marks it, a break is accepted, and a new run takes the lease at
// once instead of waiting an hour for it to lapse.
func TestLeaseOfZombieProcessIsDead(t *testing.T) {
	h := newHarness(t)
	logger := &warnLogger{}
	e := h.engine(h.kv, Options{Logger: logger})
	zombie := sameMachine(enginetest.StartZombie(t))
	holdLeaseAs(t, h.kv, testDepID, zombie, "deploy api@9", testStart, testStart.Add(time.Hour))

	leases, err := e.ListLeases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(leases) != 1 || !leases[0].HolderDead {
		t.Errorf("ListLeases = %+v, want the zombie's lease marked HolderDead", leases)
	}
	if zombie.RunsHere(e.leases.Self) {
		t.Errorf("the zombie %s counts as running here, so a break would be refused", zombie)
	}

	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	if _, err := e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if !h.now().Before(testStart.Add(time.Hour)) {
		t.Errorf("the run went on at %s, after the zombie's lease expired by itself", h.now())
	}
	if w := logger.text(); !strings.Contains(w, "taking over the lease of a holder whose process is gone") || !strings.Contains(w, zombie.String()) {
		t.Errorf("warnings = %q", w)
	}
	assertLeaseFree(t, h.kv, testDepID)
}
