package provider

import (
	"fmt"
	"net/http/httptest"
	"regexp"
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
// api@1 and api@2 (one phase holding the environment) and a deployment of
// the given release with extra settings.
func deployConfig(store, targetURL, release, settings string) string {
	return providerBlockWithSecret(store) + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name       = "prod0"
  attributes = { type = "prod" }
}

resource "ocuroot_release" "v1" {
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

resource "ocuroot_release" "v3" {
  package = "api"
  version = "3"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}

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
    interval = "100ms"
  }
%s
}
`, release, targetURL, targetURL, settings)
}

func providerBlockWithSecret(store string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
}
`, store, testHookSecret)
}

// eventLog renders accepted hook calls for one service as "type:weight:slot".
func eventLog(target *demotarget.Target) []string {
	var out []string
	for _, c := range target.HookEvents() {
		if c.Duplicate {
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d:%s", c.Event.Type, c.Event.Weight, c.Event.Slot))
	}
	return out
}

func expectEvents(want ...string) func(target *demotarget.Target) error {
	return func(target *demotarget.Target) error {
		got := eventLog(target)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			return fmt.Errorf("hook events:\n got  %v\n want %v", got, want)
		}
		for _, c := range target.Calls() {
			if c.Rejected {
				return fmt.Errorf("target rejected a call: %s", c.RejectReason)
			}
			if c.Anomaly != "" {
				return fmt.Errorf("target saw an out-of-order event %s: %s", c.Event.Type, c.Anomaly)
			}
		}
		return nil
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// diagPattern matches a diagnostic whose words Terraform may wrap across
// lines: every space in words becomes \s+.
func diagPattern(words string) *regexp.Regexp {
	parts := strings.Fields(words)
	for i, p := range parts {
		if p == "..." {
			parts[i] = ".*"
			continue
		}
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `\s+`))
}
