package hookhttp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

func floatPtr(v float64) *float64 { return &v }

func TestReadMetricValue(t *testing.T) {
	body := []byte(`{
		"data": {"error_rate": 0.042, "p99": "123.5", "label": "fast", "up": true, "nested": {"a": 1}, "padded": " 7 ", "nan": "NaN"},
		"results": [{"name": "p50", "value": 10}, {"name": "p99", "value": 250}]
	}`)
	tests := []struct {
		name    string
		body    []byte
		path    string
		want    float64
		wantErr string
	}{
		{name: "number", body: body, path: "data.error_rate", want: 0.042},
		{name: "numeric string", body: body, path: "data.p99", want: 123.5},
		{name: "padded numeric string", body: body, path: "data.padded", want: 7},
		{name: "array index", body: body, path: "results.1.value", want: 250},
		{name: "gjson query", body: body, path: `results.#(name=="p50").value`, want: 10},
		{name: "missing path", body: body, path: "data.latency", wantErr: `path "data.latency" not found in response`},
		{name: "string", body: body, path: "data.label", wantErr: `value at "data.label" is not a number: "fast"`},
		{name: "bool", body: body, path: "data.up", wantErr: `value at "data.up" is not a number: true`},
		{name: "object", body: body, path: "data.nested", wantErr: `value at "data.nested" is not a number: {"a": 1}`},
		{name: "NaN string", body: body, path: "data.nan", wantErr: `value at "data.nan" is not a number: "NaN"`},
		{name: "invalid JSON", body: []byte(`<html>oops</html>`), path: "x", wantErr: "response is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readMetricValue(tt.body, tt.path)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr || got != tt.want {
				t.Errorf("readMetricValue(%q) = (%v, %q), want (%v, %q)", tt.path, got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

// checkTestServer serves fixed responses by path and records request paths.
func checkTestServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		switch {
		case r.URL.Path == "/ok":
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/accepted":
			w.WriteHeader(http.StatusAccepted)
		case r.URL.Path == "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/hang":
			<-r.Context().Done()
		case r.URL.Path == "/broken-metrics":
			w.WriteHeader(http.StatusInternalServerError)
		case strings.HasPrefix(r.URL.Path, "/metrics"):
			fmt.Fprint(w, `{"data": {"error_rate": 0.042, "p99": "250", "label": "fast"}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(server.Close)
	return server, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

func TestHTTPCheckerHealth(t *testing.T) {
	server, _ := checkTestServer(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name       string
		check      domain.HealthCheck
		wantOK     bool
		wantDetail string // exact unless wantPrefix
		wantPrefix bool
	}{
		{name: "200 is healthy", check: domain.HealthCheck{URL: server.URL + "/ok"}, wantOK: true,
			wantDetail: "GET " + server.URL + "/ok: status 200"},
		{name: "503 is not", check: domain.HealthCheck{URL: server.URL + "/down"},
			wantDetail: "GET " + server.URL + "/down: status 503, expected 200"},
		{name: "expected list", check: domain.HealthCheck{URL: server.URL + "/accepted", ExpectedStatus: []int{200, 204}},
			wantDetail: "GET " + server.URL + "/accepted: status 202, expected one of 200, 204"},
		{name: "expected list matches", check: domain.HealthCheck{URL: server.URL + "/accepted", ExpectedStatus: []int{200, 202}}, wantOK: true,
			wantDetail: "GET " + server.URL + "/accepted: status 202"},
		{name: "timeout", check: domain.HealthCheck{URL: server.URL + "/hang", Timeout: 100 * time.Millisecond},
			wantDetail: "GET " + server.URL + "/hang: timed out after 100ms"},
		{name: "query hidden", check: domain.HealthCheck{URL: server.URL + "/down?token=t0k"},
			wantDetail: "GET " + server.URL + "/down: status 503, expected 200"},
		{name: "unreachable", check: domain.HealthCheck{URL: closed.URL + "/ok", Timeout: time.Second},
			wantDetail: "GET " + closed.URL + "/ok: dial tcp", wantPrefix: true},
	}
	checker := NewChecker()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checker.Health(context.Background(), completed(tt.check), domain.Placeholders{})
			if got.Name != "health" || got.OK != tt.wantOK || got.Value != nil {
				t.Errorf("result = %+v, want Name health, OK %v, no value", got, tt.wantOK)
			}
			if tt.wantPrefix && !strings.HasPrefix(got.Detail, tt.wantDetail) || !tt.wantPrefix && got.Detail != tt.wantDetail {
				t.Errorf("Detail = %q, want %q", got.Detail, tt.wantDetail)
			}
		})
	}
}

func TestHTTPCheckerHealthCancelled(t *testing.T) {
	server, _ := checkTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := NewChecker().Health(ctx, completed(domain.HealthCheck{URL: server.URL + "/ok"}), domain.Placeholders{})
	if got.OK || got.Detail != "GET "+server.URL+"/ok: cancelled: context canceled" {
		t.Errorf("result = %+v, want a failed check saying it was cancelled", got)
	}
}

func TestHTTPCheckerMetric(t *testing.T) {
	server, _ := checkTestServer(t)
	tests := []struct {
		name       string
		check      domain.MetricCheck
		wantOK     bool
		wantValue  *float64
		wantDetail string
	}{
		{name: "within max", check: domain.MetricCheck{Name: "error_rate", URL: server.URL + "/metrics", Path: "data.error_rate", Max: floatPtr(0.1)},
			wantOK: true, wantValue: floatPtr(0.042), wantDetail: "error_rate = 0.042, at or below max 0.1"},
		{name: "above max", check: domain.MetricCheck{Name: "error_rate", URL: server.URL + "/metrics", Path: "data.error_rate", Max: floatPtr(0.01)},
			wantValue: floatPtr(0.042), wantDetail: "error_rate = 0.042, above max 0.01"},
		{name: "numeric string below min", check: domain.MetricCheck{Name: "p99", URL: server.URL + "/metrics", Path: "data.p99", Min: floatPtr(300), Max: floatPtr(500)},
			wantValue: floatPtr(250), wantDetail: "p99 = 250, below min 300"},
		{name: "missing path", check: domain.MetricCheck{Name: "error_rate", URL: server.URL + "/metrics", Path: "data.errors"},
			wantDetail: `path "data.errors" not found in response`},
		{name: "not a number", check: domain.MetricCheck{Name: "label", URL: server.URL + "/metrics", Path: "data.label"},
			wantDetail: `value at "data.label" is not a number: "fast"`},
		{name: "error status", check: domain.MetricCheck{Name: "error_rate", URL: server.URL + "/broken-metrics", Path: "data.error_rate"},
			wantDetail: "GET " + server.URL + "/broken-metrics: status 500, expected 2xx"},
		{name: "unnamed check uses the path", check: domain.MetricCheck{URL: server.URL + "/metrics", Path: "data.error_rate"},
			wantOK: true, wantValue: floatPtr(0.042), wantDetail: "data.error_rate = 0.042, no bounds set"},
	}
	checker := NewChecker()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checker.Metric(context.Background(), tt.check, domain.Placeholders{})
			if got.Name != tt.check.Name || got.OK != tt.wantOK || got.Detail != tt.wantDetail {
				t.Errorf("result = {Name %q OK %v Detail %q}, want {Name %q OK %v Detail %q}",
					got.Name, got.OK, got.Detail, tt.check.Name, tt.wantOK, tt.wantDetail)
			}
			switch {
			case tt.wantValue == nil && got.Value != nil:
				t.Errorf("Value = %v, want none", *got.Value)
			case tt.wantValue != nil && (got.Value == nil || *got.Value != *tt.wantValue):
				t.Errorf("Value = %v, want %v", got.Value, *tt.wantValue)
			}
		})
	}
}

func TestHTTPCheckerExpandsPlaceholders(t *testing.T) {
	server, paths := checkTestServer(t)
	vars := domain.Placeholders{Package: "web", Environment: "prod", Version: "1.2 rc", Release: "web@1.2", Slot: domain.SlotGreen}
	checker := NewChecker()

	checker.Health(context.Background(), completed(domain.HealthCheck{URL: server.URL + "/ok/{package}/{environment}/{slot}"}), vars)
	checker.Metric(context.Background(), domain.MetricCheck{Name: "m", URL: server.URL + "/metrics/{version}/{release}", Path: "x"}, vars)

	got := paths()
	want := []string{"/ok/web/prod/green", "/metrics/1.2%20rc/web@1.2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("requested paths %q, want %q", got, want)
	}
}

// completed is hc as the engine hands it to a checker: with the spec's
// defaults applied. Checker tests probe through it.
func completed(hc domain.HealthCheck) domain.HealthCheck {
	return *domain.DeploymentSpec{HealthCheck: &hc}.WithDefaults().HealthCheck
}
