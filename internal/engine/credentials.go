package engine

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Credential is a named set of secrets from the provider configuration,
// which every run evaluates and nothing stores: headers for the probes or
// hook calls that name it, and a secret to sign hook calls with.
type Credential struct {
	Headers    map[string]string
	HookSecret string
}

// MissingCredentialError refuses to send a hook or a probe for a deployment
// whose configuration asks for a secret or headers this run does not have.
// It is returned before anything was sent and before any traffic moved:
// signing with another secret, or probing without the headers and rolling
// back on the 401 that follows, would both be worse than stopping.
type MissingCredentialError struct {
	Deployment string
	// Block is where the credential is used: "hook", "health_check" or
	// `check "error_rate"` (with the block it sits in).
	Block string
	// Credential is the name of a provider credential that this run's
	// configuration does not define; empty when Own is the problem.
	Credential string
	// Own names what the deployment set itself ("secret", header names)
	// that only the run which applied its configuration had.
	Own []string
}

func (m *MissingCredentialError) Error() string {
	if m.Credential != "" {
		return fmt.Sprintf("%s of deployment %s uses credential %q, which this run's provider configuration does not define; nothing was sent and no traffic moved",
			m.Block, m.Deployment, m.Credential)
	}
	return fmt.Sprintf("%s of deployment %s was configured with its own %s, which this run does not have (their values are never stored); nothing was sent and no traffic moved",
		m.Block, m.Deployment, m.DescribeOwn("secret"))
}

// DescribeOwn names what Own lists: "secret and headers (X-Token)", with
// secretName standing for the secret, so the provider can name the
// attributes that set it.
func (m *MissingCredentialError) DescribeOwn(secretName string) string {
	var parts, headers []string
	for _, o := range m.Own {
		if o == OwnSecret {
			parts = append(parts, secretName)
		} else {
			headers = append(headers, o)
		}
	}
	if len(headers) > 0 {
		parts = append(parts, "headers ("+strings.Join(headers, ", ")+")")
	}
	return strings.Join(parts, " and ")
}

// OwnSecret stands for the hook's own secret in MissingCredentialError.Own,
// beside the names of its own headers.
const OwnSecret = "secret"

// boundCredentials is what one pass sends with: the hook as signed (its
// secret and headers resolved) and the headers of each check, keyed like
// DeploymentSpec.checkHeaders. Values live in memory only.
type boundCredentials struct {
	hook   *HookConfig
	checks map[string]map[string]string
}

// bindCredentials resolves, before a pass sends anything, every secret and
// header spec and steps call for. spec is either the configuration of this
// run (values present) or a stored one (values absent, OwnCredentials noting
// which the deployment had); own values missing from spec come from what
// this process remembers for the deployment, named credentials from the
// provider configuration. Anything still missing is a *MissingCredentialError.
func (m *machine) bindCredentials(id string, spec DeploymentSpec, steps []Step) (boundCredentials, error) {
	m.hookMu.Lock()
	rememberedHook, hasRememberedHook := m.hookConfigs[id]
	rememberedChecks := m.checkHeaders[id]
	m.hookMu.Unlock()

	bound := boundCredentials{checks: map[string]map[string]string{}}
	if h := spec.Hook; h != nil && h.URL != "" {
		hook := *h
		secret, headers := h.Secret, h.Headers
		var missing []string
		if secret == "" && h.Own.Secret {
			if hasRememberedHook && rememberedHook.Secret != "" {
				secret = rememberedHook.Secret
			} else {
				missing = append(missing, OwnSecret)
			}
		}
		if len(headers) == 0 && len(h.Own.Headers) > 0 {
			headers = rememberedHook.Headers
			missing = append(missing, missingNames(h.Own.Headers, headers)...)
		}
		if len(missing) > 0 {
			return bound, &MissingCredentialError{Deployment: id, Block: "hook", Own: missing}
		}
		var named Credential
		if h.Credential != "" {
			c, ok := m.credentials[h.Credential]
			if !ok {
				return bound, &MissingCredentialError{Deployment: id, Block: "hook", Credential: h.Credential}
			}
			named = c
		}
		hook.Secret = cmp.Or(secret, named.HookSecret, m.defaultHookSecret)
		hook.Headers = mergeHeaders(named.Headers, headers)
		hook.Own = OwnCredentials{}
		bound.hook = &hook
	}

	bind := func(key, block, credential string, own map[string]string, ownNames []string) error {
		if len(own) == 0 && len(ownNames) > 0 {
			own = rememberedChecks[key]
			if missing := missingNames(ownNames, own); len(missing) > 0 {
				return &MissingCredentialError{Deployment: id, Block: block, Own: missing}
			}
		}
		var named Credential
		if credential != "" {
			c, ok := m.credentials[credential]
			if !ok {
				return &MissingCredentialError{Deployment: id, Block: block, Credential: credential}
			}
			named = c
		}
		if headers := mergeHeaders(named.Headers, own); len(headers) > 0 {
			bound.checks[key] = headers
		}
		return nil
	}
	if hc := spec.HealthCheck; hc != nil {
		if err := bind(healthCheckHeadersKey, "health_check", hc.Credential, hc.Headers, hc.OwnHeaders); err != nil {
			return bound, err
		}
	}
	for _, list := range spec.metricCheckLists() {
		for _, mc := range *list.checks {
			key := metricCheckKey(list.block, mc.Name)
			if err := m.checkPrometheusAddress(id, key, mc); err != nil {
				return bound, err
			}
			if err := bind(key, key, m.metricCheckCredential(mc), mc.Headers, mc.OwnHeaders); err != nil {
				return bound, err
			}
		}
	}
	// The steps of a rollout keep the checks they were planned with; one
	// the configuration no longer has still needs its named credential.
	for _, step := range steps {
		block := stepCheckBlock(step)
		for _, mc := range step.Checks {
			key := metricCheckKey(block, mc.Name)
			credential := m.metricCheckCredential(mc)
			if _, done := bound.checks[key]; done || credential == "" {
				continue
			}
			if err := bind(key, key, credential, nil, nil); err != nil {
				return bound, err
			}
		}
	}
	return bound, nil
}

// stepCheckBlock is the block of the configuration a step's checks come
// from (see blueGreenStrategy.pace).
func stepCheckBlock(step Step) string {
	if step.CheckSet == CheckSetPostPromotion || step.Event == EventBlueDrain {
		return "blue_green post_promotion_check"
	}
	return "blue_green pre_promotion_check"
}

// healthCheck is the health check with the headers bound for this pass.
func (b boundCredentials) healthCheck(hc HealthCheck) HealthCheck {
	hc.Headers = b.checks[healthCheckHeadersKey]
	return hc
}

// metricChecks returns copies of checks from block with their bound headers.
func (b boundCredentials) metricChecks(block string, checks []MetricCheck) []MetricCheck {
	out := make([]MetricCheck, len(checks))
	for i, mc := range checks {
		mc.Headers = b.checks[metricCheckKey(block, mc.Name)]
		out[i] = mc
	}
	return out
}

// mergeHeaders is a credential's headers overlaid with the block's own.
func mergeHeaders(named, own map[string]string) map[string]string {
	if len(named) == 0 && len(own) == 0 {
		return nil
	}
	out := maps.Clone(named)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, own)
	return out
}

// missingNames lists the names in want that have lacks.
func missingNames(want []string, have map[string]string) []string {
	var missing []string
	for _, name := range want {
		if _, ok := have[name]; !ok {
			missing = append(missing, name)
		}
	}
	return missing
}

// headerNames are the names of headers, sorted, for a stored spec.
func headerNames(headers map[string]string) []string {
	if len(headers) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(headers))
}

// AdoptCredentialSettings gives the deployment's last rollout of
// spec.Release the credential settings of spec, a configuration of that
// release applied without a new rollout: which credentials its hook and
// checks name, and which secret and headers they set themselves. Later runs
// read them from the store: the one that opens a waiting gate, a fast
// rollback and a teardown of a settled deployment. Without this, moving a
// secret from a block into the provider's credentials would not reach them.
// Nothing else of the stored spec changes: the plan is kept. It reports
// whether the record changed.
func (e *Engine) AdoptCredentialSettings(ctx context.Context, spec DeploymentSpec) (bool, error) {
	id := DeploymentID(spec.Package, spec.Environment)
	d, err := e.store.GetDeployment(ctx, id)
	if IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	if r := d.Rollout; r == nil || r.Release != spec.Release || !credentialSettingsDiffer(r.Spec, spec.withoutSecrets()) {
		return false, nil
	}
	lease, err := e.acquireLease(ctx, id, "update credential settings")
	if err != nil {
		return false, err
	}
	defer lease.release(ctx)
	if d, err = e.store.GetDeployment(ctx, id); err != nil {
		return false, fmt.Errorf("reading deployment %s: %w", id, err)
	}
	r := d.Rollout
	if r == nil || r.Release != spec.Release {
		return false, nil // another run moved it meanwhile
	}
	r.Spec = withCredentialSettings(r.Spec, spec.withoutSecrets())
	d.UpdatedAt = e.clock.Now()
	if err := e.store.SaveDeployment(ctx, d); err != nil {
		return false, fmt.Errorf("saving deployment %s: %w", id, err)
	}
	return true, nil
}

// credentialSettingsDiffer reports whether configured names other
// credentials or notes other own secrets and headers than stored does.
func credentialSettingsDiffer(stored, configured DeploymentSpec) bool {
	return !reflect.DeepEqual(withCredentialSettings(stored, configured), stored)
}

// withCredentialSettings returns stored with the credential settings of
// configured, block by block (checks matched by name).
func withCredentialSettings(stored, configured DeploymentSpec) DeploymentSpec {
	if stored.Hook != nil {
		h := *stored.Hook
		h.Credential, h.Own = "", OwnCredentials{}
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
	configuredLists := configured.metricCheckLists()
	for i, list := range stored.metricCheckLists() {
		copied := slices.Clone(*list.checks)
		for j := range copied {
			copied[j].Credential, copied[j].OwnHeaders = "", nil
			for _, c := range *configuredLists[i].checks {
				if c.Name == copied[j].Name {
					copied[j].Credential, copied[j].OwnHeaders = c.Credential, c.OwnHeaders
				}
			}
		}
		*list.checks = copied
	}
	return stored
}
