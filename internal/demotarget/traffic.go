package demotarget

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// Synthetic traffic. A real service is judged by the requests its users
// send; the demo target has no users, so it serves requests of its own: one
// tick of traffic each time its Prometheus metrics are scraped, before they
// are exported. Ticking per scrape rather than per second of wall time
// makes every ratio exact: the error share of a version and its latency are
// the same in every tick, however late a scrape comes on a loaded machine,
// so a test can assert that 20% of errors is read as 0.2.
//
// A tick serves TickRequests requests per service, split by the traffic
// model: the canary gets its weight and stable the rest, and a green slot
// that takes no traffic yet still gets PreviewRequests requests of preview
// traffic (the smoke tests a real blue-green setup sends to the new slot),
// so a pre-promotion check has data to judge.
const (
	TickRequests    = 100
	PreviewRequests = 20
)

// BaseLatency is the latency of every request of a version that was not
// slowed down, in seconds.
const BaseLatency = 0.1

// versionTraffic is how a version's requests behave; the zero value is a
// healthy version.
type versionTraffic struct {
	errorShare float64 // share of requests answered 500
	slowdown   float64 // latency factor; 0 means 1
	muted      bool    // serves no requests at all
}

// SetErrorShare makes share (0 to 1) of version's requests fail with 500.
// version may be a bare version or a release id, like MarkBad's.
func (t *Target) SetErrorShare(version string, share float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	vt := t.traffic[versionKey(version)]
	vt.errorShare = min(max(share, 0), 1)
	t.traffic[versionKey(version)] = vt
}

// SlowDown multiplies the latency of version's requests by factor (1.5:
// half again as slow as BaseLatency).
func (t *Target) SlowDown(version string, factor float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	vt := t.traffic[versionKey(version)]
	vt.slowdown = max(factor, 0)
	t.traffic[versionKey(version)] = vt
}

// MuteTraffic makes version serve no requests, so Prometheus has no series
// for it (muted) or sees them again (not muted): a canary nobody calls
// yet, for the no-data outcome.
func (t *Target) MuteTraffic(version string, muted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	vt := t.traffic[versionKey(version)]
	vt.muted = muted
	t.traffic[versionKey(version)] = vt
}

// servedRequests is what one slot of one service served in a tick.
type servedRequests struct {
	pkg, env, slot, version string
	requests, errors        int
	latency                 float64 // seconds, the same for every request
}

// tickLocked serves one tick of traffic and returns what each slot
// served. Errors are spread so that their running total is always the
// version's share of its requests, rounded down.
func (t *Target) tickLocked() []servedRequests {
	var out []servedRequests
	keys := slices.SortedFunc(maps.Keys(t.services), func(a, b serviceKey) int {
		return cmp.Or(cmp.Compare(a.pkg, b.pkg), cmp.Compare(a.env, b.env))
	})
	for _, key := range keys {
		for _, share := range trafficShares(*t.services[key]) {
			vt := t.traffic[versionKey(share.release)]
			if vt.muted || share.requests == 0 {
				continue
			}
			slowdown := vt.slowdown
			if slowdown == 0 {
				slowdown = 1
			}
			counter := fmt.Sprintf("%s/%s/%s/%s", key.pkg, key.env, share.slot, share.release)
			before := t.served[counter]
			after := before + share.requests
			t.served[counter] = after
			errors := int(float64(after)*vt.errorShare+1e-9) - int(float64(before)*vt.errorShare+1e-9)
			out = append(out, servedRequests{pkg: key.pkg, env: key.env, slot: share.slot, version: versionKey(share.release),
				requests: share.requests, errors: errors, latency: latencyOf(slowdown)})
		}
	}
	return out
}

// latencyOf is BaseLatency slowed down by factor, to the microsecond: 1.5
// times 0.1 is then exactly 0.15, and falls in the 0.15 bucket rather than
// just above it.
func latencyOf(factor float64) float64 {
	return math.Round(BaseLatency*factor*1e6) / 1e6
}

// slotShare is the requests one slot gets in a tick.
type slotShare struct {
	slot, release string
	requests      int
}

// trafficShares splits a tick's requests between the slots of a service.
func trafficShares(s ServiceState) []slotShare {
	switch {
	case s.Active == hookreceiver.SlotGreen && s.Green != "":
		return []slotShare{{hookreceiver.SlotGreen, s.Green, TickRequests}}
	case s.Canary != "" && s.Stable != "":
		canary := TickRequests * s.CanaryWeight / 100
		return []slotShare{{hookreceiver.SlotStable, s.Stable, TickRequests - canary}, {hookreceiver.SlotCanary, s.Canary, canary}}
	case s.Green != "" && s.Stable != "":
		return []slotShare{{hookreceiver.SlotBlue, s.Stable, TickRequests}, {hookreceiver.SlotGreen, s.Green, PreviewRequests}}
	case s.Stable != "":
		return []slotShare{{hookreceiver.SlotStable, s.Stable, TickRequests}}
	}
	return nil
}

// trafficControlRoutes mounts the traffic knobs on the control API:
//
//	POST /control/error-share/{version}?share=0.2
//	POST /control/slow/{version}?factor=1.5
//	POST /control/mute/{version}, POST /control/unmute/{version}
func (t *Target) trafficControlRoutes(mux *http.ServeMux) {
	number := func(w http.ResponseWriter, r *http.Request, name, example string, apply func(string, float64)) {
		v, err := strconv.ParseFloat(r.URL.Query().Get(name), 64)
		if err != nil || v < 0 {
			writeJSON(w, http.StatusBadRequest, errorAnswer{fmt.Sprintf("%s must be a number >= 0, e.g. ?%s=%s", name, name, example)})
			return
		}
		apply(r.PathValue("version"), v)
		writeOK(w)
	}
	mux.HandleFunc("POST /control/error-share/{version}", func(w http.ResponseWriter, r *http.Request) {
		number(w, r, "share", "0.2", t.SetErrorShare)
	})
	mux.HandleFunc("POST /control/slow/{version}", func(w http.ResponseWriter, r *http.Request) {
		number(w, r, "factor", "1.5", t.SlowDown)
	})
	mux.HandleFunc("POST /control/mute/{version}", func(w http.ResponseWriter, r *http.Request) {
		t.MuteTraffic(r.PathValue("version"), true)
		writeOK(w)
	})
	mux.HandleFunc("POST /control/unmute/{version}", func(w http.ResponseWriter, r *http.Request) {
		t.MuteTraffic(r.PathValue("version"), false)
		writeOK(w)
	})
}
