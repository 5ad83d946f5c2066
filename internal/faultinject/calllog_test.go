//go:build linux

package faultinject

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// eventWait bounds how long a test waits for the provider to reach a hook.
const eventWait = 90 * time.Second

// waitForEvent returns the nth accepted hook call (counting from 1) of
// eventType for release (any release when ""), failing the test if it does
// not arrive or terraform exits first.
func (w *workspace) waitForEvent(run *tfRun, eventType, release string, n int) demotarget.Call {
	w.t.Helper()
	deadline := time.Now().Add(eventWait)
	for {
		seen := 0
		for _, c := range w.target.HookEvents() {
			if c.Event.Type == eventType && (release == "" || c.Event.Release == release) {
				if seen++; seen == n {
					return c
				}
			}
		}
		if run.exited() || time.Now().After(deadline) {
			w.t.Fatalf("no %s #%d for %s arrived (terraform exited: %v); events: %v\n%s",
				eventType, n, release, run.exited(), w.events(), run.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// events renders the accepted hook calls as "type release[@weight]", in
// arrival order.
func (w *workspace) events() []string {
	var out []string
	for _, c := range w.target.HookEvents() {
		e := c.Event
		entry := e.Type + " " + e.Release
		if e.Type == "canary.weight" {
			entry += fmt.Sprintf(" %d%%", e.Weight)
		}
		out = append(out, entry)
	}
	return out
}

// firstEvent returns the first accepted call of eventType that arrived
// after since.
func (w *workspace) firstEvent(eventType string, since time.Time) (demotarget.Call, bool) {
	for _, c := range w.target.HookEvents() {
		if c.Event.Type == eventType && c.Time.After(since) {
			return c, true
		}
	}
	return demotarget.Call{}, false
}

// expectEvents fails the test unless the accepted hook calls are exactly
// want, and reports any call the target rejected or found out of order.
func (w *workspace) expectEvents(want ...string) {
	w.t.Helper()
	if got := w.events(); !slices.Equal(got, want) {
		w.t.Errorf("hook events:\n got  %q\n want %q", got, want)
	}
	for _, c := range w.target.Calls() {
		if c.Rejected {
			w.t.Errorf("the target rejected a %s call: %s", c.Event.Type, c.RejectReason)
		}
		if c.Anomaly != "" {
			w.t.Errorf("the target saw an out-of-order %s: %s", c.Event.Type, c.Anomaly)
		}
	}
}

// expectUniqueKeys fails the test if two accepted calls share an
// Idempotency-Key: a receiver that deduplicates would drop the second.
func (w *workspace) expectUniqueKeys() {
	w.t.Helper()
	seen := map[string]string{}
	for _, c := range w.target.HookEvents() {
		if first, ok := seen[c.IdempotencyKey]; ok {
			w.t.Errorf("Idempotency-Key %s was used for %s and again for %s %s", c.IdempotencyKey, first, c.Event.Type, c.Event.Release)
		}
		seen[c.IdempotencyKey] = c.Event.Type + " " + c.Event.Release
	}
}

// healthProbes returns the health probes of version that arrived after
// since, rendered as their statuses.
func (w *workspace) healthProbes(version string, since time.Time) []demotarget.Probe {
	var out []demotarget.Probe
	for _, p := range w.target.Probes() {
		if p.Kind == demotarget.ProbeHealth && p.Version == version && p.Time.After(since) {
			out = append(out, p)
		}
	}
	return out
}

// waitForProbe returns the first health probe of version after since.
func (w *workspace) waitForProbe(run *tfRun, version string, since time.Time) demotarget.Probe {
	w.t.Helper()
	deadline := time.Now().Add(eventWait)
	for {
		if probes := w.healthProbes(version, since); len(probes) > 0 {
			return probes[0]
		}
		if run.exited() || time.Now().After(deadline) {
			w.t.Fatalf("no health probe of version %s arrived (terraform exited: %v); events: %v\n%s", version, run.exited(), w.events(), run.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// normalized folds terraform's line wrapping and box drawing so a test can
// look for a sentence of a diagnostic.
func normalized(output string) string {
	output = strings.NewReplacer("│", " ", "╷", " ", "╵", " ").Replace(output)
	return strings.Join(strings.Fields(output), " ")
}
