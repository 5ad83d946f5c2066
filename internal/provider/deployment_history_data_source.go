package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

var (
	_ datasource.DataSource              = (*deploymentHistoryDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*deploymentHistoryDataSource)(nil)
)

// maxHistoryEntries bounds one read of the history data source: the store
// keeps every transition, and a deployment with thousands of rollouts should
// not be read whole into state by mistake.
const maxHistoryEntries = 10000

// NewDeploymentHistoryDataSource is the ocuroot_deployment_history data
// source: the decision history that Terraform state no longer carries.
func NewDeploymentHistoryDataSource() datasource.DataSource { return &deploymentHistoryDataSource{} }

type deploymentHistoryDataSource struct {
	data *providerData
}

type deploymentHistoryModel struct {
	Deployment types.String `tfsdk:"deployment"`
	Limit      types.Int64  `tfsdk:"limit"`
	Entries    types.List   `tfsdk:"entries"`
}

func (d *deploymentHistoryDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_deployment_history"
}

func (d *deploymentHistoryDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The decision history of a deployment, read from the store: every rollout step, promotion, rollback and restore, with its reason. " +
			"The store keeps every transition; this reads only the newest `limit` of them.",
		Attributes: map[string]schema.Attribute{
			"deployment": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id of the deployment, `PACKAGE/ENVIRONMENT` (the `id` of an `ocuroot_deployment`).",
			},
			"limit": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("How many of the newest transitions to read, between 1 and %d. Defaults to `%d`.", maxHistoryEntries, defaultHistoryLimit),
				Validators:          []validator.Int64{int64validator.Between(1, maxHistoryEntries)},
			},
			"entries": historyEntriesAttribute("The transitions, oldest first, so the last entry is the newest."),
		},
	}
}

func (d *deploymentHistoryDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (d *deploymentHistoryDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m deploymentHistoryModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := m.Deployment.ValueString()
	if _, _, err := domain.ParseDeploymentID(id); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("deployment"), "Invalid Deployment Id",
			fmt.Sprintf("%v. Use the id of an ocuroot_deployment, for example \"api/prod1\".", err))
		return
	}
	rec, err := d.data.engine.GetDeployment(ctx, id)
	if err != nil && !records.IsNotFound(err) {
		d.data.addStoreReadError(&resp.Diagnostics, "Reading deployment "+id, err, "Check that the store is reachable and run terraform again.")
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Deployment Not Found", fmt.Sprintf("No deployment %s in the store (%s).", id, d.data.storeDescription))
		return
	}
	entries, err := recentHistory(ctx, d.data.engine, rec, historyLimit(m.Limit))
	if err != nil {
		d.data.addStoreReadError(&resp.Diagnostics, "Reading the history of "+id, err, "Check that the store is reachable and run terraform again.")
		return
	}
	list, diags := historyValue(entries)
	resp.Diagnostics.Append(diags...)
	m.Entries = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
