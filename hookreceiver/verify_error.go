package hookreceiver

import "net/http"

// Reason says why a hook call was refused.
type Reason int

const (
	// ReasonNoSecret: the receiver has no secret to verify with.
	ReasonNoSecret Reason = iota + 1
	// ReasonMissingTimestamp: no X-Ocuroot-Timestamp header.
	ReasonMissingTimestamp
	// ReasonMalformedTimestamp: X-Ocuroot-Timestamp is not unix seconds.
	ReasonMalformedTimestamp
	// ReasonMissingSignature: no X-Ocuroot-Signature header; the sender
	// has no secret configured.
	ReasonMissingSignature
	// ReasonMalformedSignature: X-Ocuroot-Signature is not "sha256=" and hex.
	ReasonMalformedSignature
	// ReasonSignatureMismatch: signed with another secret, or the body or
	// timestamp changed on the way.
	ReasonSignatureMismatch
	// ReasonStaleTimestamp: correctly signed, but the timestamp lies outside
	// the tolerance: a replayed call, or a clock that is off.
	ReasonStaleTimestamp
	// ReasonBadBody: the body could not be read, was too large, or is not
	// an event.
	ReasonBadBody
)

var reasonNames = map[Reason]string{
	ReasonNoSecret:           "no secret",
	ReasonMissingTimestamp:   "missing timestamp",
	ReasonMalformedTimestamp: "malformed timestamp",
	ReasonMissingSignature:   "missing signature",
	ReasonMalformedSignature: "malformed signature",
	ReasonSignatureMismatch:  "signature mismatch",
	ReasonStaleTimestamp:     "stale timestamp",
	ReasonBadBody:            "bad body",
}

// String names the reason in a few words, for logs and metrics labels.
func (r Reason) String() string {
	if name, ok := reasonNames[r]; ok {
		return name
	}
	return "unknown reason"
}

// VerifyError is a hook call that was refused. Its text names the header at
// fault and never holds the secret or the expected signature.
type VerifyError struct {
	Reason Reason
	// Detail says what was wrong, such as "missing X-Ocuroot-Signature".
	Detail string
	// Err is the underlying read or decoding error, for ReasonBadBody.
	Err error
}

func (e *VerifyError) Error() string { return "hook call refused: " + e.Detail }

func (e *VerifyError) Unwrap() error { return e.Err }

// StatusCode is the answer for the refused call: 400 for a bad body, 401
// otherwise. The provider retries neither; it fails the step at once and
// quotes the answer's body in its diagnostic.
func (e *VerifyError) StatusCode() int {
	if e.Reason == ReasonBadBody {
		return http.StatusBadRequest
	}
	return http.StatusUnauthorized
}
