package engine

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// AdoptCredentialSettings gives the deployment's last rollout of
// spec.Release the credential settings of spec, a configuration of that
// release applied without a new rollout: which credentials its hook and
// checks name, and which secret and headers they set themselves. Later runs
// read them from the store: the one that opens a waiting gate, a fast
// rollback and a teardown of a settled deployment. Without this, moving a
// secret from a block into the provider's credentials would not reach them.
// Nothing else of the stored spec changes: the plan is kept. It reports
// whether the record changed.
func (e *Engine) AdoptCredentialSettings(ctx context.Context, spec domain.DeploymentSpec) (bool, error) {
	id := domain.DeploymentID(spec.Package, spec.Environment)
	d, err := e.store.GetDeployment(ctx, id)
	if records.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	if r := d.Rollout; r == nil || r.Release != spec.Release || !credentialSettingsDiffer(r.Spec, spec.WithoutSecrets()) {
		return false, nil
	}
	lease, err := e.acquireLease(ctx, id, "update credential settings")
	if err != nil {
		return false, err
	}
	defer lease.Release(ctx)
	if d, err = e.store.GetDeployment(ctx, id); err != nil {
		return false, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	r := d.Rollout
	if r == nil || r.Release != spec.Release {
		return false, nil // another run moved it meanwhile
	}
	r.Spec = withCredentialSettings(r.Spec, spec.WithoutSecrets())
	d.UpdatedAt = e.clock.Now()
	if err := e.store.SaveDeployment(ctx, d); err != nil {
		return false, fmt.Errorf("saving deployment %s: %w", id, err)
	}
	return true, nil
}

// credentialSettingsDiffer reports whether configured names other
// credentials or notes other own secrets and headers than stored does.
func credentialSettingsDiffer(stored, configured domain.DeploymentSpec) bool {
	return !reflect.DeepEqual(withCredentialSettings(stored, configured), stored)
}

// withCredentialSettings returns stored with the credential settings of
// configured, block by block (checks matched by name).
func withCredentialSettings(stored, configured domain.DeploymentSpec) domain.DeploymentSpec {
	if stored.Hook != nil {
		h := *stored.Hook
		h.Credential, h.Own = "", domain.OwnCredentials{}
		if configured.Hook != nil {
			h.Credential, h.Own = configured.Hook.Credential, configured.Hook.Own
		}
		stored.Hook = &h
	}
	if stored.HealthCheck != nil {
		hc := *stored.HealthCheck
		hc.Credential, hc.OwnHeaders = "", nil
		if configured.HealthCheck != nil {
			hc.Credential, hc.OwnHeaders = configured.HealthCheck.Credential, configured.HealthCheck.OwnHeaders
		}
		stored.HealthCheck = &hc
	}
	configuredLists := configured.MetricCheckLists()
	for i, list := range stored.MetricCheckLists() {
		copied := slices.Clone(*list.Checks)
		for j := range copied {
			copied[j].Credential, copied[j].OwnHeaders = "", nil
			for _, c := range *configuredLists[i].Checks {
				if c.Name == copied[j].Name {
					copied[j].Credential, copied[j].OwnHeaders = c.Credential, c.OwnHeaders
				}
			}
		}
		*list.Checks = copied
	}
	return stored
}
