package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

var (
	_ list.ListResource              = (*deploymentList)(nil)
	_ list.ListResourceWithConfigure = (*deploymentList)(nil)
)

// NewDeploymentList lists the deployments a store holds, for `terraform
// query`.
func NewDeploymentList() list.ListResource { return &deploymentList{} }

type deploymentList struct {
	data *providerData
}

type deploymentListModel struct {
	Package     types.String `tfsdk:"package"`
	Environment types.String `tfsdk:"environment"`
	Status      types.String `tfsdk:"status"`
}

// listedStatuses are the statuses a listed deployment can show: an
// adopted deployment reads as its release in effect (engine.Adoption), so
// neither rolled_back nor torn_down is one of them.
var listedStatuses = []string{
	string(domain.StatusSucceeded), string(domain.StatusInProgress),
	string(domain.StatusAwaitingPromotion), string(domain.StatusFailed),
}

func (l *deploymentList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_deployment"
}

func (l *deploymentList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the deployments in the store, including those that other workspaces manage, so " +
			"`terraform query` can generate import blocks and configuration for them. Each result is what an import of the " +
			"deployment records: the release in effect, the settings of its last rollout, and the status and traffic share " +
			"of that release. Torn-down deployments are not listed. Listing only reads the store.",
		Attributes: map[string]schema.Attribute{
			"package": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only the deployments of this package. Reads only that package's records.",
				Validators:          []validator.String{nameValidator("package")},
			},
			"environment": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only the deployments in this environment.",
				Validators:          []validator.String{nameValidator("environment name")},
			},
			"status": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only the deployments that show this status: `succeeded`, `in_progress`, `awaiting_promotion` or `failed`. " +
					"A deployment whose last rollout, of another release, was rolled back shows `succeeded`: the release in effect serves all its traffic.",
				Validators: []validator.String{stringvalidator.OneOf(listedStatuses...)},
			},
		},
	}
}

func (l *deploymentList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (l *deploymentList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var filter deploymentListModel
	if diags := req.Config.Get(ctx, &filter); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if !listConfigured(l.data, stream) {
		return
	}
	deployments, err := l.data.engine.ListDeployments(ctx, engine.DeploymentFilter{
		Package:     filter.Package.ValueString(),
		Environment: filter.Environment.ValueString(),
		Status:      domain.Status(filter.Status.ValueString()),
	})
	if err != nil {
		listFailed(stream, "Cannot List Deployments",
			fmt.Sprintf("Reading the deployments from the ocuroot store (%s) failed: %s. Nothing was listed; run the query again.", l.data.storeDescription, err))
		return
	}
	results := make([]list.ListResult, 0, len(deployments))
	for i := range deployments {
		d := &deployments[i]
		m, diags := adoptedDeployment(d)
		result := listResult(ctx, req, fmt.Sprintf("%s (%s, %s)", d.ID(), m.Release.ValueString(), m.Status.ValueString()), &m,
			identityValue{"package", d.Package}, identityValue{"environment", d.Environment})
		result.Diagnostics.Append(diags...)
		results = append(results, result)
	}
	streamResults(req, stream, results)
}
