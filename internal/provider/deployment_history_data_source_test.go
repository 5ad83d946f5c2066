package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccDeployment_versionBumpPlansOnlyWhatChanges: with history out of
// state, a new release plans the release and the computed status attributes
// the rollout will set, and nothing else; last_transition then says what
// happened. (rollout_plan is planned too, and differs when the steps do; a
// direct deployment's steps are the same for every release.)
func TestAccDeployment_versionBumpPlansOnlyWhatChanges(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:           deployConfig(store, url, "1", ""),
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("last_transition").AtMapKey("release"), knownvalue.StringExact("api@1")),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("last_transition").AtMapKey("to"), knownvalue.StringExact("succeeded")),
				},
			},
			{
				Config: deployConfig(store, url, "2", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
						plannedChanges("ocuroot_deployment.api",
							"release", "status", "live_release", "pending_release", "traffic_percent", "last_transition"),
					},
					PostApplyPostRefresh: emptyPlanAfterApply.PostApplyPostRefresh,
				},
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("last_transition").AtMapKey("release"), knownvalue.StringExact("api@2")),
					statecheck.ExpectKnownValue("ocuroot_deployment.api", tfjsonpath.New("last_transition").AtMapKey("to"), knownvalue.StringExact("succeeded")),
				),
				Check: checkTarget(target, expectEvents("deploy:100:stable", "deploy:100:stable")),
			},
		},
	})
}

// TestAccDeploymentHistoryDataSources reads the history the resource no
// longer keeps: ocuroot_deployment_history with a limit (newest last) and
// without (the whole story, oldest first), and the ocuroot_deployment data
// source's history, limit and last_transition.
func TestAccDeploymentHistoryDataSources(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	_, url := startTarget(t)
	readers := `
data "ocuroot_deployment_history" "newest_two" {
  deployment = ocuroot_deployment.api.id
  limit      = 2
}

data "ocuroot_deployment_history" "default_limit" {
  deployment = ocuroot_deployment.api.id
}

data "ocuroot_deployment" "api" {
  package     = "api"
  environment = "prod0"
  limit       = 1
  depends_on  = [ocuroot_deployment.api]
}

data "ocuroot_deployment" "no_history" {
  package     = "api"
  environment = "prod0"
  limit       = 0
  depends_on  = [ocuroot_deployment.api]
}
`
	newestTwo := tfjsonpath.New("entries")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", ""), ConfigPlanChecks: emptyPlanAfterApply},
			{Config: deployConfig(store, url, "2", ""), ConfigPlanChecks: emptyPlanAfterApply},
			{
				Config:           deployConfig(store, url, "2", "") + readers,
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.ocuroot_deployment_history.newest_two", newestTwo, knownvalue.ListSizeExact(2)),
					statecheck.ExpectKnownValue("data.ocuroot_deployment_history.newest_two", newestTwo.AtSliceIndex(1).AtMapKey("release"), knownvalue.StringExact("api@2")),
					statecheck.ExpectKnownValue("data.ocuroot_deployment_history.newest_two", newestTwo.AtSliceIndex(1).AtMapKey("to"), knownvalue.StringExact("succeeded")),
					// The default limit (20) holds both rollouts: the first
					// entry is the first deployment's.
					statecheck.ExpectKnownValue("data.ocuroot_deployment_history.default_limit", newestTwo.AtSliceIndex(0).AtMapKey("release"), knownvalue.StringExact("api@1")),
					// The newest entry everywhere is the resource's last_transition.
					statecheck.CompareValuePairs("data.ocuroot_deployment_history.newest_two", newestTwo.AtSliceIndex(1),
						"ocuroot_deployment.api", tfjsonpath.New("last_transition"), compare.ValuesSame()),
					statecheck.CompareValuePairs("data.ocuroot_deployment.api", tfjsonpath.New("history").AtSliceIndex(0),
						"ocuroot_deployment.api", tfjsonpath.New("last_transition"), compare.ValuesSame()),
					statecheck.CompareValuePairs("data.ocuroot_deployment.api", tfjsonpath.New("last_transition"),
						"ocuroot_deployment.api", tfjsonpath.New("last_transition"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("data.ocuroot_deployment.api", tfjsonpath.New("history"), knownvalue.ListSizeExact(1)),
					statecheck.ExpectKnownValue("data.ocuroot_deployment.no_history", tfjsonpath.New("history"), knownvalue.ListSizeExact(0)),
					statecheck.ExpectKnownValue("data.ocuroot_deployment.no_history", tfjsonpath.New("last_transition").AtMapKey("release"), knownvalue.StringExact("api@2")),
				},
			},
		},
	})
}

// TestAccDeploymentHistoryDataSource_errors: a malformed id is an error on
// the deployment attribute, an unknown deployment says where it looked, and
// a limit out of range is refused at plan time.
func TestAccDeploymentHistoryDataSource_errors(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	history := func(deployment, limit string) string {
		return providerBlock(store) + fmt.Sprintf(`
data "ocuroot_deployment_history" "h" {
  deployment = %q
  %s
}
`, deployment, limit)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:      history("api-prod0", ""),
				ExpectError: diagnosticRegexp("Invalid Deployment Id", `deployment id "api-prod0" must have the form PACKAGE/ENVIRONMENT`, `for example "api/prod1"`),
			},
			{
				Config:      history("api/prod9", ""),
				ExpectError: diagnosticRegexp("Deployment Not Found", "No deployment api/prod9 in the store"),
			},
			{
				Config:      history("api/prod0", "limit = 0"),
				ExpectError: regexp.MustCompile(`Invalid Attribute Value[\s\S]*limit[\s\S]*value must be between 1 and 10000, got: 0`),
			},
		},
	})
}

// plannedChanges checks that the planned update of address changes exactly
// the given top-level attributes: those whose value differs, or that become
// known only after the apply.
func plannedChanges(address string, want ...string) plancheck.PlanCheck {
	return changedAttributesCheck{address: address, want: want}
}

type changedAttributesCheck struct {
	address string
	want    []string
}

func (c changedAttributesCheck) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		unknown, _ := rc.Change.AfterUnknown.(map[string]any)
		names := map[string]bool{}
		for name := range before {
			names[name] = true
		}
		for name := range after {
			names[name] = true
		}
		for name := range unknown {
			names[name] = true
		}
		var changed []string
		for name := range names {
			if isUnknown(unknown[name]) || !reflect.DeepEqual(before[name], after[name]) {
				changed = append(changed, name)
			}
		}
		slices.Sort(changed)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(changed, want) {
			resp.Error = fmt.Errorf("%s plans changes to %q, want exactly %q", c.address, changed, want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", c.address)
}

// isUnknown reads after_unknown: true for an unknown value, a nested map or
// list for a value with unknown parts.
func isUnknown(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case map[string]any:
		for _, inner := range v {
			if isUnknown(inner) {
				return true
			}
		}
	case []any:
		for _, inner := range v {
			if isUnknown(inner) {
				return true
			}
		}
	}
	return false
}
