package provider

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// v0DeploymentAttributes is the state of an ocuroot_deployment as schema
// version 0 wrote it: with history (two entries) and history_limit.
const v0DeploymentAttributes = `{
  "id": "api/prod0", "environment": "prod0", "release": "api@2", "package": "api",
  "strategy": "direct", "progress_deadline": "10m", "on_timeout": "rollback",
  "history_limit": 20,
  "rollout_plan": "deploy → wait until stable is healthy",
  "status": "succeeded", "live_release": "api@2", "pending_release": null, "traffic_percent": 100,
  "history": [
    {"time": "2025-01-02T03:04:05Z", "from": "pending", "to": "succeeded", "release": "api@1", "reason": "first deployment"},
    {"time": "2025-01-03T03:04:05.5Z", "from": "succeeded", "to": "succeeded", "release": "api@2", "reason": "deployed directly"}
  ],
  "canary": null, "blue_green": null, "hook": null, "health_check": null, "check": null, "timeouts": null
}`

// TestDeploymentUpgradeStateFromV0 upgrades a version 0 state through the
// provider's protocol server, as terraform does: history and history_limit
// are gone, last_transition is the old history's newest entry, and every
// other attribute is what it was.
func TestDeploymentUpgradeStateFromV0(t *testing.T) {
	t.Parallel()
	server := NewProtocolServer(New("test")())()
	resp, err := server.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "ocuroot_deployment",
		Version:  0,
		RawState: &tfprotov6.RawState{JSON: []byte(v0DeploymentAttributes)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("diagnostic: %s: %s", d.Summary, d.Detail)
	}
	got := upgradedAttributes(t, server, resp.UpgradedState)

	want := map[string]string{
		"id": "api/prod0", "release": "api@2", "status": "succeeded", "live_release": "api@2",
		"traffic_percent": "100", "rollout_plan": "deploy → wait until stable is healthy",
		"last_transition.time": "2025-01-03T03:04:05.5Z", "last_transition.from": "succeeded",
		"last_transition.to": "succeeded", "last_transition.release": "api@2", "last_transition.reason": "deployed directly",
	}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s = %q after the upgrade, want %q", name, got[name], value)
		}
	}
	for name := range got {
		if strings.HasPrefix(name, "history") {
			t.Errorf("the upgraded state still has %s", name)
		}
	}
}

// TestDeploymentUpgradeStateFromV0WithoutHistory: a history cut to nothing
// (history_limit = 0) leaves last_transition null, for the next refresh to
// fill from the store.
func TestDeploymentUpgradeStateFromV0WithoutHistory(t *testing.T) {
	t.Parallel()
	raw := strings.Replace(v0DeploymentAttributes, `"history_limit": 20`, `"history_limit": 0`, 1)
	raw = raw[:strings.Index(raw, `"history": [`)] + `"history": [], ` + raw[strings.Index(raw, `"canary"`):]
	upgraded, err := deploymentStateV0ToV1([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var attributes map[string]json.RawMessage
	if err := json.Unmarshal(upgraded, &attributes); err != nil {
		t.Fatal(err)
	}
	if string(attributes["last_transition"]) != "null" {
		t.Errorf("last_transition = %s, want null", attributes["last_transition"])
	}
	if _, ok := attributes["history"]; ok {
		t.Error("history is still there")
	}
}

func TestDeploymentUpgradeStateRefusesGarbage(t *testing.T) {
	t.Parallel()
	server := NewProtocolServer(New("test")())()
	resp, err := server.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "ocuroot_deployment",
		Version:  0,
		RawState: &tfprotov6.RawState{JSON: []byte(`{"id": "api/prod0", "history": "not a list"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary != "Unable to Upgrade Deployment State" ||
		!strings.Contains(resp.Diagnostics[0].Detail, "history is not a list") ||
		!strings.Contains(resp.Diagnostics[0].Detail, "terraform import") {
		t.Fatalf("diagnostics = %+v, want one saying the history is unreadable and how to re-import", resp.Diagnostics)
	}
}

// upgradedAttributes decodes an upgraded state with the current schema and
// flattens its known primitive values to "a.b" → text.
func upgradedAttributes(t *testing.T, server tfprotov6.ProviderServer, state *tfprotov6.DynamicValue) map[string]string {
	t.Helper()
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	value, err := state.Unmarshal(schemas.ResourceSchemas["ocuroot_deployment"].ValueType())
	if err != nil {
		t.Fatalf("the upgraded state does not fit the current schema: %v", err)
	}
	flat := map[string]string{}
	err = tftypes.Walk(value, func(p *tftypes.AttributePath, v tftypes.Value) (bool, error) {
		if v.IsNull() || !v.IsKnown() || !v.Type().Is(tftypes.String) && !v.Type().Is(tftypes.Number) {
			return true, nil
		}
		var names []string
		for _, step := range p.Steps() {
			if name, ok := step.(tftypes.AttributeName); ok {
				names = append(names, string(name))
			}
		}
		if v.Type().Is(tftypes.Number) {
			var n = new(big.Float)
			_ = v.As(&n)
			flat[strings.Join(names, ".")] = n.Text('f', -1)
			return true, nil
		}
		var s string
		_ = v.As(&s)
		flat[strings.Join(names, ".")] = s
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return flat
}

// TestAccDeployment_stateFromSchemaV0PlansNoChange proves the migration end
// to end with the real terraform: a deployment is applied, its state file
// is rewritten the way schema version 0 stored it (history, history_limit,
// no last_transition), and the next plan reports no changes. The apply that
// follows stores the upgraded state: last_transition is the old history's
// newest entry.
func TestAccDeployment_stateFromSchemaV0PlansNoChange(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_0_0)
	store := filepath.Join(w.dir, "store.db")
	_, url := startTarget(t)
	w.configure(deployConfig(store, url, "1", ""))
	w.must("apply", "-auto-approve", "-input=false", "-no-color")

	statePath := filepath.Join(w.dir, "terraform.tfstate")
	newest := rewriteDeploymentStateAsV0(t, statePath)

	out, ok := w.run("plan", "-detailed-exitcode", "-input=false", "-no-color")
	if !ok || !strings.Contains(out, "No changes.") {
		t.Fatalf("the plan after the state upgrade is not empty (exit code 2 means changes):\n%s", out)
	}
	w.must("apply", "-auto-approve", "-input=false", "-no-color")
	instance := deploymentInstance(t, readStateFile(t, statePath))
	if instance["schema_version"] != float64(1) {
		t.Errorf("schema_version = %v after the apply, want 1", instance["schema_version"])
	}
	attributes := instance["attributes"].(map[string]any)
	if _, ok := attributes["history"]; ok {
		t.Error("the upgraded state still has history")
	}
	got, _ := json.Marshal(attributes["last_transition"])
	want, _ := json.Marshal(newest)
	if string(got) != string(want) {
		t.Errorf("last_transition = %s, want the old history's newest entry %s", got, want)
	}
}

// rewriteDeploymentStateAsV0 turns the deployment in a state file into what
// schema version 0 stored: an older entry and last_transition as history,
// history_limit 20. It returns the newest history entry.
func rewriteDeploymentStateAsV0(t *testing.T, statePath string) map[string]any {
	t.Helper()
	state := readStateFile(t, statePath)
	instance := deploymentInstance(t, state)
	attributes := instance["attributes"].(map[string]any)
	newest, ok := attributes["last_transition"].(map[string]any)
	if !ok {
		t.Fatalf("the applied deployment has no last_transition: %v", attributes["last_transition"])
	}
	older := map[string]any{"time": "2025-01-01T00:00:00Z", "from": "pending", "to": "in_progress", "release": newest["release"], "reason": "an older entry"}
	delete(attributes, "last_transition")
	attributes["history"] = []any{older, newest}
	attributes["history_limit"] = 20
	instance["schema_version"] = 0
	state["serial"] = state["serial"].(float64) + 1
	raw, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return newest
}

func readStateFile(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	return state
}

// deploymentInstance is the one ocuroot_deployment instance of a state file.
func deploymentInstance(t *testing.T, state map[string]any) map[string]any {
	t.Helper()
	for _, r := range state["resources"].([]any) {
		res := r.(map[string]any)
		if res["type"] == "ocuroot_deployment" && res["mode"] == "managed" {
			return res["instances"].([]any)[0].(map[string]any)
		}
	}
	t.Fatal("no ocuroot_deployment in the state file")
	return nil
}
