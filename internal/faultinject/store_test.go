//go:build linux

package faultinject

import (
	"context"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// deployment reads the deployment record from the workspace's store; run it
// only while no terraform of the workspace runs.
func (w *workspace) deployment() *domain.Deployment {
	w.t.Helper()
	kv := w.openStore()
	defer kv.Close()
	d, err := records.NewStore(kv).GetDeployment(context.Background(), deploymentID)
	if err != nil {
		w.t.Fatalf("reading %s from the store: %v", deploymentID, err)
	}
	return d
}

// lease returns the deployment's lease, and false when nobody holds it.
func (w *workspace) lease() (lease.LeaseInfo, bool) {
	w.t.Helper()
	kv := w.openStore()
	defer kv.Close()
	leases, err := engine.New(engine.Options{Store: records.NewStore(kv)}).ListLeases(context.Background())
	if err != nil {
		w.t.Fatalf("listing leases: %v", err)
	}
	for _, l := range leases {
		if l.Deployment == deploymentID {
			return l, true
		}
	}
	return lease.LeaseInfo{}, false
}

func (w *workspace) openStore() records.KV {
	w.t.Helper()
	kv, _, err := kvstore.OpenKV(context.Background(), "file://"+w.storePath, "")
	if err != nil {
		w.t.Fatalf("opening the store: %v", err)
	}
	return kv
}
