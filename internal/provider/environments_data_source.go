package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*environmentsDataSource)(nil)

// NewEnvironmentsDataSource is the factory for ocuroot_environments.
func NewEnvironmentsDataSource() datasource.DataSource { return &environmentsDataSource{} }

type environmentsDataSource struct {
	pd *providerData
}

type environmentsDataSourceModel struct {
	ID           types.String `tfsdk:"id"`
	Attributes   types.Map    `tfsdk:"attributes"`
	Names        types.List   `tfsdk:"names"`
	Environments types.List   `tfsdk:"environments"`
}

var environmentAttrTypes = map[string]attr.Type{
	"name":       types.StringType,
	"attributes": types.MapType{ElemType: types.StringType},
}

func (d *environmentsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_environments"
}

func (d *environmentsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the environments registered in the ocuroot store, optionally filtered by attributes. " +
			"Useful in a workspace that deploys into environments declared by another workspace sharing the store.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "A stable id derived from the filter.",
			},
			"attributes": schema.MapAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Only environments whose attributes include every one of these key/value pairs, " +
					"for example `{ type = \"prod\" }`. Unset: every environment.",
			},
			"names": schema.ListAttribute{
				ElementType:         types.StringType,
				Computed:            true,
				MarkdownDescription: "Names of the matching environments, sorted.",
			},
			"environments": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The matching environments, sorted by name.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the environment."},
						"attributes": schema.MapAttribute{
							ElementType:         types.StringType,
							Computed:            true,
							MarkdownDescription: "All attributes of the environment (an empty map when it has none).",
						},
					},
				},
			},
		},
	}
}

func (d *environmentsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (d *environmentsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg environmentsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	match, diags := stringMapFrom(ctx, cfg.Attributes)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	envs, err := d.pd.engine.ListEnvironments(ctx, match)
	if err != nil {
		resp.Diagnostics.AddError("Cannot List Environments",
			fmt.Sprintf("Listing environments failed: %s.", d.pd.storeErrorText(err)))
		return
	}
	names := make([]string, 0, len(envs))
	objects := make([]attr.Value, 0, len(envs))
	for _, env := range envs {
		names = append(names, env.Name)
		attributes, diags := types.MapValueFrom(ctx, types.StringType, nonNilMap(env.Attributes))
		resp.Diagnostics.Append(diags...)
		object, diags := types.ObjectValue(environmentAttrTypes, map[string]attr.Value{
			"name":       types.StringValue(env.Name),
			"attributes": attributes,
		})
		resp.Diagnostics.Append(diags...)
		objects = append(objects, object)
	}
	cfg.ID = types.StringValue(environmentsFilterID(match))
	cfg.Names, diags = types.ListValueFrom(ctx, types.StringType, names)
	resp.Diagnostics.Append(diags...)
	cfg.Environments, diags = types.ListValue(types.ObjectType{AttrTypes: environmentAttrTypes}, objects)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}

// environmentsFilterID is "environments" followed by the sorted filter, for
// example "environments?canary=true&type=prod".
func environmentsFilterID(match map[string]string) string {
	if len(match) == 0 {
		return "environments"
	}
	pairs := make([]string, 0, len(match))
	for k, v := range match {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return "environments?" + strings.Join(pairs, "&")
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
