package demotarget_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// scrape reads GET /metrics (one tick of traffic) into series → value,
// series written as the exposition does: name{labels sorted by name}.
func (h *harness) scrape() map[string]float64 {
	h.t.Helper()
	res := h.get("/metrics")
	if res.status != http.StatusOK {
		h.t.Fatalf("GET /metrics: status %d, body %s", res.status, res.body)
	}
	out := map[string]float64{}
	lines := bufio.NewScanner(bytes.NewReader(res.body))
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		series, value, _ := strings.Cut(line, " ")
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			h.t.Fatalf("line %q: %v", line, err)
		}
		out[series] = v
	}
	return out
}

func requestsSeries(slot, version, status string) string {
	return `demo_requests_total{environment="prod",package="app",slot="` + slot + `",status="` + status + `",version="` + version + `"}`
}

// TestTraffic_canaryShareErrorsAndLatency: each scrape serves one tick of
// TickRequests requests split by the canary's weight; a version's error
// share and slowdown show exactly in its counters and histogram.
func TestTraffic_canaryShareErrorsAndLatency(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	h.sendOK(withWeight(withPrevious(event(hookreceiver.EventCanaryWeight, "app@2"), "app@1"), 20))
	h.target.SetErrorShare("2", 0.2)
	h.target.SlowDown("app@2", 1.5)

	h.scrape()
	got := h.scrape() // two ticks
	want := map[string]float64{
		requestsSeries("stable", "1", "200"): 160, requestsSeries("stable", "1", "500"): 0,
		requestsSeries("canary", "2", "200"): 32, requestsSeries("canary", "2", "500"): 8,
	}
	for series, value := range want {
		if got[series] != value {
			t.Errorf("%s = %v, want %v", series, got[series], value)
		}
	}
	// Every stable request takes BaseLatency (0.1s), every canary request
	// 1.5 times that: all of them in the 0.15 bucket, none in the 0.125 one.
	bucket := func(slot, version, le string) float64 {
		return got[`demo_request_duration_seconds_bucket{environment="prod",package="app",slot="`+slot+`",version="`+version+`",le="`+le+`"}`]
	}
	if bucket("stable", "1", "0.1") != 160 || bucket("canary", "2", "0.125") != 0 || bucket("canary", "2", "0.15") != 40 {
		t.Errorf("buckets: stable le=0.1 %v (want 160), canary le=0.125 %v (want 0), le=0.15 %v (want 40)",
			bucket("stable", "1", "0.1"), bucket("canary", "2", "0.125"), bucket("canary", "2", "0.15"))
	}
}

// TestTraffic_previewTrafficAndMute: a green slot without traffic gets
// preview requests; a muted version gets none, so it has no series.
func TestTraffic_previewTrafficAndMute(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	h.sendOK(event(hookreceiver.EventGreenCreate, "app@2"))
	got := h.scrape()
	if got[requestsSeries("blue", "1", "200")] != demotarget.TickRequests || got[requestsSeries("green", "2", "200")] != demotarget.PreviewRequests {
		t.Errorf("blue %v, green %v; want %d and %d preview requests", got[requestsSeries("blue", "1", "200")],
			got[requestsSeries("green", "2", "200")], demotarget.TickRequests, demotarget.PreviewRequests)
	}

	h.target.Reset()
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	h.sendOK(withWeight(event(hookreceiver.EventCanaryWeight, "app@2"), 50))
	if res := h.post("/control/mute/2"); res.status != http.StatusOK {
		t.Fatalf("mute: %d %s", res.status, res.body)
	}
	got = h.scrape()
	for series := range got {
		if strings.Contains(series, `version="2"`) {
			t.Errorf("muted version 2 has the series %s", series)
		}
	}
	if got[requestsSeries("stable", "1", "200")] != 50 {
		t.Errorf("stable served %v, want its 50%%", got[requestsSeries("stable", "1", "200")])
	}
}

// TestTraffic_controlAPI: the knobs over HTTP, and their refusals.
func TestTraffic_controlAPI(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	for path, status := range map[string]int{
		"/control/error-share/1?share=0.5": http.StatusOK,
		"/control/slow/1?factor=2":         http.StatusOK,
		"/control/error-share/1?share=x":   http.StatusBadRequest,
		"/control/slow/1":                  http.StatusBadRequest,
	} {
		if res := h.post(path); res.status != status {
			t.Errorf("POST %s: status %d, want %d (%s)", path, res.status, status, res.body)
		}
	}
	got := h.scrape()
	if got[requestsSeries("stable", "1", "500")] != 50 {
		t.Errorf("errors = %v, want half of the tick", got[requestsSeries("stable", "1", "500")])
	}
	if got[`demo_request_duration_seconds_bucket{environment="prod",package="app",slot="stable",version="1",le="0.2"}`] != 100 ||
		got[`demo_request_duration_seconds_bucket{environment="prod",package="app",slot="stable",version="1",le="0.15"}`] != 0 {
		t.Errorf("a version twice as slow should land in the 0.2 bucket")
	}
}
