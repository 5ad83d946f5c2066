package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// story is the quick start's five acts. Each act runs terraform, prints
// what the target now serves, and checks it against what should be true.
type story struct {
	tf        *terraform
	out       *transcript
	target    *demotarget.Target
	targetURL string
	// acts is what each act showed, for the summary at the end.
	acts []actResult
	// actStarted is when the current act began.
	actStarted time.Time
}

// actResult is one line of the summary.
type actResult struct {
	title, outcome string
	took           time.Duration
}

// begin opens an act: its banner, and the clock for the summary.
func (s *story) begin(title string) {
	banner(s.out, title)
	s.actStarted = time.Now()
}

// done records what the act showed, once it has been checked.
func (s *story) done(title, outcome string) {
	s.acts = append(s.acts, actResult{title: title, outcome: outcome, took: time.Since(s.actStarted)})
}

// printSummary says in a few lines what each act showed.
func (s *story) printSummary() {
	if len(s.acts) == 0 {
		return
	}
	banner(s.out, "Summary")
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	for _, a := range s.acts {
		fmt.Fprintf(w, "%s\t%s\t(%s)\n", a.title, a.outcome, a.took.Round(time.Second))
	}
	w.Flush()
	s.out.say("%s", strings.TrimRight(b.String(), "\n"))
}

func vars(api, web, promote string) []string {
	return []string{"-input=false", "-var", "api_version=" + api, "-var", "web_version=" + web, "-var", "promote_web_release=" + promote}
}

// phaseOrderEntry is one phase of api_phase_order in a plan's outputs.
var phaseOrderEntry = regexp.MustCompile(`"(\d+\. [a-z_]+: [a-z0-9, ]+)"`)

func (s *story) act1() error {
	s.begin("Act 1: plan shows the phase order of api@1 before anything moves")
	out, err := s.tf.run(append([]string{"plan"}, vars("1", "1", "")...)...)
	if err != nil {
		return err
	}
	for _, want := range []string{`"1. staging: staging"`, `"2. prod_canary: prod0"`, `"3. prod: prod1, prod2"`, `graph LR`} {
		if !strings.Contains(out, want) {
			return fmt.Errorf("the plan does not show %s", want)
		}
	}
	if n := len(s.target.Calls()); n != 0 {
		return fmt.Errorf("planning sent %d hook calls; it must send none", n)
	}
	s.out.say("\nThe plan's api_phase_order output:")
	for _, m := range phaseOrderEntry.FindAllStringSubmatch(out, -1) {
		s.out.say("  %s", m[1])
	}
	s.out.say("→ the plan shows staging → prod_canary → prod, and no hook was called.")
	s.done("Act 1", "plan: api@1 goes staging → prod_canary → prod; no hook called")
	return nil
}

func (s *story) act2() error {
	s.begin("Act 2: apply rolls api@1 through all phases (and web@1 goes live)")
	if _, err := s.tf.run(append([]string{"apply", "-auto-approve"}, vars("1", "1", "")...)...); err != nil {
		return err
	}
	s.table()
	if err := s.expect(map[string]string{"api/staging": "api@1", "api/prod0": "api@1", "api/prod1": "api@1", "api/prod2": "api@1", "web/prod1": "web@1"},
		s.phaseOrderHolds("api@1")); err != nil {
		return err
	}
	s.done("Act 2", "api@1 live in staging, then prod0, then prod1 and prod2; web@1 live in prod1")
	return nil
}

func (s *story) act3() error {
	s.begin("Act 3: api@2 — canary in prod0 with two weighted bakes, then the other prod environments")
	before := len(s.target.Calls())
	if _, err := s.tf.run(append([]string{"apply", "-auto-approve"}, vars("2", "1", "")...)...); err != nil {
		return err
	}
	s.table()
	weights := s.weightsSince(before, "api", "prod0")
	if strings.Join(weights, " ") != "10 50 100" {
		return fmt.Errorf("prod0 saw canary weights %v, want [10 50 100]", weights)
	}
	s.out.say("→ prod0 went 10%% → 50%% → 100%% with checks during each bake.")
	if err := s.expect(map[string]string{"api/staging": "api@2", "api/prod0": "api@2", "api/prod1": "api@2", "api/prod2": "api@2"}, s.phaseOrderHolds("api@2")); err != nil {
		return err
	}
	s.done("Act 3", "api@2: canary in prod0 at 10% → 50% → 100% with checks, then prod1 and prod2")
	return nil
}

func (s *story) act4() error {
	s.begin("Act 4: web@2 blue-green stops at awaiting_promotion; a promotion apply cuts over")
	if _, err := s.tf.run(append([]string{"apply", "-auto-approve"}, vars("2", "2", "")...)...); err != nil {
		return err
	}
	s.table()
	st, _ := s.target.State("web", "prod1")
	if st.Live != "web@1" || st.Green != "web@2" {
		return fmt.Errorf("before promotion web/prod1 should serve web@1 with web@2 in green; it serves %s (green %q)", st.Live, st.Green)
	}
	s.out.say("→ web@2 is up in the green slot without traffic; web@1 still serves.")
	before := len(s.target.Calls())
	if _, err := s.tf.run(append([]string{"apply", "-auto-approve"}, vars("2", "2", "web@2")...)...); err != nil {
		return err
	}
	s.table()
	events := s.eventsSince(before, "web", "prod1")
	if strings.Join(events, " ") != "cutover blue.drain" {
		return fmt.Errorf("promotion sent %v, want [cutover blue.drain]", events)
	}
	s.out.say("→ cutover made green live before blue was drained.")
	if err := s.expect(map[string]string{"web/prod1": "web@2"}, nil); err != nil {
		return err
	}
	s.done("Act 4", "web@2 waited in green at awaiting_promotion; the promotion apply cut over, then blue drained")
	return nil
}

func (s *story) act5() error {
	s.begin("Act 5: api@3 passes staging, degrades in the prod canary, and is rolled back")
	// api@3 answers its first health probe (staging), then fails: the
	// canary's checks in prod0 catch it.
	s.target.FailHealthAfter("3", 1)
	out, err := s.tf.run(append([]string{"apply", "-auto-approve"}, vars("3", "2", "web@2")...)...)
	if err == nil {
		return fmt.Errorf("the apply of the bad release api@3 succeeded; it must fail")
	}
	if !strings.Contains(out, "Deployment Rolled Back") || !strings.Contains(out, "api@2") {
		return fmt.Errorf("the failed apply does not explain the rollback to api@2")
	}
	s.table()
	s.out.say("→ the apply failed with a readable diagnostic and production still serves api@2.")
	if err := s.expect(map[string]string{"api/prod0": "api@2", "api/prod1": "api@2", "api/prod2": "api@2"}, nil); err != nil {
		return err
	}
	s.target.MarkGood("3")
	s.done("Act 5", "api@3 passed staging, failed its canary checks in prod0 and was rolled back; prod still serves api@2")
	return nil
}

func (s *story) cleanup() error {
	s.begin("Cleanup: terraform destroy")
	if _, err := s.tf.run(append([]string{"destroy", "-auto-approve"}, vars("2", "2", "web@2")...)...); err != nil {
		return err
	}
	if n := len(s.target.States()); n != 0 {
		return fmt.Errorf("after destroy the target still runs %d services", n)
	}
	s.out.say("→ every deployment received its teardown event.")
	s.done("Cleanup", "destroy sent teardown to every deployment")
	return nil
}

// table prints what the target serves now.
func (s *story) table() {
	states := s.target.States()
	sort.Slice(states, func(i, j int) bool {
		return states[i].Package+states[i].Environment < states[j].Package+states[j].Environment
	})
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SERVICE\tLIVE\tCANARY\tGREEN\tTRAFFIC TO NEWEST")
	for _, st := range states {
		canary := "-"
		if st.Canary != "" {
			canary = fmt.Sprintf("%s @ %d%%", st.Canary, st.CanaryWeight)
		}
		green := "-"
		if st.Green != "" {
			green = st.Green
		}
		fmt.Fprintf(w, "%s/%s\t%s\t%s\t%s\t%d%%\n", st.Package, st.Environment, st.Live, canary, green, st.TrafficPercent)
	}
	w.Flush()
	s.out.say("\n%s", strings.TrimRight(b.String(), "\n"))
}

// expect checks the target serves the wanted release per service, and
// that the call log holds no rejected or out-of-order call.
func (s *story) expect(live map[string]string, extra func([]demotarget.Call) error) error {
	for id, want := range live {
		pkg, env, _ := strings.Cut(id, "/")
		st, ok := s.target.State(pkg, env)
		if !ok || st.Live != want {
			return fmt.Errorf("%s should serve %s, the target says %q", id, want, st.Live)
		}
	}
	calls := s.target.Calls()
	for _, c := range calls {
		if c.Rejected {
			return fmt.Errorf("the target rejected a hook call: %s", c.RejectReason)
		}
		if c.Anomaly != "" {
			return fmt.Errorf("the target saw an out-of-order %s: %s", c.Event.Type, c.Anomaly)
		}
	}
	if extra != nil {
		return extra(calls)
	}
	return nil
}

// phaseOrderHolds checks that no prod environment received the release
// before staging and prod0 had it live.
func (s *story) phaseOrderHolds(release string) func([]demotarget.Call) error {
	return func(calls []demotarget.Call) error {
		first := map[string]int{}
		last := map[string]int{}
		for i, c := range calls {
			if c.Event.Release != release || !c.Accepted || c.Event.Package != "api" {
				continue
			}
			if _, ok := first[c.Event.Environment]; !ok {
				first[c.Event.Environment] = i
			}
			last[c.Event.Environment] = i
		}
		if first["prod0"] < last["staging"] || first["prod1"] < last["prod0"] || first["prod2"] < last["prod0"] {
			return fmt.Errorf("phase order broken for %s: first/last call indexes %v / %v", release, first, last)
		}
		s.out.say("→ the call log confirms the phase order for %s: staging, then prod0, then prod1 and prod2.", release)
		return nil
	}
}

func (s *story) weightsSince(from int, pkg, env string) []string {
	var out []string
	for _, c := range s.target.Calls()[from:] {
		if c.Accepted && !c.Duplicate && c.Event.Package == pkg && c.Event.Environment == env &&
			(c.Event.Type == hookreceiver.EventCanaryWeight || c.Event.Type == hookreceiver.EventPromote) {
			out = append(out, fmt.Sprint(c.Event.Weight))
		}
	}
	return out
}

func (s *story) eventsSince(from int, pkg, env string) []string {
	var out []string
	for _, c := range s.target.Calls()[from:] {
		if c.Accepted && !c.Duplicate && c.Event.Package == pkg && c.Event.Environment == env {
			out = append(out, c.Event.Type)
		}
	}
	return out
}
