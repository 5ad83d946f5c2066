package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

var (
	_ action.Action              = (*rollbackAction)(nil)
	_ action.ActionWithConfigure = (*rollbackAction)(nil)
)

// NewRollbackAction is the ocuroot_rollback action: the fast rollback.
func NewRollbackAction() action.Action { return &rollbackAction{} }

type rollbackAction struct {
	data *providerData
}

type rollbackActionModel struct {
	Deployment types.String         `tfsdk:"deployment"`
	Note       types.String         `tfsdk:"note"`
	Timeout    timetypes.GoDuration `tfsdk:"timeout"`
}

func (a *rollbackAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_rollback"
}

func (a *rollbackAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends a deployment back to its previous live release at once (Terraform 1.14+): one `rollback` event, " +
			"no canary steps, no bake. For the day a release is bad and waiting out a rollout is not an option: " +
			"`terraform apply -invoke=action.ocuroot_rollback.NAME`. The deployment's lease is taken first, so it never interleaves with a " +
			"rollout; a rollout still running, stopped part-way or waiting at its gate is withdrawn instead, restoring the slot it reached. " +
			"The deployment ends `rolled_back` with the previous release live, and the rollback is in its history. " +
			"Refused, with the reason, when no earlier release is on record (a first deployment, or a deployment already rolled back). " +
			"Afterwards, set the `ocuroot_deployment`'s `release` to the restored release: until then every plan proposes rolling the bad release out again.",
		Attributes: map[string]schema.Attribute{
			"deployment": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id (`PACKAGE/ENVIRONMENT`) of the deployment to roll back, e.g. `ocuroot_deployment.api.id`.",
			},
			"note": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Why: an incident or a ticket. Recorded in the deployment's history.",
			},
			"timeout": actionTimeoutAttribute("waiting for the deployment's lease and the rollback hook's retries included", "10m"),
		},
	}
}

func (a *rollbackAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

func (a *rollbackAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m rollbackActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	timeout := actionTimeout(m.Timeout, defaultRollbackActionTimeout, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !actionConfigured(a.data, &resp.Diagnostics) {
		return
	}
	id := m.Deployment.ValueString()
	if _, _, err := domain.ParseDeploymentID(id); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("deployment"), "Invalid Deployment Id", err.Error()+". Example: api/prod1")
		return
	}
	ctx, stop := a.data.operationContext(ctx)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	progress(ctx, resp, fmt.Sprintf("rolling %s back to its previous live release", id), map[string]any{"deployment": id})
	d, err := a.data.engine.RollbackNow(ctx, engine.RollbackNowRequest{
		Deployment: id, Note: m.Note.ValueString(), By: promoter(),
	})
	err = withoutLeaseNotReleased(&resp.Diagnostics, "rollback", err)
	var refused *engine.RollbackRefusedError
	switch {
	case errors.As(err, &refused):
		resp.Diagnostics.AddAttributeError(path.Root("deployment"), "Nothing To Roll Back", refused.Reason)
		return
	case err != nil:
		addDeployError(&resp.Diagnostics, "rollback", err)
		return
	}
	withdrawn := d.Rollout.Release
	progress(ctx, resp, fmt.Sprintf("%s rolled back: %s is live again, %s withdrawn", id, d.LiveRelease, withdrawn),
		map[string]any{"deployment": id, "live": d.LiveRelease, "withdrawn": withdrawn})
	resp.Diagnostics.AddWarning("Configuration Still Names The Rolled-Back Release", rolledBackReleaseWarning(id, d.LiveRelease, withdrawn))
}
