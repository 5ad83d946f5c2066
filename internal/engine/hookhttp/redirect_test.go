package hookhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// redirectFixture is a server that answers every request with one 3xx
// pointing at a second server, which must never be reached.
type redirectFixture struct {
	origin    *hookTestServer
	elsewhere *httptest.Server
	// location is the Location header sent, with a query that must not
	// appear in any message; shownLocation is how messages name it.
	location, shownLocation string

	mu      sync.Mutex
	reached []string // method and path of every request elsewhere got
}

func newRedirectFixture(t *testing.T, status int) *redirectFixture {
	t.Helper()
	f := &redirectFixture{}
	f.elsewhere = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reached = append(f.reached, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
	}))
	t.Cleanup(f.elsewhere.Close)
	f.shownLocation = f.elsewhere.URL + "/collect"
	f.location = f.shownLocation + "?token=leak"
	f.origin = newHookTestServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", f.location)
		w.WriteHeader(status)
	})
	return f
}

// assertNothingFollowed checks the origin got exactly one request, with the
// method it was sent with, and the other host got none.
func (f *redirectFixture) assertNothingFollowed(t *testing.T, method string) {
	t.Helper()
	seen := f.origin.seen()
	if len(seen) != 1 || seen[0].method != method {
		methods := make([]string, len(seen))
		for i, r := range seen {
			methods[i] = r.method
		}
		t.Errorf("origin got %v, want exactly one %s (a redirect is neither followed nor retried)", methods, method)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reached) != 0 {
		t.Errorf("the redirect target was reached: %v; redirects must never be followed", f.reached)
	}
}

var redirectStatuses = []int{
	http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
}

// TestHookSendNeverFollowsRedirects: a 3xx answer to a hook is a failure
// naming the status and where it pointed. The signed body, its signature
// and the Idempotency-Key never reach the other host, a 301 or 302 is not
// re-sent as a GET, and nothing is retried.
func TestHookSendNeverFollowsRedirects(t *testing.T) {
	for _, status := range redirectStatuses {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newRedirectFixture(t, status)
			cfg := domain.HookConfig{URL: f.origin.URL + "/hooks", Secret: "s3cret", Retry: fastHookRetry}
			result, err := NewSender(nil).Send(context.Background(), cfg, "api/prod/r-1/step-0/deploy", testHookEvent())

			hookErr := asHookError(t, err)
			want := `hook "canary.weight" answered ` + describeStatus(status) + " to " + f.shownLocation +
				" (hook url " + f.origin.URL + "/hooks); hooks never follow redirects: point the hook url at the final address"
			if err.Error() != want {
				t.Errorf("error =\n %s\nwant\n %s", err, want)
			}
			if hookErr.StatusCode != status || hookErr.Location != f.shownLocation || result.Attempts != 1 {
				t.Errorf("HookError = {Status %d Location %q}, attempts %d; want {%d %q}, 1 attempt",
					hookErr.StatusCode, hookErr.Location, result.Attempts, status, f.shownLocation)
			}
			f.assertNothingFollowed(t, http.MethodPost)
			if seen := f.origin.seen(); len(seen) == 1 && len(seen[0].body) == 0 {
				t.Error("the origin got an empty body: the hook must be sent as a POST with its event")
			}
		})
	}
}

func TestHookRedirectWithoutOrRelativeLocation(t *testing.T) {
	tests := []struct {
		name, location, want string
	}{
		{name: "no Location", location: "", want: "answered HTTP 302 Found without a Location header"},
		{name: "relative Location", location: "/moved?sig=x", want: "answered HTTP 302 Found to {origin}/moved (hook url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := newHookTestServer(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				if tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				w.WriteHeader(http.StatusFound)
			})
			_, err := NewSender(nil).Send(context.Background(), domain.HookConfig{URL: origin.URL, Retry: fastHookRetry}, "key", testHookEvent())
			want := strings.ReplaceAll(tt.want, "{origin}", origin.URL)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want it to contain %q", err, want)
			}
		})
	}
}

// TestHTTPCheckerNeverFollowsRedirects: a health or metric probe answered
// with a 3xx fails, naming the status and Location; the probe's headers
// never reach the other host.
func TestHTTPCheckerNeverFollowsRedirects(t *testing.T) {
	checker := NewChecker()
	headers := map[string]string{"Authorization": "Bearer probe-token"}
	for _, status := range redirectStatuses {
		t.Run(http.StatusText(status), func(t *testing.T) {
			wantDetail := "GET {origin}/probe: answered " + describeStatus(status) + " to {location}; " +
				"checks never follow redirects: point the url at the final address"

			health := newRedirectFixture(t, status)
			got := checker.Health(context.Background(), completed(domain.HealthCheck{URL: health.origin.URL + "/probe", Headers: headers}), domain.Placeholders{})
			want := strings.NewReplacer("{origin}", health.origin.URL, "{location}", health.shownLocation).Replace(wantDetail)
			if got.OK || got.Detail != want {
				t.Errorf("health = {OK %v Detail %q}, want a failure %q", got.OK, got.Detail, want)
			}
			health.assertNothingFollowed(t, http.MethodGet)

			metric := newRedirectFixture(t, status)
			got = checker.Metric(context.Background(), domain.MetricCheck{Name: "error_rate", URL: metric.origin.URL + "/probe", Path: "x", Headers: headers}, domain.Placeholders{})
			want = strings.NewReplacer("{origin}", metric.origin.URL, "{location}", metric.shownLocation).Replace(wantDetail)
			if got.OK || got.Detail != want || got.Value != nil {
				t.Errorf("metric = {OK %v Detail %q}, want a failure %q", got.OK, got.Detail, want)
			}
			metric.assertNothingFollowed(t, http.MethodGet)
		})
	}
}

// TestHTTPCheckerExpectedRedirect: a 3xx listed in expected_status is a
// healthy answer, still without following it.
func TestHTTPCheckerExpectedRedirect(t *testing.T) {
	f := newRedirectFixture(t, http.StatusFound)
	got := NewChecker().Health(context.Background(),
		completed(domain.HealthCheck{URL: f.origin.URL + "/probe", ExpectedStatus: []int{200, 302}}), domain.Placeholders{})
	if !got.OK || got.Detail != "GET "+f.origin.URL+"/probe: status 302" {
		t.Errorf("health = {OK %v Detail %q}, want healthy with status 302", got.OK, got.Detail)
	}
	f.assertNothingFollowed(t, http.MethodGet)
}
