package domain

import "testing"

// TestReleaseIDPatternAgreesWithParseReleaseID: the pattern the provider
// validates release ids with at plan time accepts exactly the ids the
// engine can parse.
func TestReleaseIDPatternAgreesWithParseReleaseID(t *testing.T) {
	for _, id := range []string{"api@2", "api-v2@1.4.2_rc.1", "api", "api@", "@2", "api@2@3", "api/prod@2", "api@2 "} {
		_, _, err := ParseReleaseID(id)
		if matched, parsed := ReleaseIDPattern().MatchString(id), err == nil; matched != parsed {
			t.Errorf("%q: pattern matches %v, ParseReleaseID accepts %v (%v)", id, matched, parsed, err)
		}
	}
}

func TestVersionOf(t *testing.T) {
	for id, want := range map[string]string{"api@1.4.2": "1.4.2", "": "", "not-a-release": ""} {
		if got := VersionOf(id); got != want {
			t.Errorf("versionOf(%q) = %q, want %q", id, got, want)
		}
	}
}
