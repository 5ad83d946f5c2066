package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

var _ datasource.DataSourceWithConfigure = (*releasePlanDataSource)(nil)

// NewReleasePlanDataSource is the factory for ocuroot_release_plan.
func NewReleasePlanDataSource() datasource.DataSource { return &releasePlanDataSource{} }

// releasePlanDataSource previews a release's flow without registering it.
type releasePlanDataSource struct {
	pd *providerData
}

type releasePlanModel struct {
	ID         types.String `tfsdk:"id"`
	Package    types.String `tfsdk:"package"`
	Version    types.String `tfsdk:"version"`
	Phases     types.List   `tfsdk:"phase"`
	PhaseOrder types.List   `tfsdk:"phase_order"`
	Graph      types.String `tfsdk:"graph"`
}

func (d *releasePlanDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_release_plan"
}

func (d *releasePlanDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Previews a release's flow — `phase_order` and the Mermaid `graph` — from the same inputs as " +
			"`ocuroot_release`, with the same plan-time errors and warnings, without registering anything in the store. " +
			"Useful for plan-only previews in pull requests.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The release id the preview describes, `PACKAGE@VERSION`.",
			},
			"package": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: descReleasePackage,
				Validators:          []validator.String{nameValidator("package name")},
			},
			"version": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: descReleaseVersion,
				Validators:          []validator.String{nameValidator("version")},
			},
			"phase_order": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: descPhaseOrder,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"index":             schema.Int64Attribute{Computed: true, MarkdownDescription: descPhaseOrderIndex},
						"name":              schema.StringAttribute{Computed: true, MarkdownDescription: descPhaseName},
						"environments":      schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "Environments of the phase, in declared order."},
						"requires_approval": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the phase waits for an approval."},
					},
				},
			},
			"graph": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: descGraph,
			},
		},
		Blocks: map[string]schema.Block{
			"phase": schema.ListNestedBlock{
				MarkdownDescription: descPhase,
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							Required:            true,
							MarkdownDescription: descPhaseName,
						},
						"environments": schema.ListAttribute{
							ElementType:         types.StringType,
							Required:            true,
							MarkdownDescription: descPhaseEnvironments,
						},
						"requires_approval": schema.BoolAttribute{
							Optional:            true,
							MarkdownDescription: descPhaseRequiresApproval,
						},
					},
				},
			},
		},
	}
}

func (d *releasePlanDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

// Read checks the flow and renders it; it only reads the store (to know
// which environments exist) and never writes to it.
func (d *releasePlanDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg releasePlanModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	flow, diags := readReleaseFlow(ctx, cfg.Package, cfg.Version, cfg.Phases)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(checkReleaseFlow(ctx, d.pd, flow, nil)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg.ID = types.StringValue(domain.ReleaseID(cfg.Package.ValueString(), cfg.Version.ValueString()))
	order, graph, diags := flowValues(cfg.Package.ValueString(), cfg.Version.ValueString(), flow.phases)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg.PhaseOrder, cfg.Graph = order, graph
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
