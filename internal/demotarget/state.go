package demotarget

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// The hook event types and slot names are the public hook contract's
// (hookreceiver). SlotLive is the target's own, accepted by health checks
// only: the release that serves the active slot.
const SlotLive = "live"

// ServiceState is the model of one (package, environment) service.
//
// Concrete example, a blue-green rollout of app@2 over app@1:
//
//	after deploy app@1:  stable=blue=app@1 active=blue  traffic {app@1:100}
//	after green.create:  green=app@2                   traffic {app@1:100} traffic_percent 0
//	after cutover:       active=green live=app@2        traffic {app@2:100} traffic_percent 100
//	after blue.drain:    stable=blue=app@2 green=""     traffic {app@2:100}
type ServiceState struct {
	Package     string `json:"package"`
	Environment string `json:"environment"`
	// Stable is the release serving whatever the canary or green does not;
	// Blue always names the same release (the slot that holds it).
	Stable string `json:"stable,omitempty"`
	Blue   string `json:"blue,omitempty"`
	// Canary is the release under canary and CanaryWeight its percentage.
	Canary       string `json:"canary,omitempty"`
	CanaryWeight int    `json:"canary_weight"`
	// Green is the release in the green slot, taking traffic only once Active is green.
	Green  string `json:"green,omitempty"`
	Active string `json:"active,omitempty"`
	// Live is the release answering on the active slot; Pending the canary,
	// or the green release while it takes no traffic (before its cutover, or
	// kept after a switch back to blue).
	Live    string `json:"live,omitempty"`
	Pending string `json:"pending,omitempty"`
	// Newest is the release the latest rollout moved towards, and
	// TrafficPercent its share of traffic (0 after a rollback).
	Newest         string `json:"newest_release,omitempty"`
	TrafficPercent int    `json:"traffic_percent"`
	// Traffic maps each serving release to its percentage; it sums to 100
	// whenever a release is live.
	Traffic map[string]int `json:"traffic"`
	// Events lists the applied event types in order.
	Events    []string  `json:"events"`
	Revision  int       `json:"revision"`
	UpdatedAt time.Time `json:"updated_at"`
}

// clone returns a deep copy, so callers never share maps with the target.
func (s ServiceState) clone() ServiceState {
	s.Traffic = maps.Clone(s.Traffic)
	s.Events = slices.Clone(s.Events)
	return s
}

// apply moves the model by one event (teardown is handled by the caller)
// and returns why the event did not fit the model, or "" when it did.
func (s *ServiceState) apply(ev hookreceiver.Event, now time.Time) (anomaly string) {
	release := ev.Release
	switch ev.Type {
	case hookreceiver.EventDeploy:
		s.setStable(release)
		s.Newest = release

	case hookreceiver.EventCanaryWeight:
		if s.Stable == "" {
			anomaly = "canary.weight on a service with no stable release"
		}
		weight := ev.Weight
		if weight < 0 || weight > 100 {
			anomaly = fmt.Sprintf("canary weight %d is outside [0, 100]", weight)
			weight = min(max(weight, 0), 100)
		}
		s.Canary, s.CanaryWeight = release, weight
		s.Newest = release

	case hookreceiver.EventPromote:
		if release != s.Canary && release != s.Green && release != s.Stable {
			anomaly = fmt.Sprintf("promote of %s, which is neither the canary (%s) nor green (%s)",
				release, orNone(s.Canary), orNone(s.Green))
		}
		s.setStable(release)
		s.Newest = release

	case hookreceiver.EventRollback:
		restore := ev.PreviousRelease
		if restore == "" {
			restore = s.Stable
		}
		if restore == "" {
			anomaly = "rollback with no previous or stable release to restore"
		}
		green := s.Green
		s.setStable(restore)
		if ev.Slot == hookreceiver.SlotBlue {
			// Switching back to blue keeps green around, as a real switch-back would.
			s.Green = green
		}

	case hookreceiver.EventGreenCreate:
		if s.Stable == "" {
			anomaly = "green.create on a service with no blue release"
		}
		if s.Active == hookreceiver.SlotGreen {
			anomaly = "green.create while green still serves traffic (blue.drain missing)"
		}
		s.Green = release
		s.Active = hookreceiver.SlotBlue
		s.Newest = release

	case hookreceiver.EventCutover:
		switch {
		case s.Green == "":
			anomaly = "cutover without a green slot (green.create missing)"
			s.Green = release
		case release != "" && release != s.Green:
			anomaly = fmt.Sprintf("cutover to %s but green runs %s", release, s.Green)
		}
		s.Active = hookreceiver.SlotGreen
		s.Newest = s.Green

	case hookreceiver.EventBlueDrain:
		if s.Active != hookreceiver.SlotGreen || s.Green == "" {
			// Draining blue now would leave no serving slot; leave it running.
			anomaly = "blue.drain while blue still serves traffic (cutover missing)"
			break
		}
		s.setStable(s.Green)

	default:
		anomaly = fmt.Sprintf("unknown event type %q", ev.Type)
	}

	s.Events = append(s.Events, ev.Type)
	s.Revision++
	s.UpdatedAt = now
	s.derive()
	return anomaly
}

// setStable makes release the only one: stable and blue, active, at 100%.
func (s *ServiceState) setStable(release string) {
	s.Stable, s.Blue = release, release
	s.Canary, s.CanaryWeight = "", 0
	s.Green = ""
	s.Active = ""
	if release != "" {
		s.Active = hookreceiver.SlotBlue
	}
}

// derive recomputes the fields that follow from the slots.
func (s *ServiceState) derive() {
	traffic := map[string]int{}
	switch {
	case s.Active == hookreceiver.SlotGreen && s.Green != "":
		traffic[s.Green] = 100
	case s.Canary != "" && s.Stable != "":
		traffic[s.Canary] += s.CanaryWeight
		traffic[s.Stable] += 100 - s.CanaryWeight
	case s.Canary != "":
		traffic[s.Canary] = 100
	case s.Stable != "":
		traffic[s.Stable] = 100
	}
	for release, percent := range traffic {
		if percent == 0 {
			delete(traffic, release)
		}
	}
	s.Traffic = traffic

	s.Live = s.Stable
	if s.Active == hookreceiver.SlotGreen && s.Green != "" {
		s.Live = s.Green
	}
	s.Pending = ""
	switch {
	case s.Canary != "":
		s.Pending = s.Canary
	case s.Green != "" && s.Active != hookreceiver.SlotGreen:
		s.Pending = s.Green
	}
	s.TrafficPercent = traffic[s.Newest]
}

// slotRelease returns the release running in a slot, for strict health checks.
func (s ServiceState) slotRelease(slot string) (string, bool) {
	switch slot {
	case hookreceiver.SlotStable, hookreceiver.SlotBlue:
		return s.Stable, s.Stable != ""
	case hookreceiver.SlotCanary:
		return s.Canary, s.Canary != ""
	case hookreceiver.SlotGreen:
		return s.Green, s.Green != ""
	case SlotLive:
		return s.Live, s.Live != ""
	}
	return "", false
}

// releases lists every release running in some slot.
func (s ServiceState) releases() []string {
	var out []string
	for _, r := range []string{s.Stable, s.Canary, s.Green} {
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

// versionKey reduces "pkg@1.2" and "1.2" to "1.2", so marking a version bad
// works whether a check URL carries the version or the release id.
func versionKey(v string) string {
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		return v[i+1:]
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
