package provider

import "testing"

// allowRolloutsLongerThanTimeouts lets a test configure a rollout that
// outlasts its Terraform timeout, which plan refuses otherwise: tests of
// what the apply does when a timeout strikes mid-rollout need one (in real
// use slow hooks, lease waits or phase gating can use up a timeout).
func allowRolloutsLongerThanTimeouts(t *testing.T) {
	t.Helper()
	saved := checkRolloutFitsTimeouts
	checkRolloutFitsTimeouts = false
	t.Cleanup(func() { checkRolloutFitsTimeouts = saved })
}
