package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// Actions (Terraform 1.14+) are the day-2 operations on a deployment that
// leave nothing in state: `terraform apply -invoke=action.ocuroot_promote.x`
// or an `action_trigger` in a resource's lifecycle. They share the engine
// calls of the resources and block the same way.

// Default bounds of one invocation when its `timeout` is unset.
const (
	defaultPromoteActionTimeout  = 30 * time.Minute
	defaultRollbackActionTimeout = 10 * time.Minute
)

// actionConfigured reports whether the provider was configured before the
// invocation; Terraform always does so, but an action must never panic.
func actionConfigured(data *providerData, diags *diag.Diagnostics) bool {
	if data == nil {
		diags.AddError("Provider Not Configured", "The ocuroot provider was not configured before the action was invoked; run it through terraform apply -invoke.")
		return false
	}
	return true
}

// actionTimeoutAttribute is the `timeout` of an action: actions have no
// timeouts block, and one bound is all an invocation needs.
func actionTimeoutAttribute(what, defaultValue string) schema.StringAttribute {
	return schema.StringAttribute{
		CustomType: timetypes.GoDurationType{},
		Optional:   true,
		MarkdownDescription: "How long the invocation may take, " + what + ", as a duration such as `45m`. Default `" + defaultValue + "`. " +
			"When it is exceeded the action stops with an error.",
	}
}

// actionTimeout reads the timeout attribute; null is the default.
func actionTimeout(v timetypes.GoDuration, fallback time.Duration, diags *diag.Diagnostics) time.Duration {
	if v.IsNull() || v.IsUnknown() {
		return fallback
	}
	d, ds := v.ValueGoDuration()
	for _, dg := range ds {
		diags.AddAttributeError(path.Root("timeout"), dg.Summary(), dg.Detail())
	}
	if d <= 0 {
		diags.AddAttributeError(path.Root("timeout"), "Invalid Timeout", "timeout must be a positive duration such as `10m`.")
	}
	return d
}

// progress tells the user what the action is doing, in the terraform
// output and in TF_LOG.
func progress(ctx context.Context, resp *action.InvokeResponse, message string, fields map[string]any) {
	providerLog.Info(ctx, "ocuroot: "+message, fields)
	if resp.SendProgress != nil {
		resp.SendProgress(action.InvokeProgressEvent{Message: message})
	}
}
