package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ list.ListResource              = (*releaseList)(nil)
	_ list.ListResourceWithConfigure = (*releaseList)(nil)
)

// NewReleaseList lists the releases a store holds, for `terraform query`.
func NewReleaseList() list.ListResource { return &releaseList{} }

type releaseList struct {
	pd *providerData
}

type releaseListModel struct {
	Package         types.String `tfsdk:"package"`
	IncludeArchived types.Bool   `tfsdk:"include_archived"`
}

func (l *releaseList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_release"
}

func (l *releaseList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the releases registered in the store, including those that other workspaces manage, so " +
			"`terraform query` can generate import blocks and configuration for them: package by package, oldest first. " +
			"Listing only reads the store.",
		Attributes: map[string]schema.Attribute{
			"package": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only the releases of this package. Reads only that package's records.",
				Validators:          []validator.String{nameValidator("package")},
			},
			"include_archived": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Also list archived releases: destroyed in Terraform while a deployment still ran them. " +
					"Default `false`.",
			},
		},
	}
}

func (l *releaseList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.pd = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (l *releaseList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var filter releaseListModel
	if diags := req.Config.Get(ctx, &filter); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if !listConfigured(l.pd, stream) {
		return
	}
	releases, err := l.pd.engine.ListReleases(ctx, filter.Package.ValueString(), filter.IncludeArchived.ValueBool())
	if err != nil {
		listFailed(stream, "Cannot List Releases",
			fmt.Sprintf("Reading the releases from the ocuroot store (%s) failed: %s. Nothing was listed; run the query again.", l.pd.storeDescription, err))
		return
	}
	importer := &releaseResource{pd: l.pd}
	results := make([]list.ListResult, 0, len(releases))
	for _, rel := range releases {
		// The status is derived from the package's deployments: read only
		// when Terraform wants the object.
		var m releaseResourceModel
		var diags diag.Diagnostics
		if req.IncludeResource {
			m, diags = importer.importedRelease(ctx, rel)
		}
		result := listResult(ctx, req, rel.ID(), &m, identityValue{"package", rel.Package}, identityValue{"version", rel.Version})
		result.Diagnostics.Append(diags...)
		results = append(results, result)
	}
	streamResults(req, stream, results)
}
