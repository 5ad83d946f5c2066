package hookreceiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Hook request headers.
const (
	// HeaderIdempotencyKey is stable for one step of one rollout, across
	// HTTP retries and resumed runs: deduplicate on it.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderTimestamp holds the unix seconds at which the attempt was signed.
	HeaderTimestamp = "X-Ocuroot-Timestamp"
	// HeaderSignature holds SignaturePrefix and the hex HMAC-SHA256.
	HeaderSignature = "X-Ocuroot-Signature"
	// HeaderEvent repeats Event.Type for proxies and logs. It is not signed:
	// route on the decoded event's Type.
	HeaderEvent = "X-Ocuroot-Event"
	// HeaderDeliveryAttempt counts the HTTP attempts of one delivery: 1, 2, …
	HeaderDeliveryAttempt = "X-Ocuroot-Delivery-Attempt"
)

// SignaturePrefix names the algorithm, so a later scheme can be told apart
// without guessing.
const SignaturePrefix = "sha256="

// FormatTimestamp is the X-Ocuroot-Timestamp value for t: unix seconds.
func FormatTimestamp(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10)
}

// Sign returns the X-Ocuroot-Signature value for a request:
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), where
// timestamp is the X-Ocuroot-Timestamp value and body the raw request body.
// The timestamp is signed with the body, so a captured request cannot be
// sent again later under a fresh timestamp.
func Sign(secret, timestamp string, body []byte) string {
	return SignaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}
