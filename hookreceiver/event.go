package hookreceiver

import "time"

// Event types, sent as Event.Type and in the X-Ocuroot-Event header.
const (
	// EventDeploy: run the release and give it all the traffic (the direct
	// strategy, and any strategy's first deployment into an environment).
	EventDeploy = "deploy"
	// EventCanaryWeight: send Event.Weight percent of the traffic to the
	// canary release.
	EventCanaryWeight = "canary.weight"
	// EventPromote: the canary release takes all the traffic and becomes
	// the stable one.
	EventPromote = "promote"
	// EventRollback: restore Event.PreviousRelease; Event.Slot says what to
	// undo and Event.Reason why.
	EventRollback = "rollback"
	// EventGreenCreate: start the release in the green slot, without traffic.
	EventGreenCreate = "green.create"
	// EventCutover: send all the traffic to green; blue keeps running.
	EventCutover = "cutover"
	// EventBlueDrain: remove blue; green is now the live release.
	EventBlueDrain = "blue.drain"
	// EventTeardown: remove the package from the environment.
	EventTeardown = "teardown"
)

// Slots, sent as Event.Slot.
const (
	SlotStable = "stable"
	SlotCanary = "canary"
	SlotBlue   = "blue"
	SlotGreen  = "green"
)

// Event is the JSON body of one hook call. Later versions may add fields:
// decode with a decoder that ignores unknown ones (encoding/json does).
type Event struct {
	// Type is one of the Event* constants.
	Type string `json:"type"`
	// Package and Environment name the deployment: what to change, and where.
	Package     string `json:"package"`
	Environment string `json:"environment"`
	// EnvironmentAttributes are the attributes of the environment, to route
	// by region, cluster or account.
	EnvironmentAttributes map[string]string `json:"environment_attributes"`
	// Release is the release the rollout is about (PACKAGE@VERSION), and
	// Version its version alone.
	Release string `json:"release"`
	Version string `json:"version"`
	// PreviousRelease is the release serving before this rollout, to
	// restore on a rollback; empty for a first deployment.
	PreviousRelease string `json:"previous_release,omitempty"`
	// Weight is the share of traffic, in percent, the new release should
	// have after this event.
	Weight int `json:"weight"`
	// Slot is one of the Slot* constants; empty for a teardown.
	Slot string `json:"slot,omitempty"`
	// Attempt counts how often this step was started: 1, then 2 when a
	// later run resumed it. It is not the HTTP retry count, which is the
	// X-Ocuroot-Delivery-Attempt header.
	Attempt int `json:"attempt"`
	// RolloutID identifies one rollout of the deployment; every event of
	// the rollout carries it.
	RolloutID string `json:"rollout_id"`
	// Step is the position of the step in the rollout's plan, from 0.
	Step int `json:"step"`
	// Reason says why a rollback happens; empty otherwise.
	Reason string `json:"reason,omitempty"`
	// Time is when the event was built.
	Time time.Time `json:"time"`
}
