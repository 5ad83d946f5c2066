package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// validatePlannedPromotion checks at plan time what an ocuroot_promotion
// names against the other resources: a deployment promotion's release is of
// the deployment's package; an approved phase exists in the release and
// requires approval. Values not known until apply are said to be unchecked
// in a warning; the apply checks them then.
func validatePlannedPromotion(ctx context.Context, pd *providerData, plan *promotionModel, diags *diag.Diagnostics) {
	switch {
	case !plan.Deployment.IsNull():
		validatePromotedPackage(plan, diags)
	case !plan.Phase.IsNull():
		validateApprovedPhase(ctx, pd, plan, diags)
	}
}

// validatePromotedPackage: deployment ids are PACKAGE/ENVIRONMENT and
// release ids PACKAGE@VERSION, so the rule needs no other resource.
func validatePromotedPackage(plan *promotionModel, diags *diag.Diagnostics) {
	if plan.Deployment.IsUnknown() || plan.Release.IsUnknown() {
		diags.AddAttributeWarning(path.Root("release"), "Promotion Not Checked",
			"The deployment or the release of this promotion is not known until apply, so whether the release is of the deployment's package is checked only then.")
		return
	}
	deployment, release := plan.Deployment.ValueString(), plan.Release.ValueString()
	deploymentPackage, _, found := strings.Cut(deployment, "/")
	releasePackage, _, err := domain.ParseReleaseID(release)
	if !found || err != nil {
		return // malformed ids are refused by their own validators
	}
	if deploymentPackage != releasePackage {
		diags.AddAttributeError(path.Root("release"), "Release Of Another Package", fmt.Sprintf(
			"Release %s is of package %q, but deployment %s runs package %q, so it can never be pending there. "+
				"Promote a release of %q, or name the deployment of %q.",
			release, releasePackage, deployment, deploymentPackage, deploymentPackage, releasePackage))
	}
}

// validateApprovedPhase looks the release up as planned in this run or as
// stored.
func validateApprovedPhase(ctx context.Context, pd *providerData, plan *promotionModel, diags *diag.Diagnostics) {
	if pd == nil {
		return
	}
	if plan.Phase.IsUnknown() || plan.Release.IsUnknown() {
		diags.AddAttributeWarning(path.Root("phase"), "Phase Approval Not Checked",
			"The phase or the release of this approval is not known until apply, so whether the release has that phase is checked only then.")
		return
	}
	release, phase := plan.Release.ValueString(), plan.Phase.ValueString()
	phases, lookup, err := pd.releasePhases(ctx, release)
	if err != nil {
		pd.addStoreReadError(diags, fmt.Sprintf("Reading release %s to check that phase %q requires approval", release, phase), err, nextAfterPlanRead)
		return
	}
	switch lookup {
	case releasePhasesUnknown:
		diags.AddAttributeWarning(path.Root("phase"), "Phase Approval Not Checked", fmt.Sprintf(
			"The phases of release %s are not known until apply, so whether it has a phase %q that requires approval is checked only then.", release, phase))
		return
	case releaseNotFound:
		diags.AddAttributeWarning(path.Root("phase"), "Phase Approval Not Checked", fmt.Sprintf(
			"Release %s is neither registered in the ocuroot store nor planned in this configuration, so its phases cannot be checked. "+
				"The apply refuses the approval unless the release is registered by then.", release))
		return
	}
	names := make([]string, 0, len(phases))
	for _, p := range phases {
		if p.Name != phase {
			names = append(names, fmt.Sprintf("%q", p.Name))
			continue
		}
		if !p.RequiresApproval {
			diags.AddAttributeError(path.Root("phase"), "Phase Does Not Require Approval", fmt.Sprintf(
				"Phase %q of release %s does not require approval, so this approval would open nothing. "+
					"Set requires_approval = true on that phase of the release, or remove this ocuroot_promotion.", phase, release))
		}
		return
	}
	diags.AddAttributeError(path.Root("phase"), "Phase Not In Release", fmt.Sprintf(
		"Release %s has no phase %q; its phases are %s. Name one of them, or add the phase to the release.",
		release, phase, strings.Join(names, ", ")))
}
