package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// urlConfig is a deployment whose hook, health check and metric checks use
// the given URLs; nothing is contacted, the tests only plan it.
func urlConfig(store, hookURL, healthURL, checkURL string) string {
	return providerBlock(store) + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

`+apiReleasesInProd0("1")+`
resource "ocuroot_deployment" "api" {
  environment = ocuroot_environment.prod0.name
  release     = ocuroot_release.v1.id
  hook {
    url = %q
  }
  health_check {
    url = %q
  }
  check {
    name = "first"
    url  = "https://metrics.example.com/{environment}"
    path = "x"
    max  = 1
  }
  check {
    name = "second"
    url  = %q
    path = "x"
    max  = 1
  }
}
`, hookURL, healthURL, checkURL)
}

const (
	goodHookURL   = "https://deploy.example.com/hooks"
	goodHealthURL = "https://{environment}.example.com/health/{slot}/{version}"
	goodCheckURL  = "https://metrics.example.com/{package}/{slot}"
)

// TestAccHooks_urlsCheckedAtPlanTime: a URL with credentials, a relative
// URL or an unknown placeholder is an error at plan time, on the line of
// the attribute, pointing at headers for credentials. Terraform shows the
// configuration line; the provider's own message never repeats the
// credential.
func TestAccHooks_urlsCheckedAtPlanTime(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	credentialsDetail := `The url must not contain credentials (user:password@): they would be stored and shown in clear. ` +
		`Remove them from the url and send them with the block's headers instead, such as headers = { Authorization = "Basic ..." }.`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{
			{
				Config:      urlConfig(store, "https://deployer:hunter2@deploy.example.com/hooks", goodHealthURL, goodCheckURL),
				PlanOnly:    true,
				ExpectError: diagnosticRegexp("Invalid URL", `with ocuroot_deployment.api`, `url = "https://deployer:hunter2@deploy.example.com/hooks"`, credentialsDetail),
			},
			{
				Config:      urlConfig(store, goodHookURL, "https://probe:s3cret@{environment}.example.com/health", goodCheckURL),
				PlanOnly:    true,
				ExpectError: diagnosticRegexp("Invalid URL", `url = "https://probe:s3cret@{environment}.example.com/health"`, credentialsDetail),
			},
			{
				Config:   urlConfig(store, goodHookURL, goodHealthURL, "https://metrics.example.com/{env}/errors"),
				PlanOnly: true,
				ExpectError: diagnosticRegexp("Invalid URL", `url  = "https://metrics.example.com/{env}/errors"`,
					`The url contains the unknown placeholder {env}: the allowed placeholders are {package}, {environment}, {version}, {release} and {slot}.`),
			},
			{
				Config:   urlConfig(store, "https://deploy.example.com/{environment}/hooks", goodHealthURL, goodCheckURL),
				PlanOnly: true,
				ExpectError: diagnosticRegexp("Invalid URL", `url = "https://deploy.example.com/{environment}/hooks"`,
					`The url contains the placeholder {environment}, but hook urls are called as written`),
			},
			{
				Config:   urlConfig(store, goodHookURL, goodHealthURL, "/relative"),
				PlanOnly: true,
				ExpectError: diagnosticRegexp("Invalid URL", `url  = "/relative"`,
					`The url must be an absolute http:// or https:// URL with a host, such as https://service.example.com/health.`),
			},
			{
				// Every documented placeholder is accepted.
				Config:             urlConfig(store, goodHookURL, goodHealthURL, goodCheckURL),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}
