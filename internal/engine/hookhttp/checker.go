package hookhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// DefaultMetricTimeout bounds one metric request; MetricCheck has no timeout
// of its own.
const DefaultMetricTimeout = 5 * time.Second

// checkBodyLimit bounds how much of a metrics response is parsed.
const checkBodyLimit = 1 << 20

// Checker runs health and metric checks over HTTP. It never retries:
// one probe is one request, and the caller's failure threshold decides how
// many failed probes matter. It is safe for concurrent use.
type Checker struct {
	client *http.Client
}

var _ domain.Checker = (*Checker)(nil)

// NewChecker builds a checker on its own copy of the default transport.
func NewChecker() *Checker {
	// No client timeout: each probe sets its own through the context.
	return &Checker{client: &http.Client{Transport: clonedDefaultTransport(), CheckRedirect: neverFollowRedirects}}
}

// Health GETs the expanded URL; healthy when the status is expected. hc is
// complete: its timeout and expected statuses come from the spec's defaults.
func (c *Checker) Health(ctx context.Context, hc domain.HealthCheck, vars domain.Placeholders) domain.CheckResult {
	result := domain.CheckResult{Name: "health"}
	expected := hc.ExpectedStatus
	target := domain.ExpandPlaceholders(hc.URL, vars)
	answer, err := c.get(ctx, probe{url: target, headers: hc.Headers, timeout: hc.Timeout,
		bodyLimit: bodyExcerptReadLimit, quoteUnless: expected})
	if err != nil {
		result.Detail = err.Error()
		return result
	}
	result.OK = slices.Contains(expected, answer.status)
	switch {
	case result.OK:
		// A 3xx listed in expected_status is a healthy answer like any other.
		result.Detail = fmt.Sprintf("GET %s: status %d", stripURLSecrets(target), answer.status)
	case isRedirect(answer.status):
		result.Detail = answer.redirectDetail(target)
	default:
		result.Detail = fmt.Sprintf("GET %s: status %d, expected %s%s", stripURLSecrets(target), answer.status, describeStatuses(expected),
			bodyExcerptSuffix(answer.body, newHookRedactor("", hc.Headers)))
	}
	return result
}

// Metric GETs the expanded URL, reads the number at mc.Path and checks it
// against [mc.Min, mc.Max].
func (c *Checker) Metric(ctx context.Context, mc domain.MetricCheck, vars domain.Placeholders) domain.CheckResult {
	result := domain.CheckResult{Name: mc.Name}
	target := domain.ExpandPlaceholders(mc.URL, vars)
	answer, err := c.get(ctx, probe{url: target, headers: mc.Headers, timeout: DefaultMetricTimeout, bodyLimit: checkBodyLimit})
	if err != nil {
		result.Detail = err.Error()
		return result
	}
	switch {
	case isRedirect(answer.status):
		result.Detail = answer.redirectDetail(target)
		return result
	case answer.status < 200 || answer.status >= 300:
		result.Detail = fmt.Sprintf("GET %s: status %d, expected 2xx%s", stripURLSecrets(target), answer.status,
			bodyExcerptSuffix(answer.body, newHookRedactor("", mc.Headers)))
		return result
	}
	value, err := readMetricValue(answer.body, mc.Path)
	if err != nil {
		result.Detail = err.Error()
		return result
	}
	result.Value = &value
	label := mc.Name
	if label == "" {
		label = mc.Path
	}
	ok, why := domain.EvaluateBounds(value, mc.Min, mc.Max)
	result.OK = ok
	result.Detail = fmt.Sprintf("%s = %s, %s", label, domain.FormatMetric(value), why)
	return result
}

// readMetricValue reads the number at path from a JSON document. path uses
// gjson syntax (https://github.com/tidwall/gjson/blob/master/SYNTAX.md):
// "data.error_rate", "results.0.value", "metrics.#(name==\"p99\").value".
// JSON numbers and numeric strings ("0.42") are accepted, since many
// metrics APIs (Prometheus among them) return values as strings.
func readMetricValue(body []byte, path string) (float64, error) {
	if !gjson.ValidBytes(body) {
		return 0, errors.New("response is not valid JSON")
	}
	found := gjson.GetBytes(body, path)
	if !found.Exists() {
		return 0, fmt.Errorf("path %q not found in response", path)
	}
	switch found.Type {
	case gjson.Number:
		return found.Num, nil
	case gjson.String:
		v, err := strconv.ParseFloat(strings.TrimSpace(found.Str), 64)
		if err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("value at %q is not a number: %s", path, truncateText(found.Raw, 64))
}

// probe is one request of a check.
type probe struct {
	url     string            // expanded: no placeholders left
	headers map[string]string // configured headers; values are secrets
	timeout time.Duration
	// bodyLimit is how much of the body to read; 0 reads none.
	bodyLimit int64
	// quoteUnless makes the body a mere quote for a failure (a health
	// probe's): it is not read for these statuses, so a healthy answer is
	// never waited on, and a failed read leaves the quote out rather than
	// failing the probe.
	quoteUnless []int
}

// probeAnswer is what a probe got back.
type probeAnswer struct {
	status   int
	location string // where a 3xx pointed, without credentials or query
	body     []byte // up to the probe's bodyLimit
}

// redirectDetail describes a 3xx answer that was not followed.
func (a probeAnswer) redirectDetail(target string) string {
	return fmt.Sprintf("GET %s: answered %s %s; checks never follow redirects: point the url at the final address",
		stripURLSecrets(target), describeStatus(a.status), describeLocation(a.location))
}

// get performs one probe. Its error already reads as a check detail:
// "GET <url>: timed out after 2s". The URL shown has no credentials or
// query, and no configured header value appears in it.
func (c *Checker) get(ctx context.Context, p probe) (probeAnswer, error) {
	shown := stripURLSecrets(p.url)
	probeCtx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(probeCtx, http.MethodGet, p.url, nil)
	if err != nil {
		// The parse error would quote the whole URL, credentials included.
		return probeAnswer{}, fmt.Errorf("GET %s: invalid URL", shown)
	}
	if req.URL.User != nil {
		// Go would send them as basic auth; they belong in headers.
		return probeAnswer{}, fmt.Errorf("GET %s: the url contains credentials (user:password@); send them with headers instead", shown)
	}
	req.Header.Set("User-Agent", hookUserAgent)
	for name, value := range p.headers {
		req.Header.Set(name, value)
	}
	redactor := newHookRedactor("", p.headers)
	describe := func(err error) error {
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("GET %s: cancelled: %v", shown, ctx.Err())
		case errors.Is(probeCtx.Err(), context.DeadlineExceeded) || isTimeoutError(err):
			return fmt.Errorf("GET %s: timed out after %s", shown, p.timeout)
		default:
			return fmt.Errorf("GET %s: %s", shown, redactor.redact(transportErrorText(err)))
		}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return probeAnswer{}, describe(err)
	}
	defer closeResponse(resp)
	answer := probeAnswer{status: resp.StatusCode}
	if isRedirect(resp.StatusCode) {
		answer.location = redactor.redact(redirectLocation(resp))
		return answer, nil
	}
	quoteOnly := p.quoteUnless != nil
	if p.bodyLimit > 0 && !(quoteOnly && slices.Contains(p.quoteUnless, resp.StatusCode)) {
		answer.body, err = io.ReadAll(io.LimitReader(resp.Body, p.bodyLimit))
		if err != nil && !quoteOnly {
			return probeAnswer{}, describe(err)
		}
	}
	return answer, nil
}

// describeStatuses prints [200] as "200" and [200 204] as "one of 200, 204".
func describeStatuses(codes []int) string {
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = strconv.Itoa(code)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "one of " + strings.Join(parts, ", ")
}

func truncateText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
