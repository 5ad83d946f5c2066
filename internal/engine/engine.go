package engine

import (
	"cmp"
	"context"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// Options configures an Engine. Zero values pick production defaults.
type Options struct {
	Store   *records.Store
	Clock   domain.Clock
	Hooks   domain.HookSender
	Checker domain.Checker
	Logger  domain.Logger
	// DefaultHookSecret signs the events of hooks whose configuration sets
	// no secret (the provider's hook_secret). It is applied here only, so a
	// HookSender always receives the secret it must sign with.
	DefaultHookSecret string
	// Credentials are the named credentials of the provider configuration
	// (headers, hook secrets) that hooks and checks refer to by name; every
	// run has them, so a run that did not start a rollout can still sign
	// and probe exactly like the one that did.
	Credentials map[string]domain.Credential
	// Querier runs the PromQL checks, against Prometheus (the check's own
	// address, or Prometheus.URL with its credential).
	Querier    domain.Querier
	Prometheus domain.PrometheusServer
	// Holder names this process in leases; empty means the readable
	// CurrentHolder ("alice@ci-3 pid 42").
	Holder string
	// LeaseTTL is how long a lease lives without renewal; a crashed
	// process blocks others for at most this long. Default DefaultLeaseTTL.
	LeaseTTL time.Duration
	// PollInterval is how often waits for leases, phases and promotions
	// look at the store again.
	PollInterval time.Duration
}

// Engine is the embedded release engine. It is safe for concurrent use.
type Engine struct {
	store *records.Store
	clock domain.Clock
	log   domain.Logger
	// pollInterval is how often a wait for a promotion looks again.
	pollInterval time.Duration
	// leases takes and renews the deployments' leases; it also holds the
	// name this process goes by in them.
	leases *lease.Keeper
	// gates waits for phase gates to open.
	gates *gate.Watch
	// rollouts runs the rollout passes, and remembers the secrets and
	// headers this process was given.
	rollouts *rollout.Machine
}

// New builds an engine. Store, Hooks and Checker are required.
func New(opts Options) *Engine {
	e := &Engine{store: opts.Store, clock: opts.Clock, log: opts.Logger, pollInterval: opts.PollInterval}
	if e.clock == nil {
		e.clock = domain.RealClock{}
	}
	if e.log == nil {
		e.log = domain.NopLogger{}
	}
	if e.pollInterval <= 0 {
		e.pollInterval = time.Second
	}
	self := lease.CurrentHolder()
	holder := cmp.Or(opts.Holder, self.String())
	leaseTTL := opts.LeaseTTL
	if leaseTTL <= 0 {
		leaseTTL = lease.DefaultLeaseTTL
	}
	e.leases = &lease.Keeper{Store: e.store, Clock: e.clock, Log: e.log, Holder: holder, Self: self, TTL: leaseTTL, Poll: e.pollInterval}
	e.rollouts = &rollout.Machine{Store: e.store, Clock: e.clock, Hooks: opts.Hooks, Checker: opts.Checker, Log: e.log,
		Querier: opts.Querier, Prometheus: opts.Prometheus, LeaseTTL: leaseTTL,
		DefaultHookSecret: opts.DefaultHookSecret, Credentials: opts.Credentials}
	e.gates = &gate.Watch{Store: e.store, Clock: e.clock, Log: e.log, Poll: e.pollInterval}
	return e
}

// awaitPhaseGate waits until the release's phase gate for env opens, the
// gate refuses, or ctx ends.
func (e *Engine) awaitPhaseGate(ctx context.Context, rel domain.Release, env string, planned gate.PlannedDecisions) error {
	return e.gates.Await(ctx, rel, env, planned)
}

// acquireLease waits for the deployment's lease and starts its heartbeat.
func (e *Engine) acquireLease(ctx context.Context, deploymentID, operation string) (*lease.Held, error) {
	return e.leases.Acquire(ctx, deploymentID, operation)
}

// ListLeases returns the leases in the store, by deployment id.
func (e *Engine) ListLeases(ctx context.Context) ([]lease.LeaseInfo, error) {
	return e.leases.List(ctx)
}

// BreakLease deletes the lease of deploymentID if, and only if, holder (the
// readable holder as ListLeases shows it) still holds it; see
// Keeper.BreakLease.
func (e *Engine) BreakLease(ctx context.Context, deploymentID, holder string) error {
	return e.leases.BreakLease(ctx, deploymentID, holder)
}

// Store returns the engine's store.
func (e *Engine) Store() *records.Store { return e.store }

// Clock returns the engine's clock.
func (e *Engine) Clock() domain.Clock { return e.clock }

// Holder returns the name this engine uses in leases.
func (e *Engine) Holder() string { return e.leases.Holder }

// RememberHook keeps a deployment's hook configuration (secret included) in
// process memory for later promotions and teardowns in the same process.
// Another process has only the provider's named credentials, and refuses
// when the deployment's own secret or headers are needed
// (BindCredentials).
func (e *Engine) RememberHook(deploymentID string, cfg domain.HookConfig) {
	e.rollouts.RememberHook(deploymentID, cfg)
}

// RememberCheckHeaders keeps the headers of a deployment's health and
// metric checks in process memory, like RememberHook: the store never holds
// them, so a rollout resumed or promoted from the stored spec gets them
// from here. A spec whose checks carry no headers forgets earlier ones.
func (e *Engine) RememberCheckHeaders(deploymentID string, spec domain.DeploymentSpec) {
	e.rollouts.RememberCheckHeaders(deploymentID, spec)
}
