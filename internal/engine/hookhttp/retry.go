package hookhttp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
