package domain

import (
	"strings"
	"testing"
)

func TestExpandQueryPlaceholders(t *testing.T) {
	vars := Placeholders{Package: "api", Environment: "prod", Version: "1.2", Release: "api@1.2", Slot: "canary"}
	tests := []struct {
		name, query, want string
	}{
		{"label values", `sum(rate(http_requests_total{app="{package}",env="{environment}",slot="{slot}"}[1m]))`,
			`sum(rate(http_requests_total{app="api",env="prod",slot="canary"}[1m]))`},
		{"a regex matcher quotes the value for the regex", `up{version=~"{version}"}`, `up{version=~"1\\.2"}`},
		{"a negated regex matcher too, spaces before the string", `up{version!~ "{version}|0"}`, `up{version!~ "1\\.2|0"}`},
		{"an equality matcher does not", `up{version="{version}", release='{release}'}`, `up{version="1.2", release='api@1.2'}`},
		{"a raw string takes the value as it is", "up{version=~`{version}`}", "up{version=~`1.2`}"},
		{"outside strings, as it is", `{package}_requests_total{slot="{slot}"}`, `api_requests_total{slot="canary"}`},
		{"an escaped quote does not end the string", `up{a="x\"{slot}", b=~"{version}"}`, `up{a="x\"canary", b=~"1\\.2"}`},
		{"a regex string after an equality string", `up{a="{version}", b=~"{version}"}`, `up{a="1.2", b=~"1\\.2"}`},
		{"no placeholders", `vector(1)`, `vector(1)`},
		{"braces that are not placeholders", `up{job="x"}`, `up{job="x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpandQueryPlaceholders(tt.query, vars); got != tt.want {
				t.Errorf("ExpandQueryPlaceholders(%s)\n got %s\nwant %s", tt.query, got, tt.want)
			}
		})
	}
}

// TestExpandQueryPlaceholders_valuesCannotEscapeTheirString: names never
// hold a quote or a backslash, but the escaping does not rely on it.
func TestExpandQueryPlaceholders_valuesCannotEscapeTheirString(t *testing.T) {
	vars := Placeholders{Slot: `x"} or vector(1) #\`, Version: `a'b`}
	got := ExpandQueryPlaceholders(`up{slot="{slot}", version='{version}'}`, vars)
	want := `up{slot="x\"} or vector(1) #\\", version='a\'b'}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestValidateQueryPlaceholders(t *testing.T) {
	if err := ValidateQueryPlaceholders(`up{slot="{slot}",version="{version}"} and {package}_up`); err != nil {
		t.Errorf("known placeholders refused: %v", err)
	}
	err := ValidateQueryPlaceholders(`up{env="{env}"}`)
	if err == nil || !strings.Contains(err.Error(), "unknown placeholder {env}") || !strings.Contains(err.Error(), "{environment}") {
		t.Errorf("err = %v, want the unknown {env} named with the allowed placeholders", err)
	}
}
