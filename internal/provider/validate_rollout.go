package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/rollout"
)

// validatePlannedDeployment runs the plan-time rules that need the plan,
// the prior state or other resources: the environment must be in a phase of
// the release, and the rollout must fit in its Terraform timeout.
func (r *deploymentResource) validatePlannedDeployment(ctx context.Context, state, plan *deploymentModel, rollout *plannedRollout, diags *diag.Diagnostics) {
	r.validateEnvironmentInRelease(ctx, plan, diags)
	r.data.validateCredentialNames(plan, diags)
	r.data.validatePrometheusAddresses(plan, diags)
	if r.data.rolloutMustFitTimeouts() {
		r.validateRolloutFitsTimeouts(ctx, state, plan, rollout, diags)
	}
}

// rolloutMustFitTimeouts says whether the blocking-time rule is on. Only
// tests of the apply-time timeout path (slow hooks, lease waits and phase
// gating can still use up a timeout) turn it off, through
// Options.AllowRolloutsLongerThanTimeouts, to configure a bake the timeout
// cuts. Without provider data (early validation) the rule is on.
func (pd *providerData) rolloutMustFitTimeouts() bool {
	return pd == nil || pd.checkRolloutFitsTimeouts
}

// validateEnvironmentInRelease refuses at plan time a deployment into an
// environment that no phase of its release names: the apply would refuse
// it anyway, after earlier resources had moved.
func (r *deploymentResource) validateEnvironmentInRelease(ctx context.Context, plan *deploymentModel, diags *diag.Diagnostics) {
	if r.data == nil {
		return
	}
	if plan.Release.IsUnknown() || plan.Environment.IsUnknown() {
		diags.AddAttributeWarning(path.Root("release"), "Release Phases Not Checked",
			"The release or the environment of this deployment is not known until apply, so whether the environment is in a phase "+
				"of the release is checked only when the deployment is applied.")
		return
	}
	release, env := plan.Release.ValueString(), plan.Environment.ValueString()
	phases, lookup, err := r.data.releasePhases(ctx, release)
	if err != nil {
		r.data.addStoreReadError(diags, fmt.Sprintf("Reading release %s to check that environment %q is in one of its phases", release, env), err, nextAfterPlanRead)
		return
	}
	switch lookup {
	case releasePhasesUnknown:
		diags.AddAttributeWarning(path.Root("release"), "Release Phases Not Checked", fmt.Sprintf(
			"The phases of release %s are not known until apply, so whether environment %q is in one of them is checked only when the deployment is applied.",
			release, env))
		return
	case releaseNotFound:
		diags.AddAttributeWarning(path.Root("release"), "Release Phases Not Checked", fmt.Sprintf(
			"Release %s is neither registered in the ocuroot store nor planned in this configuration, so its phases cannot be checked. "+
				"The apply refuses the deployment unless the release is registered by then: declare it with an ocuroot_release resource and reference its id.",
			release))
		return
	}
	if (domain.Release{Phases: phases}).PhaseOf(env) >= 0 {
		return
	}
	described := make([]string, 0, len(phases))
	for _, p := range phases {
		described = append(described, fmt.Sprintf("%s [%s]", p.Name, strings.Join(p.Environments, ", ")))
	}
	diags.AddAttributeError(path.Root("environment"), "Environment Not In Release", fmt.Sprintf(
		"Environment %q is in no phase of release %s (phases: %s), so the deployment would be refused. "+
			"Add %q to a phase of the release, or deploy a release whose phases include it.",
		env, release, strings.Join(described, "; "), env))
}

// validateRolloutFitsTimeouts refuses a configuration whose rollout blocks
// longer, at worst, than the Terraform timeout it runs under: every such
// rollout would be cut off part-way and on_timeout would apply. The
// strategy's rollout runs under the update timeout (any later release
// change); the rollout planned now, when the deployment is created, under
// the create timeout. One error at a time: the update rule first.
func (r *deploymentResource) validateRolloutFitsTimeouts(ctx context.Context, state, plan *deploymentModel, rollout *plannedRollout, diags *diag.Diagnostics) {
	if !rolloutInputsKnown(plan) || plan.ProgressDeadline.IsUnknown() || plan.Timeouts.IsUnknown() || rollout == nil {
		return
	}
	if !checkBlockingTime(plan, rollout, true, "update", diags) && state == nil {
		hasLive, err := r.hasLiveRelease(ctx, state, plan)
		if err != nil {
			r.data.addStoreReadError(diags, fmt.Sprintf("Checking whether %s already runs a release, to check its rollout against the create timeout", plan.ID.ValueString()), err, nextAfterPlanRead)
			return
		}
		checkBlockingTime(plan, rollout, hasLive, "create", diags)
	}
}

// checkBlockingTime compares the worst-case blocking time of the rollout
// with the timeout of operation ("create" or "update") and reports an error
// when it is longer. It returns whether it did.
func checkBlockingTime(plan *deploymentModel, plannedRun *plannedRollout, hasLiveRelease bool, operation string, diags *diag.Diagnostics) bool {
	timeout, configured, known := operationTimeout(plan, operation)
	if !known {
		return false
	}
	total, parts := rollout.WorstCaseBlockingOf(plannedRun.spec, plannedRun.stepsFor(hasLiveRelease))
	if total <= timeout {
		return false
	}
	whose := "the default"
	at := longestPartPath(parts)
	if configured {
		whose = "set in the timeouts block"
		at = path.Root("timeouts").AtName(operation)
	}
	diags.AddAttributeError(at, "Rollout Longer Than "+titleCase(operation)+" Timeout", fmt.Sprintf(
		"A rollout of this deployment can block for up to %s (%s), longer than its %s timeout of %s (%s). "+
			"Terraform would stop every such rollout part-way, and on_timeout would apply. "+
			"Set timeouts { %s = \"...\" } to more than %s (hook calls and checks take time on top), or shorten the waits.",
		domain.FormatDuration(total), describeBlockingParts(parts), operation, domain.FormatDuration(timeout), whose,
		operation, domain.FormatDuration(total)))
	return true
}

// operationTimeout is the timeout of operation: configured, or the default.
// known is false while the configured value is not known yet.
func operationTimeout(plan *deploymentModel, operation string) (timeout time.Duration, configured, known bool) {
	if !plan.Timeouts.IsNull() {
		if v, ok := plan.Timeouts.Attributes()[operation].(types.String); ok && !v.IsNull() {
			if v.IsUnknown() {
				return 0, true, false
			}
			d, err := time.ParseDuration(v.ValueString())
			if err != nil {
				return 0, true, false // refused by its validator already
			}
			return d, true, true
		}
	}
	return defaultDeployTimeout, false, true
}

// describeBlockingParts lists what blocks, for the detail of the error:
// "the bake of canary step 1: 1000000h, promotion_delay: 1m".
func describeBlockingParts(parts []rollout.BlockingPart) string {
	described := make([]string, 0, len(parts))
	for _, p := range parts {
		described = append(described, blockingPartName(p)+": "+domain.FormatDuration(p.Duration))
	}
	return strings.Join(described, ", ")
}

func blockingPartName(p rollout.BlockingPart) string {
	switch {
	case p.Step.Kind == domain.StepBake:
		return fmt.Sprintf("the bake of canary step %d", p.CanaryStep+1)
	case p.Step.Kind == domain.StepDelay && p.Step.Slot == domain.SlotBlue:
		return "scale_down_delay"
	case p.Step.Kind == domain.StepDelay:
		return "promotion_delay"
	}
	return fmt.Sprintf("progress_deadline waiting for the %s slot to be healthy", p.Step.Slot)
}

// longestPartPath is the attribute of the longest wait: the one to shorten
// when no timeout is configured.
func longestPartPath(parts []rollout.BlockingPart) path.Path {
	longest := parts[0]
	for _, p := range parts[1:] {
		if p.Duration > longest.Duration {
			longest = p
		}
	}
	switch {
	case longest.Step.Kind == domain.StepBake:
		return path.Root("canary").AtName("step").AtListIndex(longest.CanaryStep).AtName("bake")
	case longest.Step.Kind == domain.StepDelay && longest.Step.Slot == domain.SlotBlue:
		return path.Root("blue_green").AtName("scale_down_delay")
	case longest.Step.Kind == domain.StepDelay:
		return path.Root("blue_green").AtName("promotion_delay")
	}
	return path.Root("progress_deadline")
}
