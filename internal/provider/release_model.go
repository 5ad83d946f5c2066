package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// releaseResourceModel is ocuroot_release as Terraform sees it.
type releaseResourceModel struct {
	ID          types.String `tfsdk:"id"`
	Package     types.String `tfsdk:"package"`
	Version     types.String `tfsdk:"version"`
	Artifact    types.String `tfsdk:"artifact"`
	Description types.String `tfsdk:"description"`
	Metadata    types.Map    `tfsdk:"metadata"`
	Phases      types.List   `tfsdk:"phase"`
	PhaseOrder  types.List   `tfsdk:"phase_order"`
	Graph       types.String `tfsdk:"graph"`
	Status      types.String `tfsdk:"status"`
	PhaseStatus types.List   `tfsdk:"phase_status"`
	Archived    types.Bool   `tfsdk:"archived"`
}

// newReleaseResourceModel returns a model whose optional values are null,
// the starting point of an import.
func newReleaseResourceModel() releaseResourceModel {
	return releaseResourceModel{
		Artifact:    types.StringNull(),
		Description: types.StringNull(),
		Metadata:    types.MapNull(types.StringType),
		Phases:      types.ListNull(types.ObjectType{AttrTypes: phaseBlockAttrTypes}),
		PhaseOrder:  types.ListNull(types.ObjectType{AttrTypes: phaseOrderAttrTypes}),
		PhaseStatus: types.ListNull(types.ObjectType{AttrTypes: phaseStatusAttrTypes}),
	}
}

// toRelease converts a planned (fully known) model into an engine release.
func (m releaseResourceModel) toRelease(ctx context.Context) (domain.Release, diag.Diagnostics) {
	var diags diag.Diagnostics
	rel := domain.Release{
		Package:     m.Package.ValueString(),
		Version:     m.Version.ValueString(),
		Artifact:    m.Artifact.ValueString(),
		Description: m.Description.ValueString(),
	}
	metadata, d := stringMapFrom(ctx, m.Metadata)
	diags.Append(d...)
	rel.Metadata = metadata
	flow, d := readReleaseFlow(ctx, m.Package, m.Version, m.Phases)
	diags.Append(d...)
	rel.Phases = flow.phases
	return rel, diags
}

// setFromRelease copies a stored release's configurable values into m,
// keeping unset optional values null so a refresh shows no diff.
func (m *releaseResourceModel) setFromRelease(rel domain.Release) diag.Diagnostics {
	m.Package = types.StringValue(rel.Package)
	m.Version = types.StringValue(rel.Version)
	m.Artifact = stringValueKeepNull(rel.Artifact, m.Artifact)
	m.Description = stringValueKeepNull(rel.Description, m.Description)
	m.Metadata = stringMapValue(rel.Metadata, m.Metadata)
	phases, diags := phaseBlocksValue(rel.Phases)
	m.Phases = phases
	return diags
}

// phaseStatusValue converts the engine's per-phase status.
func phaseStatusValue(phases []domain.PhaseStatus) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	objects := make([]attr.Value, 0, len(phases))
	for _, p := range phases {
		object, d := types.ObjectValue(phaseStatusAttrTypes, map[string]attr.Value{
			"name":   types.StringValue(p.Name),
			"status": types.StringValue(p.Status),
		})
		diags.Append(d...)
		objects = append(objects, object)
	}
	list, d := types.ListValue(types.ObjectType{AttrTypes: phaseStatusAttrTypes}, objects)
	diags.Append(d...)
	return list, diags
}
