package demotarget

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// controlRoutes mounts the HTTP face of the programmatic API, for the demo
// binary and for scripts.
func (t *Target) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /control/calls", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(t.Calls()))
	})
	mux.HandleFunc("GET /control/probes", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(t.Probes()))
	})
	mux.HandleFunc("GET /control/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, t.States())
	})
	mux.HandleFunc("GET /control/state/{package}/{environment}", func(w http.ResponseWriter, r *http.Request) {
		pkg, env := r.PathValue("package"), r.PathValue("environment")
		state, ok := t.State(pkg, env)
		if !ok {
			writeJSON(w, http.StatusNotFound, errorAnswer{fmt.Sprintf("%s is not deployed in %s", pkg, env)})
			return
		}
		writeJSON(w, http.StatusOK, state)
	})
	mux.HandleFunc("POST /control/bad/{version}", func(w http.ResponseWriter, r *http.Request) {
		t.MarkBad(r.PathValue("version"))
		writeOK(w)
	})
	mux.HandleFunc("POST /control/good/{version}", func(w http.ResponseWriter, r *http.Request) {
		t.MarkGood(r.PathValue("version"))
		writeOK(w)
	})
	mux.HandleFunc("POST /control/fail-hook/{event}", t.serveFailHook)
	mux.HandleFunc("POST /control/redirect-hook/{event}", t.serveRedirectHook)
	mux.HandleFunc("POST /control/fail-health-after/{version}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, errorAnswer{"n must be a number of probes >= 0, e.g. ?n=3"})
			return
		}
		t.FailHealthAfter(r.PathValue("version"), n)
		writeOK(w)
	})
	t.trafficControlRoutes(mux)
	mux.HandleFunc("POST /control/reset", func(w http.ResponseWriter, _ *http.Request) {
		t.Reset()
		writeOK(w)
	})
}

// serveFailHook answers POST /control/fail-hook/{event}?statuses=503,503;
// no statuses queues a single 503.
func (t *Target) serveFailHook(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("statuses")
	if raw == "" {
		raw = strconv.Itoa(http.StatusServiceUnavailable)
	}
	var statuses []int
	for _, field := range strings.Split(raw, ",") {
		status, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || !validFaultStatus(status) {
			writeJSON(w, http.StatusBadRequest, errorAnswer{fmt.Sprintf(
				"statuses must be HTTP statuses or 0 (hang), comma separated; got %q", field)})
			return
		}
		statuses = append(statuses, status)
	}
	t.FailHook(r.PathValue("event"), statuses...)
	writeOK(w)
}

// serveRedirectHook answers POST /control/redirect-hook/{event}?status=307&location=URL.
func (t *Target) serveRedirectHook(w http.ResponseWriter, r *http.Request) {
	status, err := strconv.Atoi(r.URL.Query().Get("status"))
	location := r.URL.Query().Get("location")
	if err != nil || status < 300 || status > 399 || location == "" {
		writeJSON(w, http.StatusBadRequest, errorAnswer{"status must be a 3xx and location set, e.g. ?status=307&location=http://elsewhere/hooks"})
		return
	}
	t.RedirectHook(r.PathValue("event"), status, location)
	writeOK(w)
}

func writeOK(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
