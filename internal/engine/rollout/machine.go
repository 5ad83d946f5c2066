package rollout

import (
	"sync"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Machine is what every rollout pass runs on: the clients it acts through,
// the clock it waits on, and the credentials it signs and probes with. The
// Engine builds one and hands it to each pass (Pass).
type Machine struct {
	Store   *records.Store
	Clock   domain.Clock
	Hooks   domain.HookSender
	Checker domain.Checker
	Log     domain.Logger
	Querier domain.Querier
	// Prometheus is the provider's Prometheus server, for PromQL checks
	// that name no address of their own.
	Prometheus domain.PrometheusServer
	// LeaseTTL bounds how long one wait may go without renewing the lease.
	LeaseTTL time.Duration

	// DefaultHookSecret signs hooks that set no secret of their own.
	DefaultHookSecret string
	// Credentials are the provider configuration's named credentials.
	Credentials map[string]domain.Credential

	// hookConfigs remembers the hook configuration (with its secret) each
	// deployment was last given in this process, so a promotion can call
	// the same hook without secrets ever being persisted.
	hookMu      sync.Mutex
	hookConfigs map[string]domain.HookConfig
	// CheckHeaders does the same for the headers of each deployment's
	// checks (see DeploymentSpec.CheckHeaders); guarded by hookMu.
	checkHeaders map[string]map[string]map[string]string
}

// RememberHook keeps a deployment's hook configuration (secret included)
// in process memory; see Engine.RememberHook.
func (m *Machine) RememberHook(deploymentID string, cfg domain.HookConfig) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	if m.hookConfigs == nil {
		m.hookConfigs = map[string]domain.HookConfig{}
	}
	m.hookConfigs[deploymentID] = cfg
}

// RememberCheckHeaders keeps the headers of a deployment's checks in
// process memory; see Engine.RememberCheckHeaders.
func (m *Machine) RememberCheckHeaders(deploymentID string, spec domain.DeploymentSpec) {
	m.hookMu.Lock()
	defer m.hookMu.Unlock()
	if m.checkHeaders == nil {
		m.checkHeaders = map[string]map[string]map[string]string{}
	}
	m.checkHeaders[deploymentID] = spec.CheckHeaders()
}
