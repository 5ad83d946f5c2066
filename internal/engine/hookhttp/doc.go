// Package hookhttp is the HTTP adapter of the engine: it implements
// engine.HookSender (signed JSON POSTs, retried with go-retryablehttp, never
// following redirects, with secrets redacted from every error and log line)
// and engine.Checker (health probes and metric reads). It imports the
// domain for its types; the domain reaches it only through those two
// interfaces, so the engine runs with fakes in tests.
//
// The values it receives are complete: the engine applied the spec's
// defaults, validated the retry settings and filled in the default hook
// secret before handing them over.
package hookhttp
