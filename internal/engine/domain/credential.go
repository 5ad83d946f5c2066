package domain

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Credential is a named set of secrets from the provider configuration,
// which every run evaluates and nothing stores: headers for the probes or
// hook calls that name it, and a secret to sign hook calls with.
type Credential struct {
	Headers    map[string]string
	HookSecret string
}

// MissingCredentialError refuses to send a hook or a probe for a deployment
// whose configuration asks for a secret or headers this run does not have.
// It is returned before anything was sent and before any traffic moved:
// signing with another secret, or probing without the headers and rolling
// back on the 401 that follows, would both be worse than stopping.
type MissingCredentialError struct {
	Deployment string
	// Block is where the credential is used: "hook", "health_check" or
	// `check "error_rate"` (with the block it sits in).
	Block string
	// Credential is the name of a provider credential that this run's
	// configuration does not define; empty when Own is the problem.
	Credential string
	// Own names what the deployment set itself ("secret", header names)
	// that only the run which applied its configuration had.
	Own []string
}

func (m *MissingCredentialError) Error() string {
	if m.Credential != "" {
		return fmt.Sprintf("%s of deployment %s uses credential %q, which this run's provider configuration does not define; nothing was sent and no traffic moved",
			m.Block, m.Deployment, m.Credential)
	}
	return fmt.Sprintf("%s of deployment %s was configured with its own %s, which this run does not have (their values are never stored); nothing was sent and no traffic moved",
		m.Block, m.Deployment, m.DescribeOwn("secret"))
}

// DescribeOwn names what Own lists: "secret and headers (X-Token)", with
// secretName standing for the secret, so the provider can name the
// attributes that set it.
func (m *MissingCredentialError) DescribeOwn(secretName string) string {
	var parts, headers []string
	for _, o := range m.Own {
		if o == OwnSecret {
			parts = append(parts, secretName)
		} else {
			headers = append(headers, o)
		}
	}
	if len(headers) > 0 {
		parts = append(parts, "headers ("+strings.Join(headers, ", ")+")")
	}
	return strings.Join(parts, " and ")
}

// OwnSecret stands for the hook's own secret in MissingCredentialError.Own,
// beside the names of its own headers.
const OwnSecret = "secret"

// MergeHeaders is a credential's headers overlaid with the block's own.
func MergeHeaders(named, own map[string]string) map[string]string {
	if len(named) == 0 && len(own) == 0 {
		return nil
	}
	out := maps.Clone(named)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, own)
	return out
}

// MissingNames lists the names in want that have lacks.
func MissingNames(want []string, have map[string]string) []string {
	var missing []string
	for _, name := range want {
		if _, ok := have[name]; !ok {
			missing = append(missing, name)
		}
	}
	return missing
}

// headerNames are the names of headers, sorted, for a stored spec.
func headerNames(headers map[string]string) []string {
	if len(headers) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(headers))
}
