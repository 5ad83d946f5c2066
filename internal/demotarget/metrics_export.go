package demotarget

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Prometheus metrics of the synthetic traffic (traffic.go), served on
// GET /metrics for a Prometheus to scrape:
//
//	demo_requests_total{package, environment, slot, version, status}
//	demo_request_duration_seconds_bucket{package, environment, slot, version, le}
//
// Every scrape first serves one tick of traffic, so the counters move only
// while something scrapes them.

// latencyBuckets are fine enough around BaseLatency that a version 1.5
// times slower lands two buckets up: histogram_quantile tells them apart.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5}

var trafficLabels = []string{"package", "environment", "slot", "version"}

// trafficMetrics holds the exported metrics on a registry of their own, so
// a Reset starts from nothing and two targets in one test binary never
// share counters.
type trafficMetrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newTrafficMetrics() *trafficMetrics {
	m := &trafficMetrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "demo_requests_total",
			Help: "Requests served by each slot of each demo service, by HTTP status.",
		}, append(trafficLabels, "status")),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "demo_request_duration_seconds",
			Help:    "Latency of the requests served by each slot of each demo service.",
			Buckets: latencyBuckets,
		}, trafficLabels),
	}
	m.registry.MustRegister(m.requests, m.latency)
	return m
}

// record adds one tick of served requests.
func (m *trafficMetrics) record(served []servedRequests) {
	for _, s := range served {
		labels := prometheus.Labels{"package": s.pkg, "environment": s.env, "slot": s.slot, "version": s.version}
		ok := prometheus.Labels{"status": strconv.Itoa(http.StatusOK)}
		failed := prometheus.Labels{"status": strconv.Itoa(http.StatusInternalServerError)}
		for name, value := range labels {
			ok[name], failed[name] = value, value
		}
		m.requests.With(ok).Add(float64(s.requests - s.errors))
		// Always there, at zero when nothing failed: an error-rate query
		// then reads 0 rather than no data.
		m.requests.With(failed).Add(float64(s.errors))
		histogram := m.latency.With(labels)
		for range s.requests {
			histogram.Observe(s.latency)
		}
	}
}

// serveMetrics answers GET /metrics: one tick of traffic, then the
// exposition.
func (t *Target) serveMetrics(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	served := t.tickLocked()
	metrics := t.metrics
	metrics.record(served)
	t.mu.Unlock()
	promhttp.HandlerFor(metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
