package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

var _ resource.ResourceWithUpgradeState = (*deploymentResource)(nil)

// UpgradeState migrates ocuroot_deployment state written before history left
// Terraform state (schema version 0). Version 0 carried `history` (the newest
// transitions, up to `history_limit`) and `history_limit`; version 1 keeps
// only `last_transition`, which is the last entry of that history. Every
// other attribute is carried over untouched, so a migrated deployment plans
// no change.
func (r *deploymentResource) UpgradeState(_ context.Context) map[int64]resource.StateUpgrader {
	return map[int64]resource.StateUpgrader{
		// No PriorSchema: the old state is rewritten as JSON, which keeps
		// this step independent of every later change to the schema.
		0: {StateUpgrader: upgradeDeploymentStateV0},
	}
}

func upgradeDeploymentStateV0(_ context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	if req.RawState == nil || req.RawState.JSON == nil {
		resp.Diagnostics.AddError("Unable to Upgrade Deployment State",
			"The state of this ocuroot_deployment was written by a Terraform too old to store JSON state; run terraform apply with the provider version that wrote it first.")
		return
	}
	upgraded, err := deploymentStateV0ToV1(req.RawState.JSON)
	if err != nil {
		resp.Diagnostics.AddError("Unable to Upgrade Deployment State",
			fmt.Sprintf("The ocuroot_deployment state of schema version 0 could not be read: %v. "+
				"Remove the resource from state (terraform state rm) and import it again (terraform import ADDRESS PACKAGE/ENVIRONMENT).", err))
		return
	}
	resp.DynamicValue = &tfprotov6.DynamicValue{JSON: upgraded}
}

// deploymentStateV0ToV1 rewrites the JSON attributes of a version 0 state:
// history and history_limit go, last_transition is history's last entry
// (null when the history was empty or cut to nothing by history_limit = 0).
func deploymentStateV0ToV1(raw []byte) ([]byte, error) {
	var attributes map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attributes); err != nil {
		return nil, err
	}
	var history []json.RawMessage
	if h, ok := attributes["history"]; ok {
		if err := json.Unmarshal(h, &history); err != nil {
			return nil, fmt.Errorf("history is not a list: %w", err)
		}
	}
	delete(attributes, "history")
	delete(attributes, "history_limit")
	attributes["last_transition"] = json.RawMessage("null")
	if len(history) > 0 {
		attributes["last_transition"] = history[len(history)-1]
	}
	return json.Marshal(attributes)
}
