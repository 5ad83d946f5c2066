// Package rollout is the rollout state machine and its strategies. PlanRollout
// asks the strategy (direct.go, canary.go, bluegreen.go) for the steps of a
// ResolvedSpec; a Pass walks them on a Machine (the clients, the clock and
// the credentials of this run), persisting every transition before its
// effect is acknowledged, so a killed run resumes at the saved step. One
// step of a canary reads in three files: canary.go (what the step is and
// its bake), steps.go (how a step runs, its hook and event) and observe.go
// (the observed wait and its check rounds).
package rollout
