package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// TestAccListQuery_adoptFromAnotherWorkspace: workspace A deploys through a
// shared PostgreSQL store (api rolled back from api@2 to api@1, web waiting
// at its promotion gate). Workspace B, a new directory with empty state,
// finds them with `terraform query`, filtered, then generates import
// blocks and configuration; its plan imports everything and changes
// nothing, the apply sends no hook, and the next plan is empty.
func TestAccListQuery_adoptFromAnotherWorkspace(t *testing.T) {
	t.Parallel()
	a := newTFWorkspace(t, tfversion.Version1_14_0)
	storeURL := enginetest.StartPostgres(t)
	target, url := startTarget(t)

	a.configure(adoptionConfig(storeURL, url, "1", "1.0"))
	a.must("apply", "-auto-approve", "-input=false", "-no-color")
	a.configure(adoptionConfig(storeURL, url, "1", "1.1"))
	if out := a.must("apply", "-auto-approve", "-input=false", "-no-color"); !strings.Contains(out, "Deployment Awaiting Promotion") {
		t.Fatalf("web@1.1 should wait at its promotion gate:\n%s", out)
	}
	target.MarkBad("2")
	a.configure(adoptionConfig(storeURL, url, "2", "1.1"))
	if out, ok := a.apply(); ok || !strings.Contains(out, "Deployment Rolled Back") {
		t.Fatalf("api@2 should be rolled back:\n%s", out)
	}
	hookCalls := len(target.Calls())

	b := newTFWorkspace(t, tfversion.Version1_14_0)
	b.configure(adoptionProviderBlock(storeURL))

	b.writeFile("filters.tfquery.hcl", `
list "ocuroot_environment" "staging" {
  provider = ocuroot
  config {
    attributes = { type = "staging" }
  }
}

list "ocuroot_release" "web" {
  provider = ocuroot
  config {
    package = "web"
  }
}

list "ocuroot_deployment" "waiting" {
  provider = ocuroot
  config {
    environment = "prod0"
    status      = "awaiting_promotion"
  }
}

list "ocuroot_deployment" "api" {
  provider         = ocuroot
  include_resource = true
  config {
    package = "api"
  }
}

list "ocuroot_deployment" "first" {
  provider = ocuroot
  limit    = 1
}
`)
	found := readQueryResults(t, b.must("query", "-json", "-no-color"))
	for address, want := range map[string][]string{
		"list.ocuroot_environment.staging": {"staging"},
		"list.ocuroot_release.web":         {"web@1.0", "web@1.1"},
		"list.ocuroot_deployment.waiting":  {"web/prod0 (web@1.1, awaiting_promotion)"},
		"list.ocuroot_deployment.api":      {"api/prod0 (api@1, succeeded)"},
		"list.ocuroot_deployment.first":    {"api/prod0 (api@1, succeeded)"},
	} {
		if got := found.displayNames(address); !reflect.DeepEqual(got, want) {
			t.Errorf("%s listed %v, want %v", address, got, want)
		}
	}
	// The record says rolled_back at 0%: that is api@2's. Listed, api runs
	// api@1 and serves all of its traffic.
	api := found.object("list.ocuroot_deployment.api", "api/prod0 (api@1, succeeded)")
	for name, want := range map[string]any{"release": "api@1", "live_release": "api@1", "status": "succeeded", "traffic_percent": 100.0, "strategy": "canary"} {
		if api[name] != want {
			t.Errorf("listed api/prod0: %s = %v, want %v", name, api[name], want)
		}
	}
	if err := os.Remove(filepath.Join(b.dir, "filters.tfquery.hcl")); err != nil {
		t.Fatal(err)
	}

	b.writeFile("adopt.tfquery.hcl", `
list "ocuroot_environment" "all" {
  provider = ocuroot
}

list "ocuroot_release" "all" {
  provider = ocuroot
}

list "ocuroot_deployment" "all" {
  provider = ocuroot
}
`)
	b.must("query", "-generate-config-out=generated.tf", "-no-color")
	generated, err := os.ReadFile(filepath.Join(b.dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(generated), "import {"); n != 8 {
		t.Fatalf("generated.tf has %d import blocks, want 8 (2 environments, 4 releases, 2 deployments):\n%s", n, generated)
	}

	b.must("plan", "-out=adopt.tfplan", "-input=false", "-no-color")
	changes := readPlannedChanges(t, b.must("show", "-json", "adopt.tfplan"))
	if len(changes) != 8 {
		t.Errorf("the plan has %d resource changes, want 8 imports", len(changes))
	}
	for _, c := range changes {
		if !reflect.DeepEqual(c.Change.Actions, []string{"no-op"}) || c.Change.Importing == nil {
			t.Errorf("%s: actions %v, importing %v; want a no-op import", c.Address, c.Change.Actions, c.Change.Importing != nil)
		}
	}
	for address, want := range map[string]map[string]any{
		"ocuroot_deployment.all_0": {"release": "api@1", "status": "succeeded", "traffic_percent": 100.0},
		"ocuroot_deployment.all_1": {"release": "web@1.1", "status": "awaiting_promotion", "pending_release": "web@1.1"},
	} {
		after := changes.after(address)
		for name, value := range want {
			if after[name] != value {
				t.Errorf("planned %s: %s = %v, want %v", address, name, after[name], value)
			}
		}
	}

	b.must("apply", "-input=false", "-no-color", "adopt.tfplan")
	if out := b.must("plan", "-input=false", "-no-color"); !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after adopting should be empty:\n%s", out)
	}
	if calls := target.Calls(); len(calls) != hookCalls {
		t.Errorf("adopting sent %d hook call(s): %v", len(calls)-hookCalls, calls[hookCalls:])
	}
}

// adoptionProviderBlock is the provider block both workspaces use: the
// shared store, and the credential api's check names.
func adoptionProviderBlock(storeURL string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = %q
  hook_secret = %q
  credentials = {
    metrics = { headers = { Authorization = "Bearer test-token" } }
  }
}
`, storeURL, testHookSecret)
}

// adoptionConfig is workspace A: two environments, releases api@1 and
// api@2, web@1.0 and web@1.1, api as a canary with a hook, a health check
// and a metric check, web blue-green with a manual promotion.
func adoptionConfig(storeURL, targetURL, api, web string) string {
	return adoptionProviderBlock(storeURL) + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name       = "prod0"
  attributes = { type = "prod" }
}

resource "ocuroot_environment" "staging" {
  name       = "staging"
  attributes = { type = "staging" }
}

resource "ocuroot_release" "api" {
  for_each = toset(["1", "2"])
  package  = "api"
  version  = each.key
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}

resource "ocuroot_release" "web" {
  for_each    = toset(["1.0", "1.1"])
  package     = "web"
  version     = each.key
  description = "web ${each.key}"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}

resource "ocuroot_deployment" "api" {
  environment       = ocuroot_environment.prod0.name
  release           = ocuroot_release.api[%[1]q].id
  strategy          = "canary"
  progress_deadline = "2m"
  canary {
    check_interval    = "1m"
    failure_threshold = 2
    step {
      weight = 20
      bake   = "5m"
    }
  }
  hook {
    url     = "%[3]s/hooks"
    timeout = "5s"
    retry {
      attempts = 3
      min_wait = "10ms"
      max_wait = "50ms"
    }
  }
  health_check {
    url             = "%[3]s/health/{package}/{environment}/{slot}/{version}"
    interval        = "15s"
    expected_status = [200]
  }
  check {
    name       = "error_rate"
    url        = "%[3]s/metrics/{package}/{environment}/{slot}/{version}"
    path       = "error_rate"
    max        = 0.1
    credential = "metrics"
  }
}

resource "ocuroot_deployment" "web" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.web[%[2]q].id
  strategy    = "blue_green"
  blue_green {
    manual_promotion = true
  }
  hook {
    url = "%[3]s/hooks"
  }
  health_check {
    url = "%[3]s/health/{package}/{environment}/{slot}/{version}"
  }
}
`, api, web, targetURL)
}

// writeFile writes a file into the workspace.
func (w *tfWorkspace) writeFile(name, content string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// listedResult is one "list_resource_found" message of `terraform query
// -json`.
type listedResult struct {
	Address        string            `json:"address"`
	DisplayName    string            `json:"display_name"`
	Identity       map[string]string `json:"identity"`
	ResourceObject map[string]any    `json:"resource_object"`
}

type queryResults []listedResult

// readQueryResults reads the results out of `terraform query -json`.
func readQueryResults(t *testing.T, out string) queryResults {
	t.Helper()
	var results queryResults
	for _, line := range strings.Split(out, "\n") {
		var msg struct {
			Type  string       `json:"type"`
			Found listedResult `json:"list_resource_found"`
		}
		if json.Unmarshal([]byte(line), &msg) != nil || msg.Type != "list_resource_found" {
			continue
		}
		results = append(results, msg.Found)
	}
	return results
}

func (r queryResults) displayNames(address string) []string {
	var names []string
	for _, result := range r {
		if result.Address == address {
			names = append(names, result.DisplayName)
		}
	}
	return names
}

func (r queryResults) object(address, displayName string) map[string]any {
	for _, result := range r {
		if result.Address == address && result.DisplayName == displayName {
			return result.ResourceObject
		}
	}
	return nil
}

// plannedChange is one entry of resource_changes in `terraform show -json`.
type plannedChange struct {
	Address string `json:"address"`
	Change  struct {
		Actions   []string       `json:"actions"`
		After     map[string]any `json:"after"`
		Importing any            `json:"importing"`
	} `json:"change"`
}

type plannedChangeList []plannedChange

func readPlannedChanges(t *testing.T, showJSON string) plannedChangeList {
	t.Helper()
	var plan struct {
		ResourceChanges plannedChangeList `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(showJSON), &plan); err != nil {
		t.Fatalf("reading terraform show -json: %v", err)
	}
	return plan.ResourceChanges
}

func (l plannedChangeList) after(address string) map[string]any {
	for _, c := range l {
		if c.Address == address {
			return c.Change.After
		}
	}
	return nil
}

// TestAccListQuery_refusesAStatusNoResultShows: a listed deployment reads
// as its release in effect, so it never shows rolled_back; filtering on it
// is refused before anything is read, naming the statuses there are.
func TestAccListQuery_refusesAStatusNoResultShows(t *testing.T) {
	t.Parallel()
	w := newTFWorkspace(t, tfversion.Version1_14_0)
	w.configure(providerBlockWithSecret(newTestStorePath(t)))
	w.writeFile("rolled_back.tfquery.hcl", `
list "ocuroot_deployment" "rolled_back" {
  provider = ocuroot
  config {
    status = "rolled_back"
  }
}
`)
	out, ok := w.run("query", "-no-color")
	if ok {
		t.Fatalf("the query should be refused:\n%s", out)
	}
	for _, want := range []string{"Invalid Attribute Value Match", "with list.ocuroot_deployment.rolled_back",
		`Attribute status value must be one of: ["succeeded" "in_progress" "awaiting_promotion" "failed"], got: "rolled_back"`} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("the refusal should say %q:\n%s", want, out)
		}
	}
}
