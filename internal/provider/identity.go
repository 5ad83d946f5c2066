package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12+): the attributes that name a resource,
// so an import block can say `identity = { package = "api", environment =
// "prod1" }` instead of an id string. Older Terraform ignores it.
//
// Each resource's identity attributes carry the same names as its state
// attributes, so one helper keeps them in step with the state.

// identityAttribute is one attribute of a resource identity and the
// description the docs show for it.
type identityAttribute struct{ name, description string }

func identitySchema(attributes ...identityAttribute) identityschema.Schema {
	attrs := map[string]identityschema.Attribute{}
	for _, a := range attributes {
		attrs[a.name] = identityschema.StringAttribute{
			RequiredForImport: true,
			Description:       a.description,
		}
	}
	return identityschema.Schema{Attributes: attrs}
}

// syncIdentity copies the named attributes from the resulting state into
// the identity. Deferred at the top of Create, Read, Update and ImportState
// so that every path that keeps a state also sets the identity.
func syncIdentity(ctx context.Context, state *tfsdk.State, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics, attributes ...string) {
	if identity == nil || state == nil || state.Raw.IsNull() || diags.HasError() {
		return
	}
	for _, name := range attributes {
		var v types.String
		diags.Append(state.GetAttribute(ctx, path.Root(name), &v)...)
		if v.IsNull() || v.IsUnknown() {
			return
		}
		diags.Append(identity.SetAttribute(ctx, path.Root(name), v)...)
	}
}

// importIDFromIdentity builds the import id from an identity when the
// import block gave an identity rather than an id.
func importIDFromIdentity(ctx context.Context, id string, identity *tfsdk.ResourceIdentity, separator string, attributes ...string) (string, diag.Diagnostics) {
	if id != "" || identity == nil || identity.Raw.IsNull() {
		return id, nil
	}
	var diags diag.Diagnostics
	parts := make([]string, 0, len(attributes))
	for _, name := range attributes {
		var v types.String
		diags.Append(identity.GetAttribute(ctx, path.Root(name), &v)...)
		parts = append(parts, v.ValueString())
	}
	return strings.Join(parts, separator), diags
}
