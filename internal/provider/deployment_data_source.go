package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

var (
	_ datasource.DataSource              = (*deploymentDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*deploymentDataSource)(nil)
)

// NewDeploymentDataSource is the ocuroot_deployment data source.
func NewDeploymentDataSource() datasource.DataSource { return &deploymentDataSource{} }

type deploymentDataSource struct {
	data *providerData
}

type deploymentDataModel struct {
	ID             types.String `tfsdk:"id"`
	Package        types.String `tfsdk:"package"`
	Environment    types.String `tfsdk:"environment"`
	Status         types.String `tfsdk:"status"`
	LiveRelease    types.String `tfsdk:"live_release"`
	PendingRelease types.String `tfsdk:"pending_release"`
	TrafficPercent types.Int64  `tfsdk:"traffic_percent"`
	LastTransition types.Object `tfsdk:"last_transition"`
	Limit          types.Int64  `tfsdk:"limit"`
	History        types.List   `tfsdk:"history"`
}

// defaultHistoryLimit is how many transitions the data sources show when
// their limit is not set.
const defaultHistoryLimit = 20

// maxInlineHistory bounds the history this data source reads inline; the
// history data source reads longer ones.
const maxInlineHistory = 1000

// historyLimit reads a data source's limit; unset is the default.
func historyLimit(limit types.Int64) int {
	if limit.IsNull() || limit.IsUnknown() {
		return defaultHistoryLimit
	}
	return int(limit.ValueInt64())
}

func (d *deploymentDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_deployment"
}

func (d *deploymentDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	name := []validator.String{stringvalidator.RegexMatches(domain.NamePattern(), "must contain only letters, digits, '_', '.' and '-'")}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The status of a package in an environment, read from the store — for other workspaces that need to know what runs where (requires a shared store such as PostgreSQL when they run elsewhere).",
		Attributes: map[string]schema.Attribute{
			"id":              schema.StringAttribute{Computed: true, MarkdownDescription: "`PACKAGE/ENVIRONMENT`."},
			"package":         schema.StringAttribute{Required: true, Validators: name, MarkdownDescription: "The package deployed, as in a release id `PACKAGE@VERSION`."},
			"environment":     schema.StringAttribute{Required: true, Validators: name, MarkdownDescription: "The environment it runs in."},
			"status":          schema.StringAttribute{Computed: true, MarkdownDescription: "`succeeded`, `in_progress`, `awaiting_promotion`, `rolled_back`, `failed`, `pending` or `torn_down`."},
			"live_release":    schema.StringAttribute{Computed: true, MarkdownDescription: "The release serving traffic."},
			"pending_release": schema.StringAttribute{Computed: true, MarkdownDescription: "A canary or green release not yet promoted."},
			"traffic_percent": schema.Int64Attribute{Computed: true, MarkdownDescription: "Share of traffic on the release being rolled out."},
			"last_transition": lastTransitionDataAttribute(),
			"limit": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("How many of the newest transitions `history` holds, between 0 and %d. Defaults to `%d`; `0` reads no history.", maxInlineHistory, defaultHistoryLimit),
				Validators:          []validator.Int64{int64validator.Between(0, maxInlineHistory)},
			},
			"history": historyEntriesAttribute("The newest transitions of the deployment (see `limit`), oldest first: every step, promotion and rollback, with its reason. " +
				"The `ocuroot_deployment_history` data source reads longer histories."),
		},
	}
}

func (d *deploymentDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (d *deploymentDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m deploymentDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := domain.DeploymentID(m.Package.ValueString(), m.Environment.ValueString())
	rec, err := d.data.engine.GetDeployment(ctx, id)
	if err != nil && !records.IsNotFound(err) {
		d.data.addStoreReadError(&resp.Diagnostics, "Reading deployment "+id, err, "Check that the store is reachable and run terraform again.")
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Deployment Not Found", fmt.Sprintf("No deployment %s in the store (%s).", id, d.data.storeDescription))
		return
	}
	resp.Diagnostics.Append(m.applyRecord(rec)...)
	entries := []domain.Transition{}
	if limit := historyLimit(m.Limit); limit > 0 {
		if entries, err = recentHistory(ctx, d.data.engine, rec, limit); err != nil {
			d.data.addStoreReadError(&resp.Diagnostics, "Reading the history of "+id, err, "Check that the store is reachable and run terraform again.")
			return
		}
	}
	history, diags := historyValue(entries)
	m.History = history
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
