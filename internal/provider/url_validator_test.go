package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestEndpointURLValidator(t *testing.T) {
	t.Parallel()
	at := path.Root("check").AtListIndex(1).AtName("url")
	tests := []struct {
		name       string
		validator  validator.String
		value      types.String
		wantDetail string // "" = no diagnostic
	}{
		{name: "check url with placeholders", validator: checkURLValidator(), value: types.StringValue("https://{environment}.example.com/{slot}")},
		{name: "null", validator: checkURLValidator(), value: types.StringNull()},
		{name: "unknown is left to apply", validator: hookURLValidator(), value: types.StringUnknown()},
		{name: "credentials", validator: checkURLValidator(), value: types.StringValue("https://ops:hunter2@example.com/"),
			wantDetail: "The url must not contain credentials (user:password@)"},
		{name: "placeholder in a hook url", validator: hookURLValidator(), value: types.StringValue("https://example.com/{slot}"),
			wantDetail: "The url contains the placeholder {slot}, but hook urls are called as written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &validator.StringResponse{}
			tt.validator.ValidateString(context.Background(), validator.StringRequest{Path: at, ConfigValue: tt.value}, resp)
			if tt.wantDetail == "" {
				if resp.Diagnostics.HasError() {
					t.Errorf("unexpected diagnostics: %v", resp.Diagnostics)
				}
				return
			}
			if len(resp.Diagnostics) != 1 {
				t.Fatalf("diagnostics = %v, want one", resp.Diagnostics)
			}
			d := resp.Diagnostics[0]
			withPath, ok := d.(interface{ Path() path.Path })
			if !ok || !withPath.Path().Equal(at) {
				t.Errorf("diagnostic is not on %s: %#v", at, d)
			}
			if d.Summary() != "Invalid URL" || !strings.HasPrefix(d.Detail(), tt.wantDetail) {
				t.Errorf("diagnostic = %q: %q, want Invalid URL: %q…", d.Summary(), d.Detail(), tt.wantDetail)
			}
			if strings.Contains(d.Detail(), "hunter2") {
				t.Errorf("the detail quotes the credential: %s", d.Detail())
			}
		})
	}
}

// TestDeploymentURLAttributesAreValidated: every URL attribute of the
// deployment carries the validator of its kind, so each is checked at plan
// time on its own attribute path.
func TestDeploymentURLAttributesAreValidated(t *testing.T) {
	t.Parallel()
	s := deploymentSchema(context.Background())
	blueGreen := s.Blocks["blue_green"].(schema.SingleNestedBlock)
	urls := map[string]struct {
		attr schema.Attribute
		want validator.String
	}{
		"hook.url":                           {s.Blocks["hook"].(schema.SingleNestedBlock).Attributes["url"], hookURLValidator()},
		"health_check.url":                   {s.Blocks["health_check"].(schema.SingleNestedBlock).Attributes["url"], checkURLValidator()},
		"check[*].url":                       {s.Blocks["check"].(schema.ListNestedBlock).NestedObject.Attributes["url"], checkURLValidator()},
		"blue_green.pre_promotion_check[*]":  {blueGreen.Blocks["pre_promotion_check"].(schema.ListNestedBlock).NestedObject.Attributes["url"], checkURLValidator()},
		"blue_green.post_promotion_check[*]": {blueGreen.Blocks["post_promotion_check"].(schema.ListNestedBlock).NestedObject.Attributes["url"], checkURLValidator()},
	}
	for name, u := range urls {
		attr, ok := u.attr.(schema.StringAttribute)
		if !ok {
			t.Errorf("%s is not a string attribute", name)
			continue
		}
		found := false
		for _, v := range attr.Validators {
			found = found || v == u.want
		}
		if !found {
			t.Errorf("%s has validators %v, want %v", name, attr.Validators, u.want)
		}
	}
	if headers, ok := s.Blocks["health_check"].(schema.SingleNestedBlock).Attributes["headers"].(schema.MapAttribute); !ok || !headers.Sensitive {
		t.Error("health_check headers are missing or not sensitive")
	}
	if headers, ok := metricCheckAttributes()["headers"].(schema.MapAttribute); !ok || !headers.Sensitive {
		t.Error("check headers are missing or not sensitive")
	}
}
