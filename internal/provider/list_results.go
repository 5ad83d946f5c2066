package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// List resources (Terraform 1.14+) let `terraform query` find what a store
// holds, possibly one shared with other workspaces, and generate import
// blocks and configuration for it. Listing only reads the store. Each
// result carries the resource's identity and, when Terraform asks for it,
// the object an import by that identity records, so the generated
// configuration plans no change.

// identityValue is one attribute of a listed resource's identity.
type identityValue struct{ name, value string }

// listResult builds one result from its identity, display name and the
// resource model an import of it would record.
func listResult(ctx context.Context, req list.ListRequest, displayName string, model any, identity ...identityValue) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = displayName
	for _, id := range identity {
		result.Diagnostics.Append(result.Identity.SetAttribute(ctx, path.Root(id.name), types.StringValue(id.value))...)
	}
	if req.IncludeResource {
		result.Diagnostics.Append(result.Resource.Set(ctx, model)...)
	}
	return result
}

// streamResults hands Terraform at most req.Limit results (all of them when
// it sets none).
func streamResults(req list.ListRequest, stream *list.ListResultsStream, results []list.ListResult) {
	if req.Limit > 0 && int64(len(results)) > req.Limit {
		results = results[:req.Limit]
	}
	stream.Results = slices.Values(results)
}

// listFailed ends a listing with one error result.
func listFailed(stream *list.ListResultsStream, summary, detail string) {
	var diags diag.Diagnostics
	diags.AddError(summary, detail)
	stream.Results = list.ListResultsStreamDiagnostics(diags)
}

// listConfigured reports whether the provider was configured, ending the
// listing with an error otherwise.
func listConfigured(pd *providerData, stream *list.ListResultsStream) bool {
	if pd == nil {
		listFailed(stream, "Provider Not Configured", "The ocuroot provider must be configured before listing what its store holds.")
		return false
	}
	return true
}
