package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// canaryOneStep is a canary with one bake, for tests about the hook
// that moves the canary.
const canaryOneStep = `
  strategy = "canary"
  canary {
    check_interval = "1m"
    step {
      weight = 10
      bake   = "5m"
    }
  }
`

// TestAccHooks_redirectIsNotFollowed: the receiver answers the canary's
// traffic hook with a 307 to another host. The hook is not followed (the
// other host receives nothing: no signed body, no signature, no
// Idempotency-Key) nor retried; the rollout fails, the canary is rolled
// back, and the diagnostic names the redirect and what to do about it.
func TestAccHooks_redirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	target, url := startTarget(t)
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhereHits.Add(1) }))
	t.Cleanup(elsewhere.Close)
	nothingElsewhere := func(*demotarget.Target) error {
		if n := elsewhereHits.Load(); n != 0 {
			return fmt.Errorf("the redirect target received %d request(s); hooks must never follow redirects", n)
		}
		return nil
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{Config: deployConfig(store, url, "1", canaryOneStep)},
			{
				PreConfig: func() {
					target.RedirectHook(hookreceiver.EventCanaryWeight, http.StatusTemporaryRedirect, elsewhere.URL+"/hooks?token=t0k")
				},
				Config: deployConfig(store, url, "2", canaryOneStep),
				ExpectError: diagPattern(`Deployment Rolled Back ... rollout of api@2 to api/prod0 failed at canary step 1 of 1 (weight 10%, bake 5m): ` +
					`hook "canary.weight" answered HTTP 307 Temporary Redirect to ` + elsewhere.URL + `/hooks (hook url ` + url + `/hooks); ` +
					`hooks never follow redirects: point the hook url at the final address. Rolled back: ... ` +
					`100% of traffic is back on api@1.`),
			},
			proposedAgain(deployConfig(store, url, "2", canaryOneStep),
				plancheck.ExpectResourceAction("ocuroot_deployment.api", plancheck.ResourceActionUpdate),
				refreshedValue{"ocuroot_deployment.api", "status", "rolled_back"},
				refreshedValue{"ocuroot_deployment.api", "live_release", "api@1"},
				// One delivery, answered 307, not retried and not accepted.
				planCheckTarget(target, deliveries(hookreceiver.EventCanaryWeight, http.StatusTemporaryRedirect)),
				planCheckTarget(target, served("api@1", map[string]int{"api@1": 100}, "deploy:100:stable", "rollback:0:canary")),
				planCheckTarget(target, nothingElsewhere),
			),
		},
	})
}
