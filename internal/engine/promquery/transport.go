package promquery

import (
	"fmt"
	"io"
	"net/http"
)

// userAgent names the provider in Prometheus's logs, like hook and probe
// requests do.
const userAgent = "terraform-provider-ocuroot"

// answerLimit bounds how much of an answer is read: a query matching far
// more series than one check can use must not exhaust memory.
const answerLimit = 16 << 20

// credentialTransport adds a check's credential headers to every request
// to Prometheus, and stops at a redirect. Credentials travel in headers
// only, never in the address: Go would send a user:password@ of the URL as
// basic auth and print it in errors, and validation refuses one.
type credentialTransport struct {
	base    http.RoundTripper
	headers map[string]string
}

func (t *credentialTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not change the request it was given.
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", userAgent)
	for name, value := range t.headers {
		req.Header.Set(name, value)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// Following it would hand the credential to whatever host the
		// answer names; client_golang would report a bare status code.
		_ = resp.Body.Close()
		return nil, &redirectError{status: describeStatus(resp.StatusCode), location: describeLocation(resp)}
	}
	resp.Body = limitedBody{Reader: io.LimitReader(resp.Body, answerLimit), Closer: resp.Body}
	return resp, nil
}

// limitedBody reads at most answerLimit bytes and closes the real body.
type limitedBody struct {
	io.Reader
	io.Closer
}

// redirectError is a 3xx answer that was not followed.
type redirectError struct {
	status   string // "HTTP 307 Temporary Redirect"
	location string // "to http://elsewhere/" or "without a Location header"
}

func (r *redirectError) Error() string { return "answered " + r.status + " " + r.location }

func describeStatus(status int) string {
	if text := http.StatusText(status); text != "" {
		return fmt.Sprintf("HTTP %d %s", status, text)
	}
	return fmt.Sprintf("HTTP %d", status)
}

func describeLocation(resp *http.Response) string {
	location, err := resp.Location()
	if err != nil {
		return "without a Location header"
	}
	return "to " + shownAddress(location.String())
}
