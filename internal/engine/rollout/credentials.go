package rollout

import (
	"cmp"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// BoundCredentials is what one pass sends with: the hook as signed (its
// secret and headers resolved) and the headers of each check, keyed like
// DeploymentSpec.CheckHeaders. Values live in memory only.
type BoundCredentials struct {
	hook   *domain.HookConfig
	checks map[string]map[string]string
}

// BindCredentials resolves, before a pass sends anything, every secret and
// header spec and steps call for. spec is either the configuration of this
// run (values present) or a stored one (values absent, OwnCredentials noting
// which the deployment had); own values missing from spec come from what
// this process remembers for the deployment, named credentials from the
// provider configuration. Anything still missing is a *MissingCredentialError.
func (m *Machine) BindCredentials(id string, spec domain.DeploymentSpec, steps []domain.Step) (BoundCredentials, error) {
	m.hookMu.Lock()
	rememberedHook, hasRememberedHook := m.hookConfigs[id]
	rememberedChecks := m.checkHeaders[id]
	m.hookMu.Unlock()

	bound := BoundCredentials{checks: map[string]map[string]string{}}
	if h := spec.Hook; h != nil && h.URL != "" {
		hook := *h
		secret, headers := h.Secret, h.Headers
		var missing []string
		if secret == "" && h.Own.Secret {
			if hasRememberedHook && rememberedHook.Secret != "" {
				secret = rememberedHook.Secret
			} else {
				missing = append(missing, domain.OwnSecret)
			}
		}
		if len(headers) == 0 && len(h.Own.Headers) > 0 {
			headers = rememberedHook.Headers
			missing = append(missing, domain.MissingNames(h.Own.Headers, headers)...)
		}
		if len(missing) > 0 {
			return bound, &domain.MissingCredentialError{Deployment: id, Block: "hook", Own: missing}
		}
		var named domain.Credential
		if h.Credential != "" {
			c, ok := m.Credentials[h.Credential]
			if !ok {
				return bound, &domain.MissingCredentialError{Deployment: id, Block: "hook", Credential: h.Credential}
			}
			named = c
		}
		hook.Secret = cmp.Or(secret, named.HookSecret, m.DefaultHookSecret)
		hook.Headers = domain.MergeHeaders(named.Headers, headers)
		hook.Own = domain.OwnCredentials{}
		bound.hook = &hook
	}

	bind := func(key, block, credential string, own map[string]string, ownNames []string) error {
		if len(own) == 0 && len(ownNames) > 0 {
			own = rememberedChecks[key]
			if missing := domain.MissingNames(ownNames, own); len(missing) > 0 {
				return &domain.MissingCredentialError{Deployment: id, Block: block, Own: missing}
			}
		}
		var named domain.Credential
		if credential != "" {
			c, ok := m.Credentials[credential]
			if !ok {
				return &domain.MissingCredentialError{Deployment: id, Block: block, Credential: credential}
			}
			named = c
		}
		if headers := domain.MergeHeaders(named.Headers, own); len(headers) > 0 {
			bound.checks[key] = headers
		}
		return nil
	}
	if hc := spec.HealthCheck; hc != nil {
		if err := bind(domain.HealthCheckHeadersKey, "health_check", hc.Credential, hc.Headers, hc.OwnHeaders); err != nil {
			return bound, err
		}
	}
	for _, list := range spec.MetricCheckLists() {
		for _, mc := range *list.Checks {
			key := domain.MetricCheckKey(list.Block, mc.Name)
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
			key := domain.MetricCheckKey(block, mc.Name)
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
func stepCheckBlock(step domain.Step) string {
	if step.CheckSet == domain.CheckSetPostPromotion || step.Event == domain.EventBlueDrain {
		return "blue_green post_promotion_check"
	}
	return "blue_green pre_promotion_check"
}

// healthCheck is the health check with the headers bound for this pass.
func (b BoundCredentials) healthCheck(hc domain.HealthCheck) domain.HealthCheck {
	hc.Headers = b.checks[domain.HealthCheckHeadersKey]
	return hc
}

// MetricChecks returns copies of checks from block with their bound headers.
func (b BoundCredentials) MetricChecks(block string, checks []domain.MetricCheck) []domain.MetricCheck {
	out := make([]domain.MetricCheck, len(checks))
	for i, mc := range checks {
		mc.Headers = b.checks[domain.MetricCheckKey(block, mc.Name)]
		out[i] = mc
	}
	return out
}
