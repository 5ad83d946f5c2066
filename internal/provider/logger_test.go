package provider

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/hookhttp"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

func TestRenderLogLineOrdersTheReportsFactsFirst(t *testing.T) {
	fields := map[string]any{
		"slot": "canary", "checks_failed": 0, "bake_total": 5 * time.Minute, "deployment": "api/prod0",
		"weight": 10, "checks_passed": 3, "step": "2/5 bake 5m", "bake_elapsed": 90 * time.Second,
		"consecutive_failures": 0, "release": "api@2", "note": "", "since": time.Date(2027, 1, 2, 10, 4, 11, 0, time.UTC),
	}
	want := `ocuroot: check round: deployment=api/prod0 release=api@2 step="2/5 bake 5m" weight=10 bake_elapsed=1m30s bake_total=5m ` +
		`checks_passed=3 checks_failed=0 consecutive_failures=0 note="" since=2027-01-02T10:04:11Z slot=canary`
	for i := 0; i < 20; i++ { // map order differs from one range to the next
		if got := renderLogLine("ocuroot: check round", fields); got != want {
			t.Fatalf("rendered\n%s\nwant\n%s", got, want)
		}
	}
	if got := renderLogLine("ocuroot: environment deleted", nil); got != "ocuroot: environment deleted" {
		t.Errorf("without fields: %q", got)
	}
}

// slowToStartChecker fails the first health probes, as a release that takes
// a while to come up, and probes the target for real after that.
type slowToStartChecker struct {
	*hookhttp.Checker
	failFirst atomic.Int32
}

func (c *slowToStartChecker) Health(ctx context.Context, hc domain.HealthCheck, vars domain.Placeholders) domain.CheckResult {
	if c.failFirst.Add(-1) >= 0 {
		return domain.CheckResult{Name: "health", Detail: "status 503, expected [200]"}
	}
	return c.Checker.Health(ctx, hc, vars)
}

// logLine is one line the provider wrote to Terraform's log.
type logLine struct{ level, message string }

func captureProviderLog(t *testing.T, buf *bytes.Buffer) []logLine {
	t.Helper()
	entries, err := tflogtest.MultilineJSONDecode(buf)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	lines := make([]logLine, 0, len(entries))
	for _, e := range entries {
		lines = append(lines, logLine{level: strings.ToUpper(e["@level"].(string)), message: e["@message"].(string)})
	}
	return lines
}

// TestProgressLogIsOneLinePerStepAndCheckRound runs a short canary through
// the provider's logger and reads Terraform's log as a user would: at INFO
// one line as the rollout starts, one per step, one per check round and one
// as it ends, each with its facts in the same order; every probe and hook
// attempt only at DEBUG.
func TestProgressLogIsOneLinePerStepAndCheckRound(t *testing.T) {
	t.Parallel()
	target := demotarget.New(demotarget.Options{Secret: "progress-secret"})
	server := httptest.NewServer(target.Handler())
	t.Cleanup(func() { server.Close(); target.Close() })
	checker := &slowToStartChecker{Checker: hookhttp.NewChecker()}
	checker.failFirst.Store(2)
	eng := engine.New(engine.Options{
		Store: records.NewStore(kvstore.NewMemoryKV()), Clock: enginetest.NewAutoClock(time.Date(2027, 1, 2, 10, 0, 0, 0, time.UTC)),
		Hooks: hookhttp.NewSender(tflogLogger{}), Checker: checker, Logger: tflogLogger{}, DefaultHookSecret: "progress-secret",
	})
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	if _, err := eng.PutEnvironment(ctx, domain.Environment{Name: "prod0"}); err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"1", "2"} {
		rel := domain.Release{Package: "api", Version: version, Phases: []domain.Phase{{Name: "prod", Environments: []string{"prod0"}}}}
		if _, err := eng.RegisterRelease(ctx, rel); err != nil {
			t.Fatal(err)
		}
	}
	maxErrorRate := 0.05
	spec := domain.DeploymentSpec{
		Package: "api", Environment: "prod0", Release: "api@1", Strategy: domain.StrategyCanary,
		Canary: domain.CanarySpec{Steps: []domain.CanaryStep{{Weight: 10, Bake: time.Minute}, {Weight: 50, Bake: 30 * time.Second}}, FailureThreshold: 2},
		Hook:   &domain.HookConfig{URL: server.URL + "/hooks"},
		HealthCheck: &domain.HealthCheck{URL: server.URL + "/health/{package}/{environment}/{slot}/{version}",
			Interval: 15 * time.Second, ExpectedStatus: []int{200}},
		Checks: []domain.MetricCheck{{Name: "error_rate", URL: server.URL + "/metrics/{package}/{environment}/{slot}/{version}",
			Path: "error_rate", Max: &maxErrorRate}},
	}

	// The first deployment goes directly and waits for health: three
	// probes, two of them failing, and not one of them at INFO.
	if _, err := eng.Deploy(ctx, engine.DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	first := captureProviderLog(t, &buf)
	wantInfo(t, "first deployment", first, []string{
		`ocuroot: starting rollout: deployment=api/prod0 release=api@1 plan=`,
		`ocuroot: step done: deployment=api/prod0 release=api@1 step=deploy step_index=1/2 weight=100 checks_passed=0 checks_failed=0 next="wait for health of stable" note=`,
		`ocuroot: step done: deployment=api/prod0 release=api@1 step="wait for health of stable" step_index=2/2 weight=100 checks_passed=1 checks_failed=2 next=complete note="stable healthy after 3 probe(s)"`,
		`ocuroot: rollout succeeded: deployment=api/prod0 release=api@1 checks_passed=1 checks_failed=2`,
	})
	if n := count(first, "DEBUG", "ocuroot: not healthy yet: "); n != 2 {
		t.Errorf("the two failed probes of the wait for health: %d DEBUG lines, want 2", n)
	}

	// The canary: 2 bakes of 4 and 2 check rounds, each round probing
	// health and error_rate.
	spec.Release = "api@2"
	if _, err := eng.Deploy(ctx, engine.DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	canary := captureProviderLog(t, &buf)
	round := func(step, index string, weight, elapsed, total, passed int) string {
		return "ocuroot: check round: deployment=api/prod0 step=\"" + step + "\" step_index=" + index + " weight=" + itoa(weight) +
			" bake_elapsed=" + durationText(elapsed) + " bake_total=" + durationText(total) + " checks_passed=" + itoa(passed) +
			" checks_failed=0 consecutive_failures=0 slot=canary"
	}
	wantInfo(t, "canary", canary, []string{
		`ocuroot: starting rollout: deployment=api/prod0 release=api@2 plan="canary 10% bake 1m → canary 50% bake 30s → promote to 100%" previous=api@1`,
		`ocuroot: step done: deployment=api/prod0 release=api@2 step="canary step 1 of 2: weight 10%" step_index=1/5 weight=10 checks_passed=0 checks_failed=0 next="canary step 1 of 2: bake 1m" note="canary 10%: hook \"canary.weight\" accepted (HTTP 200 after 1 attempt(s))"`,
		round("canary step 1 of 2 (weight 10%, bake 1m)", "2/5", 10, 15, 60, 1),
		round("canary step 1 of 2 (weight 10%, bake 1m)", "2/5", 10, 30, 60, 2),
		round("canary step 1 of 2 (weight 10%, bake 1m)", "2/5", 10, 45, 60, 3),
		round("canary step 1 of 2 (weight 10%, bake 1m)", "2/5", 10, 60, 60, 4),
		`ocuroot: step done: deployment=api/prod0 release=api@2 step="canary step 1 of 2: bake 1m" step_index=2/5 weight=10 bake_elapsed=1m bake_total=1m checks_passed=4 checks_failed=0 next="canary step 2 of 2: weight 50%" note=`,
		`ocuroot: step done: deployment=api/prod0 release=api@2 step="canary step 2 of 2: weight 50%" step_index=3/5 weight=50 checks_passed=4 checks_failed=0 next="canary step 2 of 2: bake 30s" note=`,
		round("canary step 2 of 2 (weight 50%, bake 30s)", "4/5", 50, 15, 30, 5),
		round("canary step 2 of 2 (weight 50%, bake 30s)", "4/5", 50, 30, 30, 6),
		`ocuroot: step done: deployment=api/prod0 release=api@2 step="canary step 2 of 2: bake 30s" step_index=4/5 weight=50 bake_elapsed=30s bake_total=30s checks_passed=6 checks_failed=0 next="promotion to 100%" note=`,
		`ocuroot: step done: deployment=api/prod0 release=api@2 step="promotion to 100%" step_index=5/5 weight=100 checks_passed=6 checks_failed=0 next=complete note=`,
		`ocuroot: rollout succeeded: deployment=api/prod0 release=api@2 checks_passed=6 checks_failed=0`,
	})
	if n := count(canary, "DEBUG", "ocuroot: probe: "); n != 12 {
		t.Errorf("6 check rounds of 2 checks: %d probe lines at DEBUG, want 12", n)
	}
	if n := count(canary, "DEBUG", "ocuroot: sending hook: "); n != 3 {
		t.Errorf("3 hook steps: %d sending hook lines at DEBUG, want 3", n)
	}
}

// wantInfo compares the INFO lines with want, line by line; a wanted line
// ending in "=" or a field's opening quote is a prefix.
func wantInfo(t *testing.T, what string, lines []logLine, want []string) {
	t.Helper()
	var info []string
	for _, l := range lines {
		if l.level == "INFO" {
			info = append(info, l.message)
		}
	}
	if len(info) != len(want) {
		t.Errorf("%s: %d INFO lines, want %d:\n%s", what, len(info), len(want), strings.Join(info, "\n"))
		return
	}
	for i := range want {
		prefix := strings.HasSuffix(want[i], "=") || strings.HasSuffix(want[i], `="`)
		if info[i] != want[i] && !(prefix && strings.HasPrefix(info[i], want[i])) {
			t.Errorf("%s: INFO line %d\n got %s\nwant %s", what, i+1, info[i], want[i])
		}
	}
}

func count(lines []logLine, level, prefix string) int {
	n := 0
	for _, l := range lines {
		if l.level == level && strings.HasPrefix(l.message, prefix) {
			n++
		}
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }

func durationText(seconds int) string {
	return domain.FormatDuration(time.Duration(seconds) * time.Second)
}
