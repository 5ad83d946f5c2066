package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// credentialObject builds one entry of the provider's credentials map.
func credentialObject(headers types.Map, hookSecret types.String) attr.Value {
	return types.ObjectValueMust(map[string]attr.Type{
		"headers": types.MapType{ElemType: types.StringType}, "hook_secret": types.StringType,
	}, map[string]attr.Value{"headers": headers, "hook_secret": hookSecret})
}

func credentialsMap(entries map[string]attr.Value) types.Map {
	return types.MapValueMust(types.ObjectType{AttrTypes: map[string]attr.Type{
		"headers": types.MapType{ElemType: types.StringType}, "hook_secret": types.StringType,
	}}, entries)
}

// TestCredentialsFrom: the provider's credentials become engine
// credentials; one that sets nothing is an error on its own key, and one
// whose value is known only at apply turns the plan-time name check off.
func TestCredentialsFrom(t *testing.T) {
	ctx := context.Background()
	token := types.MapValueMust(types.StringType, map[string]attr.Value{"Authorization": types.StringValue("Bearer t")})

	var diags diag.Diagnostics
	creds, known := credentialsFrom(ctx, credentialsMap(map[string]attr.Value{
		"metrics":  credentialObject(token, types.StringNull()),
		"payments": credentialObject(types.MapNull(types.StringType), types.StringValue("s3cret")),
	}), &diags)
	if diags.HasError() || !known {
		t.Fatalf("diags = %v, known = %v", diags, known)
	}
	if creds["metrics"].Headers["Authorization"] != "Bearer t" || creds["payments"].HookSecret != "s3cret" || len(creds) != 2 {
		t.Errorf("credentials = %+v", creds)
	}

	diags = nil
	_, _ = credentialsFrom(ctx, credentialsMap(map[string]attr.Value{
		"empty": credentialObject(types.MapNull(types.StringType), types.StringNull()),
	}), &diags)
	if len(diags) != 1 || diags[0].Summary() != "Empty Credential" {
		t.Fatalf("an empty credential: diags = %v; want one Empty Credential error", diags)
	}
	if withPath, ok := diags[0].(diag.DiagnosticWithPath); !ok || withPath.Path().String() != `credentials["empty"]` {
		t.Errorf("the Empty Credential error is not on credentials[\"empty\"]: %v", diags[0])
	}

	diags = nil
	if _, known := credentialsFrom(ctx, credentialsMap(map[string]attr.Value{
		"later": credentialObject(types.MapUnknown(types.StringType), types.StringNull()),
	}), &diags); known || diags.HasError() {
		t.Errorf("a credential known only at apply: known = %v, diags = %v; want unknown and no error", known, diags)
	}
	if _, known := credentialsFrom(ctx, types.MapNull(types.ObjectType{}), &diags); !known {
		t.Error("no credentials at all must count as known")
	}
}
