package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// A promotion is named by its release and by either the deployment it
// promoted or the phase it approved: the identity holds all three, one of
// the last two null, where the id joins two of them with "#".

type promotionIdentityModel struct {
	Release    types.String `tfsdk:"release"`
	Deployment types.String `tfsdk:"deployment"`
	Phase      types.String `tfsdk:"phase"`
}

// IdentitySchema names the resource for Terraform 1.12+ import blocks.
func (r *promotionResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		"release": identityschema.StringAttribute{
			RequiredForImport: true,
			Description:       "The release promoted or approved, `PACKAGE@VERSION`.",
		},
		"deployment": identityschema.StringAttribute{
			OptionalForImport: true,
			Description:       "The deployment promoted, `PACKAGE/ENVIRONMENT`; unset for a phase approval.",
		},
		"phase": identityschema.StringAttribute{
			OptionalForImport: true,
			Description:       "The phase approved; unset for a deployment promotion.",
		},
	}}
}

// syncPromotionIdentity copies release, deployment and phase from the
// resulting state into the identity. Deferred at the top of Create, Read,
// Update and ImportState, like syncIdentity, which cannot be used here: it
// skips an identity with a null attribute, and every promotion has one.
func syncPromotionIdentity(ctx context.Context, state *tfsdk.State, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if identity == nil || state == nil || state.Raw.IsNull() || diags.HasError() {
		return
	}
	var m promotionModel
	if diags.Append(state.Get(ctx, &m)...); diags.HasError() || m.Release.IsNull() || m.Release.IsUnknown() {
		return
	}
	diags.Append(identity.Set(ctx, promotionIdentityModel{Release: m.Release, Deployment: m.Deployment, Phase: m.Phase})...)
}

// promotionIDFromIdentity builds the import id, DEPLOYMENT#RELEASE or
// RELEASE#PHASE, from an import block's identity.
func promotionIDFromIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	if identity == nil || identity.Raw.IsNull() {
		diags.AddError("Invalid Import Id", "The import gave neither an id nor an identity. Give the id, DEPLOYMENT#RELEASE or RELEASE#PHASE, or an identity with release and either deployment or phase.")
		return "", diags
	}
	var id promotionIdentityModel
	if diags.Append(identity.Get(ctx, &id)...); diags.HasError() {
		return "", diags
	}
	deployment, phase := id.Deployment.ValueString(), id.Phase.ValueString()
	switch {
	case (deployment == "") == (phase == ""):
		diags.AddError("Invalid Import Identity", "A promotion's identity names its release and exactly one of deployment (a promotion of that deployment) or phase (an approval of that phase of the release).")
		return "", diags
	case deployment != "":
		return deployment + "#" + id.Release.ValueString(), diags
	}
	return records.ApprovalKey(id.Release.ValueString(), phase), diags
}
