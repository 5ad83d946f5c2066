package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

func TestConfiguredProviderData(t *testing.T) {
	t.Run("nil during early validation", func(t *testing.T) {
		var diags diag.Diagnostics
		if got := configuredProviderData(nil, &diags); got != nil || diags.HasError() {
			t.Fatalf("got %v, %v; want nil and no diagnostics", got, diags)
		}
	})
	t.Run("the provider's bundle", func(t *testing.T) {
		var diags diag.Diagnostics
		pd := &providerData{storeDescription: "injected"}
		if got := configuredProviderData(pd, &diags); got != pd || diags.HasError() {
			t.Fatalf("got %v, %v; want the bundle and no diagnostics", got, diags)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		var diags diag.Diagnostics
		if got := configuredProviderData("not the bundle", &diags); got != nil {
			t.Fatalf("got %v, want nil", got)
		}
		if diags.ErrorsCount() != 1 {
			t.Fatalf("want one error, got %v", diags)
		}
		d := diags.Errors()[0]
		if d.Summary() != "Unexpected Configure Type" {
			t.Errorf("summary = %q", d.Summary())
		}
		if want := "expected *providerData, got string; please report this issue to the provider developers"; d.Detail() != want {
			t.Errorf("detail = %q, want %q", d.Detail(), want)
		}
	})
}
