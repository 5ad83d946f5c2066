package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hook request headers. Receivers verify X-Ocuroot-Signature with
// VerifySignature and deduplicate on Idempotency-Key.
const (
	HeaderIdempotencyKey  = "Idempotency-Key"
	HeaderTimestamp       = "X-Ocuroot-Timestamp"
	HeaderSignature       = "X-Ocuroot-Signature"
	HeaderEvent           = "X-Ocuroot-Event"
	HeaderDeliveryAttempt = "X-Ocuroot-Delivery-Attempt"
)

// signaturePrefix names the algorithm so receivers can tell it apart from a
// future scheme without guessing.
const signaturePrefix = "sha256="

// DefaultSignatureTolerance is how old (or how far in the future) a signed
// timestamp may be before VerifySignature rejects it as a possible replay.
const DefaultSignatureTolerance = 5 * time.Minute

// SignPayload returns the X-Ocuroot-Signature value for a request:
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
// The timestamp is part of the signed text so a captured request cannot be
// replayed later with a fresh timestamp.
func SignPayload(secret string, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a hook request on the receiving side. timestamp and
// signatureHeader are the X-Ocuroot-Timestamp and X-Ocuroot-Signature header
// values, body the raw request body. Requests whose timestamp is further than
// tolerance from now are rejected (tolerance <= 0 means
// DefaultSignatureTolerance). The comparison is constant-time.
func VerifySignature(secret, timestamp, signatureHeader string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return errors.New("verify hook signature: no secret configured")
	}
	if signatureHeader == "" {
		return fmt.Errorf("verify hook signature: missing %s header", HeaderSignature)
	}
	if !strings.HasPrefix(signatureHeader, signaturePrefix) {
		return fmt.Errorf("verify hook signature: %s must start with %q", HeaderSignature, signaturePrefix)
	}
	unix, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("verify hook signature: %s %q is not unix seconds", HeaderTimestamp, timestamp)
	}
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	age := now.Sub(time.Unix(unix, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("verify hook signature: timestamp is %s away from now, tolerance %s", age.Abs().Round(time.Second), tolerance)
	}
	// Compare the decoded MACs, not the hex text, so letter case in the
	// header does not matter and hmac.Equal keeps the comparison constant-time.
	got, err := hex.DecodeString(strings.TrimPrefix(signatureHeader, signaturePrefix))
	if err != nil {
		return fmt.Errorf("verify hook signature: %s is not hex", HeaderSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(SignPayload(secret, timestamp, body), signaturePrefix))
	if !hmac.Equal(got, want) {
		return errors.New("verify hook signature: signature does not match the body")
	}
	return nil
}
