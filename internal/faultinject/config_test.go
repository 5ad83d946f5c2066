//go:build linux

package faultinject

import (
	"fmt"
	"strings"
)

// hookSecret signs the hooks; the target verifies every signature.
const hookSecret = "faultinject-secret"

// deploymentID is the one deployment every test rolls out.
const deploymentID = "api/prod0"

// apiReleases declares api@1 and api@2, each with one phase holding prod0.
const apiReleases = `resource "ocuroot_release" "v1" {
  package = "api"
  version = "1"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}

resource "ocuroot_release" "v2" {
  package = "api"
  version = "2"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}
`

// step is one canary step.
type step struct {
	weight int
	bake   string
}

// rolloutConfig renders one environment, releases api@1 and api@2 and a
// canary deployment of release ("1" or "2") through steps. Checks run every
// second and two failed rounds in a row roll back, so a fault shows within
// seconds; the timeouts only keep a broken provider from hanging a test.
func rolloutConfig(storePath, targetURL, release string, steps ...step) string {
	var stepBlocks strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&stepBlocks, "    step {\n      weight = %d\n      bake   = %q\n    }\n", s.weight, s.bake)
	}
	return fmt.Sprintf(`
terraform {
  required_providers {
    ocuroot = { source = "ocuroot/ocuroot" }
  }
}

provider "ocuroot" {
  store       = "file://%[1]s"
  hook_secret = %[2]q
}

resource "ocuroot_environment" "prod0" {
  name       = "prod0"
  attributes = { type = "prod" }
}

`+apiReleases+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%[3]s.id
  strategy    = "canary"
  hook {
    url = "%[4]s/hooks"
    retry {
      attempts = 3
      min_wait = "50ms"
      max_wait = "200ms"
    }
  }
  health_check {
    url      = "%[4]s/health/{package}/{environment}/{slot}/{version}"
    interval = "1s"
  }
  canary {
    check_interval    = "1s"
    failure_threshold = 2
%[5]s  }
  # Bakes plus this deadline must fit the timeouts below (a plan-time rule).
  progress_deadline = "30s"
  timeouts {
    create = "3m"
    update = "3m"
  }
}
`, storePath, hookSecret, release, targetURL, stepBlocks.String())
}

// longBake is a canary that is still baking whenever a test strikes.
var longBake = []step{{weight: 10, bake: "2m"}}
