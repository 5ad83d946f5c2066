package engine

import (
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

func TestValidateEndpointURL(t *testing.T) {
	const credentials = "url must not contain credentials (user:password@): they would be stored and shown in clear. " +
		`Remove them from the url and send them with the block's headers instead, such as headers = { Authorization = "Basic ..." }`
	const notAbsolute = "url must be an absolute http:// or https:// URL with a host, such as https://service.example.com/health"
	const hookNotAbsolute = "url must be an absolute http:// or https:// URL with a host, such as https://deploy.example.com/hooks"
	tests := []struct {
		name    string
		url     string
		kind    domain.URLKind
		wantErr string // "" = valid
	}{
		{name: "https hook", url: "https://deploy.example.com/hooks?team=a", kind: domain.HookURL},
		{name: "http check with port", url: "http://127.0.0.1:8080/health", kind: domain.CheckURL},
		{name: "every placeholder", url: "https://{environment}.example.com/{package}/{slot}/{version}?r={release}", kind: domain.CheckURL},
		{name: "empty", url: "  ", kind: domain.CheckURL, wantErr: "url is empty"},
		{name: "relative", url: "/health", kind: domain.CheckURL, wantErr: notAbsolute},
		{name: "no host", url: "http:///health", kind: domain.CheckURL, wantErr: notAbsolute},
		{name: "port without host", url: "http://:80/health", kind: domain.CheckURL, wantErr: notAbsolute},
		{name: "other scheme", url: "ftp://files.example.com/x", kind: domain.HookURL, wantErr: hookNotAbsolute},
		{name: "no scheme", url: "service.example.com/health", kind: domain.CheckURL, wantErr: notAbsolute},
		{name: "unparsable", url: "http://[::1/health", kind: domain.CheckURL, wantErr: "url is not a valid URL"},
		{name: "user and password", url: "https://admin:hunter2@example.com/health", kind: domain.CheckURL, wantErr: credentials},
		{name: "user only", url: "https://token@example.com/hooks", kind: domain.HookURL, wantErr: credentials},
		{name: "credentials with a placeholder host", url: "https://u:p@{environment}.example.com/", kind: domain.CheckURL, wantErr: credentials},
		{name: "unknown placeholder", url: "https://example.com/{env}/health", kind: domain.CheckURL,
			wantErr: "url contains the unknown placeholder {env}: the allowed placeholders are {package}, {environment}, {version}, {release} and {slot}"},
		{name: "placeholder in a hook url", url: "https://example.com/{environment}/hooks", kind: domain.HookURL,
			wantErr: "url contains the placeholder {environment}, but hook urls are called as written: every event already names its package, environment and release in the body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateEndpointURL(tt.url, tt.kind)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateEndpointURL(%q) = %v, want valid", tt.url, err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("ValidateEndpointURL(%q) = %v, want %q", tt.url, err, tt.wantErr)
			}
		})
	}
}

// TestSpecValidateRejectsURLCredentials: every URL of a spec is checked
// before anything runs, each error names its block, and the credential
// itself never appears in the message.
func TestSpecValidateRejectsURLCredentials(t *testing.T) {
	const secretURL = "https://ops:hunter2@metrics.example.com/q"
	spec := testSpec(domain.StrategyBlueGreen)
	spec.Hook = &domain.HookConfig{URL: "https://ops:hunter2@hooks.example.com/", Retry: domain.DefaultRetry}
	spec.HealthCheck = &domain.HealthCheck{URL: "https://ops:hunter2@app.example.com/{slot}"}
	spec.Checks = []domain.MetricCheck{{Name: "error_rate", URL: secretURL, Path: "x"}}
	spec.BlueGreen.PrePromotionCheck = []domain.MetricCheck{{Name: "warm", URL: secretURL, Path: "x"}}
	spec.BlueGreen.PostPromotionCheck = []domain.MetricCheck{{Name: "p99", URL: "https://example.com/{env}", Path: "x"}}

	err := spec.Validate()
	if err == nil {
		t.Fatal("Validate accepted URLs with credentials")
	}
	for _, want := range []string{
		"hook url must not contain credentials",
		"health_check url must not contain credentials",
		`check "error_rate" url must not contain credentials`,
		`blue_green pre_promotion_check "warm" url must not contain credentials`,
		`blue_green post_promotion_check "p99" url contains the unknown placeholder {env}`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "ops:") {
		t.Errorf("error quotes the credential:\n%v", err)
	}
}

func TestExpandPlaceholders(t *testing.T) {
	vars := domain.Placeholders{Package: "web", Environment: "prod-eu", Version: "1.2.0", Release: "web@1.2.0", Slot: domain.SlotCanary}
	tests := []struct {
		name string
		url  string
		vars domain.Placeholders
		want string
	}{
		{name: "no placeholders", url: "http://h/health", vars: vars, want: "http://h/health"},
		{name: "every placeholder", url: "http://h/{package}/{environment}/{version}/{release}/{slot}", vars: vars,
			want: "http://h/web/prod-eu/1.2.0/web@1.2.0/canary"},
		{name: "repeated placeholder", url: "http://{slot}.h/{slot}", vars: vars, want: "http://canary.h/canary"},
		{name: "values are path-escaped", url: "http://h/{version}/{environment}",
			vars: domain.Placeholders{Version: "1.0 beta/2", Environment: "a?b#c"}, want: "http://h/1.0%20beta%2F2/a%3Fb%23c"},
		{name: "empty value", url: "http://h/{slot}/health", vars: domain.Placeholders{}, want: "http://h//health"},
		{name: "unknown placeholder kept", url: "http://h/{region}", vars: vars, want: "http://h/{region}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ExpandPlaceholders(tt.url, tt.vars); got != tt.want {
				t.Errorf("ExpandPlaceholders(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}
