package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

var (
	_ resource.Resource                = (*promotionResource)(nil)
	_ resource.ResourceWithConfigure   = (*promotionResource)(nil)
	_ resource.ResourceWithIdentity    = (*promotionResource)(nil)
	_ resource.ResourceWithImportState = (*promotionResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*promotionResource)(nil)
)

const defaultPromotionTimeout = 30 * time.Minute

// NewPromotionResource is the ocuroot_promotion resource.
func NewPromotionResource() resource.Resource { return &promotionResource{} }

type promotionResource struct {
	data *providerData
}

type promotionModel struct {
	ID          types.String   `tfsdk:"id"`
	Deployment  types.String   `tfsdk:"deployment"`
	Phase       types.String   `tfsdk:"phase"`
	Release     types.String   `tfsdk:"release"`
	Note        types.String   `tfsdk:"note"`
	PromotedAt  types.String   `tfsdk:"promoted_at"`
	PromotedBy  types.String   `tfsdk:"promoted_by"`
	LiveRelease types.String   `tfsdk:"live_release"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

func (r *promotionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promotion"
}

func (r *promotionResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	exactlyOne := stringvalidator.ExactlyOneOf(path.MatchRoot("deployment"), path.MatchRoot("phase"))
	resp.Schema = schema.Schema{
		MarkdownDescription: "An explicit, recorded decision to move traffic. With `deployment`: the manual cutover of a blue-green " +
			"deployment or the final promotion of a canary with `manual_promotion`; Create waits (within its create timeout) until the " +
			"deployment reaches `awaiting_promotion` for `release`, then finishes the rollout. With `phase`: the approval that opens a phase " +
			"with `requires_approval` for `release`. A release that is not pending is refused. Destroy only forgets the record and never " +
			"rolls back; each new release needs its own promotion.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`DEPLOYMENT#RELEASE` (e.g. `api/prod1#api@2`) or `RELEASE#PHASE` (e.g. `api@2#prod`); also the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"deployment": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Id (`PACKAGE/ENVIRONMENT`) of the `ocuroot_deployment` to promote. Exactly one of `deployment` or `phase`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{exactlyOne},
			},
			"phase": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Name of a phase of `release` to approve. Exactly one of `deployment` or `phase`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{exactlyOne},
			},
			"release": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id (`PACKAGE@VERSION`) of the release to promote: for a deployment it must be the pending release.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.RegexMatches(domain.ReleaseIDPattern(), "must have the form PACKAGE@VERSION")},
			},
			"note": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Why: a ticket or the approver. Recorded in the deployment's history for a deployment promotion, and in the approval record for a phase.",
			},
			"promoted_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the promotion was performed, RFC 3339.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"promoted_by": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Who performed it: the Terraform Cloud run, or the local user.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"live_release": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "For a deployment: the release serving traffic right after the promotion.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": positiveTimeoutsBlock(ctx, timeouts.Opts{
				Create:            true,
				CreateDescription: "How long the promotion may wait for the deployment to reach `awaiting_promotion` and then finish the rollout (cutover, checks, scale-down delay, drain). Default `30m`.",
			}),
		},
	}
}

func (r *promotionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan notes the promotion or approval as planned in this run, so a
// deployment behind its gate waits for it instead of refusing, and refuses
// at plan time a promotion the store already rules out, unless the
// deployment is planned to move to that release in this run. Terraform
// calls it again in the apply right before Create, which is when the
// deployments of the same apply learn about it.
func (r *promotionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || !req.State.Raw.IsNull() || r.data == nil {
		return
	}
	var plan promotionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !resp.Diagnostics.HasError() {
		validatePlannedPromotion(ctx, r.data, &plan, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() || plan.Release.IsUnknown() {
		return
	}
	if !plan.Phase.IsNull() && !plan.Phase.IsUnknown() {
		r.data.notePlannedApproval(plan.Release.ValueString(), plan.Phase.ValueString())
		return
	}
	if plan.Deployment.IsNull() || plan.Deployment.IsUnknown() {
		return
	}
	id, release := plan.Deployment.ValueString(), plan.Release.ValueString()
	r.data.notePlannedPromotion(id, release)
	if r.data.plannedRelease(id) == release {
		return // the deployment moves to this release in the same apply
	}
	err := r.data.engine.CanPromote(ctx, id, release)
	var refused *engine.PromotionRefusedError
	switch {
	case errors.As(err, &refused):
		resp.Diagnostics.AddAttributeError(path.Root("release"), "Release Not Pending Promotion", refused.Reason)
	case err != nil && !records.IsNotFound(err):
		// Not found: the deployment is created later in this apply, and
		// the promotion waits for it then.
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking that %s is pending promotion in %s", release, id), err, nextAfterPlanRead)
	}
}

func (r *promotionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncPromotionIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics)
	var plan promotionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	timeout, diags := plan.Timeouts.Create(ctx, defaultPromotionTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// A SIGTERM or SIGINT to the provider cancels the operation like an
	// interrupt, and the provider waits for it to answer before exiting.
	ctx, finish := r.data.operationContext(ctx)
	defer finish()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	by := promoter()
	release := plan.Release.ValueString()
	plan.PromotedBy = types.StringValue(by)

	if !plan.Phase.IsNull() {
		a, err := r.data.engine.ApprovePhase(ctx, release, plan.Phase.ValueString(), plan.Note.ValueString(), by)
		if err != nil {
			r.data.forgetPlannedApproval(release, plan.Phase.ValueString())
			if _, storeFailed := storeFailure(err); storeFailed {
				resp.Diagnostics.AddAttributeError(path.Root("phase"), storeFailureSummary(err), sentence(engineErrorText(err))+
					" The approval was not recorded; check that the store is reachable and apply again.")
				return
			}
			resp.Diagnostics.AddAttributeError(path.Root("phase"), "Phase Approval Failed", err.Error())
			return
		}
		plan.ID = types.StringValue(records.ApprovalKey(release, a.Phase))
		plan.PromotedAt = types.StringValue(a.ApprovedAt.UTC().Format(time.RFC3339Nano))
		plan.LiveRelease = types.StringNull()
		providerLog.Info(ctx, "ocuroot: phase approved", map[string]any{"release": release, "phase": a.Phase})
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}

	deployment := plan.Deployment.ValueString()
	providerLog.Info(ctx, "ocuroot: promoting", map[string]any{"deployment": deployment, "release": release})
	d, err := r.data.engine.Promote(ctx, engine.PromoteRequest{Deployment: deployment, Release: release, Note: plan.Note.ValueString(), By: by})
	err = withoutLeaseNotReleased(&resp.Diagnostics, "promotion", err)
	if err != nil {
		// Deployments of later phases stop waiting for this promotion.
		r.data.forgetPlannedPromotion(deployment, release)
		var refused *engine.PromotionRefusedError
		_, storeFailed := storeFailure(err)
		switch {
		case errors.As(err, &refused):
			resp.Diagnostics.AddAttributeError(path.Root("release"), "Release Not Pending Promotion", refused.Reason)
		case storeFailed, d != nil && d.Rollout != nil && d.Rollout.Promotion != nil, errors.As(err, new(*domain.MissingCredentialError)):
			addDeployError(&resp.Diagnostics, "promotion", err)
		default:
			resp.Diagnostics.AddError("Promotion Failed", engineErrorText(err))
		}
		return
	}
	plan.ID = types.StringValue(deployment + "#" + release)
	plan.PromotedAt = types.StringValue(d.Rollout.Promotion.PromotedAt.UTC().Format(time.RFC3339Nano))
	plan.LiveRelease = optionalString(d.LiveRelease)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read keeps the record: a promotion is an audit entry of something that
// happened, not a live object.
func (r *promotionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// A promotion recorded before promotions had an identity gets one here.
	defer syncPromotionIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics)
	var state promotionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update only changes the note kept in state; traffic never moves here.
func (r *promotionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncPromotionIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics)
	var plan promotionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete forgets the record and never rolls back.
func (r *promotionResource) Delete(ctx context.Context, req resource.DeleteRequest, _ *resource.DeleteResponse) {
	var state promotionModel
	req.State.Get(ctx, &state)
	providerLog.Info(ctx, "ocuroot: forgetting promotion record; traffic is left as it is", map[string]any{"id": state.ID.ValueString()})
}

func (r *promotionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer syncPromotionIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics)
	if req.ID == "" {
		id, diags := promotionIDFromIdentity(ctx, req.Identity)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		req.ID = id
	}
	left, right, ok := strings.Cut(req.ID, "#")
	if !ok {
		resp.Diagnostics.AddError("Invalid Import Id", fmt.Sprintf("%q must be DEPLOYMENT#RELEASE (api/prod1#api@2) or RELEASE#PHASE (api@2#prod)", req.ID))
		return
	}
	m := promotionModel{ID: types.StringValue(req.ID), Deployment: types.StringNull(), Phase: types.StringNull(), Note: types.StringNull(),
		LiveRelease: types.StringNull(), Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutsCreateAttrTypes)}}
	if strings.Contains(left, "/") {
		d, err := r.data.engine.GetDeployment(ctx, left)
		if err != nil && !records.IsNotFound(err) {
			r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Importing the promotion of %s in %s", right, left), err,
				"Nothing was imported; check that the store is reachable and import again.")
			return
		}
		if err != nil || d.Rollout == nil || d.Rollout.Promotion == nil || d.Rollout.Promotion.Release != right {
			resp.Diagnostics.AddError("Cannot Import Promotion", fmt.Sprintf("No promotion of %s recorded for deployment %s in the store", right, left))
			return
		}
		p := d.Rollout.Promotion
		m.Deployment, m.Release = types.StringValue(left), types.StringValue(right)
		m.PromotedAt, m.PromotedBy = types.StringValue(p.PromotedAt.UTC().Format(time.RFC3339Nano)), types.StringValue(p.By)
		m.Note, m.LiveRelease = optionalString(p.Note), optionalString(d.LiveRelease)
	} else {
		a, err := r.data.engine.PhaseApproval(ctx, left, right)
		if err != nil && !records.IsNotFound(err) {
			r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Importing the approval of phase %q of %s", right, left), err,
				"Nothing was imported; check that the store is reachable and import again.")
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot Import Promotion", fmt.Sprintf("No approval of phase %q of %s in the store: %v", right, left, err))
			return
		}
		m.Phase, m.Release = types.StringValue(right), types.StringValue(left)
		m.PromotedAt, m.PromotedBy, m.Note = types.StringValue(a.ApprovedAt.UTC().Format(time.RFC3339Nano)), types.StringValue(a.By), optionalString(a.Note)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// promoter names who performed a promotion: the Terraform Cloud run when
// there is one, otherwise the local user.
func promoter() string {
	return lease.CurrentHolder().Actor()
}
