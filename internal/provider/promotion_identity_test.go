package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// An identity names a promotion by its release and exactly one of the
// deployment it promoted or the phase it approved.
func TestPromotionIDFromIdentity(t *testing.T) {
	ctx := context.Background()
	var schemaResp resource.IdentitySchemaResponse
	(&promotionResource{}).IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &schemaResp)
	identityType := schemaResp.IdentitySchema.Type().TerraformType(ctx)
	identity := func(release, deployment, phase *string) *tfsdk.ResourceIdentity {
		value := func(s *string) tftypes.Value {
			if s == nil {
				return tftypes.NewValue(tftypes.String, nil)
			}
			return tftypes.NewValue(tftypes.String, *s)
		}
		return &tfsdk.ResourceIdentity{Schema: schemaResp.IdentitySchema, Raw: tftypes.NewValue(identityType, map[string]tftypes.Value{
			"release": value(release), "deployment": value(deployment), "phase": value(phase),
		})}
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name     string
		identity *tfsdk.ResourceIdentity
		wantID   string
		wantErr  string
	}{
		{"a deployment promotion", identity(str("api@2"), str("api/prod0"), nil), "api/prod0#api@2", ""},
		{"a phase approval", identity(str("api@2"), nil, str("prod")), "api@2#prod", ""},
		{"both", identity(str("api@2"), str("api/prod0"), str("prod")), "", "Invalid Import Identity: A promotion's identity names its release and exactly one of deployment"},
		{"neither", identity(str("api@2"), nil, nil), "", "Invalid Import Identity"},
		{"no identity", nil, "", "Invalid Import Id: The import gave neither an id nor an identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, diags := promotionIDFromIdentity(ctx, tt.identity)
			var got string
			for _, d := range diags.Errors() {
				got += d.Summary() + ": " + d.Detail()
			}
			if tt.wantErr == "" && got != "" || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("errors = %q, want %q", got, tt.wantErr)
			}
			if id != tt.wantID {
				t.Errorf("id = %q, want %q", id, tt.wantID)
			}
		})
	}
}
