// Package hookreceiver is the wire contract of the hooks that the ocuroot
// Terraform provider sends: the JSON event, the event and slot names, the
// headers, and the HMAC signature. A receiver written in Go imports it to
// verify and decode a hook call in one step; the provider signs its calls
// with the same package, so the two sides cannot drift apart.
//
// Each hook call is an HTTP POST of one [Event] as JSON, with these headers:
//
//	Idempotency-Key:            PACKAGE/ENVIRONMENT/ROLLOUT_ID/STEP/EVENT, the same for every delivery of one step
//	X-Ocuroot-Event:            the event type, as in the body's "type"
//	X-Ocuroot-Delivery-Attempt: 1 for the first HTTP attempt, then 2, 3… for retries
//	X-Ocuroot-Timestamp:        unix seconds when this attempt was signed
//	X-Ocuroot-Signature:        "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + raw body))
//
// [Verify] (or a [Verifier] built once with [NewVerifier]) reads the body,
// checks the signature in constant time and the timestamp against a window
// ([DefaultTolerance], 5 minutes, unless [WithTolerance] says otherwise),
// and returns the decoded event, or a [*VerifyError] whose [Reason] says
// what was wrong. Answer 2xx once the event is carried out; a receiver
// should also record each Idempotency-Key it carried out and acknowledge a
// repeated one without doing the work twice (retries and resumed rollouts
// send the same key again).
//
// The package needs only the standard library. Receivers in other languages
// follow the same recipe: the provider's hook contract guide shows it in
// Go and Python.
package hookreceiver
