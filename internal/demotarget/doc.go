// Package demotarget plays the software that ocuroot deploys: an HTTP service
// that receives the provider's lifecycle hooks, keeps a small model of each
// service's slots, answers health and metric checks, and lets tests and the
// quick-start demo inject faults. Acceptance tests run it in-process
// (httptest.NewServer(target.Handler())); the demo runs it as the
// cmd/ocuroot-demo-target binary.
//
// It imports nothing from the engine or Terraform. It verifies and decodes
// hooks with the public hookreceiver package, as a receiver written in Go
// would, so the provider's signing (which uses the same package) is tested
// from the receiving side against the contract below.
//
// # Hook contract
//
// Every lifecycle event arrives as
//
//	POST /hooks                      (any path ending in /hooks, or POST /)
//	Content-Type: application/json
//	Idempotency-Key: <stable for one step, across retries and resumed runs>
//	X-Ocuroot-Event: <event type, the same as the body's "type">
//	X-Ocuroot-Delivery-Attempt: <HTTP attempt of this delivery: 1, 2, …>
//	X-Ocuroot-Timestamp: <unix seconds>
//	X-Ocuroot-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
//
//	{"type": "canary.weight", "package": "app", "environment": "prod",
//	 "environment_attributes": {"type": "prod"}, "release": "app@2", "version": "2",
//	 "previous_release": "app@1", "weight": 10, "slot": "canary", "attempt": 1,
//	 "rollout_id": "r-1", "step": 1, "reason": "canary step 1", "time": "2025-01-01T00:00:00Z"}
//
// The target answers, checking in this order:
//
//  1. 401 when a secret is configured and the timestamp or signature is
//     missing, malformed, wrong, or (with a SignatureTolerance) too old;
//     recorded as rejected.
//  2. 400 when the body is not an event with type, package and environment,
//     or X-Ocuroot-Event names another type.
//  3. 200 with the very same body as the first time when the Idempotency-Key
//     already succeeded; recorded as duplicate, and the model does not move.
//  4. An injected status (FailHook), no answer at all for status 0, or an
//     injected redirect (RedirectHook: a 3xx with a Location header). A
//     client must not follow it: hooks never follow redirects.
//  5. 409 in strict mode when the event does not fit the model (a cutover
//     without a green slot, a blue drain before the cutover, …). Outside
//     strict mode such an event is applied as well as it can be and the
//     mismatch is recorded in Call.Anomaly.
//  6. 200 {"accepted": true, "event": type, "state": ServiceState} otherwise.
//
// # Service model
//
// Each (package, environment) is one service with slots:
//
//   - deploy R:        R is stable (and blue) at 100%; canary and green cleared.
//   - canary.weight R: R is the canary at the event's weight; stable keeps the rest.
//   - promote R:       R becomes stable at 100%; canary and green cleared.
//   - rollback:        previous_release (else the stable one) at 100%; canary
//     cleared; green removed, or, with slot "blue", traffic switched back to
//     blue while green is kept.
//   - green.create R:  green runs R and takes no traffic.
//   - cutover:         green is active and takes 100%; blue still exists.
//   - blue.drain:      blue is removed and the green release becomes the
//     stable/blue one (the next rollout creates a new green).
//   - teardown:        the service is removed.
//
// # URL layout
//
//	POST /hooks, POST …/hooks, POST /                  hook delivery
//	GET  /health/{package}/{environment}/{slot}/{version}
//	GET  /health/{environment}/{version}                200 {"status":"ok"} or 503
//	GET  /metrics/{package}/{environment}/{slot}/{version}
//	GET  /metrics/{environment}/{version}               {"error_rate","latency_ms","requests"}
//	GET  /control/calls                                 recorded hook calls
//	GET  /control/probes                                recorded health and metric probes
//	GET  /control/state                                 every service
//	GET  /control/state/{package}/{environment}         one service (404 when absent)
//	POST /control/bad/{version}, /control/good/{version}
//	POST /control/fail-hook/{event}?statuses=503,503    0 = hang; event "*" = any
//	POST /control/redirect-hook/{event}?status=307&location=http://elsewhere/hooks
//	POST /control/fail-health-after/{version}?n=3
//	POST /control/error-share/{version}?share=0.2        synthetic requests failing with 500
//	POST /control/slow/{version}?factor=1.5               synthetic requests slower
//	POST /control/mute/{version}, /control/unmute/{version}
//	POST /control/reset
//	GET  /metrics                                       Prometheus metrics of the synthetic traffic
//
// # Prometheus metrics
//
// GET /metrics serves, for a Prometheus to scrape, the requests of a
// synthetic traffic model: each scrape first serves one tick of
// TickRequests requests per service, split between its slots by the
// model's weights (a green slot without traffic still gets
// PreviewRequests), and counts them in demo_requests_total{package,
// environment, slot, version, status} and the histogram
// demo_request_duration_seconds. SetErrorShare, SlowDown and MuteTraffic
// make a version fail a share of its requests, answer more slowly, or serve
// nothing (traffic.go).
//
// Health and metric probes may be required to carry headers
// (Options.RequireProbeHeaders): a probe without them is answered 401. Every
// probe is recorded with its headers, credential-like values redacted.
//
// The control API is unauthenticated: the target is a local test double.
package demotarget
