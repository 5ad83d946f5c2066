package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// badInput is one mistake a user can make, planned through the real
// terraform: the error it must give (summary), the configuration line
// Terraform shows for the attribute path, and words of the detail. Every
// case sets all three: an error on no attribute shows the resource's first
// line instead, and the case fails.
type badInput struct {
	name string
	// body goes inside the ocuroot_deployment block.
	body string
	// top replaces the deployment's environment and release lines.
	top string
	// extra is appended to the configuration (other resources).
	extra   string
	summary string
	line    string
	detail  string
}

// badInputs is the catalogue. A new case is one line.
var badInputs = []badInput{
	// Durations: each has a rule, and one error names the attribute.
	{name: "negative bake", body: canaryStep(`"-5s"`), summary: "Duration Out Of Range", line: `bake = "-5s"`, detail: `canary.step[0].bake is "-5s", but it must be greater than 0. A bake of 0 or less would skip the bake`},
	{name: "zero bake", body: canaryStep(`"0s"`), summary: "Duration Out Of Range", line: `bake = "0s"`, detail: "canary.step[0].bake is \"0s\", but it must be greater than 0"},
	{name: "bake not a duration", body: canaryStep(`"abc"`), summary: "Invalid Duration", line: `bake = "abc"`, detail: `canary.step[0].bake is "abc", which is not a duration`},
	{name: "bake without unit", body: canaryStep(`"5"`), summary: "Invalid Duration", line: `bake = "5"`, detail: "Write a number with a unit"},
	{name: "bake unknown unit", body: canaryStep(`"1x"`), summary: "Invalid Duration", line: `bake = "1x"`, detail: `is "1x", which is not a duration`},
	{name: "zero progress deadline", body: `progress_deadline = "0s"`, summary: "Duration Out Of Range", line: `progress_deadline = "0s"`, detail: `progress_deadline is "0s", but it must be greater than 0`},
	{name: "negative progress deadline", body: `progress_deadline = "-1m"`, summary: "Duration Out Of Range", line: `progress_deadline = "-1m"`, detail: "A deadline of 0 or less"},
	{name: "progress deadline not a duration", body: `progress_deadline = "ten minutes"`, summary: "Invalid Duration", line: `progress_deadline = "ten minutes"`, detail: "which is not a duration"},
	{name: "zero check interval", body: canaryWith(`check_interval = "0s"`), summary: "Duration Out Of Range", line: `check_interval = "0s"`, detail: "canary.check_interval is \"0s\", but it must be at least 100ms"},
	{name: "nanosecond check interval", body: canaryWith(`check_interval = "1ns"`), summary: "Duration Out Of Range", line: `check_interval = "1ns"`, detail: "would flood the endpoint"},
	{name: "check interval just too short", body: canaryWith(`check_interval = "99ms"`), summary: "Duration Out Of Range", line: `check_interval = "99ms"`, detail: "must be at least 100ms"},
	{name: "negative check interval", body: canaryWith(`check_interval = "-1s"`), summary: "Duration Out Of Range", line: `check_interval = "-1s"`, detail: "must be at least 100ms"},
	{name: "nanosecond health interval", body: healthWith(`interval = "1ns"`), summary: "Duration Out Of Range", line: `interval = "1ns"`, detail: `health_check.interval is "1ns", but it must be at least 100ms`},
	{name: "zero health interval", body: healthWith(`interval = "0s"`), summary: "Duration Out Of Range", line: `interval = "0s"`, detail: "must be at least 100ms"},
	{name: "short health interval", body: healthWith(`interval = "50ms"`), summary: "Duration Out Of Range", line: `interval = "50ms"`, detail: "must be at least 100ms"},
	{name: "zero probe timeout", body: healthWith(`timeout = "0s"`), summary: "Duration Out Of Range", line: `timeout = "0s"`, detail: `health_check.timeout is "0s", but it must be at least 100ms. A shorter timeout would fail every request`},
	{name: "short probe timeout", body: healthWith(`timeout = "10ms"`), summary: "Duration Out Of Range", line: `timeout = "10ms"`, detail: "must be at least 100ms"},
	{name: "probe timeout not a duration", body: healthWith(`timeout = "abc"`), summary: "Invalid Duration", line: `timeout = "abc"`, detail: `health_check.timeout is "abc", which is not a duration`},
	{name: "zero hook timeout", body: hookWith(`timeout = "0s"`), summary: "Duration Out Of Range", line: `timeout = "0s"`, detail: `hook.timeout is "0s", but it must be at least 100ms`},
	{name: "negative hook timeout", body: hookWith(`timeout = "-1s"`), summary: "Duration Out Of Range", line: `timeout = "-1s"`, detail: "must be at least 100ms"},
	{name: "millisecond hook timeout", body: hookWith(`timeout = "1ms"`), summary: "Duration Out Of Range", line: `timeout = "1ms"`, detail: "must be at least 100ms"},
	{name: "negative retry min wait", body: hookWith("retry {\n  min_wait = \"-1s\"\n}"), summary: "Duration Out Of Range", line: `min_wait = "-1s"`, detail: `hook.retry.min_wait is "-1s", but it must be 0 or more`},
	{name: "negative retry max wait", body: hookWith("retry {\n  min_wait = \"0s\"\n  max_wait = \"-1s\"\n}"), summary: "Duration Out Of Range", line: `max_wait = "-1s"`, detail: "must be 0 or more"},
	{name: "retry max wait not a duration", body: hookWith("retry {\n  max_wait = \"abc\"\n}"), summary: "Invalid Duration", line: `max_wait = "abc"`, detail: "which is not a duration"},
	{name: "retry waits inverted", body: hookWith("retry {\n  min_wait = \"2s\"\n  max_wait = \"1s\"\n}"), summary: "Retry Waits Inverted", line: `max_wait = "1s"`, detail: "max_wait (1s) must be at least min_wait (2s)"},
	{name: "negative promotion delay", body: blueGreenWith(`promotion_delay = "-1m"`), summary: "Duration Out Of Range", line: `promotion_delay = "-1m"`, detail: `blue_green.promotion_delay is "-1m", but it must be 0 or more`},
	{name: "negative scale-down delay", body: blueGreenWith(`scale_down_delay = "-1s"`), summary: "Duration Out Of Range", line: `scale_down_delay = "-1s"`, detail: "must be 0 or more"},
	{name: "nanosecond blue-green check interval", body: blueGreenWith(`check_interval = "1ns"`), summary: "Duration Out Of Range", line: `check_interval = "1ns"`, detail: "must be at least 100ms"},
	{name: "promotion delay not a duration", body: blueGreenWith(`promotion_delay = "soon"`), summary: "Invalid Duration", line: `promotion_delay = "soon"`, detail: "which is not a duration"},
	{name: "negative update timeout", body: timeoutsWith(`update = "-5m"`), summary: "Duration Out Of Range", line: `update = "-5m"`, detail: `timeouts.update is "-5m", but it must be greater than 0`},
	{name: "zero create timeout", body: timeoutsWith(`create = "0s"`), summary: "Duration Out Of Range", line: `create = "0s"`, detail: "A timeout of 0 or less would stop the operation before it starts"},
	{name: "negative delete timeout", body: timeoutsWith(`delete = "-1s"`), summary: "Duration Out Of Range", line: `delete = "-1s"`, detail: "must be greater than 0"},
	{name: "update timeout not a duration", body: timeoutsWith(`update = "abc"`), summary: "Invalid Duration", line: `update = "abc"`, detail: `timeouts.update is "abc", which is not a duration`},

	// Blocking time against the timeouts of the operation.
	{name: "bake longer than the default timeout", body: canaryStep(`"1000000h"`), summary: "Rollout Longer Than Update Timeout", line: `bake = "1000000h"`, detail: "can block for up to 1000000h (the bake of canary step 1: 1000000h), longer than its update timeout of 30m (the default)"},
	{name: "bakes longer than the update timeout", body: canaryStep(`"2h"`) + "\n" + timeoutsWith(`update = "1h"`), summary: "Rollout Longer Than Update Timeout", line: `update = "1h"`, detail: "can block for up to 2h (the bake of canary step 1: 2h), longer than its update timeout of 1h (set in the timeouts block)"},
	{name: "delays longer than the default timeout", body: blueGreenWith(`promotion_delay = "45m"`), summary: "Rollout Longer Than Update Timeout", line: `promotion_delay = "45m"`, detail: "promotion_delay: 45m"},
	{name: "progress deadline longer than the timeout", body: healthWith(`url = "https://svc.example.com/health"`) + "\nprogress_deadline = \"2h\"", summary: "Rollout Longer Than Update Timeout", line: `progress_deadline = "2h"`, detail: "progress_deadline waiting for the stable slot to be healthy: 2h"},
	{name: "first deployment longer than the create timeout", body: healthWith(`url = "https://svc.example.com/health"`) + "\n" + timeoutsWith("create = \"5m\""), summary: "Rollout Longer Than Create Timeout", line: `create = "5m"`, detail: "longer than its create timeout of 5m (set in the timeouts block)"},

	// URLs.
	{name: "hook url not a url", body: "hook {\n  url = \"not a url\"\n}", summary: "Invalid URL", line: `url = "not a url"`, detail: "The url must be an absolute http:// or https:// URL with a host"},
	{name: "ftp hook url", body: "hook {\n  url = \"ftp://deploy.example.com/hooks\"\n}", summary: "Invalid URL", line: `url = "ftp://deploy.example.com/hooks"`, detail: "must be an absolute http:// or https:// URL"},
	{name: "relative health url", body: "health_check {\n  url = \"/health\"\n}", summary: "Invalid URL", line: `url = "/health"`, detail: "must be an absolute http:// or https:// URL"},
	{name: "credentials in a check url", body: metricCheck(`url = "https://u:p@metrics.example.com/x"`, `max = 1`), summary: "Invalid URL", line: `url = "https://u:p@metrics.example.com/x"`, detail: "must not contain credentials"},
	{name: "unknown placeholder", body: metricCheck(`url = "https://metrics.example.com/{env}"`, `max = 1`), summary: "Invalid URL", line: `url = "https://metrics.example.com/{env}"`, detail: "unknown placeholder {env}"},
	{name: "placeholder in a hook url", body: "hook {\n  url = \"https://deploy.example.com/{environment}\"\n}", summary: "Invalid URL", line: `url = "https://deploy.example.com/{environment}"`, detail: "hook urls are called as written"},
	{name: "hook block without url", body: "hook {\n  timeout = \"5s\"\n}", summary: "Hook URL Missing", line: "hook {", detail: "A hook block needs a url"},
	{name: "health check without url", body: "health_check {\n  timeout = \"5s\"\n}", summary: "Health Check URL Missing", line: "health_check {", detail: "A health_check block needs a url"},

	// Status codes.
	{name: "status code 999", body: healthWith("expected_status = [999]"), summary: "Invalid Status Code", line: "expected_status = [999]", detail: "health_check.expected_status[0]: 999 is not an HTTP status code: status codes lie between 100 and 599"},
	{name: "negative status code", body: healthWith("expected_status = [200, -1]"), summary: "Invalid Status Code", line: "expected_status = [200, -1]", detail: "health_check.expected_status[1]: -1 is not an HTTP status code"},
	{name: "status code 0", body: healthWith("expected_status = [0]"), summary: "Invalid Status Code", line: "expected_status = [0]", detail: "0 is not an HTTP status code"},
	{name: "status code 600", body: healthWith("expected_status = [600]"), summary: "Invalid Status Code", line: "expected_status = [600]", detail: "600 is not an HTTP status code"},
	{name: "no status code", body: healthWith("expected_status = []"), summary: "Invalid Attribute Value", line: "expected_status = []", detail: "list must contain at least 1 elements"},

	// Metric checks.
	{name: "check without bounds", body: metricCheck(`url = "https://metrics.example.com/x"`, ""), summary: "Check Without Bounds", line: `name = "errors"`, detail: `check[0] (check "errors") sets neither min nor max, so no value could ever fail it`},
	{name: "empty check path", body: metricCheck(`url = "https://metrics.example.com/x"`, "max = 1\npath = \"\""), summary: "Empty Check Path", line: `path = ""`, detail: "check[0].path is empty"},
	{name: "blank check path", body: metricCheck(`url = "https://metrics.example.com/x"`, "max = 1\npath = \"  \""), summary: "Empty Check Path", line: `path = "  "`, detail: "check[0].path is empty"},
	{name: "check bounds inverted", body: metricCheck(`url = "https://metrics.example.com/x"`, "min = 2\nmax = 1"), summary: "Check Bounds Inverted", line: "max = 1", detail: "max (1) is below min (2); no value could pass"},
	{name: "duplicate check names", body: metricCheck(`url = "https://metrics.example.com/x"`, "max = 1") + "\n" + metricCheck(`url = "https://metrics.example.com/y"`, "max = 1"), summary: "Duplicate Check Name", line: `name = "errors"`, detail: `Check name "errors" is used twice`},
	{name: "pre-promotion check without bounds", body: blueGreenWith("pre_promotion_check {\n  name = \"g\"\n  url = \"https://m.example.com/x\"\n  path = \"x\"\n}"), summary: "Check Without Bounds", line: `name = "g"`, detail: `blue_green.pre_promotion_check[0] (check "g") sets neither min nor max`},
	{name: "post-promotion check with empty path", body: blueGreenWith("post_promotion_check {\n  name = \"g\"\n  url = \"https://m.example.com/x\"\n  path = \"\"\n  max = 1\n}"), summary: "Empty Check Path", line: `path = ""`, detail: "blue_green.post_promotion_check[0].path is empty"},

	// PromQL checks.
	{name: "PromQL syntax error", body: promQLCheckBody(`query = "sum(rate(x[5m])"`), summary: "Invalid PromQL Query", line: `query = "sum(rate(x[5m])"`, detail: "check[0].query: Prometheus's parser refuses it: 1:16: parse error: unclosed left parenthesis"},
	{name: "PromQL unknown placeholder", body: promQLCheckBody(`query = "up{env=\"{env}\"}"`), summary: "Invalid PromQL Query", line: `query = "up{env=\"{env}\"}"`, detail: "the query contains the unknown placeholder {env}"},
	{name: "PromQL range vector", body: promQLCheckBody(`query = "up[5m]"`), summary: "Invalid PromQL Query", line: `query = "up[5m]"`, detail: "it returns a range vector"},
	{name: "PromQL query and url", body: promQLCheckBody("query = \"up\"\nurl = \"https://m.example.com/x\"\npath = \"x\""), summary: "Check Reads Two Sources", line: `query = "up"`, detail: `Check "errors" sets query and also url or path`},
	{name: "check without a source", body: "check {\n  name = \"errors\"\n  max = 1\n}", summary: "Check Without A Source", line: `name = "errors"`, detail: `check[0] (check "errors") sets neither query nor url and path`},
	{name: "check url without path", body: "check {\n  name = \"errors\"\n  url = \"https://m.example.com/x\"\n  max = 1\n}", summary: "Check Path Missing", line: `url = "https://m.example.com/x"`, detail: `Check "errors" sets url but no path`},
	{name: "PromQL setting on a JSON check", body: metricCheck(`url = "https://metrics.example.com/x"`, "max = 1\nno_data = \"inconclusive\""), summary: "PromQL Setting Without A Query", line: `no_data = "inconclusive"`, detail: "no_data applies to PromQL checks only"},
	{name: "unknown no-data policy", body: promQLCheckBody("query = \"up\"\nno_data = \"skip\""), summary: "Invalid Attribute Value Match", line: `no_data = "skip"`, detail: `value must be one of: ["fail" "inconclusive"]`},
	{name: "comparison without a margin", body: promQLCheckBody("query = \"up\"\ncompare_to_stable = { worse_when = \"lower\" }"), summary: "Comparison Without A Margin", line: "compare_to_stable = {", detail: "sets neither margin_percent nor margin"},
	{name: "comparison after the cutover", body: blueGreenWith("post_promotion_check {\n  name = \"p99\"\n  query = \"up\"\n  prometheus_url = \"http://prom.example.com:9090\"\n  compare_to_stable = { margin = 0.1 }\n}"), summary: "Comparison After The Cutover", line: "compare_to_stable = {", detail: "after the cutover the new release serves all traffic"},
	{name: "PromQL check without Prometheus", body: "check {\n  name = \"errors\"\n  query = \"up\"\n  max = 1\n}", summary: "No Prometheus To Query", line: `query = "up"`, detail: `Check "errors" has a PromQL query, but neither it (prometheus_url) nor the provider block (prometheus) names a Prometheus server`},
	{name: "Prometheus url with credentials", body: promQLCheckBody("query = \"up\"\nprometheus_url = \"https://u:p@prom.example.com\""), summary: "Invalid URL", line: `prometheus_url = "https://u:p@prom.example.com"`, detail: "must not contain credentials"},

	// Headers.
	{name: "hook header value with a newline", body: hookWith("headers = { Authorization = \"Bearer abc\\n\" }"), summary: "Invalid HTTP Header", line: "headers = { Authorization", detail: `The value of header "Authorization" contains a line break`},
	{name: "hook header name with a space", body: hookWith("headers = { \"X Token\" = \"abc\" }"), summary: "Invalid HTTP Header", line: "headers = {", detail: `Header name "X Token" contains ' '`},
	{name: "probe header value with CR", body: healthWith("headers = { \"X-Key\" = \"a\\rb\" }"), summary: "Invalid HTTP Header", line: "headers = {", detail: `The value of header "X-Key" contains a line break`},
	{name: "check header value with LF", body: metricCheck(`url = "https://metrics.example.com/x"`, "max = 1\nheaders = { \"X-Key\" = \"a\\nb\" }"), summary: "Invalid HTTP Header", line: "headers = {", detail: `The value of header "X-Key" contains a line break`},
	{name: "check header name with a colon", body: metricCheck(`url = "https://metrics.example.com/x"`, "max = 1\nheaders = { \"X:Key\" = \"v\" }"), summary: "Invalid HTTP Header", line: "headers = {", detail: `Header name "X:Key" contains ':'`},

	// Strategy settings.
	{name: "misspelt strategy", body: "strategy = \"canry\"\n" + canaryWith(""), summary: "Invalid Attribute Value Match", line: `strategy = "canry"`, detail: `value must be one of: ["direct" "canary" "blue_green"], got: "canry"`},
	{name: "canary without steps", body: "strategy = \"canary\"", summary: "Canary Steps Missing", line: `strategy = "canary"`, detail: `strategy = "canary" needs a canary block with at least one step`},
	{name: "canary weights decrease", body: "strategy = \"canary\"\ncanary {\n  step {\n    weight = 50\n    bake = \"1m\"\n  }\n  step {\n    weight = 10\n    bake = \"1m\"\n  }\n}", summary: "Canary Weights Decrease", line: "weight = 10", detail: "Step 2 has weight 10, lower than the 50 of the step before"},
	{name: "canary weight 0", body: "canary {\n  step {\n    weight = 0\n    bake = \"1m\"\n  }\n}", summary: "Invalid Attribute Value", line: "weight = 0", detail: "value must be between 1 and 100, got: 0"},
	{name: "canary weight 101", body: "canary {\n  step {\n    weight = 101\n    bake = \"1m\"\n  }\n}", summary: "Invalid Attribute Value", line: "weight = 101", detail: "value must be between 1 and 100, got: 101"},
	{name: "canary failure threshold 0", body: canaryWith("failure_threshold = 0"), summary: "Invalid Attribute Value", line: "failure_threshold = 0", detail: "value must be at least 1, got: 0"},
	{name: "no retry attempts", body: hookWith("retry {\n  attempts = 0\n}"), summary: "Invalid Attribute Value", line: "attempts = 0", detail: "value must be between 1 and 20, got: 0"},
	{name: "unknown on_timeout", body: `on_timeout = "explode"`, summary: "Invalid Attribute Value Match", line: `on_timeout = "explode"`, detail: `got: "explode"`},
	{name: "environment name with a space", top: "environment = \"prod 0\"\nrelease = ocuroot_release.v1.id", summary: "Invalid Attribute Value Match", line: `environment = "prod 0"`, detail: "must contain only letters, digits"},
	{name: "release without version", top: "environment = ocuroot_environment.prod0.name\nrelease = \"api\"", summary: "Invalid Attribute Value Match", line: `release = "api"`, detail: "must have the form PACKAGE@VERSION"},

	// Cross-resource rules, known at plan time.
	{name: "environment in no phase", top: "environment = ocuroot_environment.lonely.name\nrelease = ocuroot_release.v1.id", summary: "Environment Not In Release", line: "environment = ocuroot_environment.lonely.name", detail: `Environment "lonely" is in no phase of release api@1 (phases: prod [prod0]), so the deployment would be refused`},
	{name: "promotion of another package", extra: "resource \"ocuroot_promotion\" \"p\" {\n  deployment = \"web/prod0\"\n  release = ocuroot_release.v1.id\n}", summary: "Release Of Another Package", line: "release = ocuroot_release.v1.id", detail: `Release api@1 is of package "api", but deployment web/prod0 runs package "web"`},
	{name: "approval of a phase the release lacks", extra: "resource \"ocuroot_promotion\" \"p\" {\n  phase = \"canary\"\n  release = ocuroot_release.v1.id\n}", summary: "Phase Not In Release", line: `phase = "canary"`, detail: `Release api@1 has no phase "canary"; its phases are "prod"`},
	{name: "approval of a phase without requires_approval", extra: "resource \"ocuroot_promotion\" \"p\" {\n  phase = \"prod\"\n  release = ocuroot_release.v1.id\n}", summary: "Phase Does Not Require Approval", line: `phase = "prod"`, detail: `Phase "prod" of release api@1 does not require approval, so this approval would open nothing`},
}

func canaryStep(bake string) string {
	return fmt.Sprintf("strategy = \"canary\"\ncanary {\n  step {\n    weight = 10\n    bake = %s\n  }\n}", bake)
}

func canaryWith(setting string) string {
	return fmt.Sprintf("canary {\n  %s\n  step {\n    weight = 10\n    bake = \"1m\"\n  }\n}", setting)
}

func healthWith(setting string) string {
	if setting == `url = "https://svc.example.com/health"` {
		return "health_check {\n  " + setting + "\n}"
	}
	return "health_check {\n  url = \"https://svc.example.com/health\"\n  " + setting + "\n}"
}

func hookWith(setting string) string {
	return "hook {\n  url = \"https://deploy.example.com/hooks\"\n  " + setting + "\n}"
}

func blueGreenWith(setting string) string {
	return "strategy = \"blue_green\"\nblue_green {\n  " + setting + "\n}"
}

func timeoutsWith(setting string) string {
	return "timeouts {\n  " + setting + "\n}"
}

func metricCheck(url, settings string) string {
	check := "check {\n  name = \"errors\"\n  " + url + "\n  " + settings + "\n"
	if !regexp.MustCompile(`(?m)^\s*path\s*=`).MatchString(settings) {
		check += "  path = \"error_rate\"\n"
	}
	return check + "}"
}

// promQLCheckBody is a PromQL check with a bound, asking its own
// Prometheus unless settings names one.
func promQLCheckBody(settings string) string {
	check := "check {\n  name = \"errors\"\n  max = 1\n  " + settings + "\n"
	if !strings.Contains(settings, "prometheus_url") {
		check += "  prometheus_url = \"http://prom.example.com:9090\"\n"
	}
	return check + "}"
}

// catalogueConfig is a valid configuration with the mistake of c in it.
func catalogueConfig(store string, c badInput) string {
	top := c.top
	if top == "" {
		top = "environment = ocuroot_environment.prod0.name\nrelease = ocuroot_release.v1.id"
	}
	return providerBlock(store) + fmt.Sprintf(`
resource "ocuroot_environment" "prod0" {
  name = "prod0"
}

resource "ocuroot_environment" "lonely" {
  name = "lonely"
}

resource "ocuroot_release" "v1" {
  package = "api"
  version = "1"
  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod0.name]
  }
}

resource "ocuroot_deployment" "api" {
%s
%s
}
%s
`, top, c.body, c.extra)
}

// TestAccValidation_catalogue plans every bad input of the catalogue with
// the real terraform: each gives its error, on the line of its attribute,
// with the rule in the detail, and no panic. The cases run in parallel
// groups, each a Terraform test case of its own: one test case would plan
// them one after another.
func TestAccValidation_catalogue(t *testing.T) {
	t.Parallel()
	if len(badInputs) < 60 {
		t.Fatalf("the catalogue has %d cases, want at least 60", len(badInputs))
	}
	for _, c := range badInputs {
		if c.summary == "" || c.line == "" || c.detail == "" {
			t.Fatalf("catalogue case %q must name its summary, the line of its attribute and words of its detail", c.name)
		}
	}
	const casesPerGroup = 10
	for first := 0; first < len(badInputs); first += casesPerGroup {
		group := badInputs[first:min(first+casesPerGroup, len(badInputs))]
		t.Run(fmt.Sprintf("cases %d-%d", first+1, first+len(group)), func(t *testing.T) {
			t.Parallel()
			planBadInputs(t, group)
		})
	}
}

// planBadInputs plans each bad input in one Terraform test case and expects
// its error.
func planBadInputs(t *testing.T, cases []badInput) {
	store := newTestStorePath(t)
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      catalogueConfig(store, c),
			PlanOnly:    true,
			ExpectError: catalogueErrorRegexp(c),
		})
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps:                    steps,
	})
}

// catalogueErrorRegexp matches the error of c: its summary; then, before
// any other error, c.line as a numbered source line, which is how Terraform
// shows the line of the diagnostic's attribute path; then the detail.
func catalogueErrorRegexp(c badInput) *regexp.Regexp {
	return regexp.MustCompile(`(?s)Error: ` + wordsPattern(c.summary) +
		withoutErrorDiagnostic + `\n\s*\d+:\s+` + wordsPattern(c.line) +
		withoutErrorDiagnostic + wordsPattern(c.detail))
}

// TestAccValidation_catalogueBaseIsValid: without a mistake, the
// catalogue's configuration plans cleanly, so every error above is the
// case's own.
func TestAccValidation_catalogueBaseIsValid(t *testing.T) {
	t.Parallel()
	store := newTestStorePath(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactories(t, store),
		Steps: []resource.TestStep{{
			Config:             catalogueConfig(store, badInput{body: canaryStep(`"5m"`) + "\n" + hookWith(`timeout = "100ms"`) + "\n" + healthWith("expected_status = [200, 204]")}),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
}
