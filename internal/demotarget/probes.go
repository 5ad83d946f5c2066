package demotarget

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Probe kinds.
const (
	ProbeHealth  = "health"
	ProbeMetrics = "metrics"
)

// Probe is one recorded health or metric request. Package and Slot are
// empty for the package-agnostic URL forms.
type Probe struct {
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Package     string    `json:"package,omitempty"`
	Environment string    `json:"environment"`
	Slot        string    `json:"slot,omitempty"`
	Version     string    `json:"version"`
	Status      int       `json:"status"`
	// Headers holds the request headers, credential-like ones redacted
	// (their presence stays visible).
	Headers map[string]string `json:"headers,omitempty"`
}

// Metric values the target reports.
const (
	healthyErrorRate = 0.0
	failingErrorRate = 0.5
	reportedLatency  = 42
)

type healthAnswer struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Reason  string `json:"reason,omitempty"`
}

type metricsAnswer struct {
	ErrorRate float64 `json:"error_rate"`
	LatencyMS int     `json:"latency_ms"`
	Requests  int     `json:"requests"`
}

// serveProbe answers one health or metric probe and records it; answer
// runs with the lock held.
func (t *Target) serveProbe(kind string, answer func(Probe) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		probe := t.probeFromRequest(r, kind)
		t.mu.Lock()
		status, body := http.StatusUnauthorized, any(nil)
		if missing := t.missingProbeHeader(r.Header); missing != "" {
			body = errorAnswer{fmt.Sprintf("probe without the required %s header", missing)}
		} else {
			status, body = answer(probe)
		}
		probe.Status = status
		t.probes = append(t.probes, probe)
		t.mu.Unlock()
		writeJSON(w, status, body)
	}
}

// healthLocked answers GET /health/{package}/{environment}/{slot}/{version}
// and GET /health/{environment}/{version}.
func (t *Target) healthLocked(p Probe) (int, any) {
	if reason := t.unknownLocked(p); reason != "" {
		return http.StatusNotFound, healthAnswer{Status: "unknown", Version: p.Version, Reason: reason}
	}
	key := versionKey(p.Version)
	t.versionHit[key]++
	if failing, reason := t.versionHealthLocked(key, true); failing {
		return http.StatusServiceUnavailable, healthAnswer{Status: "failing", Version: p.Version, Reason: reason}
	}
	return http.StatusOK, healthAnswer{Status: "ok", Version: p.Version}
}

// metricsLocked answers GET /metrics/{package}/{environment}/{slot}/{version}
// and GET /metrics/{environment}/{version}.
func (t *Target) metricsLocked(p Probe) (int, any) {
	if reason := t.unknownLocked(p); reason != "" {
		return http.StatusNotFound, errorAnswer{reason}
	}
	key := versionKey(p.Version)
	t.versionHit[key]++
	answer := metricsAnswer{ErrorRate: healthyErrorRate, LatencyMS: reportedLatency, Requests: t.versionHit[key]}
	if failing, _ := t.versionHealthLocked(key, false); failing {
		answer.ErrorRate = failingErrorRate
	}
	return http.StatusOK, answer
}

// missingProbeHeader names a required probe header that is absent or has
// another value, or returns "". The value is never quoted: it is a secret.
func (t *Target) missingProbeHeader(h http.Header) string {
	names := slices.Sorted(maps.Keys(t.opts.RequireProbeHeaders))
	for _, name := range names {
		if h.Get(name) != t.opts.RequireProbeHeaders[name] {
			return name
		}
	}
	return ""
}

func (t *Target) probeFromRequest(r *http.Request, kind string) Probe {
	return Probe{
		Headers:     redactHeaders(r.Header),
		Time:        t.now(),
		Kind:        kind,
		Package:     r.PathValue("package"),
		Environment: r.PathValue("environment"),
		Slot:        r.PathValue("slot"),
		Version:     r.PathValue("version"),
	}
}

// unknownLocked says, in strict mode only, why no slot runs the probed
// version; outside strict mode every version is answered.
func (t *Target) unknownLocked(p Probe) string {
	if !t.opts.Strict {
		return ""
	}
	want := versionKey(p.Version)
	if p.Package == "" {
		for key, s := range t.services {
			if key.env != p.Environment {
				continue
			}
			for _, release := range s.releases() {
				if versionKey(release) == want {
					return ""
				}
			}
		}
		return fmt.Sprintf("no service in %s runs version %s", p.Environment, p.Version)
	}
	s, ok := t.services[serviceKey{p.Package, p.Environment}]
	if !ok {
		return fmt.Sprintf("%s is not deployed in %s", p.Package, p.Environment)
	}
	release, ok := s.slotRelease(p.Slot)
	if !ok {
		return fmt.Sprintf("%s in %s has no %s slot", p.Package, p.Environment, p.Slot)
	}
	if versionKey(release) != want {
		return fmt.Sprintf("the %s slot of %s in %s runs %s, not %s", p.Slot, p.Package, p.Environment, release, p.Version)
	}
	return ""
}
