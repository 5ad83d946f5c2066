package provider

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/hookhttp"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/promquery"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

var pathStore = path.Root("store")

// providerData is the one bundle Configure hands to every resource and data
// source: the engine and what the provider was configured with.
type providerData struct {
	engine *engine.Engine
	// storeDescription is safe to show: passwords are redacted.
	storeDescription string
	// shutdown cancels long operations when the process is told to stop
	// (see operationContext); nil when not served by main.
	shutdown *Shutdown

	// plannedEnvironments holds the names of ocuroot_environment resources
	// planned by this provider process in the current operation, so a
	// release planned in the same run may name an environment that does not
	// exist in the store yet.
	plannedMu           sync.Mutex
	plannedEnvironments map[string]bool
	plannedReleases     map[string]string
	plannedApprovals    map[string]bool
	// plannedPromotions and plannedGates: see planned_decisions.go.
	plannedPromotions map[string]bool
	plannedGates      map[string]bool
	// releaseFlows: the phases of releases planned in this run (validate_planned_flows.go).
	releaseFlows plannedFlows

	// unknownEnvironmentGrace: see releaseFlowProblems.
	unknownEnvironmentGrace time.Duration
	// credentials are the provider block's named credentials; when
	// credentialsKnown is false (a value known only at apply), plan-time
	// checks of the names a deployment uses are skipped.
	credentials      map[string]domain.Credential
	credentialsKnown bool
	// prometheus is the provider block's Prometheus (URL empty: none);
	// prometheusKnown is false when the plan does not know it yet.
	prometheus      domain.PrometheusServer
	prometheusKnown bool
	// checkRolloutFitsTimeouts turns the plan-time blocking-time rule on
	// (validatePlannedDeployment); Options can turn it off for tests.
	checkRolloutFitsTimeouts bool
}

// notePlannedApproval records a phase approval planned in this run.
func (pd *providerData) notePlannedApproval(release, phase string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	if pd.plannedApprovals == nil {
		pd.plannedApprovals = map[string]bool{}
	}
	pd.plannedApprovals[records.ApprovalKey(release, phase)] = true
}

// plannedApproval reports whether a phase approval is planned in this run.
func (pd *providerData) plannedApproval(release, phase string) bool {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	return pd.plannedApprovals[records.ApprovalKey(release, phase)]
}

// notePlannedRelease records the release a deployment is planned to move
// to in this run, so a promotion planned after it is not refused for a
// release that is not pending yet.
func (pd *providerData) notePlannedRelease(deploymentID, release string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	if pd.plannedReleases == nil {
		pd.plannedReleases = map[string]string{}
	}
	pd.plannedReleases[deploymentID] = release
}

// plannedRelease returns the release noted for a deployment in this run.
func (pd *providerData) plannedRelease(deploymentID string) string {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	return pd.plannedReleases[deploymentID]
}

// notePlannedEnvironment records an environment seen in this plan.
func (pd *providerData) notePlannedEnvironment(name string) {
	pd.plannedMu.Lock()
	defer pd.plannedMu.Unlock()
	if pd.plannedEnvironments == nil {
		pd.plannedEnvironments = map[string]bool{}
	}
	pd.plannedEnvironments[name] = true
}

// providerSettings is what the provider block configures.
type providerSettings struct {
	// location is the store location ("" for the embedded default).
	location string
	// hookSecret signs hooks that name no secret of their own.
	hookSecret string
	// credentials are the named credentials; credentialsKnown is false
	// when the plan does not know them yet.
	credentials      map[string]domain.Credential
	credentialsKnown bool
	// prometheus is the server PromQL checks ask by default.
	prometheus      domain.PrometheusServer
	prometheusKnown bool
}

func newProviderData(ctx context.Context, opts Options, settings providerSettings) (*providerData, error) {
	location := settings.location
	kv := opts.KV
	description := "injected"
	if kv == nil {
		dataDir := os.Getenv(envDataDir)
		var err error
		kv, description, err = kvstore.OpenKV(ctx, location, dataDir)
		if err != nil {
			return nil, err
		}
	}
	logger := tflogLogger{}
	store := records.NewDescribedStore(kv, description)
	if file, ok := kv.(interface{ Path() string }); ok {
		// Terraform runs a plan and its apply in two provider processes; a
		// refresh on a fresh embedded store restores records without writing
		// the store, and this file beside it carries them to the apply.
		if err := store.CarryRestoredIn(file.Path() + ".restored.json"); err != nil {
			return nil, err
		}
	}
	eng := engine.New(engine.Options{
		Store:   store,
		Clock:   opts.Clock,
		Hooks:   hookhttp.NewSender(logger),
		Checker: hookhttp.NewChecker(),
		Logger:  logger,
		// Signs hooks whose block sets no secret of their own.
		DefaultHookSecret: settings.hookSecret,
		Credentials:       settings.credentials,
		Querier:           promquery.New(),
		Prometheus:        settings.prometheus,
	})
	grace := opts.UnknownEnvironmentGrace
	if grace <= 0 {
		grace = defaultUnknownEnvironmentGrace
	}
	return &providerData{
		engine:                   eng,
		storeDescription:         description,
		unknownEnvironmentGrace:  grace,
		checkRolloutFitsTimeouts: !opts.AllowRolloutsLongerThanTimeouts,
		credentials:              settings.credentials,
		credentialsKnown:         settings.credentialsKnown,
		prometheus:               settings.prometheus,
		prometheusKnown:          settings.prometheusKnown,
	}, nil
}

// configuredProviderData is the Configure step shared by every resource,
// data source, list resource and action: each receives the provider's
// bundle as ProviderData. It is nil during early validation, which is not an
// error; anything else than the bundle is a bug of the provider itself.
func configuredProviderData(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected Configure Type",
			fmt.Sprintf("expected *providerData, got %T; please report this issue to the provider developers", data))
		return nil
	}
	return pd
}
