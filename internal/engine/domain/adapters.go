// What the engine asks of its adapters: the HookSender, Checker and Logger
// interfaces (implemented over HTTP by hookhttp, and by the provider's log
// adapter) and the values they exchange: events, slots, check results.

package domain

import (
	"context"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
)

// The hook wire contract (the event, its type and slot names, the headers
// and the signature) is defined once, in the public hookreceiver package
// that receivers import; the engine's names below refer to it.

// Hook event types, sent as the "type" field of every hook call.
const (
	EventDeploy       = hookreceiver.EventDeploy
	EventCanaryWeight = hookreceiver.EventCanaryWeight
	EventPromote      = hookreceiver.EventPromote
	EventRollback     = hookreceiver.EventRollback
	EventGreenCreate  = hookreceiver.EventGreenCreate
	EventCutover      = hookreceiver.EventCutover
	EventBlueDrain    = hookreceiver.EventBlueDrain
	EventTeardown     = hookreceiver.EventTeardown
)

// Slots named in events and health-check placeholders.
const (
	SlotBlue   = hookreceiver.SlotBlue
	SlotGreen  = hookreceiver.SlotGreen
	SlotCanary = hookreceiver.SlotCanary
	SlotStable = hookreceiver.SlotStable
)

// Event is the JSON body of one hook call.
type Event = hookreceiver.Event

// HookResult describes a delivered hook call.
type HookResult struct {
	Attempts   int // HTTP attempts including retries
	StatusCode int
}

// HookSender delivers events. The idempotency key is stable for a step, so
// retries and resumed runs can be deduplicated by the receiver.
type HookSender interface {
	Send(ctx context.Context, cfg HookConfig, idempotencyKey string, ev Event) (HookResult, error)
}

// Placeholders are substituted into check URLs: {package}, {environment},
// {version}, {release}, {slot}.
type Placeholders struct {
	Package     string
	Environment string
	Version     string
	Release     string
	Slot        string
}

// CheckResult is the outcome of one health or metric check.
type CheckResult struct {
	Name   string   // "health" or the metric check's name
	OK     bool     // within expectations
	Detail string   // human readable: "status 503, expected [200]", "error_rate = 0.4 > max 0.1"
	Value  *float64 // the metric value read, when there was one
	// Baseline is the stable release's value a PromQL check compared
	// Value with, when it did.
	Baseline *float64
	// Inconclusive marks a result that had no data under the inconclusive
	// policy: OK is false, yet the round counts towards neither outcome,
	// up to InconclusiveLimit rounds in a row.
	Inconclusive      bool
	InconclusiveLimit int
}

// Checker evaluates health and metric checks.
type Checker interface {
	Health(ctx context.Context, hc HealthCheck, vars Placeholders) CheckResult
	Metric(ctx context.Context, mc MetricCheck, vars Placeholders) CheckResult
}

// Logger receives progress lines; the provider adapts it onto tflog so that
// TF_LOG=INFO reads like a progress report. Fields must never hold secrets.
//
// At Info a rollout logs one line as it starts, one per step when the step
// is done, one per check round, and one as it ends; each probe and hook
// attempt is logged at Debug.
type Logger interface {
	Info(ctx context.Context, msg string, fields map[string]any)
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// ProgressFieldOrder is the order in which a log line shows these fields,
// when it has them: the facts of a progress report, who and what first.
// Other fields follow in alphabetical order.
var ProgressFieldOrder = []string{
	"deployment", "release", "step", "step_index", "weight", "bake_elapsed", "bake_total", "checks_passed", "checks_failed",
}

// NopLogger drops every line: the logger of an engine given none.
type NopLogger struct{}

func (NopLogger) Info(context.Context, string, map[string]any)  {}
func (NopLogger) Debug(context.Context, string, map[string]any) {}
func (NopLogger) Warn(context.Context, string, map[string]any)  {}
