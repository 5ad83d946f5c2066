package demotarget

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// Options configures a Target.
type Options struct {
	// Secret is the HMAC secret hooks are signed with; empty disables
	// signature verification.
	Secret string
	// Clock is the source of time for records and the signature window;
	// time.Now when nil.
	Clock func() time.Time
	// SignatureTolerance bounds how far X-Ocuroot-Timestamp may lie from the
	// clock; 0 accepts any timestamp (a correct signature is still required).
	SignatureTolerance time.Duration
	// Strict answers 409 to hooks that do not fit the model, and 404 to
	// health and metric probes of a version that no slot runs.
	Strict bool
	// OnCall, when set, sees every recorded hook call, outside the lock.
	OnCall func(Call)
	// RequireProbeHeaders are headers every health and metric probe must
	// carry with exactly these values (an authorization token, say), as
	// a monitoring endpoint behind authentication would; a probe without
	// them is answered 401 and recorded with that status.
	RequireProbeHeaders map[string]string
}

// Target is the demo service. All methods are safe for concurrent use.
type Target struct {
	opts     Options
	now      func() time.Time
	verifier *hookreceiver.Verifier // nil: no secret, hooks are not verified
	handler  http.Handler

	mu         sync.Mutex
	calls      []Call
	probes     []Probe
	services   map[serviceKey]*ServiceState
	succeeded  map[string]storedResponse // Idempotency-Key → first successful answer
	hookFaults map[string][]hookFault    // event type (or "*") → answers still to inject
	bad        map[string]bool           // version key → marked bad
	healthLeft map[string]int            // version key → healthy probes left before 503
	versionHit map[string]int            // version key → probes served, the "requests" metric
	traffic    map[string]versionTraffic // version key → how its synthetic requests behave
	served     map[string]int            // package/environment/slot/release → synthetic requests served
	metrics    *trafficMetrics
	// released is closed to free hung hook calls (Reset, Close).
	released chan struct{}
	closed   bool
}

type serviceKey struct{ pkg, env string }

type storedResponse struct {
	status int
	body   []byte
}

// New returns a target with no services.
func New(opts Options) *Target {
	t := &Target{opts: opts, now: opts.Clock}
	if t.now == nil {
		t.now = time.Now
	}
	if opts.Secret != "" {
		t.verifier = hookVerifier(opts.Secret, opts.SignatureTolerance, t.now)
	}
	t.clearLocked()
	t.released = make(chan struct{})
	t.handler = t.routes()
	return t
}

// hookVerifier checks hooks on the target's clock. A tolerance of 0 accepts
// any timestamp, as Options.SignatureTolerance says; the signature is
// required all the same.
func hookVerifier(secret string, tolerance time.Duration, now func() time.Time) *hookreceiver.Verifier {
	window := hookreceiver.WithoutTimestampWindow()
	if tolerance > 0 {
		window = hookreceiver.WithTolerance(tolerance)
	}
	return hookreceiver.NewVerifier(secret, window, hookreceiver.WithClock(now), hookreceiver.WithMaxBodySize(maxHookBody))
}

// Handler serves hooks, probes and the control API.
func (t *Target) Handler() http.Handler { return t.handler }

func (t *Target) routes() http.Handler {
	mux := http.NewServeMux()
	health, metrics := t.serveProbe(ProbeHealth, t.healthLocked), t.serveProbe(ProbeMetrics, t.metricsLocked)
	mux.Handle("GET /health/{package}/{environment}/{slot}/{version}", health)
	mux.Handle("GET /health/{environment}/{version}", health)
	mux.Handle("GET /metrics/{package}/{environment}/{slot}/{version}", metrics)
	mux.Handle("GET /metrics/{environment}/{version}", metrics)
	mux.HandleFunc("GET /metrics", t.serveMetrics)
	t.controlRoutes(mux)
	mux.HandleFunc("GET /{$}", serveIndex)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hook paths are matched by suffix, which ServeMux patterns cannot express.
		if strings.HasSuffix(r.URL.Path, "/hooks") || (r.URL.Path == "/" && r.Method == http.MethodPost) {
			t.serveHook(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func serveIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ocuroot demo target: POST /hooks, GET /health/..., GET /metrics/..., /control/...\n"))
}

// Reset forgets every call, probe, service, fault and idempotency key, and
// frees hook calls that are hanging. Options are kept.
func (t *Target) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearLocked()
	if !t.closed {
		close(t.released)
		t.released = make(chan struct{})
	}
}

// Close frees hanging hook calls and makes later hang faults answer at
// once, so an http.Server can shut down. The target keeps serving.
func (t *Target) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		close(t.released)
	}
}

func (t *Target) clearLocked() {
	t.calls = nil
	t.probes = nil
	t.services = map[serviceKey]*ServiceState{}
	t.succeeded = map[string]storedResponse{}
	t.hookFaults = map[string][]hookFault{}
	t.bad = map[string]bool{}
	t.healthLeft = map[string]int{}
	t.versionHit = map[string]int{}
	t.traffic = map[string]versionTraffic{}
	t.served = map[string]int{}
	t.metrics = newTrafficMetrics()
}

// State returns the model of one service, and false when it does not exist
// (never deployed, or torn down).
func (t *Target) State(pkg, env string) (ServiceState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.services[serviceKey{pkg, env}]
	if !ok {
		return ServiceState{}, false
	}
	return s.clone(), true
}

// States returns every service, ordered by package then environment.
func (t *Target) States() []ServiceState {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ServiceState, 0, len(t.services))
	for _, s := range t.services {
		out = append(out, s.clone())
	}
	slices.SortFunc(out, func(a, b ServiceState) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Environment, b.Environment))
	})
	return out
}

// Calls returns every recorded hook call, in arrival order.
func (t *Target) Calls() []Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Call, len(t.calls))
	for i, c := range t.calls {
		out[i] = c.clone()
	}
	return out
}

// HookEvents returns the calls that moved the model: accepted, not
// rejected, not duplicates, not answered by an injected fault.
func (t *Target) HookEvents() []Call {
	var out []Call
	for _, c := range t.Calls() {
		if c.Accepted {
			out = append(out, c)
		}
	}
	return out
}

// EventTypes returns the types of HookEvents whose event passes filter (all
// when filter is nil), in order: e.g. [deploy canary.weight promote].
func (t *Target) EventTypes(filter func(hookreceiver.Event) bool) []string {
	var out []string
	for _, c := range t.HookEvents() {
		if filter == nil || filter(c.Event) {
			out = append(out, c.Event.Type)
		}
	}
	return out
}

// ForService is an EventTypes filter for one (package, environment).
func ForService(pkg, env string) func(hookreceiver.Event) bool {
	return func(e hookreceiver.Event) bool { return e.Package == pkg && e.Environment == env }
}

// Probes returns every recorded health and metric probe, in arrival order.
func (t *Target) Probes() []Probe {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.probes)
}

// HealthProbes counts the health probes served.
func (t *Target) HealthProbes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.probes {
		if p.Kind == ProbeHealth {
			n++
		}
	}
	return n
}

// recordLocked appends a call and hands it to Options.OnCall once unlocked.
// It must be called with t.mu held; the returned func runs the callback.
func (t *Target) recordLocked(c Call) (notify func()) {
	t.calls = append(t.calls, c)
	if t.opts.OnCall == nil {
		return func() {}
	}
	cb, copied := t.opts.OnCall, c.clone()
	return func() { cb(copied) }
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write([]byte("\n"))
}
