// What the engine asks of its adapters: the HookSender, Checker and Logger
// interfaces (implemented over HTTP by hookhttp, and by the provider's log
// adapter) and the values they exchange: events, slots, check results.

package engine

import (
	"context"
	"time"
)

// Hook event types, sent as the "type" field of every hook call.
const (
	EventDeploy       = "deploy"
	EventCanaryWeight = "canary.weight"
	EventPromote      = "promote"
	EventRollback     = "rollback"
	EventGreenCreate  = "green.create"
	EventCutover      = "cutover"
	EventBlueDrain    = "blue.drain"
	EventTeardown     = "teardown"
)

// Slots named in events and health-check placeholders.
const (
	SlotBlue   = "blue"
	SlotGreen  = "green"
	SlotCanary = "canary"
	SlotStable = "stable"
)

// Event is the JSON body of one hook call.
type Event struct {
	Type                  string            `json:"type"`
	Package               string            `json:"package"`
	Environment           string            `json:"environment"`
	EnvironmentAttributes map[string]string `json:"environment_attributes"`
	Release               string            `json:"release"`
	Version               string            `json:"version"`
	PreviousRelease       string            `json:"previous_release,omitempty"`
	Weight                int               `json:"weight"`
	Slot                  string            `json:"slot,omitempty"`
	// Attempt counts how often this step was started (1, then 2 after a resume).
	Attempt   int       `json:"attempt"`
	RolloutID string    `json:"rollout_id"`
	Step      int       `json:"step"`
	Reason    string    `json:"reason,omitempty"`
	Time      time.Time `json:"time"`
}

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
	// up to inconclusiveLimit rounds in a row.
	Inconclusive      bool
	inconclusiveLimit int
}

// Checker evaluates health and metric checks.
type Checker interface {
	Health(ctx context.Context, hc HealthCheck, vars Placeholders) CheckResult
	Metric(ctx context.Context, mc MetricCheck, vars Placeholders) CheckResult
}

// Logger receives progress lines; the provider adapts it onto tflog so that
// TF_LOG=INFO reads like a progress report. Fields must never hold secrets.
type Logger interface {
	Info(ctx context.Context, msg string, fields map[string]any)
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

type nopLogger struct{}

func (nopLogger) Info(context.Context, string, map[string]any)  {}
func (nopLogger) Debug(context.Context, string, map[string]any) {}
func (nopLogger) Warn(context.Context, string, map[string]any)  {}
