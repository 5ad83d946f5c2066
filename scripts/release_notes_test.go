// Package scripts holds the tests of the shell scripts beside them (go test
// runs them from this directory).
package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// releaseNotes runs release-notes.sh for version on the changelog at path,
// as `make release` does.
func releaseNotes(t *testing.T, changelog, version string) (notes, errText string, code int) {
	t.Helper()
	cmd := exec.Command("bash", "release-notes.sh", version)
	cmd.Env = append(os.Environ(), "CHANGELOG="+changelog)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestReleaseNotesAreTheVersionsChangelogSection(t *testing.T) {
	changelog := filepath.Join(t.TempDir(), "CHANGELOG.md")
	if err := os.WriteFile(changelog, []byte(`## 0.3.0 (Unreleased)

FEATURES:

* in progress

## 0.2.0 (March 1, 2027)

BUG FIXES:

* resource/ocuroot_deployment: fixed

## 0.1.0 (January 2, 2027)

FEATURES:

* **New Resource:** `+"`ocuroot_environment`"+`

`), 0o644); err != nil {
		t.Fatal(err)
	}

	notes, errText, code := releaseNotes(t, changelog, "0.2.0")
	if code != 0 || notes != "BUG FIXES:\n\n* resource/ocuroot_deployment: fixed\n" {
		t.Errorf("0.2.0: exit %d, notes %q, stderr %q", code, notes, errText)
	}
	notes, _, code = releaseNotes(t, changelog, "0.1.0")
	if code != 0 || notes != "FEATURES:\n\n* **New Resource:** `ocuroot_environment`\n" {
		t.Errorf("0.1.0 (the last section): exit %d, notes %q", code, notes)
	}

	for version, want := range map[string]string{
		"0.3.0": `still heads 0.3.0 "(Unreleased)"; put the release date there`,
		"0.4.0": `has no "## 0.4.0" section; add one before releasing 0.4.0`,
		"0.1":   `has no "## 0.1" section`, // a prefix of 0.1.0 is not 0.1.0
	} {
		notes, errText, code := releaseNotes(t, changelog, version)
		if code != 1 || notes != "" || !strings.Contains(errText, want) {
			t.Errorf("%s: exit %d, notes %q, stderr %q; want exit 1 and %q", version, code, notes, errText, want)
		}
	}
}

// TestChangelogStartsWithAReleaseSection: the newest section is what the
// next release publishes, in the form the Terraform providers use.
func TestChangelogStartsWithAReleaseSection(t *testing.T) {
	data, err := os.ReadFile("../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if !regexp.MustCompile(`^## \d+\.\d+\.\d+ \((Unreleased|[A-Z][a-z]+ \d{1,2}, \d{4})\)$`).MatchString(first) {
		t.Errorf("CHANGELOG.md starts with %q, want \"## X.Y.Z (Unreleased)\" or \"## X.Y.Z (Month D, YYYY)\"", first)
	}
	for _, section := range []string{"\nFEATURES:\n", "\nENHANCEMENTS:\n"} {
		if !strings.Contains(string(data), section) {
			t.Errorf("CHANGELOG.md has no %q section", strings.TrimSpace(section))
		}
	}
}
