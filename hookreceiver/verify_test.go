package hookreceiver_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

const testSecret = "whsec-for-tests"

// now is the receiver's clock in these tests; calls are signed at it
// unless a test says otherwise.
var now = time.Date(2026, 3, 2, 9, 15, 4, 0, time.UTC)

func clock() time.Time { return now }

func testEvent() hookreceiver.Event {
	return hookreceiver.Event{
		Type: hookreceiver.EventCanaryWeight, Package: "api", Environment: "prod-eu-1",
		EnvironmentAttributes: map[string]string{"region": "eu"}, Release: "api@1.5.0", Version: "1.5.0",
		PreviousRelease: "api@1.4.2", Weight: 10, Slot: hookreceiver.SlotCanary, Attempt: 1,
		RolloutID: "api@1.5.0-2-9f1c2a", Step: 0, Time: now,
	}
}

// signedRequest builds a hook call as the provider sends it, signed with
// secret at signedAt.
func signedRequest(t *testing.T, secret string, signedAt time.Time, body []byte) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
	timestamp := hookreceiver.FormatTimestamp(signedAt)
	req.Header.Set(hookreceiver.HeaderTimestamp, timestamp)
	req.Header.Set(hookreceiver.HeaderSignature, hookreceiver.Sign(secret, timestamp, body))
	return req
}

func eventBody(t *testing.T) []byte {
	t.Helper()
	body, err := json.Marshal(testEvent())
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestSignThenVerifyReturnsTheEvent(t *testing.T) {
	body := eventBody(t)
	req := signedRequest(t, testSecret, now, body)

	ev, err := hookreceiver.Verify(req, testSecret, hookreceiver.WithClock(clock))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !reflect.DeepEqual(ev, testEvent()) {
		t.Errorf("Verify returned %+v, want %+v", ev, testEvent())
	}
}

func TestVerifyRefuses(t *testing.T) {
	body := eventBody(t)
	tests := []struct {
		name       string
		secret     string
		request    func(t *testing.T) *http.Request
		options    []hookreceiver.Option
		wantReason hookreceiver.Reason
		wantDetail string
		wantStatus int
	}{
		{name: "no secret configured", secret: "",
			request:    func(t *testing.T) *http.Request { return signedRequest(t, "", now, body) },
			wantReason: hookreceiver.ReasonNoSecret, wantDetail: "no hook secret is configured to verify X-Ocuroot-Signature", wantStatus: 401},
		{name: "missing timestamp",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now, body)
				req.Header.Del(hookreceiver.HeaderTimestamp)
				return req
			},
			wantReason: hookreceiver.ReasonMissingTimestamp, wantDetail: "missing X-Ocuroot-Timestamp", wantStatus: 401},
		{name: "timestamp not unix seconds",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now, body)
				req.Header.Set(hookreceiver.HeaderTimestamp, now.Format(time.RFC3339))
				return req
			},
			wantReason: hookreceiver.ReasonMalformedTimestamp, wantDetail: "X-Ocuroot-Timestamp is not unix seconds", wantStatus: 401},
		{name: "missing signature (an unsigned call)",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now, body)
				req.Header.Del(hookreceiver.HeaderSignature)
				return req
			},
			wantReason: hookreceiver.ReasonMissingSignature, wantDetail: "missing X-Ocuroot-Signature", wantStatus: 401},
		{name: "another scheme",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now, body)
				req.Header.Set(hookreceiver.HeaderSignature, "sha1=0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33")
				return req
			},
			wantReason: hookreceiver.ReasonMalformedSignature, wantDetail: "X-Ocuroot-Signature does not start with sha256=", wantStatus: 401},
		{name: "not hex",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now, body)
				req.Header.Set(hookreceiver.HeaderSignature, "sha256=zz")
				return req
			},
			wantReason: hookreceiver.ReasonMalformedSignature, wantDetail: "X-Ocuroot-Signature is not hex", wantStatus: 401},
		{name: "signed with another secret",
			request:    func(t *testing.T) *http.Request { return signedRequest(t, "another-secret", now, body) },
			wantReason: hookreceiver.ReasonSignatureMismatch, wantDetail: "X-Ocuroot-Signature does not match the body", wantStatus: 401},
		{name: "body changed on the way",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now, body)
				req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"weight":10`), []byte(`"weight":90`), 1)))
				return req
			},
			wantReason: hookreceiver.ReasonSignatureMismatch, wantDetail: "X-Ocuroot-Signature does not match the body", wantStatus: 401},
		{name: "fresh timestamp on a captured call",
			request: func(t *testing.T) *http.Request {
				req := signedRequest(t, testSecret, now.Add(-time.Hour), body)
				req.Header.Set(hookreceiver.HeaderTimestamp, hookreceiver.FormatTimestamp(now))
				return req
			},
			wantReason: hookreceiver.ReasonSignatureMismatch, wantDetail: "X-Ocuroot-Signature does not match the body", wantStatus: 401},
		{name: "stale timestamp",
			request:    func(t *testing.T) *http.Request { return signedRequest(t, testSecret, now.Add(-10*time.Minute), body) },
			wantReason: hookreceiver.ReasonStaleTimestamp, wantDetail: "X-Ocuroot-Timestamp is 10m0s away from now, more than the 5m0s tolerance", wantStatus: 401},
		{name: "timestamp from the future",
			request:    func(t *testing.T) *http.Request { return signedRequest(t, testSecret, now.Add(6*time.Minute), body) },
			wantReason: hookreceiver.ReasonStaleTimestamp, wantDetail: "X-Ocuroot-Timestamp is 6m0s away from now, more than the 5m0s tolerance", wantStatus: 401},
		{name: "signed body that is not an event",
			request:    func(t *testing.T) *http.Request { return signedRequest(t, testSecret, now, []byte(`["deploy"]`)) },
			wantReason: hookreceiver.ReasonBadBody, wantDetail: "body is not an event: json: cannot unmarshal array into Go value of type hookreceiver.Event", wantStatus: 400},
		{name: "body over the size limit",
			request:    func(t *testing.T) *http.Request { return signedRequest(t, testSecret, now, body) },
			options:    []hookreceiver.Option{hookreceiver.WithMaxBodySize(64)},
			wantReason: hookreceiver.ReasonBadBody, wantDetail: "body is larger than 64 bytes", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := testSecret
			if tt.wantReason == hookreceiver.ReasonNoSecret {
				secret = tt.secret
			}
			ev, err := hookreceiver.Verify(tt.request(t), secret, append([]hookreceiver.Option{hookreceiver.WithClock(clock)}, tt.options...)...)
			var verifyErr *hookreceiver.VerifyError
			if !errors.As(err, &verifyErr) {
				t.Fatalf("Verify = %+v, %v (%T); want a *VerifyError", ev, err, err)
			}
			if verifyErr.Reason != tt.wantReason || verifyErr.Detail != tt.wantDetail || verifyErr.StatusCode() != tt.wantStatus {
				t.Errorf("refused with %s (%q), status %d; want %s (%q), status %d",
					verifyErr.Reason, verifyErr.Detail, verifyErr.StatusCode(), tt.wantReason, tt.wantDetail, tt.wantStatus)
			}
			if want := "hook call refused: " + tt.wantDetail; err.Error() != want {
				t.Errorf("error text %q, want %q", err, want)
			}
			if strings.Contains(err.Error(), testSecret) || !reflect.DeepEqual(ev, hookreceiver.Event{}) {
				t.Errorf("a refused call returned %+v, error %q", ev, err)
			}
		})
	}
}

func TestVerifyBadBodyWrapsTheDecodingError(t *testing.T) {
	req := signedRequest(t, testSecret, now, []byte(`{"type":`))
	_, err := hookreceiver.Verify(req, testSecret, hookreceiver.WithClock(clock))
	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) {
		t.Errorf("Verify = %v; want it to wrap the *json.SyntaxError", err)
	}
}

func TestVerifyTolerance(t *testing.T) {
	body := eventBody(t)
	tests := []struct {
		name     string
		signedAt time.Time
		options  []hookreceiver.Option
		accepted bool
	}{
		{name: "default: just inside 5 minutes old", signedAt: now.Add(-5 * time.Minute), accepted: true},
		{name: "default: just outside 5 minutes old", signedAt: now.Add(-5*time.Minute - time.Second)},
		{name: "default: a clock 4 minutes ahead", signedAt: now.Add(4 * time.Minute), accepted: true},
		{name: "one minute: 2 minutes old", signedAt: now.Add(-2 * time.Minute),
			options: []hookreceiver.Option{hookreceiver.WithTolerance(time.Minute)}},
		{name: "one hour: 30 minutes old", signedAt: now.Add(-30 * time.Minute),
			options: []hookreceiver.Option{hookreceiver.WithTolerance(time.Hour)}, accepted: true},
		{name: "no window: a year old", signedAt: now.AddDate(-1, 0, 0),
			options: []hookreceiver.Option{hookreceiver.WithoutTimestampWindow()}, accepted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signedRequest(t, testSecret, tt.signedAt, body)
			_, err := hookreceiver.Verify(req, testSecret, append([]hookreceiver.Option{hookreceiver.WithClock(clock)}, tt.options...)...)
			var verifyErr *hookreceiver.VerifyError
			switch {
			case tt.accepted && err != nil:
				t.Errorf("refused: %v", err)
			case !tt.accepted && (!errors.As(err, &verifyErr) || verifyErr.Reason != hookreceiver.ReasonStaleTimestamp):
				t.Errorf("Verify = %v; want a stale timestamp", err)
			}
		})
	}
}

// TestVerifyAcceptsUpperCaseHex: the MACs are compared as bytes, so a
// sender that writes upper-case hex is not refused.
func TestVerifyAcceptsUpperCaseHex(t *testing.T) {
	req := signedRequest(t, testSecret, now, eventBody(t))
	signature := req.Header.Get(hookreceiver.HeaderSignature)
	req.Header.Set(hookreceiver.HeaderSignature, hookreceiver.SignaturePrefix+strings.ToUpper(strings.TrimPrefix(signature, hookreceiver.SignaturePrefix)))
	if _, err := hookreceiver.Verify(req, testSecret, hookreceiver.WithClock(clock)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// countingBody is a request body that counts the reads reaching it and
// whether it was closed.
type countingBody struct {
	r      io.Reader
	reads  int
	closed bool
}

func (b *countingBody) Read(p []byte) (int, error) { b.reads++; return b.r.Read(p) }
func (b *countingBody) Close() error               { b.closed = true; return nil }

// TestVerifyPutsTheBodyBack: the body is read from the connection once,
// and the handler reads the same bytes from r.Body afterwards; closing it
// closes the original.
func TestVerifyPutsTheBodyBack(t *testing.T) {
	body := eventBody(t)
	req := signedRequest(t, testSecret, now, body)
	original := &countingBody{r: bytes.NewReader(body)}
	req.Body = original

	if _, err := hookreceiver.Verify(req, testSecret, hookreceiver.WithClock(clock)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	readsByVerify := original.reads
	again, err := io.ReadAll(req.Body)
	if err != nil || !bytes.Equal(again, body) {
		t.Errorf("r.Body after Verify read %q (%v), want the body", again, err)
	}
	if original.reads != readsByVerify+1 {
		t.Errorf("reading r.Body again made %d reads of the connection; want 1, its end", original.reads-readsByVerify)
	}
	if err := req.Body.Close(); err != nil || !original.closed {
		t.Errorf("closing r.Body: %v, original closed %v", err, original.closed)
	}
}

// TestVerifyPutsBackABodyOverTheLimitWhole: a refused body is not cut
// short for a handler that wants to log it.
func TestVerifyPutsBackABodyOverTheLimitWhole(t *testing.T) {
	body := eventBody(t)
	req := signedRequest(t, testSecret, now, body)
	if _, err := hookreceiver.Verify(req, testSecret, hookreceiver.WithClock(clock), hookreceiver.WithMaxBodySize(16)); err == nil {
		t.Fatal("a body over the limit was accepted")
	}
	if again, _ := io.ReadAll(req.Body); !bytes.Equal(again, body) {
		t.Errorf("r.Body after Verify read %q, want the whole body", again)
	}
}

// TestVerifyBodyOfAServerlessPayload: VerifyBody checks headers and bytes
// handed over without an *http.Request.
func TestVerifyBodyOfAServerlessPayload(t *testing.T) {
	body := eventBody(t)
	timestamp := strconv.FormatInt(now.Unix(), 10)
	header := http.Header{}
	header.Set(hookreceiver.HeaderTimestamp, timestamp)
	header.Set(hookreceiver.HeaderSignature, hookreceiver.Sign(testSecret, timestamp, body))
	verifier := hookreceiver.NewVerifier(testSecret, hookreceiver.WithClock(clock))

	ev, err := verifier.VerifyBody(header, body)
	if err != nil || ev.Type != hookreceiver.EventCanaryWeight || ev.Weight != 10 {
		t.Errorf("VerifyBody = %+v, %v", ev, err)
	}
}

func TestOptionsRefuseNonPositiveValues(t *testing.T) {
	for name, build := range map[string]func(){
		"WithTolerance(0)":      func() { hookreceiver.WithTolerance(0) },
		"WithTolerance(-1s)":    func() { hookreceiver.WithTolerance(-time.Second) },
		"WithMaxBodySize(0)":    func() { hookreceiver.WithMaxBodySize(0) },
		"WithMaxBodySize(-100)": func() { hookreceiver.WithMaxBodySize(-100) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			build()
		})
	}
}

func TestReasonNames(t *testing.T) {
	for reason, want := range map[hookreceiver.Reason]string{
		hookreceiver.ReasonNoSecret:           "no secret",
		hookreceiver.ReasonMissingTimestamp:   "missing timestamp",
		hookreceiver.ReasonMalformedTimestamp: "malformed timestamp",
		hookreceiver.ReasonMissingSignature:   "missing signature",
		hookreceiver.ReasonMalformedSignature: "malformed signature",
		hookreceiver.ReasonSignatureMismatch:  "signature mismatch",
		hookreceiver.ReasonStaleTimestamp:     "stale timestamp",
		hookreceiver.ReasonBadBody:            "bad body",
		hookreceiver.Reason(0):                "unknown reason",
	} {
		if got := reason.String(); got != want {
			t.Errorf("Reason(%d).String() = %q, want %q", int(reason), got, want)
		}
	}
}
