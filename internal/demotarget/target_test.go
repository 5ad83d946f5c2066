package demotarget_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

const testSecret = "s3cret-for-tests"

// fixedNow is the clock of targets that check the signature window.
var fixedNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	target *demotarget.Target
	server *httptest.Server
	secret string
	now    time.Time
}

func newHarness(t *testing.T, opts demotarget.Options) *harness {
	t.Helper()
	target := demotarget.New(opts)
	server := httptest.NewServer(target.Handler())
	t.Cleanup(func() {
		target.Close()
		server.Close()
	})
	now := time.Now()
	if opts.Clock != nil {
		now = opts.Clock()
	}
	return &harness{t: t, target: target, server: server, secret: opts.Secret, now: now}
}

// sign is computed here with crypto/hmac rather than with the package's own
// code, so a mistake in either shows up.
func sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "." + string(body)))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

type response struct {
	status int
	body   []byte
}

// hookRequest builds a signed hook request; mutate adjusts it before sending.
func (h *harness) hookRequest(key string, ev hookreceiver.Event) *http.Request {
	h.t.Helper()
	body, err := json.Marshal(ev)
	if err != nil {
		h.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.server.URL+"/hooks", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	timestamp := strconv.FormatInt(h.now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("X-Ocuroot-Event", ev.Type)
	req.Header.Set("X-Ocuroot-Delivery-Attempt", "1")
	req.Header.Set("X-Ocuroot-Timestamp", timestamp)
	if h.secret != "" {
		req.Header.Set("X-Ocuroot-Signature", sign(h.secret, timestamp, body))
	}
	return req
}

func (h *harness) do(req *http.Request) response {
	h.t.Helper()
	res, err := h.server.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{res.StatusCode, body}
}

func (h *harness) send(key string, ev hookreceiver.Event) response {
	h.t.Helper()
	return h.do(h.hookRequest(key, ev))
}

// sendOK sends an event under a fresh idempotency key and requires a 200.
func (h *harness) sendOK(ev hookreceiver.Event) {
	h.t.Helper()
	key := fmt.Sprintf("%s/%s/%s/%s/%d", ev.Package, ev.Environment, ev.Type, ev.Release, ev.Weight)
	if res := h.send(key, ev); res.status != http.StatusOK {
		h.t.Fatalf("%s %s: status %d, body %s", ev.Type, ev.Release, res.status, res.body)
	}
}

func (h *harness) get(path string) response  { h.t.Helper(); return h.request(http.MethodGet, path) }
func (h *harness) post(path string) response { h.t.Helper(); return h.request(http.MethodPost, path) }

func (h *harness) request(method, path string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.server.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

func event(typ, release string) hookreceiver.Event {
	_, version, _ := strings.Cut(release, "@")
	return hookreceiver.Event{
		Type: typ, Package: "app", Environment: "prod", Release: release, Version: version,
		EnvironmentAttributes: map[string]string{"type": "prod"}, Attempt: 1, RolloutID: "r-1",
		Time: fixedNow,
	}
}

func withWeight(ev hookreceiver.Event, weight int) hookreceiver.Event { ev.Weight = weight; return ev }
func withSlot(ev hookreceiver.Event, slot string) hookreceiver.Event  { ev.Slot = slot; return ev }
func withPrevious(ev hookreceiver.Event, previous string) hookreceiver.Event {
	ev.PreviousRelease = previous
	return ev
}

func TestSignatureVerification(t *testing.T) {
	clock := func() time.Time { return fixedNow }
	tests := []struct {
		name       string
		mutate     func(req *http.Request)
		wantStatus int
		wantReason string
	}{
		{name: "valid", wantStatus: 200},
		{name: "missing signature", mutate: func(r *http.Request) { r.Header.Del("X-Ocuroot-Signature") },
			wantStatus: 401, wantReason: "missing X-Ocuroot-Signature"},
		{name: "missing timestamp", mutate: func(r *http.Request) { r.Header.Del("X-Ocuroot-Timestamp") },
			wantStatus: 401, wantReason: "missing X-Ocuroot-Timestamp"},
		{name: "wrong secret", mutate: func(r *http.Request) {
			r.Header.Set("X-Ocuroot-Signature", sign("other", r.Header.Get("X-Ocuroot-Timestamp"), mustRead(t, r)))
		}, wantStatus: 401, wantReason: "does not match the body"},
		{name: "timestamp not signed", mutate: func(r *http.Request) {
			r.Header.Set("X-Ocuroot-Timestamp", strconv.FormatInt(fixedNow.Unix()+1, 10))
		}, wantStatus: 401, wantReason: "does not match the body"},
		{name: "no sha256 prefix", mutate: func(r *http.Request) {
			r.Header.Set("X-Ocuroot-Signature", strings.TrimPrefix(r.Header.Get("X-Ocuroot-Signature"), "sha256="))
		}, wantStatus: 401, wantReason: "does not start with sha256="},
		{name: "stale timestamp", mutate: func(r *http.Request) {
			stale := strconv.FormatInt(fixedNow.Add(-10*time.Minute).Unix(), 10)
			r.Header.Set("X-Ocuroot-Timestamp", stale)
			r.Header.Set("X-Ocuroot-Signature", sign(testSecret, stale, mustRead(t, r)))
		}, wantStatus: 401, wantReason: "10m0s away from now, more than the 5m0s tolerance"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, demotarget.Options{Secret: testSecret, Clock: clock, SignatureTolerance: 5 * time.Minute})
			req := h.hookRequest("k1", event(hookreceiver.EventDeploy, "app@1"))
			if tc.mutate != nil {
				tc.mutate(req)
			}
			res := h.do(req)
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", res.status, tc.wantStatus, res.body)
			}
			calls := h.target.Calls()
			if len(calls) != 1 {
				t.Fatalf("recorded %d calls, want 1", len(calls))
			}
			call := calls[0]
			if call.Rejected != (tc.wantStatus == 401) || !strings.Contains(call.RejectReason, tc.wantReason) {
				t.Errorf("rejected=%v reason %q, want reason containing %q", call.Rejected, call.RejectReason, tc.wantReason)
			}
			if !strings.Contains(string(res.body), tc.wantReason) {
				t.Errorf("body %s does not explain %q", res.body, tc.wantReason)
			}
			_, deployed := h.target.State("app", "prod")
			if deployed != (tc.wantStatus == 200) {
				t.Errorf("service exists = %v after status %d", deployed, tc.wantStatus)
			}
		})
	}
}

// mustRead returns a request's body and puts it back.
func mustRead(t *testing.T, r *http.Request) []byte {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

func TestUnsignedHooksAcceptedWithoutSecret(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	if res := h.send("k1", event(hookreceiver.EventDeploy, "app@1")); res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
}

func TestRecordedCallsNeverHoldTheSignature(t *testing.T) {
	h := newHarness(t, demotarget.Options{Secret: testSecret})
	req := h.hookRequest("k1", event(hookreceiver.EventDeploy, "app@1"))
	req.Header.Set("Authorization", "Bearer hunter2")
	req.Header.Set("X-Team", "payments")
	signature := req.Header.Get("X-Ocuroot-Signature")
	h.do(req)

	call := h.target.Calls()[0]
	if call.IdempotencyKey != "k1" || call.EventHeader != "deploy" || call.DeliveryAttempt != 1 || !call.Signed {
		t.Errorf("headers of interest not recorded: %+v", call)
	}
	if call.Headers["X-Team"] != "payments" {
		t.Errorf("custom header not recorded: %v", call.Headers)
	}
	recorded := string(h.get("/control/calls").body)
	for _, secret := range []string{testSecret, signature, strings.TrimPrefix(signature, "sha256="), "hunter2"} {
		if strings.Contains(recorded, secret) || strings.Contains(fmt.Sprint(call), secret) {
			t.Errorf("recorded calls contain %q", secret)
		}
	}
}

func TestDuplicateIdempotencyKey(t *testing.T) {
	h := newHarness(t, demotarget.Options{Secret: testSecret})
	first := h.send("step-1", event(hookreceiver.EventDeploy, "app@1"))
	h.sendOK(event(hookreceiver.EventDeploy, "app@2"))
	// A retry of step-1 after app@2 went live must not roll the service back.
	again := h.send("step-1", event(hookreceiver.EventDeploy, "app@1"))

	if again.status != 200 || !bytes.Equal(first.body, again.body) {
		t.Errorf("duplicate answered %d %s, want the first answer %d %s", again.status, again.body, first.status, first.body)
	}
	state, _ := h.target.State("app", "prod")
	if state.Live != "app@2" || state.Revision != 2 {
		t.Errorf("duplicate moved the model: live %s revision %d", state.Live, state.Revision)
	}
	calls := h.target.Calls()
	if last := calls[len(calls)-1]; !last.Duplicate || last.Accepted {
		t.Errorf("last call duplicate=%v accepted=%v, want a duplicate", last.Duplicate, last.Accepted)
	}
	if got := h.target.EventTypes(nil); !slices.Equal(got, []string{"deploy", "deploy"}) {
		t.Errorf("EventTypes = %v, want the two accepted deploys", got)
	}
}

// slots is the part of ServiceState the transition tests compare.
type slots struct {
	Stable, Canary       string
	CanaryWeight         int
	Green, Active        string
	Live, Pending        string
	TrafficPercent       int
	Traffic              map[string]int
	Anomaly              bool
	ServiceStillDeployed bool
}

func TestEventsMoveTheModel(t *testing.T) {
	deploy1 := event(hookreceiver.EventDeploy, "app@1")
	tests := []struct {
		name   string
		events []hookreceiver.Event
		want   slots
	}{
		{name: "deploy", events: []hookreceiver.Event{deploy1}, want: slots{
			Stable: "app@1", Active: "blue", Live: "app@1", TrafficPercent: 100, Traffic: map[string]int{"app@1": 100}}},
		{name: "canary at 10 then 50", events: []hookreceiver.Event{deploy1,
			withWeight(event(hookreceiver.EventCanaryWeight, "app@2"), 10),
			withWeight(event(hookreceiver.EventCanaryWeight, "app@2"), 50)}, want: slots{
			Stable: "app@1", Canary: "app@2", CanaryWeight: 50, Active: "blue", Live: "app@1", Pending: "app@2",
			TrafficPercent: 50, Traffic: map[string]int{"app@1": 50, "app@2": 50}}},
		{name: "canary promoted", events: []hookreceiver.Event{deploy1,
			withWeight(event(hookreceiver.EventCanaryWeight, "app@2"), 25),
			event(hookreceiver.EventPromote, "app@2")}, want: slots{
			Stable: "app@2", Active: "blue", Live: "app@2", TrafficPercent: 100, Traffic: map[string]int{"app@2": 100}}},
		{name: "canary rolled back", events: []hookreceiver.Event{deploy1,
			withWeight(event(hookreceiver.EventCanaryWeight, "app@2"), 25),
			withPrevious(event(hookreceiver.EventRollback, "app@2"), "app@1")}, want: slots{
			Stable: "app@1", Active: "blue", Live: "app@1", TrafficPercent: 0, Traffic: map[string]int{"app@1": 100}}},
		{name: "direct deploy rolled back to previous", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventDeploy, "app@2"),
			withPrevious(event(hookreceiver.EventRollback, "app@2"), "app@1")}, want: slots{
			Stable: "app@1", Active: "blue", Live: "app@1", Traffic: map[string]int{"app@1": 100}}},
		{name: "green created takes no traffic", events: []hookreceiver.Event{deploy1,
			withSlot(event(hookreceiver.EventGreenCreate, "app@2"), "green")}, want: slots{
			Stable: "app@1", Green: "app@2", Active: "blue", Live: "app@1", Pending: "app@2",
			TrafficPercent: 0, Traffic: map[string]int{"app@1": 100}}},
		{name: "cutover before drain keeps blue", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventGreenCreate, "app@2"), event(hookreceiver.EventCutover, "app@2")}, want: slots{
			Stable: "app@1", Green: "app@2", Active: "green", Live: "app@2",
			TrafficPercent: 100, Traffic: map[string]int{"app@2": 100}}},
		{name: "blue drained after cutover", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventGreenCreate, "app@2"), event(hookreceiver.EventCutover, "app@2"),
			event(hookreceiver.EventBlueDrain, "app@2")}, want: slots{
			Stable: "app@2", Active: "blue", Live: "app@2", TrafficPercent: 100, Traffic: map[string]int{"app@2": 100}}},
		{name: "green rolled back before cutover", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventGreenCreate, "app@2"), event(hookreceiver.EventRollback, "app@2")}, want: slots{
			Stable: "app@1", Active: "blue", Live: "app@1", Traffic: map[string]int{"app@1": 100}}},
		{name: "switched back to blue after cutover", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventGreenCreate, "app@2"), event(hookreceiver.EventCutover, "app@2"),
			withSlot(withPrevious(event(hookreceiver.EventRollback, "app@2"), "app@1"), "blue")}, want: slots{
			Stable: "app@1", Green: "app@2", Active: "blue", Live: "app@1", Pending: "app@2",
			Traffic: map[string]int{"app@1": 100}}},
		{name: "drain before cutover is refused by the model", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventGreenCreate, "app@2"), event(hookreceiver.EventBlueDrain, "app@2")}, want: slots{
			Stable: "app@1", Green: "app@2", Active: "blue", Live: "app@1", Pending: "app@2",
			Traffic: map[string]int{"app@1": 100}, Anomaly: true}},
		{name: "teardown removes the service", events: []hookreceiver.Event{deploy1,
			event(hookreceiver.EventTeardown, "app@1")}, want: slots{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, demotarget.Options{Secret: testSecret})
			for _, ev := range tc.events {
				h.sendOK(ev)
			}
			tc.want.ServiceStillDeployed = tc.want.Stable != ""
			state, ok := h.target.State("app", "prod")
			got := slots{
				Stable: state.Stable, Canary: state.Canary, CanaryWeight: state.CanaryWeight,
				Green: state.Green, Active: state.Active, Live: state.Live, Pending: state.Pending,
				TrafficPercent: state.TrafficPercent, Traffic: state.Traffic, ServiceStillDeployed: ok,
			}
			if !ok {
				got.Traffic = nil
			}
			for _, c := range h.target.Calls() {
				got.Anomaly = got.Anomaly || c.Anomaly != ""
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("state\n got %+v\nwant %+v", got, tc.want)
			}
			if ok && state.Blue != state.Stable {
				t.Errorf("blue %q differs from stable %q", state.Blue, state.Stable)
			}
		})
	}
}

func TestStrictModeRefusesMisfitEvents(t *testing.T) {
	h := newHarness(t, demotarget.Options{Strict: true})
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	h.sendOK(event(hookreceiver.EventGreenCreate, "app@2"))
	res := h.send("drain", event(hookreceiver.EventBlueDrain, "app@2"))
	if res.status != http.StatusConflict || !strings.Contains(string(res.body), "blue.drain while blue still serves traffic") {
		t.Fatalf("drain before cutover: %d %s, want 409 naming the missing cutover", res.status, res.body)
	}
	// A refused event does not count as a success of its key.
	h.sendOK(event(hookreceiver.EventCutover, "app@2"))
	if res := h.send("drain", event(hookreceiver.EventBlueDrain, "app@2")); res.status != 200 {
		t.Fatalf("drain after cutover: %d %s", res.status, res.body)
	}
	if got := h.target.EventTypes(demotarget.ForService("app", "prod")); !slices.Equal(got,
		[]string{"deploy", "green.create", "cutover", "blue.drain"}) {
		t.Errorf("EventTypes = %v", got)
	}
}

func TestMalformedHooks(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	post := func(path, body string) response {
		req, _ := http.NewRequest(http.MethodPost, h.server.URL+path, strings.NewReader(body))
		return h.do(req)
	}
	if res := post("/hooks", "{not json"); res.status != 400 || !strings.Contains(string(res.body), "not an event") {
		t.Errorf("bad JSON: %d %s", res.status, res.body)
	}
	if res := post("/hooks", `{"type":"deploy"}`); res.status != 400 || !strings.Contains(string(res.body), "package, environment") {
		t.Errorf("missing fields: %d %s", res.status, res.body)
	}
	mismatched := h.hookRequest("k", event(hookreceiver.EventDeploy, "app@1"))
	mismatched.Header.Set("X-Ocuroot-Event", "promote")
	if res := h.do(mismatched); res.status != 400 || !strings.Contains(string(res.body), "X-Ocuroot-Event header promote does not match the event type deploy") {
		t.Errorf("event header mismatch: %d %s", res.status, res.body)
	}
	if res := h.get("/hooks"); res.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /hooks: %d", res.status)
	}
	// Any path ending in /hooks, and POST /, deliver too.
	for _, path := range []string{"/v1/prod/hooks", "/"} {
		if res := post(path, `{"type":"deploy","package":"app","environment":"prod","release":"app@1"}`); res.status != 200 {
			t.Errorf("POST %s: %d %s", path, res.status, res.body)
		}
	}
	if got := len(h.target.HookEvents()); got != 2 {
		t.Errorf("%d accepted events, want 2", got)
	}
}

func TestFailHookAnswersInjectedStatusesInOrder(t *testing.T) {
	h := newHarness(t, demotarget.Options{Secret: testSecret})
	h.target.FailHook(hookreceiver.EventDeploy, 503, 503)
	var statuses []int
	for range 3 {
		statuses = append(statuses, h.send("same-step", event(hookreceiver.EventDeploy, "app@1")).status)
	}
	if !slices.Equal(statuses, []int{503, 503, 200}) {
		t.Fatalf("statuses %v, want [503 503 200]", statuses)
	}
	calls := h.target.Calls()
	if !calls[0].Injected || !calls[1].Injected || calls[2].Injected || !calls[2].Accepted {
		t.Errorf("injected flags wrong: %+v", calls)
	}
	if got := len(h.target.HookEvents()); got != 1 {
		t.Errorf("%d accepted events, want 1", got)
	}
	// Other event types were never affected.
	h.target.FailHook(hookreceiver.EventPromote, 500)
	h.sendOK(withWeight(event(hookreceiver.EventCanaryWeight, "app@2"), 10))
}

func TestFailHookAnyEvent(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	h.target.FailHook(demotarget.AnyEvent, 429)
	if res := h.send("a", event(hookreceiver.EventDeploy, "app@1")); res.status != 429 {
		t.Errorf("status %d, want 429", res.status)
	}
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
}

func TestFailHookHangIsCutByClientTimeout(t *testing.T) {
	h := newHarness(t, demotarget.Options{Secret: testSecret})
	h.target.FailHook(hookreceiver.EventCutover, 0)

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	req := h.hookRequest("cut", event(hookreceiver.EventCutover, "app@2")).WithContext(ctx)
	started := time.Now()
	_, err := h.server.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	if waited := time.Since(started); waited > 5*time.Second {
		t.Errorf("hang outlived the client timeout: %s", waited)
	}
	call := h.target.Calls()[0]
	if call.Status != 0 || !call.Injected || call.Accepted {
		t.Errorf("hung call recorded as %+v", call)
	}
	// The hang was used up: the retry goes through.
	if res := h.send("cut", event(hookreceiver.EventCutover, "app@2")); res.status != 200 {
		t.Errorf("after the hang: %d %s", res.status, res.body)
	}
}

func TestResetReleasesHungCalls(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	h.target.FailHook(hookreceiver.EventDeploy, 0)
	done := make(chan int)
	go func() {
		res, err := h.server.Client().Do(h.hookRequest("k", event(hookreceiver.EventDeploy, "app@1")))
		if err != nil {
			done <- -1
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	waitFor(t, func() bool { return len(h.target.Calls()) == 1 })
	h.target.Reset()
	select {
	case status := <-done:
		if status != 503 {
			t.Errorf("released call answered %d, want 503", status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Reset did not release the hung call")
	}
	if len(h.target.Calls()) != 0 {
		t.Errorf("Reset kept calls")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type metrics struct {
	ErrorRate float64 `json:"error_rate"`
	LatencyMS int     `json:"latency_ms"`
	Requests  int     `json:"requests"`
}

func (h *harness) metrics(path string) metrics {
	h.t.Helper()
	res := h.get(path)
	if res.status != 200 {
		h.t.Fatalf("GET %s: %d %s", path, res.status, res.body)
	}
	var m metrics
	if err := json.Unmarshal(res.body, &m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	for _, path := range []string{"/health/app/prod/canary/2", "/health/prod/2", "/health/app/prod/green/" + url.PathEscape("app@2")} {
		if res := h.get(path); res.status != 200 || !strings.Contains(string(res.body), `"status":"ok"`) {
			t.Errorf("GET %s: %d %s", path, res.status, res.body)
		}
	}
	if m := h.metrics("/metrics/app/prod/canary/2"); m.ErrorRate != 0 || m.LatencyMS != 42 || m.Requests != 4 {
		t.Errorf("good metrics %+v", m)
	}

	h.target.MarkBad("app@2") // the release id marks its version
	for _, path := range []string{"/health/app/prod/canary/2", "/health/prod/app@2"} {
		if res := h.get(path); res.status != 503 || !strings.Contains(string(res.body), "version 2 is marked bad") {
			t.Errorf("bad GET %s: %d %s", path, res.status, res.body)
		}
	}
	if m := h.metrics("/metrics/prod/2"); m.ErrorRate != 0.5 {
		t.Errorf("bad metrics %+v", m)
	}
	if res := h.get("/health/prod/1"); res.status != 200 {
		t.Errorf("other versions stay healthy, got %d", res.status)
	}

	h.target.MarkGood("2")
	if res := h.get("/health/prod/2"); res.status != 200 {
		t.Errorf("after MarkGood: %d", res.status)
	}
	if got := h.target.HealthProbes(); got != 7 {
		t.Errorf("HealthProbes = %d, want 7", got)
	}
}

func TestFailHealthAfter(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	h.target.FailHealthAfter("3", 2)
	var statuses []int
	for range 4 {
		statuses = append(statuses, h.get("/health/app/prod/canary/3").status)
	}
	if !slices.Equal(statuses, []int{200, 200, 503, 503}) {
		t.Errorf("statuses %v, want [200 200 503 503]", statuses)
	}
	if m := h.metrics("/metrics/prod/3"); m.ErrorRate != 0.5 {
		t.Errorf("metrics of a failing version %+v", m)
	}
	h.target.MarkGood("3")
	if res := h.get("/health/prod/3"); res.status != 200 {
		t.Errorf("after MarkGood: %d", res.status)
	}
}

func TestStrictHealthOnlyAnswersRunningVersions(t *testing.T) {
	h := newHarness(t, demotarget.Options{Strict: true})
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	h.sendOK(event(hookreceiver.EventGreenCreate, "app@2"))
	tests := map[string]int{
		"/health/app/prod/blue/1":    200,
		"/health/app/prod/green/2":   200,
		"/health/app/prod/live/1":    200,
		"/health/prod/2":             200,
		"/health/app/prod/canary/2":  404,
		"/health/app/prod/green/3":   404,
		"/health/app/staging/blue/1": 404,
		"/metrics/prod/9":            404,
	}
	for path, want := range tests {
		if res := h.get(path); res.status != want {
			t.Errorf("GET %s: %d %s, want %d", path, res.status, res.body, want)
		}
	}
}

func TestControlAPI(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	if res := h.post("/control/fail-hook/deploy?statuses=502,0x"); res.status != 400 {
		t.Errorf("bad statuses accepted: %d", res.status)
	}
	h.post("/control/fail-hook/deploy?statuses=502")
	if res := h.send("k", event(hookreceiver.EventDeploy, "app@1")); res.status != 502 {
		t.Errorf("injected over HTTP: %d", res.status)
	}
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))

	h.post("/control/bad/1")
	if res := h.get("/health/prod/1"); res.status != 503 {
		t.Errorf("after /control/bad: %d", res.status)
	}
	h.post("/control/good/1")
	h.post("/control/fail-health-after/1?n=1")
	if a, b := h.get("/health/prod/1").status, h.get("/health/prod/1").status; a != 200 || b != 503 {
		t.Errorf("fail-health-after over HTTP: %d then %d", a, b)
	}

	var states []demotarget.ServiceState
	if err := json.Unmarshal(h.get("/control/state").body, &states); err != nil || len(states) != 1 || states[0].Live != "app@1" {
		t.Errorf("/control/state: %v %+v", err, states)
	}
	if res := h.get("/control/state/app/staging"); res.status != 404 {
		t.Errorf("missing service: %d", res.status)
	}
	var calls []demotarget.Call
	if err := json.Unmarshal(h.get("/control/calls").body, &calls); err != nil || len(calls) != 2 {
		t.Errorf("/control/calls: %v, %d calls", err, len(calls))
	}

	h.post("/control/reset")
	if _, ok := h.target.State("app", "prod"); ok || len(h.target.Calls()) != 0 || h.target.HealthProbes() != 0 {
		t.Errorf("reset left state behind")
	}
	if got := string(h.get("/control/calls").body); strings.TrimSpace(got) != "[]" {
		t.Errorf("empty calls encode as %s", got)
	}
}

func TestOnCallSeesEveryCall(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	h := newHarness(t, demotarget.Options{Secret: testSecret, OnCall: func(c demotarget.Call) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s %d", c.Event.Type, c.Status))
	}})
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
	req := h.hookRequest("x", event(hookreceiver.EventPromote, "app@1"))
	req.Header.Del("X-Ocuroot-Signature")
	h.do(req)
	mu.Lock()
	defer mu.Unlock()
	// A rejected call is not parsed, so its type is unknown.
	if !slices.Equal(seen, []string{"deploy 200", " 401"}) {
		t.Errorf("OnCall saw %q", seen)
	}
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, demotarget.Options{Secret: testSecret})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := event(hookreceiver.EventDeploy, fmt.Sprintf("app@%d", i))
			ev.Environment = fmt.Sprintf("env-%d", i%4)
			// Every request is sent twice under the same key.
			h.send(fmt.Sprint("k", i), ev)
			h.send(fmt.Sprint("k", i), ev)
			h.get(fmt.Sprintf("/health/%s/%d", ev.Environment, i))
			h.target.States()
		}()
	}
	wg.Wait()
	if got := len(h.target.HookEvents()); got != 20 {
		t.Errorf("%d accepted events, want 20", got)
	}
	if got := len(h.target.Calls()); got != 40 {
		t.Errorf("%d calls, want 40", got)
	}
	if got := len(h.target.States()); got != 4 {
		t.Errorf("%d services, want 4", got)
	}
}

// noRedirects is a client that reports a redirect instead of following it.
func noRedirects(h *harness) *http.Client {
	client := *h.server.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client
}

func TestRedirectHookAnswersOneRedirect(t *testing.T) {
	h := newHarness(t, demotarget.Options{Secret: testSecret})
	h.target.RedirectHook(hookreceiver.EventDeploy, http.StatusTemporaryRedirect, "http://elsewhere.invalid/hooks")

	res, err := noRedirects(h).Do(h.hookRequest("step-1", event(hookreceiver.EventDeploy, "app@1")))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTemporaryRedirect || res.Header.Get("Location") != "http://elsewhere.invalid/hooks" {
		t.Errorf("answer %d Location %q, want 307 to http://elsewhere.invalid/hooks", res.StatusCode, res.Header.Get("Location"))
	}
	if _, ok := h.target.State("app", "prod"); ok {
		t.Error("the redirected event moved the model")
	}
	calls := h.target.Calls()
	if len(calls) != 1 || !calls[0].Injected || calls[0].Accepted || calls[0].Status != 307 || calls[0].RedirectedTo != "http://elsewhere.invalid/hooks" {
		t.Errorf("recorded %+v, want one injected, unaccepted 307 to elsewhere", calls)
	}
	// The redirect was used up: the same step is accepted next time.
	h.sendOK(event(hookreceiver.EventDeploy, "app@1"))
}

func TestRedirectHookRefusesNonRedirectStatus(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	defer func() {
		if recover() == nil {
			t.Error("RedirectHook(…, 200, …) did not panic")
		}
	}()
	h.target.RedirectHook(hookreceiver.EventDeploy, http.StatusOK, "http://elsewhere.invalid/")
}

func TestRedirectHookOverHTTP(t *testing.T) {
	h := newHarness(t, demotarget.Options{})
	if res := h.post("/control/redirect-hook/deploy?status=200&location=http://x/"); res.status != 400 {
		t.Errorf("a 200 redirect was accepted: %d", res.status)
	}
	if res := h.post("/control/redirect-hook/deploy?status=308"); res.status != 400 {
		t.Errorf("a redirect without location was accepted: %d", res.status)
	}
	h.post("/control/redirect-hook/deploy?status=308&location=" + url.QueryEscape("http://elsewhere.invalid/hooks"))
	res, err := noRedirects(h).Do(h.hookRequest("k", event(hookreceiver.EventDeploy, "app@1")))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "http://elsewhere.invalid/hooks" {
		t.Errorf("answer %d Location %q, want 308 to http://elsewhere.invalid/hooks", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestRequireProbeHeaders(t *testing.T) {
	h := newHarness(t, demotarget.Options{RequireProbeHeaders: map[string]string{"Authorization": "Bearer probe-token"}})
	probe := func(path, auth string) int {
		req, err := http.NewRequest(http.MethodGet, h.server.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Team", "payments")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res := h.do(req)
		if strings.Contains(string(res.body), "probe-token") {
			t.Errorf("the answer quotes the token: %s", res.body)
		}
		return res.status
	}
	got := []int{
		probe("/health/prod/1", ""),
		probe("/health/prod/1", "Bearer wrong"),
		probe("/health/prod/1", "Bearer probe-token"),
		probe("/metrics/prod/1", ""),
		probe("/metrics/prod/1", "Bearer probe-token"),
	}
	if want := []int{401, 401, 200, 401, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	probes := h.target.Probes()
	if len(probes) != 5 || probes[0].Status != 401 || probes[2].Status != 200 {
		t.Fatalf("recorded %+v", probes)
	}
	if p := probes[2]; p.Headers["Authorization"] != "[redacted]" || p.Headers["X-Team"] != "payments" {
		t.Errorf("recorded headers %v, want Authorization redacted and X-Team kept", p.Headers)
	}
	if _, sent := probes[0].Headers["Authorization"]; sent {
		t.Errorf("a probe without Authorization is recorded with one: %v", probes[0].Headers)
	}
}
