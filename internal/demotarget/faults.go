package demotarget

import "fmt"

// AnyEvent makes FailHook apply to every event type.
const AnyEvent = "*"

// MarkBad makes health probes of version answer 503 and its metrics report
// an error rate of 0.5. version may be a bare version or a release id
// ("app@2" and "2" mark the same version).
func (t *Target) MarkBad(version string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.bad[versionKey(version)] = true
}

// MarkGood undoes MarkBad and FailHealthAfter for version.
func (t *Target) MarkGood(version string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.bad, versionKey(version))
	delete(t.healthLeft, versionKey(version))
}

// FailHook makes the next len(statuses) hook calls of eventType (AnyEvent
// for any type) answer those statuses in order, after which calls are
// handled normally again. Status 0 holds the call without an answer until
// the client cancels it (or Reset/Close). Calls repeat: FailHook("deploy",
// 503) twice queues two failures. It panics on a status net/http cannot
// send, which is a mistake in the test that calls it.
func (t *Target) FailHook(eventType string, statuses ...int) {
	for _, status := range statuses {
		if !validFaultStatus(status) {
			panic(fmt.Sprintf("demotarget: FailHook status %d is not 0 or an HTTP status", status))
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, status := range statuses {
		t.hookFaults[eventType] = append(t.hookFaults[eventType], hookFault{status: status})
	}
}

// RedirectHook makes the next hook call of eventType (AnyEvent for any
// type) answer a redirect: status (a 3xx) with a Location header naming
// location. The call is recorded as injected and the model does not move;
// a client that follows the redirect shows up at location, not here. It
// queues with FailHook's faults and panics on a status that is not 3xx,
// which is a mistake in the test that calls it.
func (t *Target) RedirectHook(eventType string, status int, location string) {
	if status < 300 || status > 399 {
		panic(fmt.Sprintf("demotarget: RedirectHook status %d is not a redirect (3xx)", status))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hookFaults[eventType] = append(t.hookFaults[eventType], hookFault{status: status, location: location})
}

// hookFault is one injected answer to a hook call.
type hookFault struct {
	status   int    // 0 holds the call without an answer
	location string // Location header of a redirect; "" for other faults
}

// FailHealthAfter lets version pass its next n health probes, then answers
// 503 (and reports metrics as bad) until MarkGood or Reset.
func (t *Target) FailHealthAfter(version string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.healthLeft[versionKey(version)] = max(n, 0)
}

func validFaultStatus(status int) bool {
	return status == 0 || (status >= 100 && status <= 999)
}

// nextHookFaultLocked pops the injected answer for an event type: faults
// for the exact type come before the AnyEvent ones.
func (t *Target) nextHookFaultLocked(eventType string) (hookFault, bool) {
	for _, key := range []string{eventType, AnyEvent} {
		queue := t.hookFaults[key]
		if len(queue) == 0 {
			continue
		}
		if len(queue) == 1 {
			delete(t.hookFaults, key)
		} else {
			t.hookFaults[key] = queue[1:]
		}
		return queue[0], true
	}
	return hookFault{}, false
}

// versionHealthLocked says whether a version is failing, and why. probe
// consumes one of the healthy probes granted by FailHealthAfter.
func (t *Target) versionHealthLocked(key string, probe bool) (failing bool, reason string) {
	if t.bad[key] {
		return true, fmt.Sprintf("version %s is marked bad", key)
	}
	left, limited := t.healthLeft[key]
	if !limited {
		return false, ""
	}
	if left == 0 {
		return true, fmt.Sprintf("version %s failed after its allowed healthy probes", key)
	}
	if probe {
		t.healthLeft[key] = left - 1
	}
	return false, ""
}
