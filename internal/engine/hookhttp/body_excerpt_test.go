package hookhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestFailedChecksQuoteTheBody: an unhealthy answer's detail quotes the
// start of its body on one line, bounded, with configured header values
// removed; a healthy answer is never read for a quote.
func TestFailedChecksQuoteTheBody(t *testing.T) {
	const token = "s3cr3t-token"
	long := strings.Repeat("0123456789", 30) // 300 bytes
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/warming":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("warming up\n"))
		case "/page":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>\r\n  <title>502 Bad Gateway</title>\n\t<p>upstream \"api\" down</p>\x00</html>"))
		case "/long":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(long))
		case "/echo":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("bad token " + r.Header.Get("Authorization")))
		case "/metrics":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error": "prometheus is restarting"}`))
		}
	}))
	t.Cleanup(server.Close)
	checker := NewChecker()
	for _, tt := range []struct {
		path, want string
	}{
		{"/warming", `status 503, expected 200; body: "warming up"`},
		{"/page", `status 502, expected 200; body: "<html> <title>502 Bad Gateway</title> <p>upstream "api" down</p> </html>"`},
		{"/long", `status 500, expected 200; body: "` + long[:200] + `…"`},
		{"/echo", `status 401, expected 200; body: "bad token [redacted]"`},
	} {
		hc := completed(domain.HealthCheck{URL: server.URL + tt.path, Headers: map[string]string{"Authorization": "Bearer " + token}})
		got := checker.Health(context.Background(), hc, domain.Placeholders{})
		if want := "GET " + server.URL + tt.path + ": " + tt.want; got.OK || got.Detail != want {
			t.Errorf("Health(%s) = %v, %q\nwant a failure, %q", tt.path, got.OK, got.Detail, want)
		}
	}
	got := checker.Metric(context.Background(), domain.MetricCheck{Name: "error_rate", URL: server.URL + "/metrics", Path: "error_rate"}, domain.Placeholders{})
	if want := "GET " + server.URL + `/metrics: status 503, expected 2xx; body: "{"error": "prometheus is restarting"}"`; got.Detail != want {
		t.Errorf("Metric detail = %q\nwant %q", got.Detail, want)
	}
}

// TestBrokenUnhealthyBodyStillNamesTheStatus: a body cut short is only
// a quote; the detail keeps the status and what arrived of the body.
func TestBrokenUnhealthyBodyStillNamesTheStatus(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("warm"))
	}))
	t.Cleanup(server.Close)
	got := NewChecker().Health(context.Background(), completed(domain.HealthCheck{URL: server.URL + "/cut"}), domain.Placeholders{})
	if want := "GET " + server.URL + `/cut: status 503, expected 200; body: "warm"`; got.OK || got.Detail != want {
		t.Errorf("Health = %v, %q\nwant a failure, %q", got.OK, got.Detail, want)
	}
}
