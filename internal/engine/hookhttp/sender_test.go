package hookhttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// fastHookRetry keeps retry tests in the tens of milliseconds.
var fastHookRetry = domain.RetryConfig{Attempts: 3, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}

func testHookEvent() domain.Event {
	return domain.Event{
		Type: domain.EventCanaryWeight, Package: "web", Environment: "prod",
		Release: "web@1.2.0", Version: "1.2.0", Weight: 25, Slot: domain.SlotCanary,
		Attempt: 1, RolloutID: "r-1", Step: 2, Time: time.Unix(1700000000, 0).UTC(),
	}
}

// hookRequest is what a test server saw of one hook call.
type hookRequest struct {
	method string
	header http.Header
	body   []byte
	at     time.Time
}

// hookTestServer answers the n-th request (0-based) with respond(n, w) and
// records every request it saw.
type hookTestServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []hookRequest
}

func newHookTestServer(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *hookTestServer {
	t.Helper()
	s := &hookTestServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.requests)
		s.requests = append(s.requests, hookRequest{method: r.Method, header: r.Header.Clone(), body: body, at: time.Now()})
		s.mu.Unlock()
		respond(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// verifyAsReceiver checks a call the way a receiver does, with the public
// hookreceiver package, and returns the event it decoded.
func (r hookRequest) verifyAsReceiver(secret string) (hookreceiver.Event, error) {
	return hookreceiver.NewVerifier(secret, hookreceiver.WithTolerance(time.Minute)).VerifyBody(r.header, r.body)
}

func (s *hookTestServer) seen() []hookRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hookRequest(nil), s.requests...)
}

func respondWith(statuses ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(statuses[min(n, len(statuses)-1)])
	}
}

// recordingLogger keeps every log line so tests can search them for secrets.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) record(level, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %s %v", level, msg, fields))
}

func (l *recordingLogger) Info(_ context.Context, msg string, f map[string]any) {
	l.record("INFO", msg, f)
}

func (l *recordingLogger) Debug(_ context.Context, msg string, f map[string]any) {
	l.record("DEBUG", msg, f)
}

func (l *recordingLogger) Warn(_ context.Context, msg string, f map[string]any) {
	l.record("WARN", msg, f)
}

func (l *recordingLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func asHookError(t *testing.T, err error) *HookError {
	t.Helper()
	var hookErr *HookError
	if !errors.As(err, &hookErr) {
		t.Fatalf("error %v (%T) is not a *HookError", err, err)
	}
	return hookErr
}

func TestHookSendSignsAndLabelsRequest(t *testing.T) {
	server := newHookTestServer(t, respondWith(http.StatusNoContent))
	sender := NewSender(nil)
	cfg := domain.HookConfig{
		URL: server.URL + "/hook", Secret: "hook-secret", Timeout: time.Second, Retry: fastHookRetry,
		Headers: map[string]string{"X-Team": "payments", hookreceiver.HeaderIdempotencyKey: "spoofed"},
	}

	result, err := sender.Send(context.Background(), cfg, "r-1/step-2", testHookEvent())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if result != (domain.HookResult{Attempts: 1, StatusCode: http.StatusNoContent}) {
		t.Fatalf("result = %+v, want 1 attempt with status 204", result)
	}
	seen := server.seen()
	if len(seen) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(seen))
	}
	got := seen[0]
	wantHeaders := map[string]string{
		"Content-Type":                     "application/json",
		"User-Agent":                       "terraform-provider-ocuroot",
		hookreceiver.HeaderIdempotencyKey:  "r-1/step-2", // protocol headers win over configured ones
		hookreceiver.HeaderEvent:           domain.EventCanaryWeight,
		hookreceiver.HeaderDeliveryAttempt: "1",
		"X-Team":                           "payments",
	}
	for name, want := range wantHeaders {
		if v := got.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	ev, err := got.verifyAsReceiver("hook-secret")
	if err != nil {
		t.Errorf("the call does not verify with the hook secret: %v", err)
	}
	if !reflect.DeepEqual(ev, testHookEvent()) {
		t.Errorf("the receiver decoded %+v from %s, want the event sent", ev, got.body)
	}
}

// TestHookSendSignsWithTheHookSecret: the sender signs with the secret it
// is handed (the engine has filled in the provider's default) and sends no
// signature without one.
func TestHookSendSignsWithTheHookSecret(t *testing.T) {
	tests := []struct {
		name, hookSecret, verifyWith string
	}{
		{name: "the hook's secret signs", hookSecret: "hook-secret", verifyWith: "hook-secret"},
		{name: "no secret, no signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newHookTestServer(t, respondWith(http.StatusOK))
			sender := NewSender(nil)
			cfg := domain.HookConfig{URL: server.URL, Secret: tt.hookSecret, Timeout: time.Second, Retry: fastHookRetry}
			if _, err := sender.Send(context.Background(), cfg, "key", testHookEvent()); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := server.seen()[0]
			signature := got.header.Get(hookreceiver.HeaderSignature)
			if tt.verifyWith == "" {
				if signature != "" {
					t.Fatalf("signature %q sent without a secret", signature)
				}
				return
			}
			if _, err := got.verifyAsReceiver(tt.verifyWith); err != nil {
				t.Fatalf("signature does not verify with %q: %v", tt.verifyWith, err)
			}
		})
	}
}

func TestHookSendRetriesServerErrors(t *testing.T) {
	server := newHookTestServer(t, respondWith(http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusOK))
	sender := NewSender(nil)
	cfg := domain.HookConfig{URL: server.URL, Secret: "secret", Timeout: time.Second, Retry: fastHookRetry}

	result, err := sender.Send(context.Background(), cfg, "r-1/step-2", testHookEvent())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if result != (domain.HookResult{Attempts: 3, StatusCode: http.StatusOK}) {
		t.Fatalf("result = %+v, want 3 attempts ending in 200", result)
	}
	seen := server.seen()
	if len(seen) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(seen))
	}
	for i, req := range seen {
		if key := req.header.Get(hookreceiver.HeaderIdempotencyKey); key != "r-1/step-2" {
			t.Errorf("request %d: Idempotency-Key = %q, want the same key on every attempt", i+1, key)
		}
		if attempt := req.header.Get(hookreceiver.HeaderDeliveryAttempt); attempt != fmt.Sprint(i+1) {
			t.Errorf("request %d: %s = %q, want %d", i+1, hookreceiver.HeaderDeliveryAttempt, attempt, i+1)
		}
		if _, err := req.verifyAsReceiver("secret"); err != nil {
			t.Errorf("request %d: signature does not verify: %v", i+1, err)
		}
	}
}

func TestHookSendFailures(t *testing.T) {
	tests := []struct {
		name         string
		respond      func(int, http.ResponseWriter, *http.Request)
		wantRequests int
		wantStatus   int
		wantSuffix   string
	}{
		{
			name: "client error is final",
			respond: func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, "  {\"error\":\"weight must be <= 100\"}\n")
			},
			wantRequests: 1,
			wantStatus:   http.StatusBadRequest,
			wantSuffix:   `failed after 1 attempt: HTTP 400 Bad Request: {"error":"weight must be <= 100"}`,
		},
		{
			name: "server errors exhaust the attempts",
			respond: func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, "upstream down")
			},
			wantRequests: 3,
			wantStatus:   http.StatusBadGateway,
			wantSuffix:   "failed after 3 attempts: HTTP 502 Bad Gateway: upstream down",
		},
		{
			name:         "not implemented is final",
			respond:      respondWith(http.StatusNotImplemented),
			wantRequests: 1,
			wantStatus:   http.StatusNotImplemented,
			wantSuffix:   "failed after 1 attempt: HTTP 501 Not Implemented",
		},
		{
			name: "long body is cut",
			respond: func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusConflict)
				fmt.Fprint(w, strings.Repeat("x", 2000))
			},
			wantRequests: 1,
			wantStatus:   http.StatusConflict,
			wantSuffix:   "failed after 1 attempt: HTTP 409 Conflict: " + strings.Repeat("x", hookErrorBodyLimit),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := newHookTestServer(t, tt.respond)
			sender := NewSender(nil)
			cfg := domain.HookConfig{URL: server.URL + "/hook", Timeout: time.Second, Retry: fastHookRetry}

			result, err := sender.Send(context.Background(), cfg, "key", testHookEvent())
			hookErr := asHookError(t, err)
			if n := len(server.seen()); n != tt.wantRequests || hookErr.Attempts != tt.wantRequests || result.Attempts != tt.wantRequests {
				t.Errorf("server saw %d requests, error says %d, result says %d; want %d",
					n, hookErr.Attempts, result.Attempts, tt.wantRequests)
			}
			if hookErr.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d", hookErr.StatusCode, tt.wantStatus)
			}
			want := fmt.Sprintf("hook %q to %s/hook %s", domain.EventCanaryWeight, server.URL, tt.wantSuffix)
			if err.Error() != want {
				t.Errorf("error =\n  %s\nwant\n  %s", err, want)
			}
		})
	}
}

func TestHookSendHonoursRetryAfter(t *testing.T) {
	server := newHookTestServer(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	sender := NewSender(nil)
	retry := domain.RetryConfig{Attempts: 3, MinWait: 10 * time.Millisecond, MaxWait: 2 * time.Second}
	cfg := domain.HookConfig{URL: server.URL, Timeout: time.Second, Retry: retry}

	result, err := sender.Send(context.Background(), cfg, "key", testHookEvent())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if result.Attempts != 2 {
		t.Fatalf("Attempts = %d, want 2 (429 retried once)", result.Attempts)
	}
	seen := server.seen()
	// A loose lower bound only: MinWait alone would have retried after 10ms.
	if gap := seen[1].at.Sub(seen[0].at); gap < 900*time.Millisecond {
		t.Errorf("retry came %s after the 429, want it to wait for Retry-After: 1", gap)
	}
}

func TestHookSendPerRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	server := newHookTestServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release) // defers run before Cleanup, so Close never waits on a stuck handler
	sender := NewSender(nil)
	cfg := domain.HookConfig{
		URL: server.URL + "/slow", Timeout: 200 * time.Millisecond,
		Retry: domain.RetryConfig{Attempts: 2, MinWait: 10 * time.Millisecond, MaxWait: 10 * time.Millisecond},
	}

	start := time.Now()
	_, err := sender.Send(context.Background(), cfg, "key", testHookEvent())
	hookErr := asHookError(t, err)
	if !hookErr.Timeout || hookErr.Attempts != 2 {
		t.Errorf("Timeout = %v, Attempts = %d; want a timeout after 2 attempts", hookErr.Timeout, hookErr.Attempts)
	}
	want := fmt.Sprintf("hook %q to %s/slow timed out after 2 attempts (per-request timeout 200ms)", domain.EventCanaryWeight, server.URL)
	if err.Error() != want {
		t.Errorf("error =\n  %s\nwant\n  %s", err, want)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Send took %s; the per-request timeout did not cut the hanging calls", elapsed)
	}
}

func TestHookSendCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	server := newHookTestServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		cancel() // the caller gives up while the sender waits to retry
	})
	sender := NewSender(nil)
	cfg := domain.HookConfig{
		URL: server.URL, Timeout: time.Second,
		Retry: domain.RetryConfig{Attempts: 5, MinWait: 5 * time.Second, MaxWait: 5 * time.Second},
	}

	start := time.Now()
	_, err := sender.Send(ctx, cfg, "key", testHookEvent())
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Send took %s after cancellation, want it to stop at once", elapsed)
	}
	hookErr := asHookError(t, err)
	if !errors.Is(err, context.Canceled) || hookErr.Timeout {
		t.Errorf("error %v: want context.Canceled, not a timeout", err)
	}
	if n := len(server.seen()); n != 1 || hookErr.Attempts != 1 {
		t.Errorf("server saw %d requests, error says %d attempts; want 1", n, hookErr.Attempts)
	}
	want := fmt.Sprintf("hook %q to %s cancelled after 1 attempt: context canceled", domain.EventCanaryWeight, server.URL)
	if err.Error() != want {
		t.Errorf("error =\n  %s\nwant\n  %s", err, want)
	}
}

func TestHookSendAlreadyCancelled(t *testing.T) {
	server := newHookTestServer(t, respondWith(http.StatusOK))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewSender(nil).Send(ctx, domain.HookConfig{URL: server.URL, Retry: fastHookRetry}, "key", testHookEvent())
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled before the first attempt") {
		t.Errorf("error = %v, want a cancellation before the first attempt", err)
	}
	if n := len(server.seen()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

func TestHookSendNeverLeaksSecrets(t *testing.T) {
	const secret = "hook-secret-value"
	const token = "bearer-token-value"
	// A careless receiver echoes everything it got back into its error body.
	server := newHookTestServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "auth=%s secret=%s url=http://admin:pw-value@%s%s",
			r.Header.Get("Authorization"), secret, r.Host, r.URL.RequestURI())
	})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for name, target := range map[string]string{"answering receiver": server.URL, "unreachable receiver": closed.URL} {
		t.Run(name, func(t *testing.T) {
			// Credentials in the URL itself are refused before sending (see
			// TestHookSendRejectsBadConfig); a query token is allowed.
			logger := &recordingLogger{}
			sender := NewSender(logger)
			cfg := domain.HookConfig{
				URL: target + "/hook?token=query-token-value", Secret: secret, Timeout: time.Second, Retry: domain.RetryConfig{Attempts: 2},
				Headers: map[string]string{"Authorization": token},
			}

			_, err := sender.Send(context.Background(), cfg, "key", testHookEvent())
			hookErr := asHookError(t, err)
			if hookErr.URL != target+"/hook" {
				t.Errorf("URL = %q, want %q (no userinfo, no query)", hookErr.URL, target+"/hook")
			}
			for _, text := range []string{err.Error(), logger.all()} {
				for _, leaked := range []string{secret, token, "pw-value", "query-token-value", "admin@", "sha256="} {
					if strings.Contains(text, leaked) {
						t.Errorf("%q leaked into:\n%s", leaked, text)
					}
				}
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("hook %q to %s/hook failed after", domain.EventCanaryWeight, target)) {
				t.Errorf("error = %v, want it to name the stripped URL", err)
			}
		})
	}
}

func TestHookSendRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     domain.HookConfig
		key     string
		wantErr string
	}{
		{
			name:    "unsupported scheme",
			cfg:     domain.HookConfig{URL: "ftp://example.invalid/x?token=t", Retry: fastHookRetry},
			key:     "key",
			wantErr: `send hook "canary.weight": hook url must be an absolute http:// or https:// URL with a host, such as https://deploy.example.com/hooks`,
		},
		{
			name:    "relative URL",
			cfg:     domain.HookConfig{URL: "/hook", Retry: fastHookRetry},
			key:     "key",
			wantErr: `send hook "canary.weight": hook url must be an absolute http:// or https:// URL with a host, such as https://deploy.example.com/hooks`,
		},
		{
			name: "credentials in the URL, not quoted",
			cfg:  domain.HookConfig{URL: "https://user:pw-value@example.invalid/x", Retry: fastHookRetry},
			key:  "key",
			wantErr: `send hook "canary.weight": hook url must not contain credentials (user:password@): they would be stored and shown in clear. ` +
				`Remove them from the url and send them with the block's headers instead, such as headers = { Authorization = "Basic ..." }`,
		},
		{
			name:    "empty idempotency key",
			cfg:     domain.HookConfig{URL: "http://example.invalid", Retry: fastHookRetry},
			wantErr: `send hook "canary.weight": idempotency key is empty`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSender(nil).Send(context.Background(), tt.cfg, tt.key, testHookEvent())
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %s", err, tt.wantErr)
			}
		})
	}
}

func TestHookShouldRetry(t *testing.T) {
	timeout := &url.Error{Op: "Post", URL: "http://h", Err: context.DeadlineExceeded}
	refused := &url.Error{Op: "Post", URL: "http://h", Err: errors.New("connect: connection refused")}
	untrusted := &url.Error{Op: "Post", URL: "https://h", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	tests := []struct {
		name   string
		ctxErr error
		status int
		err    error
		want   bool
	}{
		{name: "connection refused", err: refused, want: true},
		{name: "attempt timed out", err: timeout, want: true},
		{name: "untrusted certificate", err: untrusted, want: false},
		{name: "429", status: 429, want: true},
		{name: "500", status: 500, want: true},
		{name: "502", status: 502, want: true},
		{name: "503", status: 503, want: true},
		{name: "504", status: 504, want: true},
		{name: "501 is permanent", status: 501, want: false},
		{name: "200", status: 200, want: false},
		{name: "204", status: 204, want: false},
		{name: "302", status: 302, want: false},
		{name: "400", status: 400, want: false},
		{name: "401", status: 401, want: false},
		{name: "404", status: 404, want: false},
		{name: "409", status: 409, want: false},
		{name: "422", status: 422, want: false},
		{name: "cancelled after 503", ctxErr: context.Canceled, status: 503, want: false},
		{name: "cancelled after refused", ctxErr: context.Canceled, err: refused, want: false},
		{name: "deadline after 429", ctxErr: context.DeadlineExceeded, status: 429, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hookShouldRetry(tt.ctxErr, tt.status, tt.err); got != tt.want {
				t.Errorf("hookShouldRetry(%v, %d, %v) = %v, want %v", tt.ctxErr, tt.status, tt.err, got, tt.want)
			}
		})
	}
}

func TestHookBackoff(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	const ms = time.Millisecond
	tests := []struct {
		name       string
		minWait    time.Duration
		maxWait    time.Duration
		retryIndex int
		status     int
		retryAfter string
		want       time.Duration
	}{
		{name: "first retry waits min", minWait: 100 * ms, maxWait: time.Second, retryIndex: 0, status: 503, want: 100 * ms},
		{name: "doubles", minWait: 100 * ms, maxWait: time.Second, retryIndex: 2, status: 500, want: 400 * ms},
		{name: "capped at max", minWait: 100 * ms, maxWait: time.Second, retryIndex: 5, status: 500, want: time.Second},
		{name: "huge index does not overflow", minWait: time.Second, maxWait: time.Hour, retryIndex: 200, want: time.Hour},
		{name: "zero min stays zero", maxWait: time.Second, retryIndex: 3, status: 500, want: 0},
		{name: "429 retry-after seconds", minWait: 10 * ms, maxWait: 10 * time.Second, status: 429, retryAfter: "3", want: 3 * time.Second},
		{name: "503 retry-after seconds", minWait: 10 * ms, maxWait: 10 * time.Second, status: 503, retryAfter: "2", want: 2 * time.Second},
		{name: "retry-after capped at max", minWait: 10 * ms, maxWait: time.Second, status: 429, retryAfter: "120", want: time.Second},
		{name: "retry-after raised to min", minWait: 500 * ms, maxWait: time.Second, status: 429, retryAfter: "0", want: 500 * ms},
		{name: "retry-after http date", minWait: 10 * ms, maxWait: time.Minute, status: 429,
			retryAfter: now.Add(7 * time.Second).Format(http.TimeFormat), want: 7 * time.Second},
		{name: "retry-after date in the past", minWait: 10 * ms, maxWait: time.Minute, status: 429,
			retryAfter: now.Add(-time.Minute).Format(http.TimeFormat), want: 10 * ms},
		{name: "unparsable retry-after falls back", minWait: 10 * ms, maxWait: time.Second, retryIndex: 1, status: 429, retryAfter: "soon", want: 20 * ms},
		{name: "negative retry-after falls back", minWait: 10 * ms, maxWait: time.Second, status: 429, retryAfter: "-5", want: 10 * ms},
		{name: "retry-after ignored on 500", minWait: 10 * ms, maxWait: 10 * time.Second, status: 500, retryAfter: "3", want: 10 * ms},
		{name: "connection error", minWait: 10 * ms, maxWait: time.Second, retryIndex: 1, want: 20 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hookBackoff(tt.minWait, tt.maxWait, tt.retryIndex, tt.status, tt.retryAfter, now)
			if got != tt.want {
				t.Errorf("hookBackoff = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHookLogAdapterRedacts(t *testing.T) {
	logger := &recordingLogger{}
	adapter := hookLogAdapter{
		ctx: context.Background(), logger: logger, event: domain.EventDeploy,
		redact: newHookRedactor("the-secret", map[string]string{"Authorization": "Bearer tok-123"}).redact,
	}
	adapter.Debug("performing request", "method", "POST", "url", "http://user:xxxxx@h.example/hook?token=q-123")
	adapter.Error("request failed", "error", errors.New(`Post "http://h.example/hook?token=q-123": the-secret rejected`), "headers", "Authorization: Bearer tok-123")
	adapter.Debug("retrying request", "request", "POST http://h.example/hook?token=q-123 (status: 503)", "timeout", 20*time.Millisecond, "remaining", 2)

	lines := logger.all()
	for _, leaked := range []string{"the-secret", "tok-123", "q-123", "user:", "Authorization"} {
		if strings.Contains(lines, leaked) {
			t.Errorf("%q leaked into the log:\n%s", leaked, lines)
		}
	}
	for _, want := range []string{
		"DEBUG hook: performing request map[hook_event:deploy method:POST url:http://h.example/hook]",
		`WARN hook: request failed map[error:Post "http://h.example/hook": [redacted] rejected hook_event:deploy]`,
		"DEBUG hook: retrying request map[hook_event:deploy remaining:2 request:POST http://h.example/hook (status: 503) timeout:20ms]",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("log lacks %q:\n%s", want, lines)
		}
	}
}
