package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/gate"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// ValidateConfig checks the rules that involve more than one attribute,
// each error on the path of the attribute to fix (see validate_*.go). The
// rules of single attributes are validators in the schema.
func (r *deploymentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m deploymentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateStrategySettings(&m, &resp.Diagnostics)
	validateEndpoints(&m, &resp.Diagnostics)
	validateAllMetricChecks(&m, &resp.Diagnostics)
}

// ModifyPlan computes id, package and rollout_plan at plan time, so a
// reviewer reads in the plan what the apply will do and how long bakes and
// delays will block. When the release does not change, nothing rolls out
// and the computed attributes keep their state values.
func (r *deploymentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	proposed := plan
	var state *deploymentModel
	switch {
	case req.State.Raw.IsNull():
	case req.State.Raw.Equal(req.Plan.Raw):
		// Nothing changes (the usual case in a plan of a large
		// configuration): the state decodes to the model just read.
		state = &proposed
	default:
		state = &deploymentModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	pkg := packageOf(plan.Release)
	if pkg != "" {
		plan.Package = types.StringValue(pkg)
		if !plan.Environment.IsUnknown() {
			plan.ID = types.StringValue(domain.DeploymentID(pkg, plan.Environment.ValueString()))
		}
		if state != nil && state.Package.ValueString() != "" && state.Package.ValueString() != pkg {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root("release"))
		}
	}
	var plannedRun *plannedRollout
	if req.Plan.Raw.IsFullyKnown() || rolloutInputsKnown(&plan) {
		plannedRun = resolvePlannedRollout(ctx, &plan)
	}
	r.validatePlannedDeployment(ctx, state, &plan, plannedRun, &resp.Diagnostics)

	releaseChanged := state == nil || !plan.Release.Equal(state.Release)
	if releaseChanged && r.data != nil && !plan.ID.IsUnknown() && !plan.Release.IsUnknown() {
		// A promotion planned after this sees that the release will be
		// pending by the time it runs.
		r.data.notePlannedRelease(plan.ID.ValueString(), plan.Release.ValueString())
	}
	if !releaseChanged {
		plan.RolloutPlan = state.RolloutPlan
		plan.keepRolloutStatus(state)
		r.planRollbackOfUnfinished(ctx, &plan, resp)
		if !modelUnchanged(&proposed, &plan) {
			resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		}
		return
	}

	plan.unknownRolloutStatus()
	plan.RolloutPlan = types.StringUnknown()
	if plannedRun != nil {
		hasLive, err := r.hasLiveRelease(ctx, state, &plan)
		if err != nil {
			r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking whether %s already runs a release, to plan its rollout", plan.ID.ValueString()), err, nextAfterPlanRead)
			return
		}
		plan.RolloutPlan = types.StringValue(rollout.SummarizeRollout(plannedRun.spec, plannedRun.stepsFor(hasLive), hasLive))
	}
	r.warnAboutApprovalWait(ctx, &plan, plannedRun, resp)
	warnAboutOwnCredentialsAtGate(ctx, req.Config, &plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planRollbackOfUnfinished makes an unfinished rollout of another release
// visible when the configured release is already in state (an apply was
// killed mid-bake and the configuration reverted): the plan is an update
// that rolls it back, never "No changes" while a canary is stranded.
func (r *deploymentResource) planRollbackOfUnfinished(ctx context.Context, plan *deploymentModel, resp *resource.ModifyPlanResponse) {
	if r.data == nil || plan.ID.IsUnknown() || plan.Release.IsUnknown() {
		return
	}
	d, err := r.data.engine.GetDeployment(ctx, plan.ID.ValueString())
	if records.IsNotFound(err) {
		return
	}
	if err != nil {
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking %s for an unfinished rollout to roll back", plan.ID.ValueString()), err, nextAfterPlanRead)
		return
	}
	unfinished := d.UnfinishedRolloutBesides(plan.Release.ValueString())
	if unfinished == nil {
		return
	}
	release := plan.Release.ValueString()
	plan.unknownRolloutStatus()
	// Only release ids here: the apply re-plans, and this text must come out
	// the same even if the rollout moved a step meanwhile.
	plan.RolloutPlan = types.StringValue(fmt.Sprintf("roll back the unfinished rollout of %s; %s stays live", unfinished.Release, release))
	resp.Diagnostics.AddAttributeWarning(path.Root("release"), "Unfinished Rollout Will Be Rolled Back",
		sentence(d.DescribeUnfinished(unfinished, release))+
			" If you meant to finish that rollout instead, set release = \""+unfinished.Release+"\" and apply.")
}

// warnAboutApprovalWait says at plan time that the apply will be refused at
// a human gate nothing in this run opens: an earlier phase of the release
// waiting at its promotion gate (now, or once this apply stops it there),
// or this phase's approval. It names the ocuroot_promotion to add. It also
// notes when this deployment's own rollout will stop at a gate, for the
// deployments of later phases planned after it.
func (r *deploymentResource) warnAboutApprovalWait(ctx context.Context, plan *deploymentModel, rollout *plannedRollout, resp *resource.ModifyPlanResponse) {
	if r.data == nil || plan.Release.IsUnknown() || plan.Environment.IsUnknown() {
		return
	}
	if err := r.noteGateOfPlannedRollout(ctx, plan, rollout); err != nil {
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking whether %s already runs a release, to plan its rollout", plan.ID.ValueString()), err, nextAfterPlanRead)
		return
	}
	rel, err := r.data.engine.GetRelease(ctx, plan.Release.ValueString())
	if records.IsNotFound(err) {
		return // registered later in this apply: nothing to tell yet
	}
	if err != nil {
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Reading release %s to check the human gates before %s", plan.Release.ValueString(), plan.ID.ValueString()), err, nextAfterPlanRead)
		return
	}
	env := plan.Environment.ValueString()
	k := rel.PhaseOf(env)
	if k < 0 {
		return
	}
	facts, err := r.earlierPhaseFacts(ctx, rel, k)
	if err != nil {
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking the earlier phases of %s for deployments waiting at their promotion gate", rel.ID()), err, nextAfterPlanRead)
		return
	}
	facts.Approved, err = r.phaseApproved(ctx, rel, k)
	if err != nil {
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking whether phase %q of %s is approved", rel.Phases[k].Name, rel.ID()), err, nextAfterPlanRead)
		return
	}
	// A promotion or approval may be planned a moment after this resource:
	// Terraform plans siblings in any order.
	r.data.awaitPlanned(ctx, func() bool {
		return gate.PreviewPhaseGate(rel, env, facts, r.data).Clear()
	})
	preview := gate.PreviewPhaseGate(rel, env, facts, r.data)
	if len(preview.Gated) > 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root("release"), "Earlier Phase Waits For Promotion", unplannedGatesWarning(rel, env, preview.Gated))
	}
	if phase := preview.PhaseName; preview.ApprovalDue {
		resp.Diagnostics.AddAttributeWarning(path.Root("release"), "Deployment Needs Phase Approval", fmt.Sprintf(
			"Phase %q of %s requires approval and none is recorded or planned, so this deployment will be refused at apply instead of waiting. "+
				"Add an ocuroot_promotion { release = %q, phase = %q } to this configuration and make this deployment depend on it, or apply it first.",
			phase, rel.ID(), rel.ID(), phase))
	}
}

// rolloutInputsKnown reports whether everything the rollout plan depends
// on is known at plan time (hook and check URLs may be unknown: they do
// not change the steps).
func rolloutInputsKnown(m *deploymentModel) bool {
	if m.Strategy.IsUnknown() || m.Release.IsUnknown() {
		return false
	}
	if c := m.Canary; c != nil {
		if c.ManualPromotion.IsUnknown() {
			return false
		}
		for _, s := range c.Step {
			if s.Weight.IsUnknown() || s.Bake.IsUnknown() {
				return false
			}
		}
	}
	if bg := m.BlueGreen; bg != nil {
		if bg.ManualPromotion.IsUnknown() || bg.PromotionDelay.IsUnknown() || bg.ScaleDownDelay.IsUnknown() {
			return false
		}
	}
	return true
}

// hasLiveRelease decides whether the next rollout is a first deployment:
// from state when there is one, else from the store (a deployment created
// anew in an environment that already runs the package). A store that
// cannot be read is an error: a guess would plan the wrong steps.
func (r *deploymentResource) hasLiveRelease(ctx context.Context, state, plan *deploymentModel) (bool, error) {
	if state != nil {
		return !state.LiveRelease.IsNull() && state.LiveRelease.ValueString() != "", nil
	}
	if r.data == nil || plan.ID.IsUnknown() || plan.ID.IsNull() {
		return false, nil
	}
	d, err := r.data.engine.GetDeployment(ctx, plan.ID.ValueString())
	if records.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return d.LiveRelease != "" && d.Status != domain.StatusTornDown, nil
}

// addDeployError turns an engine error into one diagnostic whose summary
// says what kind of failure it was and whose detail says what happened,
// what was done about it and what to do next.
func addDeployError(diags *diag.Diagnostics, operation string, err error) {
	var rolloutErr *domain.RolloutError
	var gateErr *gate.GateError
	var leaseErr *lease.LeaseError
	var unrecorded *domain.UnrecordedError
	var missing *domain.MissingCredentialError
	text := engineErrorText(err)
	_, storeFailed := storeFailure(err)
	// An outcome the store could not record is worded by the engine: what
	// ran, what the store still shows, and how the next apply reconciles.
	storeFailed = storeFailed && !errors.As(err, &unrecorded)
	switch {
	case errors.As(err, &missing):
		diags.AddError("Deployment Credential Missing", text)
	case storeFailed:
		diags.AddError(storeFailureSummary(err), text+"\n\n"+afterStoreFailure(operation))
	case errors.As(err, &rolloutErr) && rolloutErr.RolledBack && operation == "promotion":
		// The rollback ended this rollout: no release waits at the gate any
		// more, so applying the promotion again on its own is refused with
		// Release Not Pending Promotion. A new rollout of the release has to
		// reach the gate first.
		diags.AddError("Deployment Rolled Back", text+"\n\nNothing was promoted, and the release no longer waits at its promotion gate: "+
			"promoting it again on its own is refused (Release Not Pending Promotion). Fix the problem, then apply the deployment's release again: "+
			"the next plan proposes it, its new rollout stops at the gate, and a promotion of it (in the same apply or a later one) cuts over. "+
			"Or release a new version.")
	case errors.As(err, &rolloutErr) && rolloutErr.RolledBack:
		diags.AddError("Deployment Rolled Back", text+"\n\nTerraform state keeps the previous release; the next plan proposes this update again once the problem is fixed.")
	case errors.As(err, &rolloutErr) && rolloutErr.Interrupted:
		diags.AddError("Deployment Rollout Interrupted", text)
	case errors.As(err, &rolloutErr):
		diags.AddError("Deployment Rollout Failed", text)
	case errors.As(err, &gateErr) && gateErr.Cause == gate.GateCauseNotInRelease:
		diags.AddError("Environment Not In Release", text)
	case errors.As(err, &gateErr):
		diags.AddError("Deployment Blocked By Phase Order", text)
	case errors.As(err, &leaseErr):
		diags.AddError("Deployment Locked By Another Run", text)
	case errors.As(err, &unrecorded):
		diags.AddError("Deployment Outcome Not Recorded", text+"\n\nApply again once the store can be reached: that apply brings the store up to date.")
	case errors.Is(err, lease.ErrLeaseLost):
		diags.AddError("Deployment Lease Lost", text+"\n\nThis run stopped where it was, without rolling back, because another run now holds "+
			"the deployment (or an operator broke the lease): two rollouts never interleave. The position is saved; apply again once the other run is done.")
	default:
		diags.AddError("Deployment "+titleCase(operation)+" Failed", text)
	}
}

// afterStoreFailure says where an operation the store failed stands, and
// what to do: every transition is saved before it takes effect, so the
// store holds the last step that completed.
func afterStoreFailure(operation string) string {
	what := "rollout"
	switch operation {
	case "promotion", "rollback":
		what = operation
	}
	return fmt.Sprintf("The %s stopped at its last saved step: what ran before it is saved, nothing after it ran. "+
		"Check that the store is reachable and apply again; the %s resumes from that step.", what, what)
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// addAwaitingPromotionWarning tells the user what to apply next.
func addAwaitingPromotionWarning(diags *diag.Diagnostics, d *domain.Deployment) {
	if d == nil || d.Status != domain.StatusAwaitingPromotion {
		return
	}
	diags.AddWarning("Deployment Awaiting Promotion", fmt.Sprintf(
		"%s is ready in %s at %d%% traffic and waits for a promotion; %s still serves. An ocuroot_promotion { deployment = %q, release = %q } finishes the rollout (if one is part of this apply, it runs next).",
		d.PendingRelease, d.ID(), d.TrafficPercent, domain.OrNone(d.LiveRelease), d.ID(), d.PendingRelease))
}

// goDuration renders a duration the way a user writes it ("10m").
func goDuration(d time.Duration) durationValue {
	return durationValue{GoDuration: timetypes.NewGoDurationValueFromStringMust(domain.FormatDuration(d))}
}

var timeoutsCreateAttrTypes = map[string]attr.Type{"create": types.StringType}

func nullTimeouts() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		"create": types.StringType, "update": types.StringType, "delete": types.StringType,
	})}
}
