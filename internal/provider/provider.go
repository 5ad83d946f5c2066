// Package provider maps Terraform's CRUD onto the ocuroot engine. It is kept
// thin: schemas, models, plan modifiers and diagnostics live here; every
// decision about releases and rollouts is made in internal/engine.
package provider

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// Environment variables read by the provider configuration.
const (
	EnvStore      = "OCUROOT_STORE"
	EnvHookSecret = "OCUROOT_HOOK_SECRET"
	envDataDir    = "TF_DATA_DIR"
)

var _ provider.Provider = (*ocurootProvider)(nil)

// Options lets tests inject the engine's clock or store, and tune, per
// provider instance, rules whose production values would slow a test down.
// Zero values are the production behaviour.
type Options struct {
	Version string
	Clock   domain.Clock
	// KV, when set, replaces the store chosen by configuration.
	KV records.KV
	// Shutdown, when set, is the process-wide stop signal of a served
	// provider: beginning it cancels every deploy, promote and teardown in
	// flight as an interrupt would. Nil in in-process tests.
	Shutdown *Shutdown
	// UnknownEnvironmentGrace, when positive, replaces how long a release
	// waits for environments it names that are neither stored nor planned
	// (defaultUnknownEnvironmentGrace). It runs on real time, not on Clock:
	// it waits for a sibling resource that Terraform plans concurrently.
	UnknownEnvironmentGrace time.Duration
	// AllowRolloutsLongerThanTimeouts turns off the plan-time rule that a
	// rollout must fit in its Terraform timeout, so tests of the
	// apply-time timeout path can configure a bake the timeout cuts.
	AllowRolloutsLongerThanTimeouts bool
}

type ocurootProvider struct {
	opts Options
}

type providerModel struct {
	Store       types.String `tfsdk:"store"`
	HookSecret  types.String `tfsdk:"hook_secret"`
	Credentials types.Map    `tfsdk:"credentials"`
	Prometheus  types.Object `tfsdk:"prometheus"`
}

// New returns the provider factory used by main and by the tests.
func New(version string) func() provider.Provider {
	return NewWithOptions(Options{Version: version})
}

// NewWithOptions returns a provider factory with injected dependencies.
func NewWithOptions(opts Options) func() provider.Provider {
	return func() provider.Provider { return &ocurootProvider{opts: opts} }
}

func (p *ocurootProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "ocuroot"
	resp.Version = p.opts.Version
}

func (p *ocurootProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The ocuroot provider models software releases as Terraform resources: " +
			"environments, releases with ordered phases, deployments rolled out directly, by canary or blue-green, " +
			"and promotions that gate a manual cutover. Rollouts run in an embedded engine; `terraform apply` blocks " +
			"until a rollout succeeds, waits for promotion, or is rolled back.",
		Attributes: map[string]schema.Attribute{
			"store": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Where the engine keeps environments, releases, deployments and leases. " +
					"Unset or `embedded`: a local file under the Terraform data directory (`TF_DATA_DIR`, default `.terraform`), " +
					"safe for several terraform processes on one machine. `file:///path/to/store.db`: an embedded store at that path. " +
					"`postgres://user:password@host/db`: a shared PostgreSQL store for many workspaces, CI runners and Terraform Cloud workers. " +
					"Defaults to the `OCUROOT_STORE` environment variable. Sensitive because a URL may carry a password.",
			},
			"hook_secret": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Default HMAC-SHA256 secret used to sign hook calls when a `hook` block sets no secret and names no `credential` with a `hook_secret`. " +
					"Defaults to the `OCUROOT_HOOK_SECRET` environment variable.",
			},
			"credentials": credentialsAttribute(),
			"prometheus":  prometheusAttribute(),
		},
	}
}

func (p *ocurootProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	location := stringOr(cfg.Store, os.Getenv(EnvStore))
	secret := stringOr(cfg.HookSecret, os.Getenv(EnvHookSecret))
	if cfg.Store.IsUnknown() || cfg.HookSecret.IsUnknown() {
		// Values computed by other resources are not known during plan;
		// resources then skip store look-ups until apply.
		resp.Diagnostics.AddWarning("Provider Configuration Not Yet Known",
			"The ocuroot provider's store or hook_secret depends on values known only after apply; plan-time checks against the store are skipped.")
	}
	credentials, credentialsKnown := credentialsFrom(ctx, cfg.Credentials, &resp.Diagnostics)
	prometheus, prometheusKnown := prometheusFrom(ctx, cfg.Prometheus, credentials, credentialsKnown, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !credentialsKnown {
		resp.Diagnostics.AddAttributeWarning(pathCredentials, "Provider Credentials Not Yet Known",
			"Some of the ocuroot provider's credentials depend on values known only after apply; whether every credential a deployment names is defined is checked when it is applied.")
	}
	data, err := newProviderData(ctx, p.opts, providerSettings{
		location: location, hookSecret: secret, credentials: credentials, credentialsKnown: credentialsKnown,
		prometheus: prometheus, prometheusKnown: prometheusKnown,
	})
	if err != nil {
		resp.Diagnostics.AddAttributeError(pathStore, "Cannot Open Ocuroot Store", err.Error())
		return
	}
	data.shutdown = p.opts.Shutdown
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

func (p *ocurootProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewEnvironmentResource,
		NewReleaseResource,
		NewDeploymentResource,
		NewPromotionResource,
	}
}

func (p *ocurootProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewReleasePlanDataSource,
		NewEnvironmentsDataSource,
		NewDeploymentDataSource,
		NewDeploymentHistoryDataSource,
	}
}

// Actions are the day-2 operations of Terraform 1.14+ (`apply -invoke`);
// older Terraform never asks for them.
func (p *ocurootProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		NewPromoteAction,
		NewRollbackAction,
	}
}

var _ provider.ProviderWithActions = (*ocurootProvider)(nil)

// ListResources are what `terraform query` (Terraform 1.14+) lists: what
// the store holds, for import blocks and generated configuration.
func (p *ocurootProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewEnvironmentList,
		NewReleaseList,
		NewDeploymentList,
	}
}

var _ provider.ProviderWithListResources = (*ocurootProvider)(nil)

func stringOr(v types.String, fallback string) string {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return fallback
	}
	return v.ValueString()
}
