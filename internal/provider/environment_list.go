package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ list.ListResource              = (*environmentList)(nil)
	_ list.ListResourceWithConfigure = (*environmentList)(nil)
)

// NewEnvironmentList lists the environments a store holds, for `terraform
// query`.
func NewEnvironmentList() list.ListResource { return &environmentList{} }

type environmentList struct {
	pd *providerData
}

type environmentListModel struct {
	Attributes types.Map `tfsdk:"attributes"`
}

func (l *environmentList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_environment"
}

func (l *environmentList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the environments registered in the store, including those that other workspaces manage, so " +
			"`terraform query` can generate import blocks and configuration for them. Listing only reads the store.",
		Attributes: map[string]schema.Attribute{
			"attributes": schema.MapAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Only the environments whose attributes include every key and value given here, " +
					"for example `{ type = \"prod\" }`. Unset: every environment.",
			},
		},
	}
}

func (l *environmentList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.pd = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (l *environmentList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var filter environmentListModel
	diags := req.Config.Get(ctx, &filter)
	match, d := stringMapFrom(ctx, filter.Attributes)
	diags.Append(d...)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if !listConfigured(l.pd, stream) {
		return
	}
	envs, err := l.pd.engine.ListEnvironments(ctx, match)
	if err != nil {
		listFailed(stream, "Cannot List Environments",
			fmt.Sprintf("Reading the environments from the ocuroot store (%s) failed: %s. Nothing was listed; run the query again.", l.pd.storeDescription, err))
		return
	}
	results := make([]list.ListResult, 0, len(envs))
	for _, env := range envs {
		m := importedEnvironment(env)
		results = append(results, listResult(ctx, req, env.Name, &m, identityValue{"name", env.Name}))
	}
	streamResults(req, stream, results)
}
