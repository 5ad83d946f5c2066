package engine

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// hookLogAdapter routes retryablehttp's log lines to the engine Logger.
// retryablehttp logs URLs and errors (which quote URLs); every value is
// passed through redact, and nothing that looks like a header is kept.
type hookLogAdapter struct {
	ctx    context.Context
	logger Logger
	event  string
	redact func(string) string
}

var _ retryablehttp.LeveledLogger = hookLogAdapter{}

// Error maps to Warn: the engine Logger has no error level, and a failed
// attempt that will be retried is not yet an error.
func (a hookLogAdapter) Error(msg string, kv ...any) {
	a.logger.Warn(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) Warn(msg string, kv ...any) {
	a.logger.Warn(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) Info(msg string, kv ...any) {
	a.logger.Info(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) Debug(msg string, kv ...any) {
	a.logger.Debug(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) fields(kv []any) map[string]any {
	fields := map[string]any{"hook_event": a.event}
	for i := 0; i+1 < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		if strings.Contains(strings.ToLower(key), "header") {
			continue
		}
		switch value := kv[i+1].(type) {
		case int, int64, bool:
			fields[key] = value
		case time.Duration:
			fields[key] = value.String()
		default:
			fields[key] = a.redact(fmt.Sprint(value))
		}
	}
	return fields
}

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
