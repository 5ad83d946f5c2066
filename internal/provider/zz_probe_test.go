package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestProbeDiag(t *testing.T) {
	store := newTestStorePath(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{{
			Config: providerBlock(store) + `
resource "ocuroot_release" "api" {
  package = "api"
  version = "1"
  phase {
    name = "a"
    environments = ["x", "y"]
  }
  phase {
    name = "b"
    environments = ["zz", "x"]
  }
}
`,
			ExpectError: regexp.MustCompile(`NOPE`),
		}},
	})
}

// TEMPORARY while deployment/promotion resources are stubs returning nil.
type nilFilteringProvider struct{ provider.Provider }

func (p nilFilteringProvider) Resources(ctx context.Context) []func() fwresource.Resource {
	var out []func() fwresource.Resource
	for _, f := range p.Provider.Resources(ctx) {
		if f() != nil {
			out = append(out, f)
		}
	}
	return out
}

func (p nilFilteringProvider) DataSources(ctx context.Context) []func() datasource.DataSource {
	var out []func() datasource.DataSource
	for _, f := range p.Provider.DataSources(ctx) {
		if f() != nil {
			out = append(out, f)
		}
	}
	return out
}

func init() {
	wrapTestProvider = func(p provider.Provider) provider.Provider { return nilFilteringProvider{p} }
}
