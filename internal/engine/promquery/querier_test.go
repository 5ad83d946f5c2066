package promquery

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// TestQuery_outcomesAgainstARealPrometheus asks a real server queries whose
// answers need no scraped data, one per outcome the engine tells apart.
func TestQuery_outcomesAgainstARealPrometheus(t *testing.T) {
	t.Parallel()
	prom := enginetest.StartPrometheus(t)
	querier := New()
	ask := func(query string) domain.QueryAnswer {
		return querier.Query(context.Background(), domain.PromQuery{Server: prom.URL, Query: query, Timeout: 10 * time.Second})
	}

	t.Run("one sample", func(t *testing.T) {
		got := ask(`vector(0.25)`)
		if got.Outcome != domain.QuerySample || got.Value != 0.25 {
			t.Fatalf("answer = %+v, want the sample 0.25", got)
		}
	})
	t.Run("a scalar is one sample", func(t *testing.T) {
		got := ask(`scalar(vector(3))`)
		if got.Outcome != domain.QuerySample || got.Value != 3 {
			t.Fatalf("answer = %+v, want the sample 3", got)
		}
	})
	t.Run("no data", func(t *testing.T) {
		if got := ask(`vector(1) > 2`); got.Outcome != domain.QueryNoData {
			t.Fatalf("answer = %+v, want no data", got)
		}
	})
	t.Run("several series", func(t *testing.T) {
		got := ask(`label_replace(vector(1), "slot", "canary", "", "") or label_replace(vector(2), "slot", "stable", "", "")`)
		if got.Outcome != domain.QueryAmbiguous || got.Series != 2 {
			t.Fatalf("answer = %+v, want 2 ambiguous series", got)
		}
		if labels := strings.Join(got.Labels, " "); !strings.Contains(labels, `slot="canary"`) || !strings.Contains(labels, `slot="stable"`) {
			t.Errorf("labels = %q, want both slots named", labels)
		}
	})
	t.Run("NaN is a sample the engine judges", func(t *testing.T) {
		got := ask(`vector(0) / 0`)
		if got.Outcome != domain.QuerySample || !math.IsNaN(got.Value) {
			t.Fatalf("answer = %+v, want a NaN sample", got)
		}
	})
	t.Run("+Inf is a sample the engine judges", func(t *testing.T) {
		got := ask(`vector(1) / 0`)
		if got.Outcome != domain.QuerySample || !math.IsInf(got.Value, 1) {
			t.Fatalf("answer = %+v, want +Inf", got)
		}
	})
	t.Run("a bad query is refused in Prometheus's words", func(t *testing.T) {
		got := ask(`sum(rate(demo_requests_total[5m])`)
		if got.Outcome != domain.QueryRefused || !strings.Contains(got.Detail, "bad_data") || !strings.Contains(got.Detail, "parse error") {
			t.Fatalf("answer = %+v, want a refusal quoting Prometheus's parse error", got)
		}
	})
	t.Run("a range vector is refused", func(t *testing.T) {
		got := ask(`up[1m]`)
		if got.Outcome != domain.QueryRefused || !strings.Contains(got.Detail, "range vector") {
			t.Fatalf("answer = %+v, want a refusal naming the range vector", got)
		}
	})
	t.Run("a stopped server is unreachable", func(t *testing.T) {
		prom.Stop()
		got := ask(`vector(1)`)
		if got.Outcome != domain.QueryUnreachable || !strings.Contains(got.Detail, prom.URL) || !strings.Contains(got.Detail, "connection refused") {
			t.Fatalf("answer = %+v, want unreachable, naming %s and the refused connection", got, prom.URL)
		}
	})
}

// TestQuery_sendsTheCredentialHeaders: the credential goes in headers on
// every request, and none of its value appears in an answer.
func TestQuery_sendsTheCredentialHeaders(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []http.Header
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer s3cret-token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"unauthorized","error":"bad token s3cret-token"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.5"]}]}}`))
	}))
	defer api.Close()
	querier := New()

	got := querier.Query(context.Background(), domain.PromQuery{Server: api.URL, Query: "x", Timeout: 5 * time.Second,
		Headers: map[string]string{"Authorization": "Bearer s3cret-token"}})
	if got.Outcome != domain.QuerySample || got.Value != 0.5 {
		t.Fatalf("answer = %+v, want the sample 0.5", got)
	}
	mu.Lock()
	if len(seen) != 1 || seen[0].Get("Authorization") != "Bearer s3cret-token" || seen[0].Get("User-Agent") != userAgent {
		t.Errorf("request headers = %v, want the credential and the user agent on the one request", seen)
	}
	mu.Unlock()

	got = querier.Query(context.Background(), domain.PromQuery{Server: api.URL, Query: "x", Timeout: 5 * time.Second,
		Headers: map[string]string{"Authorization": "Bearer s3cret-tokenX"}})
	if got.Outcome != domain.QueryRefused || !strings.Contains(got.Detail, "401") {
		t.Fatalf("answer = %+v, want a refusal naming the 401", got)
	}
	if strings.Contains(got.Detail, "s3cret-tokenX") {
		t.Errorf("detail %q quotes the credential", got.Detail)
	}
}

// TestQuery_neverFollowsARedirect: a 3xx is reported, and the credential
// never reaches the host it names.
func TestQuery_neverFollowsARedirect(t *testing.T) {
	t.Parallel()
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the redirect was followed")
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/api/v1/query", http.StatusTemporaryRedirect)
	}))
	defer api.Close()

	got := New().Query(context.Background(), domain.PromQuery{Server: api.URL, Query: "x", Timeout: 5 * time.Second,
		Headers: map[string]string{"Authorization": "Bearer token"}})
	if got.Outcome != domain.QueryRefused || !strings.Contains(got.Detail, "HTTP 307") || !strings.Contains(got.Detail, "never follow redirects") {
		t.Fatalf("answer = %+v, want a refusal naming the 307", got)
	}
}

// TestQuery_timesOut: a server that does not answer is unreachable after
// the query's timeout, and says so.
func TestQuery_timesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer api.Close()
	defer close(release)

	got := New().Query(context.Background(), domain.PromQuery{Server: api.URL, Query: "x", Timeout: 200 * time.Millisecond})
	if got.Outcome != domain.QueryUnreachable || !strings.Contains(got.Detail, "did not answer within 200ms") {
		t.Fatalf("answer = %+v, want unreachable after the 200ms timeout", got)
	}
}

// TestQuery_notPrometheus: an address that answers something else than
// Prometheus's API is reported as such.
func TestQuery_notPrometheus(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	defer api.Close()
	got := New().Query(context.Background(), domain.PromQuery{Server: api.URL, Query: "x", Timeout: 5 * time.Second})
	if got.Outcome != domain.QueryUnreachable || !strings.Contains(got.Detail, "did not answer like Prometheus's HTTP API") {
		t.Fatalf("answer = %+v, want a detail saying the address is not Prometheus", got)
	}
}
