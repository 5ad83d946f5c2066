package provider

// Checks of what the recording target received and of what plans and state
// say about a deployment.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// eventLog renders accepted hook calls for one service as "type:weight:slot".
func eventLog(target *demotarget.Target) []string {
	var out []string
	for _, c := range target.HookEvents() {
		if c.Duplicate {
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d:%s", c.Event.Type, c.Event.Weight, c.Event.Slot))
	}
	return out
}

func expectEvents(want ...string) func(target *demotarget.Target) error {
	return func(target *demotarget.Target) error {
		got := eventLog(target)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			return fmt.Errorf("hook events:\n got  %v\n want %v", got, want)
		}
		for _, c := range target.Calls() {
			if c.Rejected {
				return fmt.Errorf("target rejected a call: %s", c.RejectReason)
			}
			if c.Anomaly != "" {
				return fmt.Errorf("target saw an out-of-order event %s: %s", c.Event.Type, c.Anomaly)
			}
		}
		return nil
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// expectDeploymentState checks the computed attributes users read after an
// apply; an empty pending means pending_release is null.
func expectDeploymentState(address, status, live, pending string, traffic int64) []statecheck.StateCheck {
	var pendingValue knownvalue.Check = knownvalue.StringExact(pending)
	if pending == "" {
		pendingValue = knownvalue.Null()
	}
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(address, tfjsonpath.New("status"), knownvalue.StringExact(status)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("live_release"), knownvalue.StringExact(live)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("pending_release"), pendingValue),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("traffic_percent"), knownvalue.Int64Exact(traffic)),
	}
}

// planCheckTarget runs a target assertion as a plan check. Unlike a step's
// Check, plan checks also run in PlanOnly steps.
func planCheckTarget(target *demotarget.Target, check func(*demotarget.Target) error) plancheck.PlanCheck {
	return planCheckFunc(func() error { return check(target) })
}

// planCheckFunc is an assertion run as a plan check.
type planCheckFunc func() error

func (c planCheckFunc) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = c()
}

// checkTarget adapts a target assertion to a step's Check.
func checkTarget(target *demotarget.Target, check func(*demotarget.Target) error) resource.TestCheckFunc {
	return func(*terraform.State) error { return check(target) }
}

// served checks the hook events the target accepted, in order, and what
// api/prod0 serves now: the live release and the traffic split.
func served(live string, traffic map[string]int, events ...string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		if err := expectEvents(events...)(target); err != nil {
			return err
		}
		return expectLive(target, "api", "prod0", live, traffic)
	}
}

// returnedWithin checks, when the next plan runs, that the apply started at
// *started (set in a PreConfig) returned within limit. The limit is
// minutes, far above what Terraform takes on a loaded machine, and far
// below the wait the apply must not sit out (a bake of hours, an update
// timeout, a deployment that is never ready), so the check cannot flake.
func returnedWithin(started *time.Time, limit time.Duration) plancheck.PlanCheck {
	return planCheckFunc(func() error {
		if elapsed := time.Since(*started); elapsed > limit {
			return fmt.Errorf("the failed apply and this plan took %s; a timed-out apply must return promptly (limit %s)", elapsed, limit)
		}
		return nil
	})
}

// proposedAgain is the step after a failed apply: planning the same
// configuration proposes a change again; checks run on that plan (and see
// the refreshed state it starts from).
func proposedAgain(cfg string, checks ...plancheck.PlanCheck) resource.TestStep {
	return resource.TestStep{
		Config:             cfg,
		PlanOnly:           true,
		ExpectNonEmptyPlan: true,
		ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPostRefresh: checks},
	}
}

// callsOf returns every recorded delivery of one event type, injected
// failures and retries included.
func callsOf(target *demotarget.Target, eventType string) []demotarget.Call {
	var out []demotarget.Call
	for _, c := range target.Calls() {
		if c.Event.Type == eventType {
			out = append(out, c)
		}
	}
	return out
}

// acceptedCall returns the first accepted call of an event type.
func acceptedCall(target *demotarget.Target, eventType, environment string) (demotarget.Call, bool) {
	for _, c := range target.HookEvents() {
		if c.Event.Type == eventType && (environment == "" || c.Event.Environment == environment) {
			return c, true
		}
	}
	return demotarget.Call{}, false
}

// servicesSaw compares the accepted event types of each environment's
// api service with want (nil: none).
func servicesSaw(want map[string][]string) func(*demotarget.Target) error {
	return func(target *demotarget.Target) error {
		for env, types := range want {
			if got := target.EventTypes(demotarget.ForService("api", env)); !slices.Equal(got, types) {
				return fmt.Errorf("hook events of api/%s:\n got  %v\n want %v", env, got, types)
			}
		}
		return nil
	}
}

// expectLive checks what the target serves: the live release and traffic.
func expectLive(target *demotarget.Target, pkg, env, live string, traffic map[string]int) error {
	state, ok := target.State(pkg, env)
	if !ok {
		return fmt.Errorf("target runs no %s in %s", pkg, env)
	}
	if state.Live != live {
		return fmt.Errorf("target serves %q in %s/%s, want %q (state %+v)", state.Live, pkg, env, live, state)
	}
	if fmt.Sprint(state.Traffic) != fmt.Sprint(traffic) {
		return fmt.Errorf("target traffic of %s/%s is %v, want %v", pkg, env, state.Traffic, traffic)
	}
	return nil
}

// historyContains checks that some history reason of a deployment contains
// text, as read by the data source HistoryOf(name) declares.
func historyContains(name, text string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		address := "data.ocuroot_deployment_history." + name
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s is not in state: add historyOf(%q) to the configuration", address, name)
		}
		var reasons []string
		for key, value := range rs.Primary.Attributes {
			if strings.HasPrefix(key, "entries.") && strings.HasSuffix(key, ".reason") {
				if strings.Contains(value, text) {
					return nil
				}
				reasons = append(reasons, value)
			}
		}
		return fmt.Errorf("no history reason of %s contains %q; reasons: %q", address, text, reasons)
	}
}

// refreshedValue checks an attribute of the refreshed state a plan starts
// from (its prior state): in a plan that updates a deployment the planned
// computed values are unknown, but what the store says now is known.
type refreshedValue struct {
	address, attribute string
	want               any
}

func (c refreshedValue) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if req.Plan.PriorState == nil || req.Plan.PriorState.Values == nil {
		resp.Error = fmt.Errorf("the plan has no prior state")
		return
	}
	for _, r := range req.Plan.PriorState.Values.RootModule.Resources {
		if r.Address != c.address {
			continue
		}
		got := r.AttributeValues[c.attribute]
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			resp.Error = fmt.Errorf("refreshed %s.%s = %v, want %v", c.address, c.attribute, got, c.want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the refreshed state", c.address)
}
