// Names and ids: what a package, environment, phase or version name may be
// made of, and the release (PACKAGE@VERSION) and deployment
// (PACKAGE/ENVIRONMENT) ids built from them.

package domain

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// nameChars is what a name is made of; a release id is two names joined
// by "@".
const nameChars = `[a-zA-Z0-9_.-]+`

var (
	namePattern      = regexp.MustCompile(`^` + nameChars + `$`)
	releaseIDPattern = regexp.MustCompile(`^` + nameChars + `@` + nameChars + `$`)
)

// ValidateName checks an environment, package, phase or version name.
func ValidateName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s must not be empty", kind)
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%s %q must match %s (letters, digits, '_', '.', '-')", kind, name, namePattern.String())
	}
	return nil
}

// NamePattern is the regular expression every name must match.
func NamePattern() *regexp.Regexp { return namePattern }

// ReleaseIDPattern is the regular expression of a release id,
// PACKAGE@VERSION.
func ReleaseIDPattern() *regexp.Regexp { return releaseIDPattern }

// ReleaseID builds a release id.
func ReleaseID(pkg, version string) string { return pkg + "@" + version }

// OrNone prints an empty value, such as the live release of a new
// deployment, as "none" in messages and logs, engine and provider alike.
func OrNone(value string) string {
	if value == "" {
		return "none"
	}
	return value
}

// ParseReleaseID splits PACKAGE@VERSION.
func ParseReleaseID(id string) (pkg, version string, err error) {
	pkg, version, ok := strings.Cut(id, "@")
	if !ok || pkg == "" || version == "" {
		return "", "", fmt.Errorf("release id %q must have the form PACKAGE@VERSION", id)
	}
	if err := ValidateName("package", pkg); err != nil {
		return "", "", err
	}
	if err := ValidateName("version", version); err != nil {
		return "", "", err
	}
	return pkg, version, nil
}

// VersionOf is the version part of a release id, "" when there is no
// release. An id is PACKAGE@VERSION by construction, so it says the version
// without a store read, even for a release the store no longer has.
func VersionOf(releaseID string) string {
	if _, version, err := ParseReleaseID(releaseID); err == nil {
		return version
	}
	return ""
}

// DeploymentID is PACKAGE/ENVIRONMENT, the identity of a deployment.
func DeploymentID(pkg, env string) string { return pkg + "/" + env }

// ParseDeploymentID splits PACKAGE/ENVIRONMENT.
func ParseDeploymentID(id string) (pkg, env string, err error) {
	pkg, env, ok := strings.Cut(id, "/")
	if !ok || pkg == "" || env == "" {
		return "", "", fmt.Errorf("deployment id %q must have the form PACKAGE/ENVIRONMENT", id)
	}
	if err := ValidateName("package", pkg); err != nil {
		return "", "", err
	}
	if err := ValidateName("environment", env); err != nil {
		return "", "", err
	}
	return pkg, env, nil
}

// RandomID is a short random token: lease tokens, rollback rollout ids.
func RandomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
