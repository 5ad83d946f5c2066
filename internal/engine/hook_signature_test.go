package engine

import (
	"strings"
	"testing"
	"time"
)

func TestSignPayload(t *testing.T) {
	// Computed independently (Python's hmac module) so receivers in other
	// languages can check their implementation against the same vector.
	got := SignPayload("whsec-test", "1700000000", []byte(`{"type":"deploy"}`))
	want := "sha256=cb725692e3496bd64f70e062aea174856e57b95739e1f063da6fcf406e0b7cfe"
	if got != want {
		t.Errorf("SignPayload = %s, want %s", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"type":"deploy"}`)
	ts := "1700000000"
	valid := SignPayload("secret", ts, body)
	tests := []struct {
		name      string
		secret    string
		timestamp string
		signature string
		body      []byte
		now       time.Time
		tolerance time.Duration
		wantErr   string
	}{
		{name: "valid", secret: "secret", timestamp: ts, signature: valid, body: body, now: now},
		{name: "upper-case hex", secret: "secret", timestamp: ts, signature: "sha256=" + strings.ToUpper(strings.TrimPrefix(valid, "sha256=")), body: body, now: now},
		{name: "within tolerance", secret: "secret", timestamp: ts, signature: valid, body: body, now: now.Add(4 * time.Minute)},
		{name: "wrong secret", secret: "other", timestamp: ts, signature: valid, body: body, now: now,
			wantErr: "verify hook signature: signature does not match the body"},
		{name: "tampered body", secret: "secret", timestamp: ts, signature: valid, body: []byte(`{"type":"rollback"}`), now: now,
			wantErr: "verify hook signature: signature does not match the body"},
		{name: "stale", secret: "secret", timestamp: ts, signature: valid, body: body, now: now.Add(10 * time.Minute),
			wantErr: "verify hook signature: timestamp is 10m0s away from now, tolerance 5m0s"},
		{name: "from the future", secret: "secret", timestamp: ts, signature: valid, body: body, now: now.Add(-2 * time.Minute), tolerance: time.Minute,
			wantErr: "verify hook signature: timestamp is 2m0s away from now, tolerance 1m0s"},
		{name: "timestamp not a number", secret: "secret", timestamp: "yesterday", signature: valid, body: body, now: now,
			wantErr: `verify hook signature: X-Ocuroot-Timestamp "yesterday" is not unix seconds`},
		{name: "missing header", secret: "secret", timestamp: ts, body: body, now: now,
			wantErr: "verify hook signature: missing X-Ocuroot-Signature header"},
		{name: "unknown scheme", secret: "secret", timestamp: ts, signature: "sha1=abc", body: body, now: now,
			wantErr: `verify hook signature: X-Ocuroot-Signature must start with "sha256="`},
		{name: "not hex", secret: "secret", timestamp: ts, signature: "sha256=zz", body: body, now: now,
			wantErr: "verify hook signature: X-Ocuroot-Signature is not hex"},
		{name: "no secret", timestamp: ts, signature: valid, body: body, now: now,
			wantErr: "verify hook signature: no secret configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.timestamp, tt.signature, tt.body, tt.now, tt.tolerance)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("VerifySignature = %q, want %q", got, tt.wantErr)
			}
		})
	}
}
