package hookhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// hookUserAgent identifies hook calls in the receiver's access logs.
const hookUserAgent = "terraform-provider-ocuroot"

// hookErrorBodyLimit bounds how much of a failed response is quoted in the
// error: enough for a JSON error message, not enough to flood a diagnostic.
const hookErrorBodyLimit = 512

// hookDrainLimit bounds how much of a response is read just to let the
// connection be reused.
const hookDrainLimit = 64 << 10

// Sender delivers hook events as signed JSON POSTs, retrying
// transient failures with go-retryablehttp. It is safe for concurrent use:
// all per-call state lives in Send.
type Sender struct {
	logger    domain.Logger
	transport http.RoundTripper // cloned once so every call shares its connection pool
	now       func() time.Time  // stamps X-Ocuroot-Timestamp; tests replace it
}

var _ domain.HookSender = (*Sender)(nil)

// NewSender builds a sender; a nil logger discards log lines. Each
// call is signed with its hook's secret (the engine fills in the default).
func NewSender(logger domain.Logger) *Sender {
	if logger == nil {
		logger = nopLogger{}
	}
	return &Sender{
		logger:    logger,
		transport: clonedDefaultTransport(),
		now:       time.Now,
	}
}

// Send posts ev to cfg.URL:
//  1. resolve and validate the call (URL, key);
//  2. encode the event once (every attempt sends the same bytes);
//  3. let retryablehttp run the attempts, re-stamping timestamp, signature
//     and attempt number before each one;
//  4. classify the outcome: 2xx is delivered, anything else is a *HookError.
func (s *Sender) Send(ctx context.Context, cfg domain.HookConfig, idempotencyKey string, ev domain.Event) (domain.HookResult, error) {
	call, err := newHookCall(cfg, idempotencyKey, ev)
	if err != nil {
		return domain.HookResult{}, fmt.Errorf("send hook %q: %w", ev.Type, err)
	}
	if err := ctx.Err(); err != nil {
		hookErr := call.failure()
		hookErr.Err = err
		return domain.HookResult{}, hookErr
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, call.body)
	if err != nil {
		// The parse error would quote the URL, which may hold credentials.
		return domain.HookResult{}, fmt.Errorf("send hook %q: build request for %s failed", ev.Type, call.safeURL)
	}
	// Configured headers go first so the protocol headers below win: a
	// receiver must be able to trust Idempotency-Key and the signature.
	req.Header.Set("User-Agent", hookUserAgent)
	for name, value := range cfg.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hookreceiver.HeaderIdempotencyKey, idempotencyKey)
	req.Header.Set(hookreceiver.HeaderEvent, ev.Type)

	resp, err := s.retryClient(ctx, call).Do(req)
	return s.outcome(ctx, call, resp, err)
}

// hookCall is one Send: what was resolved from the configuration, and the
// attempt counter the retry hooks advance.
type hookCall struct {
	event    string
	safeURL  string // for errors and logs: no userinfo, no query
	secret   string // signs the call; empty: unsigned
	timeout  time.Duration
	retry    domain.RetryConfig
	body     []byte
	redactor hookRedactor
	attempts int
}

// newHookCall resolves one call. cfg is complete: the engine applied the
// spec's defaults (timeout, retry) and validated the retry settings before
// handing it over; the URL is checked again because it is about to be
// dialled.
func newHookCall(cfg domain.HookConfig, idempotencyKey string, ev domain.Event) (*hookCall, error) {
	call := &hookCall{event: ev.Type, safeURL: stripURLSecrets(cfg.URL), secret: cfg.Secret, timeout: cfg.Timeout, retry: cfg.Retry}
	if err := validateHookURL(cfg.URL); err != nil {
		return nil, err
	}
	if idempotencyKey == "" {
		return nil, errors.New("idempotency key is empty")
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
// The client is built as a literal, not with retryablehttp.NewClient, which
// would also build a pooled transport per call only to have it replaced;
// every field NewClient would default is set here.
func (s *Sender) retryClient(ctx context.Context, call *hookCall) *retryablehttp.Client {
	client := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: s.transport, Timeout: call.timeout, CheckRedirect: neverFollowRedirects},
		Logger:       hookLogAdapter{ctx: ctx, logger: s.logger, event: call.event, redact: call.redactor.redact},
		RetryMax:     call.retry.Attempts - 1,
		RetryWaitMin: call.retry.MinWait,
		RetryWaitMax: call.retry.MaxWait,
	}
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
		timestamp := hookreceiver.FormatTimestamp(s.now())
		r.Header.Set(hookreceiver.HeaderTimestamp, timestamp)
		r.Header.Set(hookreceiver.HeaderDeliveryAttempt, strconv.Itoa(call.attempts))
		if call.secret != "" {
			r.Header.Set(hookreceiver.HeaderSignature, hookreceiver.Sign(call.secret, timestamp, call.body))
		}
	}
	return client
}

// outcome turns what retryablehttp returned into a result or a *HookError.
func (s *Sender) outcome(ctx context.Context, call *hookCall, resp *http.Response, err error) (domain.HookResult, error) {
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
		return domain.HookResult{Attempts: call.attempts, StatusCode: resp.StatusCode}, nil
	default:
		hookErr.StatusCode = resp.StatusCode
		if isRedirect(resp.StatusCode) {
			hookErr.Location = call.redactor.redact(redirectLocation(resp))
		}
		hookErr.Body = call.redactor.redact(readErrorBody(resp))
	}
	logFields["error"] = hookErr.Error()
	s.logger.Debug(ctx, "hook failed", logFields)
	return domain.HookResult{Attempts: call.attempts, StatusCode: hookErr.StatusCode}, hookErr
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
	Location       string        // where a 3xx answer pointed, credentials and query removed
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
	case isRedirect(e.StatusCode):
		// The body of a redirect is boilerplate; where it points is what
		// the user needs to fix the url.
		return fmt.Sprintf("hook %q answered %s %s (hook url %s); hooks never follow redirects: point the hook url at the final address",
			e.Event, describeStatus(e.StatusCode), describeLocation(e.Location), e.URL)
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

func validateHookURL(raw string) error {
	if err := domain.ValidateEndpointURL(raw, domain.HookURL); err != nil {
		return fmt.Errorf("hook %w", err)
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
