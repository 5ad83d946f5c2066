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

// KV is the storage contract every store backend implements: records of a
// kind addressed by key, with a revision for optimistic concurrency.
// Implementations: memory (tests), the embedded file store and PostgreSQL.
type KV interface {
	// Get returns the value and its revision, or ErrNotFound.
	Get(ctx context.Context, kind, key string) (value []byte, revision int64, err error)
	// Put writes value when the current revision equals expect. expect 0
	// means "must not exist"; AnyRevision writes unconditionally. A mismatch
	// returns ErrConflict. It returns the new revision.
	Put(ctx context.Context, kind, key string, value []byte, expect int64) (revision int64, err error)
	// Delete removes the record when the revision equals expect (or
	// AnyRevision). Deleting a missing record is not an error.
	Delete(ctx context.Context, kind, key string, expect int64) error
	// List returns every record of a kind, ordered by key.
	List(ctx context.Context, kind string) ([]KVEntry, error)
	// Scan returns the records of a kind whose key starts with prefix, in
	// key (byte) order, or in reverse key order when reverse is set, at most
	// limit of them (limit <= 0: all). It reads only what it returns, so
	// the newest entries of a long log cost the same as those of a short one.
	Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]KVEntry, error)
	// Apply performs every write, or none of them, in one transaction: each
	// write's Expect is checked as Put checks it, and a single mismatch
	// returns ErrConflict with nothing written. It returns the new revision
	// of each write, in order.
	Apply(ctx context.Context, writes []KVWrite) ([]int64, error)
	Close() error
}

// KVWrite is one write of an Apply.
type KVWrite struct {
	Kind, Key string
	Value     []byte
	// Expect is the revision the record must have, as for Put: 0 means it
	// must not exist, AnyRevision skips the check.
	Expect int64
}

// AnyRevision disables the revision check of Put and Delete.
const AnyRevision int64 = -1

// KVEntry is one listed record.
type KVEntry struct {
	Key      string
	Value    []byte
	Revision int64
}
