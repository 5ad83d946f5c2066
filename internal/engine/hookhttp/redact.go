package hookhttp

import (
	"net/url"
	"regexp"
	"strings"
)

// hookRedactor removes secrets from text that leaves the sender (errors,
// logs, quoted response bodies): the secret, configured header values, and
// credentials and query strings of any URL.
type hookRedactor struct {
	secrets []string
}

// minRedactedLength skips header values too short to be credentials, so a
// header like "X-Env: 1" does not blank every "1" in an error message.
const minRedactedLength = 4

func newHookRedactor(secret string, headers map[string]string) hookRedactor {
	var r hookRedactor
	if secret != "" {
		r.secrets = append(r.secrets, secret)
	}
	for _, value := range headers {
		if len(value) >= minRedactedLength {
			r.secrets = append(r.secrets, value)
		}
	}
	return r
}

var urlInText = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^\s"'<>]+`)

func (r hookRedactor) redact(text string) string {
	for _, secret := range r.secrets {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return urlInText.ReplaceAllStringFunc(text, stripURLSecrets)
}

// stripURLSecrets keeps scheme, host and path: userinfo, query and fragment
// are where tokens hide.
func stripURLSecrets(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable URL]"
	}
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}
