package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

var (
	_ resource.ResourceWithConfigure   = (*releaseResource)(nil)
	_ resource.ResourceWithIdentity    = (*releaseResource)(nil)
	_ resource.ResourceWithImportState = (*releaseResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*releaseResource)(nil)
)

// NewReleaseResource is the factory for ocuroot_release.
func NewReleaseResource() resource.Resource { return &releaseResource{} }

type releaseResource struct {
	pd *providerData
}

// Schema lives in release_schema.go, the model in release_model.go.

func (r *releaseResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_release"
}

// IdentitySchema names the resource for Terraform 1.12+ import blocks.
func (r *releaseResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchema(
		identityAttribute{"package", "The package: the part of the id before `@`."},
		identityAttribute{"version", "The version: the part of the id after `@`."})
}

func (r *releaseResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan checks the flow with the engine and computes id, phase_order
// and graph at plan time, so reviewers see the flow before anything moves.
func (r *releaseResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy: nothing to check
	}
	var plan releaseResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	flow, diags := readReleaseFlow(ctx, plan.Package, plan.Version, plan.Phases)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	var alreadyAccepted []string
	if !req.State.Raw.IsNull() {
		var state releaseResourceModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		stateFlow, diags := readReleaseFlow(ctx, state.Package, state.Version, state.Phases)
		resp.Diagnostics.Append(diags...)
		alreadyAccepted = stateFlow.environments()
	}
	resp.Diagnostics.Append(checkReleaseFlow(ctx, r.pd, flow, alreadyAccepted)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if flow.releaseKnown {
		plan.ID = types.StringValue(domain.ReleaseID(plan.Package.ValueString(), plan.Version.ValueString()))
		if r.pd != nil {
			// Deployments and phase approvals planned in this run are
			// checked against these phases (validate_planned_flows.go).
			r.pd.releaseFlows.note(plan.ID.ValueString(), flow.phases, flow.complete)
		}
	}
	if flow.complete {
		order, graph, diags := flowValues(plan.Package.ValueString(), plan.Version.ValueString(), flow.phases)
		resp.Diagnostics.Append(diags...)
		plan.PhaseOrder = order
		if flow.releaseKnown {
			plan.Graph = graph
		} else {
			plan.Graph = types.StringUnknown()
		}
	} else {
		plan.PhaseOrder = types.ListUnknown(plan.PhaseOrder.ElementType(ctx))
		plan.Graph = types.StringUnknown()
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// status, phase_status and archived: the framework already marks them
	// unknown when the release is created or changed, and keeps the state
	// values otherwise.
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *releaseResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "package", "version")
	resp.Diagnostics.Append(r.save(ctx, req.Plan, &resp.State, "Create")...)
}

func (r *releaseResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// The identity never changes on refresh: take it from the prior state,
	// which is there even when the refresh removes the resource.
	defer syncIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, "package", "version")
	var state releaseResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := domain.ReleaseID(state.Package.ValueString(), state.Version.ValueString())
	rel, err := r.pd.engine.GetRelease(ctx, id)
	switch {
	case records.IsNotFound(err):
		// A fresh runner starts with an empty embedded store: the state's
		// release is kept until the apply writes it. One that Terraform
		// destroyed (possibly from another workspace) is gone instead.
		rel, diags := state.toRelease(ctx)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		outcome, err := r.pd.engine.RestoreRelease(ctx, rel)
		if err != nil {
			resp.Diagnostics.AddError("Cannot Read Release", fmt.Sprintf("Restoring release %s from Terraform state failed: %s.", id, r.pd.storeErrorText(err)))
			return
		}
		if outcome == records.DeletedElsewhere {
			providerLog.Info(ctx, "release was deleted from the store; planning to create it again", map[string]any{"release": id})
			resp.State.RemoveResource(ctx)
			return
		}
		providerLog.Info(ctx, "release missing from the store; keeping the Terraform state, the next apply stores it again", map[string]any{"release": id})
		resp.Diagnostics.Append(r.setComputed(ctx, rel, &state)...)
	case err != nil:
		resp.Diagnostics.AddError("Cannot Read Release",
			fmt.Sprintf("Reading release %s failed: %s.", id, r.pd.storeErrorText(err)))
	default:
		resp.Diagnostics.Append(state.setFromRelease(rel)...)
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.Append(r.setComputed(ctx, rel, &state)...)
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *releaseResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "package", "version")
	resp.Diagnostics.Append(r.save(ctx, req.Plan, &resp.State, "Update")...)
}

// Delete retires the release. It never tears anything down: a release a
// deployment still runs is archived so that deployment keeps working.
func (r *releaseResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state releaseResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := domain.ReleaseID(state.Package.ValueString(), state.Version.ValueString())
	archived, err := r.pd.engine.RetireRelease(ctx, id)
	if err != nil {
		resp.Diagnostics.AddError("Cannot Delete Release",
			fmt.Sprintf("Retiring release %s failed: %s. Nothing was torn down; apply again to retry.", id, r.pd.storeErrorText(err)))
		return
	}
	if archived {
		providerLog.Info(ctx, "release archived: a deployment still runs it, so its record is kept", map[string]any{"release": id})
		return
	}
	providerLog.Info(ctx, "release deleted: no deployment runs it", map[string]any{"release": id})
}

func (r *releaseResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "package", "version")
	id, diags := importIDFromIdentity(ctx, req.ID, req.Identity, "@", "package", "version")
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	req.ID = id
	if r.pd == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The ocuroot provider must be configured before importing a release.")
		return
	}
	if _, _, err := domain.ParseReleaseID(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid Release Import Id", sentence(err.Error())+" For example: terraform import ocuroot_release.api api@1.4.2")
		return
	}
	rel, err := r.pd.engine.GetRelease(ctx, req.ID)
	if err != nil {
		detail := fmt.Sprintf("Reading release %s failed: %s.", req.ID, r.pd.storeErrorText(err))
		if records.IsNotFound(err) {
			detail = fmt.Sprintf("Release %s is not registered in the ocuroot store (%s). Check the id, or create it with this resource instead of importing it.", req.ID, r.pd.storeDescription)
		}
		resp.Diagnostics.AddError("Cannot Import Release", detail)
		return
	}
	state, diags := r.importedRelease(ctx, rel)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// importedRelease is a stored release as an import or a listed result
// records it, its status derived from the deployments of its package.
func (r *releaseResource) importedRelease(ctx context.Context, rel domain.Release) (releaseResourceModel, diag.Diagnostics) {
	m := newReleaseResourceModel()
	diags := m.setFromRelease(rel)
	if diags.HasError() {
		return m, diags
	}
	diags.Append(r.setComputed(ctx, rel, &m)...)
	return m, diags
}

// save registers the planned release and records it in the state; it is
// all Create and Update do.
func (r *releaseResource) save(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, operation string) diag.Diagnostics {
	var m releaseResourceModel
	diags := plan.Get(ctx, &m)
	if diags.HasError() {
		return diags
	}
	diags.Append(r.register(ctx, &m, operation)...)
	if diags.HasError() {
		return diags
	}
	diags.Append(state.Set(ctx, &m)...)
	return diags
}

// register stores the release described by m and fills in its computed
// values. operation names the CRUD step in the diagnostic.
func (r *releaseResource) register(ctx context.Context, m *releaseResourceModel, operation string) diag.Diagnostics {
	var diags diag.Diagnostics
	rel, d := m.toRelease(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	registered, err := r.pd.engine.RegisterRelease(ctx, rel)
	if err != nil {
		diags.AddError(fmt.Sprintf("Cannot %s Release", operation),
			fmt.Sprintf("Registering release %s failed: %s.", rel.ID(), r.pd.storeErrorText(err)))
		return diags
	}
	diags.Append(r.setComputed(ctx, registered, m)...)
	return diags
}

// setComputed fills id, phase_order, graph, status, phase_status and
// archived from a stored release and the deployments that run it.
func (r *releaseResource) setComputed(ctx context.Context, rel domain.Release, m *releaseResourceModel) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(rel.ID())
	order, graph, d := flowValues(rel.Package, rel.Version, rel.Phases)
	diags.Append(d...)
	m.PhaseOrder, m.Graph = order, graph
	status, phases, err := r.pd.engine.ReleaseStatus(ctx, rel)
	if err != nil {
		diags.AddError("Cannot Read Release Status",
			fmt.Sprintf("Deriving the status of release %s from its deployments failed: %s.", rel.ID(), r.pd.storeErrorText(err)))
		return diags
	}
	m.Status = types.StringValue(status)
	m.PhaseStatus, d = phaseStatusValue(phases)
	diags.Append(d...)
	m.Archived = types.BoolValue(rel.Archived)
	return diags
}
