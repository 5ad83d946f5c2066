package provider

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// stringMapFrom reads a map(string) attribute; null and unknown read as nil.
func stringMapFrom(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out := map[string]string{}
	diags := m.ElementsAs(ctx, &out, false)
	return out, diags
}

// stringMapValue converts a stored map back to Terraform. An empty map stays
// null when the prior value was null, so an unset attribute shows no diff.
func stringMapValue(m map[string]string, prior types.Map) types.Map {
	if len(m) == 0 && (prior.IsNull() || prior.IsUnknown()) {
		return types.MapNull(types.StringType)
	}
	elements := make(map[string]string, len(m))
	for k, v := range m {
		elements[k] = v
	}
	value, _ := types.MapValueFrom(context.Background(), types.StringType, elements)
	return value
}

// stringValueKeepNull converts a stored string back to Terraform. An empty
// string stays null when the prior value was null (unset optional attribute).
func stringValueKeepNull(s string, prior types.String) types.String {
	if s == "" && (prior.IsNull() || prior.IsUnknown()) {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// sentence turns an engine error text into a diagnostic sentence: a capital
// first letter and a final full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	first, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(first)) + s[size:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
