// Package gate decides a release's phase gates: whether a deployment in an
// environment may go ahead given the earlier phases' deployments and the
// approvals (DecidePhaseGate), the read-only preview the plan shows
// (PreviewPhaseGate), and the wait for a gate to open (Watch).
package gate
