package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/actionvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

var (
	_ action.Action                     = (*promoteAction)(nil)
	_ action.ActionWithConfigure        = (*promoteAction)(nil)
	_ action.ActionWithConfigValidators = (*promoteAction)(nil)
)

// NewPromoteAction is the ocuroot_promote action: what ocuroot_promotion
// does, without a record in state.
func NewPromoteAction() action.Action { return &promoteAction{} }

type promoteAction struct {
	data *providerData
}

type promoteActionModel struct {
	Deployment types.String         `tfsdk:"deployment"`
	Phase      types.String         `tfsdk:"phase"`
	Release    types.String         `tfsdk:"release"`
	Note       types.String         `tfsdk:"note"`
	Timeout    timetypes.GoDuration `tfsdk:"timeout"`
}

func (a *promoteAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promote"
}

func (a *promoteAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Promotes a deployment waiting at its gate, or approves a phase, as a day-2 operation (Terraform 1.14+): " +
			"`terraform apply -invoke=action.ocuroot_promote.NAME`, or an `action_trigger` in a resource's `lifecycle`. " +
			"It does what `ocuroot_promotion` does and blocks the same way: with `deployment` it waits (within `timeout`) until the deployment " +
			"reaches `awaiting_promotion` for `release`, then runs the blue-green cutover or the canary's final promotion, the post-promotion " +
			"checks and the scale-down delay; with `phase` it records the approval that opens the phase. Nothing is kept in state: use " +
			"`ocuroot_promotion` when you want the record there.",
		Attributes: map[string]schema.Attribute{
			"deployment": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Id (`PACKAGE/ENVIRONMENT`) of the deployment to promote. Exactly one of `deployment` or `phase`.",
			},
			"phase": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Name of a phase of `release` to approve (a phase with `requires_approval`). Exactly one of `deployment` or `phase`.",
			},
			"release": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id (`PACKAGE@VERSION`) of the release to promote: for a deployment it must be the pending release.",
				Validators:          []validator.String{stringvalidator.RegexMatches(domain.ReleaseIDPattern(), "must have the form PACKAGE@VERSION")},
			},
			"note": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Why: a ticket or the approver. Recorded in the deployment's history, or in the approval record of a phase.",
			},
			"timeout": actionTimeoutAttribute("waiting for `awaiting_promotion` and finishing the rollout included", "30m"),
		},
	}
}

func (a *promoteAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return []action.ConfigValidator{actionvalidator.ExactlyOneOf(path.MatchRoot("deployment"), path.MatchRoot("phase"))}
}

func (a *promoteAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (a *promoteAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m promoteActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	timeout := actionTimeout(m.Timeout, defaultPromoteActionTimeout, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !actionConfigured(a.data, &resp.Diagnostics) {
		return
	}
	ctx, stop := a.data.operationContext(ctx)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !m.Phase.IsNull() {
		a.approvePhase(ctx, &m, resp)
		return
	}
	a.promoteDeployment(ctx, &m, resp)
}

func (a *promoteAction) approvePhase(ctx context.Context, m *promoteActionModel, resp *action.InvokeResponse) {
	release, phase := m.Release.ValueString(), m.Phase.ValueString()
	approval, err := a.data.engine.ApprovePhase(ctx, release, phase, m.Note.ValueString(), promoter())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("phase"), "Phase Approval Failed", err.Error())
		return
	}
	progress(ctx, resp, fmt.Sprintf("phase %q of %s approved by %s; its deployments may proceed", approval.Phase, release, approval.By),
		map[string]any{"release": release, "phase": approval.Phase})
}

func (a *promoteAction) promoteDeployment(ctx context.Context, m *promoteActionModel, resp *action.InvokeResponse) {
	id, release := m.Deployment.ValueString(), m.Release.ValueString()
	if _, _, err := domain.ParseDeploymentID(id); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("deployment"), "Invalid Deployment Id", err.Error()+". Example: api/prod1")
		return
	}
	progress(ctx, resp, fmt.Sprintf("promoting %s to %s once it waits at awaiting_promotion", id, release),
		map[string]any{"deployment": id, "release": release})
	d, err := a.data.engine.Promote(ctx, engine.PromoteRequest{
		Deployment: id, Release: release, Note: m.Note.ValueString(), By: promoter(),
	})
	err = withoutLeaseNotReleased(&resp.Diagnostics, "promotion", err)
	var refused *engine.PromotionRefusedError
	switch {
	case errors.As(err, &refused):
		resp.Diagnostics.AddAttributeError(path.Root("release"), "Release Not Pending Promotion", refused.Reason)
		return
	case err != nil:
		addDeployError(&resp.Diagnostics, "promotion", err)
		return
	}
	progress(ctx, resp, fmt.Sprintf("%s promoted: %s is live (status %s, %d%% of traffic)", id, domain.OrNone(d.LiveRelease), d.Status, d.TrafficPercent),
		map[string]any{"deployment": id, "release": release, "status": string(d.Status)})
}
