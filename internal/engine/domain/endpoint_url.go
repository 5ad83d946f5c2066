package domain

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// URLPlaceholders are the placeholders a health or metric check URL may
// contain; ExpandPlaceholders substitutes them before every probe.
var URLPlaceholders = []string{"{package}", "{environment}", "{version}", "{release}", "{slot}"}

// placeholderInURL finds anything shaped like a placeholder, known or not,
// so a typo such as {env} is caught instead of being sent literally.
var placeholderInURL = regexp.MustCompile(`\{[A-Za-z0-9_.-]*\}`)

// URLKind says which rules apply to a URL.
type URLKind int

const (
	// HookURL is called as written: events carry package, environment
	// and release in their body, so the URL takes no placeholders.
	HookURL URLKind = iota
	// CheckURL is a health or metric check URL; it may use URLPlaceholders.
	CheckURL
	// ServerURL is the address of a server the engine queries (Prometheus):
	// a base URL, called as written.
	ServerURL
)

// ValidateEndpointURL checks a URL the engine will call: absolute http or
// https with a host, no credentials (they would be stored and printed in
// clear: headers carry them instead), and only known placeholders. The
// error starts with "url" so callers can name the attribute before it, and
// never quotes the URL, which may hold a credential.
func ValidateEndpointURL(raw string, kind URLKind) error {
	if strings.TrimSpace(raw) == "" {
		return errors.New("url is empty")
	}
	if err := checkPlaceholders(raw, kind); err != nil {
		return err
	}
	// Placeholders may stand for a host name ({environment}.example.com),
	// where braces do not parse: check a sample expansion instead.
	u, err := url.Parse(placeholderInURL.ReplaceAllString(raw, "x"))
	switch {
	case err != nil:
		return errors.New("url is not a valid URL")
	case (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		example := "https://service.example.com/health"
		switch kind {
		case HookURL:
			example = "https://deploy.example.com/hooks"
		case ServerURL:
			example = "http://prometheus.example.com:9090"
		}
		return errors.New("url must be an absolute http:// or https:// URL with a host, such as " + example)
	case u.User != nil:
		return errors.New("url must not contain credentials (user:password@): they would be stored and shown in clear. " +
			`Remove them from the url and send them with the block's headers instead, such as headers = { Authorization = "Basic ..." }`)
	}
	return nil
}

func checkPlaceholders(raw string, kind URLKind) error {
	for _, found := range placeholderInURL.FindAllString(raw, -1) {
		switch kind {
		case HookURL:
			return fmt.Errorf("url contains the placeholder %s, but hook urls are called as written: "+
				"every event already names its package, environment and release in the body", found)
		case ServerURL:
			return fmt.Errorf("url contains the placeholder %s, but a server address is used as written: "+
				"put placeholders in the query instead", found)
		}
		if !slices.Contains(URLPlaceholders, found) {
			return fmt.Errorf("url contains the unknown placeholder %s: the allowed placeholders are %s",
				found, describePlaceholders())
		}
	}
	return nil
}

// describePlaceholders lists URLPlaceholders as "{a}, {b} and {c}".
func describePlaceholders() string {
	last := len(URLPlaceholders) - 1
	return strings.Join(URLPlaceholders[:last], ", ") + " and " + URLPlaceholders[last]
}

// validateSpecURLs applies ValidateEndpointURL to every URL of a spec, each
// error naming the block it belongs to.
func validateSpecURLs(s DeploymentSpec) []error {
	var errs []error
	check := func(block, raw string, kind URLKind) {
		if err := ValidateEndpointURL(raw, kind); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", block, err))
		}
	}
	if s.Hook != nil {
		check("hook", s.Hook.URL, HookURL)
	}
	if s.HealthCheck != nil {
		check("health_check", s.HealthCheck.URL, CheckURL)
	}
	for _, list := range s.MetricCheckLists() {
		for _, mc := range *list.Checks {
			block := fmt.Sprintf("%s %q", list.Block, mc.Name)
			switch {
			case !mc.IsPromQL():
				check(block, mc.URL, CheckURL)
			case mc.Prometheus != "":
				check(block+" prometheus", mc.Prometheus, ServerURL)
			}
		}
	}
	return errs
}

// ExpandPlaceholders substitutes {package}, {environment}, {version},
// {release} and {slot} in a check URL, path-escaping each value.
func ExpandPlaceholders(rawURL string, vars Placeholders) string {
	return strings.NewReplacer(
		"{package}", url.PathEscape(vars.Package),
		"{environment}", url.PathEscape(vars.Environment),
		"{version}", url.PathEscape(vars.Version),
		"{release}", url.PathEscape(vars.Release),
		"{slot}", url.PathEscape(vars.Slot),
	).Replace(rawURL)
}
