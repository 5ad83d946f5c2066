package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

func TestSpecErrorPath(t *testing.T) {
	tests := []struct {
		se   domain.SpecError
		want path.Path
	}{
		{domain.SpecError{Field: "canary.steps[].weight", Index: 1}, path.Root("canary").AtName("step").AtListIndex(1).AtName("weight")},
		{domain.SpecError{Field: "canary.steps", Index: -1}, path.Root("canary").AtName("step")},
		{domain.SpecError{Field: "progress_deadline", Index: -1}, path.Root("progress_deadline")},
		{domain.SpecError{Field: "health_check.expected_status[]", Index: 2}, path.Root("health_check").AtName("expected_status").AtListIndex(2)},
		{domain.SpecError{Field: "blue_green.pre_promotion_check[].headers", Index: 0, Key: "X-Token"},
			path.Root("blue_green").AtName("pre_promotion_check").AtListIndex(0).AtName("headers").AtMapKey("X-Token")},
	}
	for _, tt := range tests {
		if got := specErrorPath(&tt.se); !got.Equal(tt.want) {
			t.Errorf("specErrorPath(%s[%d]) = %s, want %s", tt.se.Field, tt.se.Index, got, tt.want)
		}
	}
}
