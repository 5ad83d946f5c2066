package engine

import (
	"sync"
	"time"
)

// machine is what every rollout pass runs on: the clients it acts through,
// the clock it waits on, and the credentials it signs and probes with. The
// Engine builds one and hands it to each pass (Pass).
type machine struct {
	store   *Store
	clock   Clock
	hooks   HookSender
	checker Checker
	log     Logger
	querier Querier
	// prometheus is the provider's Prometheus server, for PromQL checks
	// that name no address of their own.
	prometheus PrometheusServer
	// leaseTTL bounds how long one wait may go without renewing the lease.
	leaseTTL time.Duration

	// defaultHookSecret signs hooks that set no secret of their own.
	defaultHookSecret string
	// credentials are the provider configuration's named credentials.
	credentials map[string]Credential

	// hookConfigs remembers the hook configuration (with its secret) each
	// deployment was last given in this process, so a promotion can call
	// the same hook without secrets ever being persisted.
	hookMu      sync.Mutex
	hookConfigs map[string]HookConfig
	// checkHeaders does the same for the headers of each deployment's
	// checks (see DeploymentSpec.checkHeaders); guarded by hookMu.
	checkHeaders map[string]map[string]map[string]string
}

// rememberHook keeps a deployment's hook configuration (secret included)
// in process memory; see Engine.RememberHook.
func (m *machine) rememberHook(deploymentID string, cfg HookConfig) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	if m.hookConfigs == nil {
		m.hookConfigs = map[string]HookConfig{}
	}
	m.hookConfigs[deploymentID] = cfg
}

// rememberCheckHeaders keeps the headers of a deployment's checks in
// process memory; see Engine.RememberCheckHeaders.
func (m *machine) rememberCheckHeaders(deploymentID string, spec DeploymentSpec) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	if m.checkHeaders == nil {
		m.checkHeaders = map[string]map[string]map[string]string{}
	}
	m.checkHeaders[deploymentID] = spec.checkHeaders()
}
