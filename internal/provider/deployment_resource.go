package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

var (
	_ resource.Resource                   = (*deploymentResource)(nil)
	_ resource.ResourceWithConfigure      = (*deploymentResource)(nil)
	_ resource.ResourceWithIdentity       = (*deploymentResource)(nil)
	_ resource.ResourceWithImportState    = (*deploymentResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*deploymentResource)(nil)
	_ resource.ResourceWithValidateConfig = (*deploymentResource)(nil)
)

// Default operation timeouts when the timeouts block sets none.
const (
	defaultDeployTimeout   = 30 * time.Minute
	defaultTeardownTimeout = 10 * time.Minute
)

// NewDeploymentResource is the ocuroot_deployment resource.
func NewDeploymentResource() resource.Resource { return &deploymentResource{} }

type deploymentResource struct {
	data *providerData
}

func (r *deploymentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_deployment"
}

func (r *deploymentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = deploymentSchema(ctx)
}

// IdentitySchema names the resource for Terraform 1.12+ import blocks.
func (r *deploymentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchema(
		identityAttribute{"package", "The package deployed: the part of the id before `/`."},
		identityAttribute{"environment", "The environment it runs in: the part of the id after `/`."})
}

func (r *deploymentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (r *deploymentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "package", "environment")
	var plan deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec, diags := r.specFrom(ctx, &plan, req.Config)
	resp.Diagnostics.Append(diags...)
	timeout, diags := plan.Timeouts.Create(ctx, defaultDeployTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The id goes into state before the wait, so an interrupted or failed
	// create leaves a (tainted) resource Terraform can see and destroy.
	plan.ID = types.StringValue(domain.DeploymentID(spec.Package, spec.Environment))
	plan.Package = types.StringValue(spec.Package)
	plan.Status = types.StringValue(string(domain.StatusInProgress))
	plan.LiveRelease, plan.PendingRelease = types.StringNull(), types.StringNull()
	plan.TrafficPercent = types.Int64Value(0)
	plan.LastTransition = types.ObjectNull(historyAttrTypes)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}

	r.rollOut(ctx, &plan, deployApply{
		operation: "create", timeout: timeout,
		request:    engine.DeployRequest{Spec: spec, Planned: r.data},
		logMessage: "ocuroot: deploying",
		logFields:  map[string]any{"deployment": plan.ID.ValueString(), "release": spec.Release, "plan": plan.RolloutPlan.ValueString()},
		// Nothing was deployed (refused by phase gating, a lease, a
		// missing release): the resource was not created.
		keepAfterFailure: func(d *domain.Deployment) bool { return d != nil },
	}, &resp.State, resp.Private, &resp.Diagnostics)
}

func (r *deploymentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// The identity never changes on refresh: take it from the prior state,
	// which is there even when the refresh removes the resource.
	defer syncIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, "package", "environment")
	var state deploymentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	decoded := state
	refreshed, err := r.data.engine.Refresh(ctx, engine.RefreshRequest{
		ID: state.ID.ValueString(), StateRelease: state.Release.ValueString(),
		Restore: func() (engine.SeedRequest, bool) { return state.seedRequest(ctx, &resp.Diagnostics) },
	})
	switch {
	case err != nil && refreshed.Outcome == engine.RefreshMissing:
		r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf(
			"The store has no record of %s, and restoring it from Terraform state", state.ID.ValueString()), err, nextAfterPlanRead)
		return
	case err != nil:
		r.data.addStoreReadError(&resp.Diagnostics, "Refreshing "+state.ID.ValueString(), err, nextAfterPlanRead)
		return
	case refreshed.Outcome == engine.RefreshMissing:
		// Terraform state is the system of record: a fresh runner with an
		// empty embedded store keeps the resource as it is and re-seeds
		// the store, so nothing is redeployed.
		if resp.Diagnostics.HasError() {
			return
		}
		if refreshed.RestoreFailed != nil {
			resp.Diagnostics.AddWarning("Could Not Restore Deployment Record", refreshed.RestoreFailed.Error())
		}
		providerLog.Info(ctx, "ocuroot: store has no record of this deployment; keeping Terraform state", map[string]any{"deployment": state.ID.ValueString()})
		return
	case refreshed.Outcome == engine.RefreshTornDown:
		resp.State.RemoveResource(ctx)
		return
	}
	// Nothing of state's own hook secret or headers is remembered here: a
	// refresh runs in the plan's provider process, and the apply that could
	// use them starts another one. Runs that need credentials every run has
	// use the provider's named credentials (see provider_credentials.go).
	d := refreshed.Deployment
	unrecorded, diags := unrecordedRollbackIn(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	addUnrecordedRollbackWarning(&resp.Diagnostics, unrecorded, d)
	resp.Diagnostics.Append(state.applyRecord(d)...)
	// State records what the store says is in effect: a release rolled back
	// since, or one another workspace rolled out, shows in the next plan as
	// a change back to the configured release.
	if inEffect := refreshed.ReleaseInEffect; inEffect != state.Release.ValueString() {
		providerLog.Info(ctx, "ocuroot: the store shows another release in effect than Terraform state", map[string]any{
			"deployment": d.ID(), "state": state.Release.ValueString(), "store": inEffect})
		state.Release = types.StringValue(inEffect)
	}
	keepSettledReading(&decoded, &state, d)
	if modelUnchanged(&decoded, &state) {
		return // resp.State already holds the prior state: see model_unchanged.go
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *deploymentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "package", "environment")
	var plan, state deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec, diags := r.specFrom(ctx, &plan, req.Config)
	resp.Diagnostics.Append(diags...)
	timeout, diags := plan.Timeouts.Update(ctx, defaultDeployTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	unfinished := false
	if plan.Release.Equal(state.Release) {
		var err error
		if unfinished, err = r.hasUnfinishedRollout(ctx, &plan); err != nil {
			r.data.addStoreReadError(&resp.Diagnostics, fmt.Sprintf("Checking %s for an unfinished rollout to roll back", plan.ID.ValueString()), err,
				"Nothing was changed; check that the store is reachable and apply again.")
			return
		}
	}
	if plan.Release.Equal(state.Release) && !unfinished {
		// Only settings changed: they apply to the next rollout. Nothing
		// runs Deploy, which remembers the hook and the check headers
		// otherwise, so a promotion later in this run still signs with the
		// new secret and probes with the new headers.
		if spec.Hook != nil {
			r.data.engine.RememberHook(plan.ID.ValueString(), *spec.Hook)
		}
		r.data.engine.RememberCheckHeaders(plan.ID.ValueString(), spec)
		// The stored rollout takes the new credential settings, so the run
		// that promotes it, rolls it back or tears it down signs and probes
		// as configured now.
		if _, err := r.data.engine.AdoptCredentialSettings(ctx, spec); err != nil {
			resp.Diagnostics.AddError("Cannot Update Deployment Credentials",
				fmt.Sprintf("Recording the credential settings of %s in the store (%s) failed: %v", plan.ID.ValueString(), r.data.storeDescription, engineErrorText(err)))
			return
		}
		if plan.Status.IsUnknown() {
			// The plan expected to roll back an unfinished rollout that
			// another run has finished since: record what the store says.
			plan.keepRolloutStatus(&state)
			d, err := r.data.engine.GetDeployment(ctx, plan.ID.ValueString())
			switch {
			case err == nil:
				resp.Diagnostics.Append(plan.applyRecord(d)...)
			case !records.IsNotFound(err):
				r.data.addStoreReadError(&resp.Diagnostics, "Reading the status of "+plan.ID.ValueString(), err,
					"The new settings are kept in state with the status from before; the next refresh reads it again.")
			}
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}

	unrecorded, diags := unrecordedRollbackIn(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	r.rollOut(ctx, &plan, deployApply{
		operation: "update", timeout: timeout,
		request: engine.DeployRequest{Spec: spec, KnownLiveRelease: state.LiveRelease.ValueString(), Planned: r.data,
			UnrecordedRollback: unrecorded},
		logMessage: "ocuroot: updating deployment",
		logFields:  map[string]any{"deployment": plan.ID.ValueString(), "from": state.Release.ValueString(), "to": spec.Release, "plan": plan.RolloutPlan.ValueString()},
		keepAfterFailure: func(d *domain.Deployment) bool {
			// The update did not happen: state keeps the release that was
			// there before, so the next plan proposes the update again.
			plan.Release = state.Release
			if d == nil {
				plan.keepRolloutStatus(&state)
			}
			return true
		},
	}, &resp.State, resp.Private, &resp.Diagnostics)
}

// deployApply is what Create and Update hand to rollOut, the one deploy
// path they share.
type deployApply struct {
	// operation ("create" or "update") is named in the error diagnostic.
	operation string
	request   engine.DeployRequest
	timeout   time.Duration
	// logMessage and logFields announce the rollout in TF_LOG.
	logMessage string
	logFields  map[string]any
	// keepAfterFailure adjusts the model after a failed rollout (d is nil
	// when Deploy got no record); false removes the resource from state.
	keepAfterFailure func(d *domain.Deployment) bool
}

// rollOut runs the deploy of Create and Update and writes its outcome to
// state: the record the rollout left, an unrecorded rollback kept in
// private state for the next apply, and the error diagnostics of a failed
// rollout.
func (r *deploymentResource) rollOut(ctx context.Context, plan *deploymentModel, a deployApply, state *tfsdk.State, private privateState, diags *diag.Diagnostics) {
	// A SIGTERM or SIGINT to the provider cancels the operation like an
	// interrupt, and the provider waits for it to answer before exiting.
	ctx, finish := r.data.operationContext(ctx)
	defer finish()
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	providerLog.Info(ctx, a.logMessage, a.logFields)
	d, err := r.data.engine.Deploy(ctx, a.request)
	err = withoutLeaseNotReleased(diags, "rollout", err)
	if d != nil {
		diags.Append(plan.applyRecord(d)...)
	}
	diags.Append(keepUnrecordedRollback(ctx, private, d, err)...)
	if err != nil {
		addDeployError(diags, a.operation, err)
		if !a.keepAfterFailure(d) {
			state.RemoveResource(ctx)
			return
		}
	}
	addAwaitingPromotionWarning(diags, d)
	diags.Append(state.Set(ctx, plan)...)
}

// hasUnfinishedRollout reports whether the store holds an unfinished
// rollout of another release than the planned one: applying the planned
// release must then roll it back even though the release did not change.
// A store that cannot be read is an error, never a "no".
func (r *deploymentResource) hasUnfinishedRollout(ctx context.Context, plan *deploymentModel) (bool, error) {
	d, err := r.data.engine.GetDeployment(ctx, plan.ID.ValueString())
	if records.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return d.UnfinishedRolloutBesides(plan.Release.ValueString()) != nil, nil
}

func (r *deploymentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state deploymentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultTeardownTimeout)
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
	pkg, env, err := domain.ParseDeploymentID(state.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Invalid Deployment Id In State", err.Error())
		return
	}
	err = r.data.engine.Teardown(ctx, pkg, env, r.hookFromState(ctx, &state))
	err = withoutLeaseNotReleased(&resp.Diagnostics, "teardown", err)
	if errors.As(err, new(*domain.MissingCredentialError)) {
		resp.Diagnostics.AddError("Deployment Credential Missing", engineErrorText(err)+"\n\nThe deployment is kept in state.")
		return
	}
	if _, storeFailed := storeFailure(err); storeFailed {
		resp.Diagnostics.AddError(storeFailureSummary(err), sentence(engineErrorText(err))+
			"\n\nThe deployment is kept in state; check that the store is reachable and run terraform destroy again.")
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Deployment Teardown Failed",
			fmt.Sprintf("%v\n\nThe deployment is kept in state; fix the hook target and run terraform destroy again.", err))
	}
}

func (r *deploymentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "package", "environment")
	id, diags := importIDFromIdentity(ctx, req.ID, req.Identity, "/", "package", "environment")
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	req.ID = id
	if _, _, err := domain.ParseDeploymentID(req.ID); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid Import Id", err.Error()+". Example: terraform import ocuroot_deployment.api api/prod1")
		return
	}
	d, err := r.data.engine.GetDeployment(ctx, req.ID)
	if err != nil && !records.IsNotFound(err) {
		r.data.addStoreReadError(&resp.Diagnostics, "Importing "+req.ID, err, "Nothing was imported; check that the store is reachable and import again.")
		return
	}
	if err != nil || d.Status == domain.StatusTornDown {
		resp.Diagnostics.AddError("Cannot Import Deployment", fmt.Sprintf("No deployment %s in the store (%s): %v", req.ID, r.data.storeDescription, errOrTornDown(err)))
		return
	}
	m, diags := adoptedDeployment(d)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func errOrTornDown(err error) error {
	if err == nil {
		return errors.New("it was torn down")
	}
	return err
}

// specFrom builds the engine spec, taking the write-only values (the hook's
// secret_wo, every headers_wo) from the configuration: they never reach the
// plan or the state, so only the run that applies the configuration has
// them.
func (r *deploymentResource) specFrom(ctx context.Context, m *deploymentModel, config tfsdk.Config) (domain.DeploymentSpec, diag.Diagnostics) {
	var configured deploymentModel
	diags := config.Get(ctx, &configured)
	if diags.HasError() {
		return domain.DeploymentSpec{}, diags
	}
	withWriteOnly := *m
	withWriteOnly.takeWriteOnlyValues(&configured)
	var secretWO string
	if configured.Hook != nil {
		secretWO = configured.Hook.SecretWO.ValueString()
	}
	spec, ds := withWriteOnly.toSpec(ctx, secretWO)
	diags.Append(ds...)
	return spec, diags
}

// hookFromState is the hook configuration for operations that have no
// configuration (refresh, destroy): the state's secret or the provider's.
func (r *deploymentResource) hookFromState(ctx context.Context, m *deploymentModel) *domain.HookConfig {
	spec, _ := m.toSpec(ctx, "")
	return spec.Hook
}
