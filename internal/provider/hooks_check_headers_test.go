package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// probeToken is what the target's health and metric endpoints require.
const probeToken = "Bearer probe-token-3c7a"

// startAuthenticatedTarget runs a target whose probes answer 401 unless
// they carry probeToken, as a monitoring endpoint behind auth would.
func startAuthenticatedTarget(t *testing.T) (*demotarget.Target, string) {
	t.Helper()
	target := demotarget.New(demotarget.Options{
		Secret:              testHookSecret,
		RequireProbeHeaders: map[string]string{"Authorization": probeToken},
	})
	srv := httptest.NewServer(target.Handler())
	t.Cleanup(func() {
		target.Close()
		srv.Close()
	})
	return target, srv.URL
}

// headersConfig deploys api@<release> with a canary whose health check and
// metric check both send the token in headers.
func headersConfig(store, targetURL, release string) string {
	return providerBlockWithSecret(store) + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

`+apiReleasesInProd0("1", "2")+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%[2]s.id
%[4]s
  hook {
    url = "%[1]s/hooks"
  }
  health_check {
    url      = "%[1]s/health/{package}/{environment}/{slot}/{version}"
    interval = "15s"
    headers  = { Authorization = %[3]q }
  }
  check {
    name    = "error_rate"
    url     = "%[1]s/metrics/{package}/{environment}/{slot}/{version}"
    path    = "error_rate"
    max     = 0.1
    headers = { Authorization = %[3]q }
  }
}
`, targetURL, release, probeToken, canaryOneStep)
}

// TestAccHooks_checkHeaders: the headers of health_check and check reach
// the target with every probe (it refuses probes without them), are never
// written to the engine store, and are sensitive in Terraform state, so
// plan and show output hide them.
func TestAccHooks_checkHeaders(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startAuthenticatedTarget(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:            headersConfig(store, url, "1"),
				ConfigPlanChecks:  emptyPlanAfterApply,
				ConfigStateChecks: []statecheck.StateCheck{sensitiveInState("ocuroot_deployment.api", "health_check", "headers")},
				Check:             checkTarget(target, probesAuthorized(demotarget.ProbeHealth)),
			},
			{
				Config:           headersConfig(store, url, "2"),
				ConfigPlanChecks: emptyPlanAfterApply,
				ConfigStateChecks: append(expectDeploymentState("ocuroot_deployment.api", "succeeded", "api@2", "", 100),
					sensitiveInState("ocuroot_deployment.api", "health_check", "headers"),
					sensitiveInState("ocuroot_deployment.api", "check", "headers"),
					storeCheck(storeFilesDoNotContain(store, probeToken)),
				),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkTarget(target, expectEvents("deploy:100:stable", "canary.weight:10:canary", "promote:100:stable")),
					checkTarget(target, probesAuthorized(demotarget.ProbeHealth, demotarget.ProbeMetrics)),
				),
			},
		},
	})
}

// probesAuthorized checks that the target saw probes of every given kind
// and that each one carried the token: none was refused with 401.
func probesAuthorized(kinds ...string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		seen := map[string]int{}
		for _, p := range target.Probes() {
			if p.Status == 401 {
				return fmt.Errorf("a %s probe of %s was refused: it came without the Authorization header", p.Kind, p.Version)
			}
			if p.Headers["Authorization"] == "" {
				return fmt.Errorf("a %s probe was recorded without an Authorization header", p.Kind)
			}
			seen[p.Kind]++
		}
		for _, kind := range kinds {
			if seen[kind] == 0 {
				return fmt.Errorf("the target saw no %s probe (probes: %v)", kind, seen)
			}
		}
		return nil
	}
}

// storeFilesDoNotContain checks every file of the embedded store (the
// database and anything kept beside it) for a secret.
func storeFilesDoNotContain(store, secret string) func() error {
	return func() error {
		files, err := filepath.Glob(store + "*")
		if err != nil || len(files) == 0 {
			return fmt.Errorf("no store files at %s (%v)", store, err)
		}
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			if bytes.Contains(raw, []byte(secret)) {
				return fmt.Errorf("%s holds a check header value in clear", filepath.Base(file))
			}
		}
		return nil
	}
}

// sensitiveInState checks that Terraform marks an attribute of a nested
// block sensitive, so plan, apply and show output never print it.
func sensitiveInState(address, block, attribute string) statecheck.StateCheck {
	return sensitiveCheck{address, block, attribute}
}

type sensitiveCheck struct{ address, block, attribute string }

func (c sensitiveCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil {
		resp.Error = fmt.Errorf("no state")
		return
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address != c.address {
			continue
		}
		var marks map[string]any
		if err := json.Unmarshal(r.SensitiveValues, &marks); err != nil {
			resp.Error = fmt.Errorf("%s sensitive values: %w", c.address, err)
			return
		}
		// A single nested block is an object, a list block a list of them.
		block := marks[c.block]
		if list, ok := block.([]any); ok && len(list) > 0 {
			block = list[0]
		}
		if object, ok := block.(map[string]any); !ok || object[c.attribute] != true {
			resp.Error = fmt.Errorf("%s.%s.%s is not marked sensitive in state (sensitive values: %s)", c.address, c.block, c.attribute, r.SensitiveValues)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in state", c.address)
}
