package provider

// Configurations the deployment, promotion and phase tests apply, and the
// recording target they run against.

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

const testHookSecret = "acc-test-secret"

// startTarget runs the recording demo target for one test: it verifies
// every signature, records every hook call and can be told to fail.
func startTarget(t *testing.T) (*demotarget.Target, string) {
	t.Helper()
	target := demotarget.New(demotarget.Options{Secret: testHookSecret})
	srv := httptest.NewServer(target.Handler())
	t.Cleanup(func() {
		target.Close()
		srv.Close()
	})
	return target, srv.URL
}

// deployConfig renders a configuration with one environment, releases
// api@1 to api@3 (one phase holding the environment) and a deployment of
// the given release with extra settings.
func deployConfig(store, targetURL, release, settings string) string {
	return providerBlockWithSecret(store) + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name       = "prod0"
  attributes = { type = "prod" }
}

`+apiReleasesInProd0("1", "2", "3")+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v%s.id
  hook {
    url = "%s/hooks"
    retry {
      attempts = 3
      min_wait = "10ms"
      max_wait = "50ms"
    }
  }
  health_check {
    url      = "%s/health/{package}/{environment}/{slot}/{version}"
    interval = "15s"
  }
%s
}
`, release, targetURL, targetURL, settings)
}

// apiReleasesInProd0 renders releases api@<version>, each with one phase,
// "prod", of the environment prod0 (resources ocuroot_release.v<version>).
func apiReleasesInProd0(versions ...string) string {
	var b strings.Builder
	for i, version := range versions {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, `resource "ocuroot_release" "v%[1]s" {
  package = "api"
  version = "%[1]s"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}
`, version)
	}
	return b.String()
}

func providerBlockWithSecret(store string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
}
`, store, testHookSecret)
}

// Strategy settings shared by the strategy, fault and promotion tests.
const (
	blueGreenAutomatic = `
  strategy = "blue_green"
  blue_green {}
`
	blueGreenManual = `
  strategy = "blue_green"
  blue_green {
    manual_promotion = true
  }
`
	canaryManual = `
  strategy = "canary"
  canary {
    check_interval   = "1m"
    manual_promotion = true
    step {
      weight = 10
      bake   = "5m"
    }
    step {
      weight = 50
      bake   = "5m"
    }
  }
`
)

// deployConfigHook is deployConfig with the hook's retry block replaced by
// hookSettings (timeout, retry, …), for tests of hook behaviour.
func deployConfigHook(t *testing.T, store, targetURL, release, hookSettings, settings string) string {
	t.Helper()
	const defaultRetry = `
    retry {
      attempts = 3
      min_wait = "10ms"
      max_wait = "50ms"
    }
`
	cfg := deployConfig(store, targetURL, release, settings)
	if !strings.Contains(cfg, defaultRetry) {
		t.Fatal("deployConfigHook: deployConfig no longer renders the retry block this helper replaces")
	}
	return strings.Replace(cfg, defaultRetry, "\n"+hookSettings+"\n", 1)
}

// promotionConfig renders an ocuroot_promotion of a deployment; extra goes
// inside the block (note, timeouts, depends_on).
func promotionConfig(name, deployment, release, extra string) string {
	return fmt.Sprintf(`
resource "ocuroot_promotion" %q {
  deployment = %s
  release    = %s
%s
}
`, name, deployment, release, extra)
}

// HistoryOf declares an ocuroot_deployment_history data source named like
// the deployment resource it reads (limit: all it may read). It depends on
// the resource, so in a step that changes the deployment it is read after
// the apply, and historyContains sees the history the apply wrote.
func historyOf(name string) string {
	return fmt.Sprintf(`
data "ocuroot_deployment_history" %[1]q {
  deployment = ocuroot_deployment.%[1]s.id
  limit      = %[2]d
  depends_on = [ocuroot_deployment.%[1]s]
}
`, name, maxHistoryEntries)
}

// phasedConfig declares environments staging and prod1, a release api@1
// whose phases are staging then prod (prodApproval sets requires_approval
// on prod), and the given deployments and other resources.
func phasedConfig(store string, prodApproval bool, resources string) string {
	return phasedConfigOf(store, "v1", "1", prodApproval, resources)
}

// phasedConfigOf is phasedConfig with the release's resource name and
// version chosen.
func phasedConfigOf(store, releaseName, version string, prodApproval bool, resources string) string {
	return providerBlockWithSecret(store) + fmt.Sprintf(`
resource "ocuroot_environment" "staging" {
  name       = "staging"
  attributes = { type = "staging" }
}

resource "ocuroot_environment" "prod1" {
  name       = "prod1"
  attributes = { type = "prod" }
}

resource "ocuroot_release" %q {
  package = "api"
  version = %q
  phase {
    name         = "staging"
    environments = [ocuroot_environment.staging.name]
  }
  phase {
    name              = "prod"
    environments      = [ocuroot_environment.prod1.name]
    requires_approval = %t
  }
}
%s
`, releaseName, version, prodApproval, resources)
}

// phasedDeployment renders a direct deployment of api@1 into env with the
// recording target's hook and health check; extra goes inside the block.
func phasedDeployment(name, env, targetURL, extra string) string {
	return fmt.Sprintf(`
resource "ocuroot_deployment" %q {
  environment = ocuroot_environment.%s.name
  release     = ocuroot_release.v1.id
  hook {
    url = "%s/hooks"
    retry {
      attempts = 2
      min_wait = "10ms"
      max_wait = "50ms"
    }
  }
  health_check {
    url      = "%s/health/{package}/{environment}/{slot}/{version}"
    interval = "100ms"
  }
%s
}
`, name, env, targetURL, targetURL, extra)
}
