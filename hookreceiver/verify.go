package hookreceiver

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far X-Ocuroot-Timestamp may lie from the
// receiver's clock, either way, before a call is refused as a possible
// replay. The provider signs every attempt afresh, so only clock skew and
// the time in transit count against it.
const DefaultTolerance = 5 * time.Minute

// DefaultMaxBodySize bounds the body Verify reads: an event is a few
// hundred bytes, and a receiver should not buffer whatever a stranger sends.
const DefaultMaxBodySize = 1 << 20

// Verifier checks hook calls signed with one secret. Build it once with
// NewVerifier and use it from any number of goroutines.
type Verifier struct {
	secret    string
	tolerance time.Duration // 0: any timestamp is accepted (WithoutTimestampWindow)
	now       func() time.Time
	maxBody   int64
}

// Option adjusts a Verifier.
type Option func(*Verifier)

// WithTolerance sets how far X-Ocuroot-Timestamp may lie from the clock
// (DefaultTolerance when not given). It panics unless d is positive:
// WithoutTimestampWindow is the explicit way to accept any timestamp.
func WithTolerance(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("hookreceiver.WithTolerance(%s): the tolerance must be positive", d))
	}
	return func(v *Verifier) { v.tolerance = d }
}

// WithoutTimestampWindow accepts a correctly signed call whatever its
// timestamp. Without the window a captured call can be replayed at any
// time later, so this is for test doubles whose clock is not the sender's,
// never for a receiver that changes anything real.
func WithoutTimestampWindow() Option {
	return func(v *Verifier) { v.tolerance = 0 }
}

// WithClock replaces time.Now as the clock the timestamp is checked against.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) { v.now = now }
}

// WithMaxBodySize sets how many bytes Verify reads at most
// (DefaultMaxBodySize when not given); a longer body is refused as
// ReasonBadBody. It panics unless n is positive.
func WithMaxBodySize(n int64) Option {
	if n <= 0 {
		panic(fmt.Sprintf("hookreceiver.WithMaxBodySize(%d): the size must be positive", n))
	}
	return func(v *Verifier) { v.maxBody = n }
}

// NewVerifier returns a Verifier for calls signed with secret. An empty
// secret (an unset environment variable, say) makes every call fail with
// ReasonNoSecret rather than be accepted.
func NewVerifier(secret string, opts ...Option) *Verifier {
	v := &Verifier{secret: secret, tolerance: DefaultTolerance, now: time.Now, maxBody: DefaultMaxBodySize}
	for _, opt := range opts {
		opt(v)
	}
	return v
}

// Verify checks one hook call with a Verifier built from secret and opts;
// see Verifier.Verify.
func Verify(r *http.Request, secret string, opts ...Option) (Event, error) {
	return NewVerifier(secret, opts...).Verify(r)
}

// Verify reads the body of r, checks the signature and the timestamp, and
// returns the decoded event. Any error is a *VerifyError. r.Body is read
// once and replaced by a reader of the same bytes, so the handler can still
// read, log or store the raw body.
func (v *Verifier) Verify(r *http.Request) (Event, error) {
	body, err := readBody(r, v.maxBody)
	if err != nil {
		return Event{}, err
	}
	return v.VerifyBody(r.Header, body)
}

// VerifyBody is Verify for a body already read, as serverless platforms
// hand it over: header holds the request's headers, body the raw bytes as
// they arrived (not re-encoded JSON, whose bytes would differ).
//
// The checks run in this order: a secret is configured; the timestamp and
// the signature headers are present and well formed; the signature matches
// (compared in constant time); the timestamp lies within the tolerance; the
// body is an event. The timestamp window is checked after the signature, so
// a stale timestamp is only ever reported for a call that was really signed
// with the secret.
func (v *Verifier) VerifyBody(header http.Header, body []byte) (Event, error) {
	if v.secret == "" {
		return Event{}, &VerifyError{Reason: ReasonNoSecret, Detail: "no hook secret is configured to verify " + HeaderSignature}
	}
	timestamp := header.Get(HeaderTimestamp)
	if timestamp == "" {
		return Event{}, &VerifyError{Reason: ReasonMissingTimestamp, Detail: "missing " + HeaderTimestamp}
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return Event{}, &VerifyError{Reason: ReasonMalformedTimestamp, Detail: HeaderTimestamp + " is not unix seconds"}
	}
	signature := header.Get(HeaderSignature)
	if signature == "" {
		return Event{}, &VerifyError{Reason: ReasonMissingSignature, Detail: "missing " + HeaderSignature}
	}
	hexDigest, ok := strings.CutPrefix(signature, SignaturePrefix)
	if !ok {
		return Event{}, &VerifyError{Reason: ReasonMalformedSignature, Detail: HeaderSignature + " does not start with " + SignaturePrefix}
	}
	// Compare the decoded MACs, not the hex text: letter case does not
	// matter, and hmac.Equal takes the same time wherever they differ.
	got, err := hex.DecodeString(hexDigest)
	if err != nil {
		return Event{}, &VerifyError{Reason: ReasonMalformedSignature, Detail: HeaderSignature + " is not hex"}
	}
	if !hmac.Equal(got, mac(v.secret, timestamp, body)) {
		return Event{}, &VerifyError{Reason: ReasonSignatureMismatch, Detail: HeaderSignature + " does not match the body"}
	}
	if v.tolerance > 0 {
		if skew := v.now().Sub(time.Unix(seconds, 0)).Abs(); skew > v.tolerance {
			return Event{}, &VerifyError{Reason: ReasonStaleTimestamp, Detail: fmt.Sprintf("%s is %s away from now, more than the %s tolerance",
				HeaderTimestamp, skew.Round(time.Second), v.tolerance)}
		}
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return Event{}, &VerifyError{Reason: ReasonBadBody, Detail: "body is not an event: " + err.Error(), Err: err}
	}
	return ev, nil
}

// readBody reads at most limit bytes of r's body and puts back a body that
// reads the same bytes, followed by whatever was not read.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	original := r.Body
	body, err := io.ReadAll(io.LimitReader(original, limit+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(body), original), original}
	if err != nil {
		return nil, &VerifyError{Reason: ReasonBadBody, Detail: "reading the body: " + err.Error(), Err: err}
	}
	if int64(len(body)) > limit {
		return nil, &VerifyError{Reason: ReasonBadBody, Detail: fmt.Sprintf("body is larger than %d bytes", limit)}
	}
	return body, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
