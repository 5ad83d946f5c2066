package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// hookUserAgent identifies hook calls in the receiver's access logs.
const hookUserAgent = "terraform-provider-ocuroot"

// hookErrorBodyLimit bounds how much of a failed response is quoted in the
// error: enough for a JSON error message, not enough to flood a diagnostic.
const hookErrorBodyLimit = 512

// hookDrainLimit bounds how much of a response is read just to let the
// connection be reused.
const hookDrainLimit = 64 << 10

// HTTPHookSender delivers hook events as signed JSON POSTs, retrying
// transient failures with go-retryablehttp. It is safe for concurrent use:
// all per-call state lives in Send.
type HTTPHookSender struct {
	logger        Logger
	defaultSecret string            // provider-level secret, used when the hook sets none
	transport     http.RoundTripper // cloned once so every call shares its connection pool
	now           func() time.Time  // stamps X-Ocuroot-Timestamp; tests replace it
}

var _ HookSender = (*HTTPHookSender)(nil)

// NewHTTPHookSender builds a sender. defaultSecret signs hooks whose own
// secret is empty; a nil logger discards log lines.
func NewHTTPHookSender(logger Logger, defaultSecret string) *HTTPHookSender {
	if logger == nil {
		logger = nopLogger{}
	}
	return &HTTPHookSender{
		logger:        logger,
		defaultSecret: defaultSecret,
		transport:     clonedDefaultTransport(),
		now:           time.Now,
	}
}

// Send posts ev to cfg.URL:
//  1. resolve and validate the call (URL, key, retry, timeout, secret);
//  2. encode the event once (every attempt sends the same bytes);
//  3. let retryablehttp run the attempts, re-stamping timestamp, signature
//     and attempt number before each one;
//  4. classify the outcome: 2xx is delivered, anything else is a *HookError.
func (s *HTTPHookSender) Send(ctx context.Context, cfg HookConfig, idempotencyKey string, ev Event) (HookResult, error) {
	call, err := s.newHookCall(cfg, idempotencyKey, ev)
	if err != nil {
		return HookResult{}, fmt.Errorf("send hook %q: %w", ev.Type, err)
	}
	if err := ctx.Err(); err != nil {
		hookErr := call.failure()
		hookErr.Err = err
		return HookResult{}, hookErr
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, call.body)
	if err != nil {
		// The parse error would quote the URL, which may hold credentials.
		return HookResult{}, fmt.Errorf("send hook %q: build request for %s failed", ev.Type, call.safeURL)
	}
	// Configured headers go first so the protocol headers below win: a
	// receiver must be able to trust Idempotency-Key and the signature.
	req.Header.Set("User-Agent", hookUserAgent)
	for name, value := range cfg.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, idempotencyKey)
	req.Header.Set(HeaderEvent, ev.Type)

	resp, err := s.retryClient(ctx, call).Do(req)
	return s.outcome(ctx, call, resp, err)
}

// hookCall is one Send: what was resolved from the configuration, and the
// attempt counter the retry hooks advance.
type hookCall struct {
	event    string
	safeURL  string // for errors and logs: no userinfo, no query
	secret   string // hook secret, else the provider's; may be empty
	timeout  time.Duration
	retry    RetryConfig
	body     []byte
	redactor hookRedactor
	attempts int
}

func (s *HTTPHookSender) newHookCall(cfg HookConfig, idempotencyKey string, ev Event) (*hookCall, error) {
	call := &hookCall{event: ev.Type, safeURL: stripURLSecrets(cfg.URL), secret: cfg.Secret, timeout: cfg.Timeout, retry: cfg.Retry}
	if call.retry == (RetryConfig{}) {
		// An absent retry block means the defaults, not "never try".
		call.retry = DefaultRetry
	}
	if err := ValidateRetry(call.retry); err != nil {
		return nil, err
	}
	if err := validateHookURL(cfg.URL); err != nil {
		return nil, err
	}
	if idempotencyKey == "" {
		return nil, errors.New("idempotency key is empty")
	}
	if call.timeout <= 0 {
		call.timeout = DefaultHookTimeout
	}
	if call.secret == "" {
		call.secret = s.defaultSecret
	}
	call.redactor = newHookRedactor(call.secret, cfg.Headers)
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	call.body = body
	return call, nil
}

func (c *hookCall) failure() *HookError {
	return &HookError{Event: c.event, URL: c.safeURL, Attempts: c.attempts, RequestTimeout: c.timeout}
}

// retryClient configures retryablehttp for one call. A fresh http.Client
// carries this hook's timeout; the shared transport keeps connection reuse.
func (s *HTTPHookSender) retryClient(ctx context.Context, call *hookCall) *retryablehttp.Client {
	client := retryablehttp.NewClient()
	client.HTTPClient = &http.Client{Transport: s.transport, Timeout: call.timeout}
	client.Logger = hookLogAdapter{ctx: ctx, logger: s.logger, event: call.event, redact: call.redactor.redact}
	client.RetryMax = call.retry.Attempts - 1
	client.RetryWaitMin = call.retry.MinWait
	client.RetryWaitMax = call.retry.MaxWait
	client.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		return hookShouldRetry(ctx.Err(), statusOf(resp), err), ctx.Err()
	}
	client.Backoff = func(minWait, maxWait time.Duration, retryIndex int, resp *http.Response) time.Duration {
		retryAfter := ""
		if resp != nil {
			retryAfter = resp.Header.Get("Retry-After")
		}
		return hookBackoff(minWait, maxWait, retryIndex, statusOf(resp), retryAfter, s.now())
	}
	// Keep the last response so its status and body can be reported.
	client.ErrorHandler = retryablehttp.PassthroughErrorHandler
	// Runs right before every attempt, the first included.
	client.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, retryIndex int) {
		call.attempts = retryIndex + 1
		// Clone rather than mutate: the previous attempt's transport may
		// still hold a reference to the old header map.
		r.Header = r.Header.Clone()
		timestamp := strconv.FormatInt(s.now().Unix(), 10)
		r.Header.Set(HeaderTimestamp, timestamp)
		r.Header.Set(HeaderDeliveryAttempt, strconv.Itoa(call.attempts))
		if call.secret != "" {
			r.Header.Set(HeaderSignature, SignPayload(call.secret, timestamp, call.body))
		}
	}
	return client
}

// outcome turns what retryablehttp returned into a result or a *HookError.
func (s *HTTPHookSender) outcome(ctx context.Context, call *hookCall, resp *http.Response, err error) (HookResult, error) {
	logFields := map[string]any{"hook_event": call.event, "url": call.safeURL, "attempts": call.attempts}
	hookErr := call.failure()
	switch {
	case ctx.Err() != nil:
		closeResponse(resp)
		hookErr.Err = ctx.Err()
	case err != nil:
		closeResponse(resp)
		hookErr.Timeout = isTimeoutError(err)
		hookErr.Err = errors.New(call.redactor.redact(transportErrorText(err)))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		closeResponse(resp)
		logFields["status"] = resp.StatusCode
		s.logger.Debug(ctx, "hook delivered", logFields)
		return HookResult{Attempts: call.attempts, StatusCode: resp.StatusCode}, nil
	default:
		hookErr.StatusCode = resp.StatusCode
		hookErr.Body = call.redactor.redact(readErrorBody(resp))
	}
	logFields["error"] = hookErr.Error()
	s.logger.Debug(ctx, "hook failed", logFields)
	return HookResult{Attempts: call.attempts, StatusCode: hookErr.StatusCode}, hookErr
}

// HookError is a hook call that was not delivered. Its text never holds the
// secret, header values, URL credentials or the query string.
type HookError struct {
	Event          string        // event type, e.g. "canary.weight"
	URL            string        // scheme, host and path only
	Attempts       int           // HTTP attempts made
	StatusCode     int           // last HTTP status, 0 when no response arrived
	Body           string        // start of the last response body, trimmed
	Timeout        bool          // the last attempt hit the per-request timeout
	RequestTimeout time.Duration // the per-request timeout in force
	Err            error         // transport or context error; nil for an HTTP status failure
}

func (e *HookError) Error() string {
	subject := fmt.Sprintf("hook %q to %s", e.Event, e.URL)
	attempts := fmt.Sprintf("after %d attempts", e.Attempts)
	if e.Attempts == 1 {
		attempts = "after 1 attempt"
	}
	switch {
	case e.Timeout:
		return fmt.Sprintf("%s timed out %s (per-request timeout %s)", subject, attempts, e.RequestTimeout)
	case errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded):
		if e.Attempts == 0 {
			attempts = "before the first attempt"
		}
		return fmt.Sprintf("%s cancelled %s: %v", subject, attempts, e.Err)
	case e.StatusCode != 0:
		msg := fmt.Sprintf("%s failed %s: HTTP %d", subject, attempts, e.StatusCode)
		if text := http.StatusText(e.StatusCode); text != "" {
			msg += " " + text
		}
		if e.Body != "" {
			msg += ": " + e.Body
		}
		return msg
	default:
		return fmt.Sprintf("%s failed %s: %v", subject, attempts, e.Err)
	}
}

func (e *HookError) Unwrap() error { return e.Err }

// ValidateRetry checks a hook's retry settings.
func ValidateRetry(r RetryConfig) error {
	var problems []string
	if r.Attempts < 1 {
		problems = append(problems, fmt.Sprintf("attempts must be at least 1, got %d", r.Attempts))
	}
	if r.MinWait < 0 {
		problems = append(problems, fmt.Sprintf("min_wait must not be negative, got %s", r.MinWait))
	}
	if r.MaxWait < r.MinWait {
		problems = append(problems, fmt.Sprintf("max_wait (%s) must be at least min_wait (%s)", r.MaxWait, r.MinWait))
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid hook retry settings: %s", strings.Join(problems, "; "))
	}
	return nil
}

// hookShouldRetry is the retry policy. Transient failures (connection
// errors, a timed-out attempt, 429, 5xx) are retried; any other answer from
// the receiver is final, and nothing is retried once the caller gave up.
func hookShouldRetry(ctxErr error, status int, attemptErr error) bool {
	switch {
	case ctxErr != nil:
		return false
	case attemptErr != nil:
		return !isPermanentTransportError(attemptErr)
	case status == http.StatusTooManyRequests:
		return true
	case status == http.StatusNotImplemented:
		// The receiver does not support the call; waiting will not change that.
		return false
	case status >= 500:
		return true
	default:
		return false
	}
}

// isPermanentTransportError spots failures that retrying cannot fix: the
// receiver's certificate is not trusted.
func isPermanentTransportError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var invalidCert x509.CertificateInvalidError
	var wrongHost x509.HostnameError
	var verification *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &invalidCert) ||
		errors.As(err, &wrongHost) || errors.As(err, &verification)
}

// hookBackoff is how long to wait before retry number retryIndex+1:
// minWait doubling each time, capped at maxWait. A Retry-After header on 429
// or 503 replaces the doubling, clamped to [minWait, maxWait] so a receiver
// can neither make us hammer it nor stall the rollout indefinitely.
func hookBackoff(minWait, maxWait time.Duration, retryIndex int, status int, retryAfter string, now time.Time) time.Duration {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if wait, ok := parseRetryAfter(retryAfter, now); ok {
			return min(max(wait, minWait), maxWait)
		}
	}
	wait := minWait
	for i := 0; i < retryIndex && wait < maxWait; i++ {
		if wait > maxWait/2 {
			wait = maxWait // doubling would pass the cap (or overflow)
			break
		}
		wait *= 2
	}
	return min(wait, maxWait)
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 || seconds > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(seconds) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

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

func validateHookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("hook URL %s must be an absolute http or https URL", stripURLSecrets(raw))
	}
	return nil
}

// clonedDefaultTransport copies http.DefaultTransport (proxy settings,
// timeouts, HTTP/2) so our settings never leak into the shared default.
func clonedDefaultTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{Proxy: http.ProxyFromEnvironment}
}

// isTimeoutError reports a timed-out HTTP attempt.
func isTimeoutError(err error) bool {
	var urlErr *url.Error
	return errors.As(err, &urlErr) && urlErr.Timeout()
}

// transportErrorText describes a failed attempt without the "Post <url>:"
// prefix of *url.Error, which would repeat the full URL.
func transportErrorText(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// readErrorBody returns the start of a failed response, then drains and
// closes it.
func readErrorBody(resp *http.Response) string {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, hookErrorBodyLimit))
	closeResponse(resp)
	return strings.TrimSpace(strings.ToValidUTF8(string(head), ""))
}

// closeResponse drains a little of the body so the connection can be reused.
func closeResponse(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, hookDrainLimit))
	_ = resp.Body.Close()
}
