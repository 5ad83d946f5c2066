package demotarget

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// maxHookBody bounds what one hook call may send.
const maxHookBody = 1 << 20

// Call is one recorded hook request. The signature is never recorded, and
// credential-like headers are redacted.
type Call struct {
	Time            time.Time `json:"time"`
	Method          string    `json:"method"`
	Path            string    `json:"path"`
	IdempotencyKey  string    `json:"idempotency_key,omitempty"`
	EventHeader     string    `json:"event_header,omitempty"`
	DeliveryAttempt int       `json:"delivery_attempt,omitempty"`
	Timestamp       string    `json:"timestamp,omitempty"`
	// Signed says whether an X-Ocuroot-Signature header was present.
	Signed bool `json:"signed"`
	// Headers holds every request header, credential-like ones redacted.
	Headers map[string]string `json:"headers,omitempty"`
	// Event is the parsed body; zero when the body was not an event.
	Event hookreceiver.Event `json:"event"`
	// Status is the status answered; 0 when an injected hang held the call
	// until the client gave up.
	Status int `json:"status"`
	// Accepted: the event moved the model (2xx, not a duplicate, not injected).
	Accepted bool `json:"accepted"`
	// Rejected: the signature or timestamp failed verification (401).
	Rejected     bool   `json:"rejected,omitempty"`
	RejectReason string `json:"reject_reason,omitempty"`
	// Duplicate: the Idempotency-Key had already succeeded.
	Duplicate bool `json:"duplicate,omitempty"`
	// Injected: the answer came from FailHook or RedirectHook.
	Injected bool `json:"injected,omitempty"`
	// RedirectedTo is the Location of an injected redirect.
	RedirectedTo string `json:"redirected_to,omitempty"`
	// Anomaly says how the event did not fit the model ("" when it did).
	Anomaly string `json:"anomaly,omitempty"`
}

func (c Call) clone() Call {
	c.Headers = maps.Clone(c.Headers)
	c.Event.EnvironmentAttributes = maps.Clone(c.Event.EnvironmentAttributes)
	return c
}

// hookAnswer is the body of a 200 answer to a hook.
type hookAnswer struct {
	Accepted bool          `json:"accepted"`
	Event    string        `json:"event"`
	State    *ServiceState `json:"state,omitempty"`
	Anomaly  string        `json:"anomaly,omitempty"`
}

type errorAnswer struct {
	Error string `json:"error"`
}

func (t *Target) serveHook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorAnswer{"hooks are delivered with POST"})
		return
	}
	call := Call{
		Time:           t.now(),
		Method:         r.Method,
		Path:           r.URL.Path,
		IdempotencyKey: r.Header.Get(hookreceiver.HeaderIdempotencyKey),
		EventHeader:    r.Header.Get(hookreceiver.HeaderEvent),
		Timestamp:      r.Header.Get(hookreceiver.HeaderTimestamp),
		Signed:         r.Header.Get(hookreceiver.HeaderSignature) != "",
		Headers:        redactHeaders(r.Header),
	}
	call.DeliveryAttempt, _ = strconv.Atoi(r.Header.Get(hookreceiver.HeaderDeliveryAttempt))

	ev, status, reason := t.readEvent(r)
	if status != 0 {
		if status == http.StatusUnauthorized {
			call.Rejected, call.RejectReason = true, reason
		}
		t.answer(w, call, status, mustJSON(errorAnswer{reason}))
		return
	}
	call.Event = ev
	if missing := missingFields(call.Event); missing != "" {
		t.answer(w, call, http.StatusBadRequest, mustJSON(errorAnswer{"event has no " + missing}))
		return
	}
	if call.EventHeader != "" && call.EventHeader != call.Event.Type {
		reason := fmt.Sprintf("%s header %s does not match the event type %s", hookreceiver.HeaderEvent, call.EventHeader, call.Event.Type)
		t.answer(w, call, http.StatusBadRequest, mustJSON(errorAnswer{reason}))
		return
	}
	t.deliver(w, r, call)
}

// deliver runs the checks that need the lock: duplicates, faults, the model.
func (t *Target) deliver(w http.ResponseWriter, r *http.Request, call Call) {
	t.mu.Lock()
	if prev, ok := t.succeeded[call.IdempotencyKey]; ok && call.IdempotencyKey != "" {
		call.Duplicate, call.Status = true, prev.status
		notify := t.recordLocked(call)
		t.mu.Unlock()
		notify()
		writeBody(w, prev.status, prev.body)
		return
	}
	if fault, ok := t.nextHookFaultLocked(call.Event.Type); ok {
		call.Injected, call.Status, call.RedirectedTo = true, fault.status, fault.location
		notify := t.recordLocked(call)
		released, closed := t.released, t.closed
		t.mu.Unlock()
		notify()
		if fault.location != "" {
			w.Header().Set("Location", fault.location)
			writeJSON(w, fault.status, errorAnswer{fmt.Sprintf("injected redirect for %s", call.Event.Type)})
			return
		}
		if fault.status != 0 {
			writeJSON(w, fault.status, errorAnswer{fmt.Sprintf("injected failure for %s", call.Event.Type)})
			return
		}
		if !closed {
			// An injected hang: hold the call until the client gives up.
			select {
			case <-r.Context().Done():
				return
			case <-released:
			}
		}
		writeJSON(w, http.StatusServiceUnavailable, errorAnswer{"injected hang released"})
		return
	}

	status, answer := t.applyLocked(call.Event)
	body := mustJSON(answer)
	call.Status, call.Anomaly = status, answer.Anomaly
	call.Accepted = status == http.StatusOK
	if call.Accepted && call.IdempotencyKey != "" {
		t.succeeded[call.IdempotencyKey] = storedResponse{status, body}
	}
	notify := t.recordLocked(call)
	t.mu.Unlock()
	notify()
	writeBody(w, status, body)
}

// applyLocked moves the service model; strict mode refuses a misfit event
// with 409 and leaves the model as it was.
func (t *Target) applyLocked(ev hookreceiver.Event) (int, hookAnswer) {
	key := serviceKey{ev.Package, ev.Environment}
	if ev.Type == hookreceiver.EventTeardown {
		delete(t.services, key)
		return http.StatusOK, hookAnswer{Accepted: true, Event: ev.Type}
	}
	current, ok := t.services[key]
	if !ok {
		current = &ServiceState{Package: ev.Package, Environment: ev.Environment}
	}
	next := current.clone()
	anomaly := next.apply(ev, t.now())
	if anomaly != "" && t.opts.Strict {
		return http.StatusConflict, hookAnswer{Event: ev.Type, Anomaly: anomaly}
	}
	t.services[key] = &next
	state := next.clone()
	return http.StatusOK, hookAnswer{Accepted: true, Event: ev.Type, State: &state, Anomaly: anomaly}
}

// answer records and writes a response decided before the lock was needed.
func (t *Target) answer(w http.ResponseWriter, call Call, status int, body []byte) {
	call.Status = status
	t.mu.Lock()
	notify := t.recordLocked(call)
	t.mu.Unlock()
	notify()
	writeBody(w, status, body)
}

// readEvent verifies and decodes a hook call with the public hookreceiver
// package, as a receiver written in Go would, or, without a secret, only
// decodes it. A refused call comes back with its status (401 for the
// signature or timestamp, 400 for the body) and the reason.
func (t *Target) readEvent(r *http.Request) (ev hookreceiver.Event, status int, reason string) {
	if t.verifier != nil {
		ev, err := t.verifier.Verify(r)
		var refused *hookreceiver.VerifyError
		if errors.As(err, &refused) {
			return hookreceiver.Event{}, refused.StatusCode(), refused.Detail
		}
		return ev, 0, ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxHookBody))
	if err != nil {
		return hookreceiver.Event{}, http.StatusBadRequest, "reading body: " + err.Error()
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return hookreceiver.Event{}, http.StatusBadRequest, "body is not an event: " + err.Error()
	}
	return ev, 0, ""
}

func missingFields(ev hookreceiver.Event) string {
	var missing []string
	if ev.Type == "" {
		missing = append(missing, "type")
	}
	if ev.Package == "" {
		missing = append(missing, "package")
	}
	if ev.Environment == "" {
		missing = append(missing, "environment")
	}
	return strings.Join(missing, ", ")
}

// redactHeaders flattens the headers, hiding the signature and anything
// that looks like a credential while keeping its presence visible.
func redactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		value := strings.Join(values, ", ")
		if isSensitiveHeader(name) {
			value = "[redacted]"
		}
		out[name] = value
	}
	return out
}

func isSensitiveHeader(name string) bool {
	lower := strings.ToLower(name)
	switch lower {
	case "authorization", "proxy-authorization", "cookie", strings.ToLower(hookreceiver.HeaderSignature):
		return true
	}
	for _, word := range []string{"secret", "token", "password", "api-key", "apikey"} {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

func mustJSON(v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are marshalled here.
		panic(fmt.Sprintf("demotarget: marshal %T: %v", v, err))
	}
	return body
}
