package domain

import "time"

// Status is the externally visible state of a deployment.
type Status string

const (
	StatusPending           Status = "pending"
	StatusInProgress        Status = "in_progress"
	StatusAwaitingPromotion Status = "awaiting_promotion"
	StatusSucceeded         Status = "succeeded"
	StatusRolledBack        Status = "rolled_back"
	StatusFailed            Status = "failed"
	StatusTornDown          Status = "torn_down"
)

// RolloutState is where a rollout's state machine stands.
type RolloutState string

const (
	// RolloutRunning: walking the steps; StepIndex is the next step to finish.
	RolloutRunning RolloutState = "running"
	// RolloutAwaitingPromotion: stopped at a promotion gate.
	RolloutAwaitingPromotion RolloutState = "awaiting_promotion"
	// RolloutRollingBack: restoring the previous release.
	RolloutRollingBack RolloutState = "rolling_back"
	// Terminal states.
	RolloutSucceeded  RolloutState = "succeeded"
	RolloutRolledBack RolloutState = "rolled_back"
	RolloutFailed     RolloutState = "failed"
	// RolloutSuperseded: abandoned for a newer release before it finished.
	RolloutSuperseded RolloutState = "superseded"
)

// Active reports whether the rollout still has work to do or a gate open.
func (s RolloutState) Active() bool {
	return s == RolloutRunning || s == RolloutAwaitingPromotion || s == RolloutRollingBack
}

// Transition is one entry of a deployment's decision history.
type Transition struct {
	Time    time.Time `json:"time"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Release string    `json:"release"`
	Reason  string    `json:"reason"`
}

// Promotion records who moved traffic to a release, and when.
type Promotion struct {
	Release    string    `json:"release"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by"`
	PromotedAt time.Time `json:"promoted_at"`
}

// Rollout is one attempt to move a deployment to a release. Its progress is
// the index of the next step to complete: resuming after a crash means
// continuing at StepIndex, never repeating a step before it.
type Rollout struct {
	ID              string         `json:"id"`
	Release         string         `json:"release"`
	PreviousRelease string         `json:"previous_release,omitempty"`
	Spec            DeploymentSpec `json:"spec"` // secrets are never persisted
	Steps           []Step         `json:"steps"`
	StepIndex       int            `json:"step_index"`
	StepStartedAt   time.Time      `json:"step_started_at"`
	// StepObserved is how long running engines have watched the current
	// step (a bake, a delay, a wait for health), saved at every check round.
	// Only this counts toward the step's duration and progress deadline:
	// never the clock gap while no engine ran. Reset when a step advances.
	StepObserved time.Duration `json:"step_observed,omitempty"`
	StepAttempt  int           `json:"step_attempt"`
	State        RolloutState  `json:"state"`
	StartedAt    time.Time     `json:"started_at"`
	FinishedAt   time.Time     `json:"finished_at,omitempty"`
	// Counters for the bake in progress and for the whole rollout.
	ConsecutiveFailures int `json:"consecutive_failures"`
	ChecksPassed        int `json:"checks_passed"`
	ChecksFailed        int `json:"checks_failed"`
	// ChecksInconclusive counts the rounds that had no data under the
	// inconclusive policy, and ConsecutiveInconclusive those in a row, which
	// a check's inconclusive_limit bounds (rollout/analysis.go).
	ChecksInconclusive      int    `json:"checks_inconclusive,omitempty"`
	ConsecutiveInconclusive int    `json:"consecutive_inconclusive,omitempty"`
	FailureReason           string `json:"failure_reason,omitempty"`
	// RollbackSlot is the slot the rollback restores (stable, blue).
	RollbackSlot string     `json:"rollback_slot,omitempty"`
	Promotion    *Promotion `json:"promotion,omitempty"`
}

// CurrentStep returns the step at StepIndex, or nil past the end.
func (r *Rollout) CurrentStep() *Step {
	if r == nil || r.StepIndex < 0 || r.StepIndex >= len(r.Steps) {
		return nil
	}
	return &r.Steps[r.StepIndex]
}

// Deployment is one package in one environment; it outlives releases.
type Deployment struct {
	Package     string `json:"package"`
	Environment string `json:"environment"`
	// LiveRelease serves traffic; PendingRelease is a canary or green not
	// yet promoted; TrafficPercent is the share of traffic on the release
	// being rolled out (100 once it is live).
	LiveRelease    string   `json:"live_release,omitempty"`
	PendingRelease string   `json:"pending_release,omitempty"`
	TrafficPercent int      `json:"traffic_percent"`
	Status         Status   `json:"status"`
	Rollout        *Rollout `json:"rollout,omitempty"`
	RolloutCount   int      `json:"rollout_count"`
	// LastTransition is the newest entry of the history: the record carries
	// it so a refresh can say why the deployment is where it is without
	// reading the history log (see history.go).
	LastTransition *Transition `json:"last_transition,omitempty"`
	// HistorySeq is the sequence number of the newest transition in the log.
	HistorySeq int64 `json:"history_seq,omitempty"`
	// InlineHistory holds transitions that are not in the log yet: those
	// recorded since the record was last saved, or, in a record written by
	// an earlier version, its whole history. Saving moves them into the
	// log in the same write as the record. Read the history with
	// (*Engine).History.
	InlineHistory []Transition `json:"history,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`

	Revision int64 `json:"-"`
	// Restored is set on a copy read from the records restored from
	// Terraform state (see records/restore.go) rather than from the store.
	Restored bool `json:"-"`
}

// ID is PACKAGE/ENVIRONMENT.
func (d *Deployment) ID() string { return DeploymentID(d.Package, d.Environment) }

// Record changes the status and notes the transition in the history.
func (d *Deployment) Record(now time.Time, to Status, release, reason string) {
	d.AddTransition(Transition{Time: now, From: string(d.Status), To: string(to), Release: release, Reason: reason})
	d.Status = to
	d.UpdatedAt = now
}

// MoveRollout sets the state of the deployment's rollout and records the
// status that state shows, so the two never drift apart.
func (d *Deployment) MoveRollout(now time.Time, to RolloutState, reason string) {
	d.Rollout.State = to
	d.Record(now, d.statusFor(to), d.Rollout.Release, reason)
}

// statusFor is the status a deployment shows while its rollout is in state.
// Rolling back and superseded leave it as it is: a rollback in flight still
// shows the rollout it is undoing, and a withdrawal decides by what is live.
func (d *Deployment) statusFor(state RolloutState) Status {
	switch state {
	case RolloutRunning:
		return StatusInProgress
	case RolloutAwaitingPromotion:
		return StatusAwaitingPromotion
	case RolloutSucceeded:
		return StatusSucceeded
	case RolloutRolledBack:
		return StatusRolledBack
	case RolloutFailed:
		return StatusFailed
	}
	return d.Status
}

// AddTransition notes a transition in the history. It reaches the log with
// the next save of the record, in the same write as the change it explains.
func (d *Deployment) AddTransition(t Transition) {
	d.InlineHistory = append(d.InlineHistory, t)
	d.LastTransition = &t
}

// UnfinishedRollout returns the rollout left part-way (running or rolling
// back), or nil. A rollout in one of those states with no engine driving it
// (a killed provider, an interrupt with on_timeout = "fail") still holds
// traffic on a canary or green slot, so refresh must report it and the next
// apply must finish or roll it back rather than ignore it. A rollout at its
// promotion gate is not unfinished in this sense: it waits by design.
func (d *Deployment) UnfinishedRollout() *Rollout {
	if d == nil || d.Rollout == nil {
		return nil
	}
	switch d.Rollout.State {
	case RolloutRunning, RolloutRollingBack:
		return d.Rollout
	}
	return nil
}
