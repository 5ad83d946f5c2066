package hookhttp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// TestHTTPCheckerSendsHeaders: configured headers go with every health and
// metric probe.
func TestHTTPCheckerSendsHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s auth=%q ua=%q", r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("User-Agent")))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer probe-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"error_rate": 0.01}`)
	}))
	t.Cleanup(server.Close)
	headers := map[string]string{"Authorization": "Bearer probe-token"}
	checker := NewChecker()

	health := checker.Health(context.Background(), completed(domain.HealthCheck{URL: server.URL + "/health", Headers: headers}), domain.Placeholders{})
	metric := checker.Metric(context.Background(), domain.MetricCheck{Name: "error_rate", URL: server.URL + "/metrics", Path: "error_rate", Headers: headers}, domain.Placeholders{})
	if !health.OK || !metric.OK {
		t.Errorf("health = %+v, metric = %+v; want both to pass with the header", health, metric)
	}
	want := []string{
		`/health auth="Bearer probe-token" ua="terraform-provider-ocuroot"`,
		`/metrics auth="Bearer probe-token" ua="terraform-provider-ocuroot"`,
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, want) {
		t.Errorf("requests:\n got  %q\n want %q", seen, want)
	}
}

// TestHTTPCheckerRefusesURLCredentials: a URL with user:password@ is never
// requested (Go would send it as basic auth), and the detail hides it.
func TestHTTPCheckerRefusesURLCredentials(t *testing.T) {
	server, paths := checkTestServer(t)
	withCredentials := strings.Replace(server.URL, "://", "://ops:hunter2@", 1) + "/ok"
	got := NewChecker().Health(context.Background(), completed(domain.HealthCheck{URL: withCredentials}), domain.Placeholders{})
	want := "GET " + server.URL + "/ok: the url contains credentials (user:password@); send them with headers instead"
	if got.OK || got.Detail != want {
		t.Errorf("result = {OK %v Detail %q}, want a failure %q", got.OK, got.Detail, want)
	}
	if len(paths()) != 0 {
		t.Errorf("the server was requested: %v", paths())
	}
}
