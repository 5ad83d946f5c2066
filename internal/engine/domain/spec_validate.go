package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Rules a deployment's settings must follow, shared by the provider's
// plan-time validators so that what is refused at plan time is decided in
// one place, next to the engine that would misbehave otherwise.

// MinPollInterval is the shortest check interval, probe timeout or hook
// timeout: anything shorter floods the endpoint (1ns would be a probe per
// scheduler tick) or can never answer in time.
const MinPollInterval = 100 * time.Millisecond

// DurationRule is the range a duration setting must lie in.
type DurationRule struct {
	// Min is the shortest value accepted.
	Min time.Duration
	// Exclusive refuses Min itself: a bake, deadline or timeout of 0 is
	// no bake, deadline or timeout at all.
	Exclusive bool
}

var (
	// RulePositive is for bakes, deadlines and timeouts of operations.
	RulePositive = DurationRule{Min: 0, Exclusive: true}
	// RuleNonNegative is for delays and retry waits, where 0 means none.
	RuleNonNegative = DurationRule{Min: 0}
	// RulePollInterval is for check intervals and per-request timeouts.
	RulePollInterval = DurationRule{Min: MinPollInterval}
)

// Describe states the rule as the end of a sentence: "greater than 0",
// "0 or more", "at least 100ms".
func (r DurationRule) Describe() string {
	switch {
	case r.Exclusive && r.Min == 0:
		return "greater than 0"
	case r.Exclusive:
		return "longer than " + FormatDuration(r.Min)
	case r.Min == 0:
		return "0 or more"
	}
	return "at least " + FormatDuration(r.Min)
}

// Allows reports whether d follows the rule.
func (r DurationRule) Allows(d time.Duration) bool {
	if r.Exclusive {
		return d > r.Min
	}
	return d >= r.Min
}

// Lowest and highest HTTP status codes a health check may expect.
const (
	MinStatusCode = 100
	MaxStatusCode = 599
)

// ValidateStatusCode checks an expected status code of a health check.
func ValidateStatusCode(code int64) error {
	if code < MinStatusCode || code > MaxStatusCode {
		return fmt.Errorf("%d is not an HTTP status code: status codes lie between %d and %d", code, MinStatusCode, MaxStatusCode)
	}
	return nil
}

// ValidateHeader checks one HTTP header a hook or a check sends. The name
// must be an HTTP token; the value must not contain CR or LF, which would
// end the header early and smuggle the rest in as another header. The error
// names the header but never quotes its value: values carry credentials.
func ValidateHeader(name, value string) error {
	if name == "" {
		return fmt.Errorf("a header name must not be empty")
	}
	for _, c := range name {
		if !isTokenChar(c) {
			return fmt.Errorf("header name %q contains %q, which HTTP does not allow in a header name: use letters, digits and !#$%%&'*+-.^_`|~ only", name, c)
		}
	}
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("the value of header %q contains a line break (CR or LF), which would end the header early; remove it (a trailing newline from file() can be dropped with chomp())", name)
	}
	return nil
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 5.6.2).
func isTokenChar(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", c)
}

// Validate checks a deployment spec for mistakes that plan-time validation
// in the provider should already have caught. It is the engine's one check
// of a spec, run after WithDefaults by Resolve.
func (s DeploymentSpec) Validate() error {
	var errs []error
	if err := ValidateName("package", s.Package); err != nil {
		errs = append(errs, err)
	}
	if err := ValidateName("environment", s.Environment); err != nil {
		errs = append(errs, err)
	}
	switch s.Strategy {
	case StrategyDirect, StrategyCanary, StrategyBlueGreen, "":
	default:
		errs = append(errs, fmt.Errorf("strategy %q is not one of %v", s.Strategy, Strategies))
	}
	errs = append(errs, validateCanarySteps(s)...)
	errs = append(errs, validateSpecFields(s)...)
	if s.Hook != nil {
		if err := ValidateRetry(s.Hook.Retry); err != nil {
			errs = append(errs, err)
		}
	}
	// The provider checks URLs at plan time; this catches any other caller
	// before a credential in a URL could reach the store.
	errs = append(errs, validateSpecURLs(s)...)
	errs = append(errs, validatePromQLChecks(s)...)
	return errors.Join(errs...)
}

// ValidateRetry checks a hook's retry settings.
func ValidateRetry(r RetryConfig) error {
	var problems []string
	if r.Attempts < 1 {
		problems = append(problems, fmt.Sprintf("attempts must be at least 1, got %d", r.Attempts))
	}
	if r.MinWait < 0 {
		problems = append(problems, fmt.Sprintf("min_wait must not be negative, got %s", r.MinWait))
	}
	if !RetryWaitsInOrder(r.MinWait, r.MaxWait) {
		problems = append(problems, fmt.Sprintf("max_wait (%s) must be at least min_wait (%s)", r.MaxWait, r.MinWait))
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid hook retry settings: %s", strings.Join(problems, "; "))
	}
	return nil
}

// RetryWaitsInOrder is the rule of a retry's waits: the longest wait
// between attempts is at least the shortest.
func RetryWaitsInOrder(minWait, maxWait time.Duration) bool {
	return maxWait >= minWait
}
