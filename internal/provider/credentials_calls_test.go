package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// What a later run sent, read from the payments target's call log (see
// startPaymentsTarget): the target verifies every hook against the
// deployment's own secret, so a call signed with the provider's default
// hook_secret shows as Rejected, and it answers 401 to a probe without the
// metrics token.

// targetMark is where the target's logs stood at one moment of a test, so
// a later run's checks look only at what that run sent.
type targetMark struct{ calls, probes int }

// markTarget remembers where the target's logs stand now.
func markTarget(target *demotarget.Target) targetMark {
	return targetMark{calls: len(target.Calls()), probes: len(target.Probes())}
}

// setMark is a step check that moves mark to where the logs stand now.
func setMark(mark *targetMark) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		*mark = markTarget(target)
		return nil
	}
}

func (m targetMark) callsSince(target *demotarget.Target) []demotarget.Call {
	return target.Calls()[m.calls:]
}

func (m targetMark) probesSince(target *demotarget.Target) []demotarget.Probe {
	return target.Probes()[m.probes:]
}

// sentWithCredentials checks what the target received since *mark: exactly
// the hook events want ("type:weight:slot"), in order, each accepted,
// signed with the deployment's secret and carrying the payments
// credential's X-Hook-Token; and, for each kind in probeKinds, at least one
// probe, none refused and each with an Authorization header.
func sentWithCredentials(mark *targetMark, want []string, probeKinds ...string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		var got []string
		for _, c := range mark.callsSince(target) {
			switch {
			case c.Rejected:
				return fmt.Errorf("the target refused the %s hook: %s (signed with another secret than the deployment's)", eventOf(c), c.RejectReason)
			case !c.Signed:
				return fmt.Errorf("the %s hook came unsigned", eventOf(c))
			case c.Headers["X-Hook-Token"] == "":
				return fmt.Errorf("the %s hook came without the payments credential's X-Hook-Token header (headers: %v)", eventOf(c), c.Headers)
			case !c.Accepted:
				return fmt.Errorf("the target did not accept the %s hook (status %d)", eventOf(c), c.Status)
			}
			got = append(got, fmt.Sprintf("%s:%d:%s", c.Event.Type, c.Event.Weight, c.Event.Slot))
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("hooks sent by this run:\n got  %v\n want %v", got, want)
		}
		seen := map[string]int{}
		for _, p := range mark.probesSince(target) {
			if p.Status == 401 || p.Headers["Authorization"] == "" {
				return fmt.Errorf("a %s probe of %s came without the metrics credential's Authorization header (status %d)", p.Kind, p.Version, p.Status)
			}
			seen[p.Kind]++
		}
		for _, kind := range probeKinds {
			if seen[kind] == 0 {
				return fmt.Errorf("this run sent no %s probe (probes: %v)", kind, seen)
			}
		}
		return nil
	}
}

// eventOf names a call's event; the target parses no body it refused, so
// the event header names those.
func eventOf(c demotarget.Call) string {
	if c.Event.Type != "" {
		return c.Event.Type
	}
	return c.EventHeader
}

// nothingSentSince checks that no hook call and no probe reached the
// target since *mark: a refusal sends nothing.
func nothingSentSince(mark *targetMark) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		calls, probes := mark.callsSince(target), mark.probesSince(target)
		if len(calls) == 0 && len(probes) == 0 {
			return nil
		}
		var sent []string
		for _, c := range calls {
			sent = append(sent, eventOf(c)+" hook")
		}
		for _, p := range probes {
			sent = append(sent, p.Kind+" probe")
		}
		return fmt.Errorf("the refused run reached the target: %s", strings.Join(sent, ", "))
	}
}

// expectStoredDeployment checks the record of api/prod0 in the embedded
// store at storePath: its status and pending release.
func expectStoredDeployment(t *testing.T, storePath string, status domain.Status, pending string) {
	t.Helper()
	eng, kv := openTestEngine(t, storePath)
	defer kv.Close()
	d, err := eng.GetDeployment(context.Background(), "api/prod0")
	if err != nil {
		t.Fatalf("reading api/prod0 from the store: %v", err)
	}
	if d.Status != status || d.PendingRelease != pending {
		t.Errorf("store: api/prod0 is %s with pending %q, want %s with pending %q", d.Status, d.PendingRelease, status, pending)
	}
}

// checkNow fails the test when a target check fails; for tests that drive
// terraform themselves.
func checkNow(t *testing.T, target *demotarget.Target, what string, check func(*demotarget.Target) error) {
	t.Helper()
	if err := check(target); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// providerBlockWithoutPayments is providerBlockWithCredentials after the
// payments credential was dropped from the provider block.
func providerBlockWithoutPayments(store string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store       = "file://%s"
  hook_secret = %q
  credentials = {
    metrics = { headers = { Authorization = %q } }
  }
}
`, store, providerHookSecret, probeToken)
}
