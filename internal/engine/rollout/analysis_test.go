package rollout

import (
	"math"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

func TestCompareWithStable(t *testing.T) {
	pct := ptrTo
	tests := []struct {
		name          string
		value, stable float64
		c             domain.StableComparison
		wantOK        bool
		wantDetail    string
	}{
		{"1.5 times slower than stable fails a 10% margin", 0.15, 0.1, domain.StableComparison{MarginPercent: pct(10)}, false,
			"stable = 0.1: 50% higher (+0.05), more than the 10% margin"},
		{"within the relative margin", 0.105, 0.1, domain.StableComparison{MarginPercent: pct(10)}, true,
			"stable = 0.1: 5% higher (+0.005), within the 10% margin"},
		{"exactly at the margin passes", 0.2, 0.1, domain.StableComparison{MarginPercent: pct(100)}, true,
			"stable = 0.1: 100% higher (+0.1), within the 100% margin"},
		{"better than stable passes", 0.05, 0.1, domain.StableComparison{MarginPercent: pct(10)}, true,
			"stable = 0.1: 50% lower (-0.05), within the 10% margin"},
		{"equal", 0.1, 0.1, domain.StableComparison{MarginPercent: pct(0)}, true, "stable = 0.1: equal, within the 0% margin"},
		{"absolute margin", 0.03, 0.01, domain.StableComparison{Margin: pct(0.01)}, false,
			"stable = 0.01: 200% higher (+0.02), more than the margin of 0.01"},
		{"a zero stable allows no relative increase", 0.001, 0, domain.StableComparison{MarginPercent: pct(10)}, false,
			"stable = 0: 0.001 higher, more than the 10% margin"},
		{"the larger margin of both is allowed", 0.001, 0, domain.StableComparison{MarginPercent: pct(10), Margin: pct(0.005)}, true,
			"stable = 0: 0.001 higher, within the larger of the 10% and 0.005 margins (0.005)"},
		{"lower is worse: a drop in success rate", 0.9, 0.99, domain.StableComparison{WorseWhen: domain.WorseWhenLower, MarginPercent: pct(5)}, false,
			"stable = 0.99: 9.1% lower (-0.09), more than the 5% margin"},
		{"lower is worse: a rise is fine", 1, 0.99, domain.StableComparison{WorseWhen: domain.WorseWhenLower, MarginPercent: pct(5)}, true,
			"stable = 0.99: 1% higher (+0.01), within the 5% margin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, detail := CompareWithStable(tt.value, tt.stable, tt.c)
			if ok != tt.wantOK || detail != tt.wantDetail {
				t.Errorf("CompareWithStable(%v, %v) = (%v, %q)\n want (%v, %q)", tt.value, tt.stable, ok, detail, tt.wantOK, tt.wantDetail)
			}
		})
	}
}

// TestJudgePromQL: every answer has its own outcome and a detail that says
// which one it is.
func TestJudgePromQL(t *testing.T) {
	errorRate := domain.MetricCheck{Name: "error_rate", Max: ptrTo(0.05), PromQL: domain.PromQL{Query: "q"}}
	inconclusive := errorRate
	inconclusive.NoData, inconclusive.InconclusiveLimit = domain.NoDataInconclusive, 4
	p99 := domain.MetricCheck{Name: "p99", Max: ptrTo(1), PromQL: domain.PromQL{Query: "q", CompareToStable: &domain.StableComparison{MarginPercent: ptrTo(10)}}}
	sample := func(v float64) reading {
		return reading{slot: "canary", query: `q{slot="canary"}`, answer: domain.QueryAnswer{Outcome: domain.QuerySample, Value: v}}
	}
	stableSample := func(v float64) *reading {
		return &reading{slot: "stable", query: `q{slot="stable"}`, answer: domain.QueryAnswer{Outcome: domain.QuerySample, Value: v}}
	}
	noData := reading{slot: "canary", query: `q{slot="canary"}`, answer: domain.QueryAnswer{Outcome: domain.QueryNoData}}
	tests := []struct {
		name             string
		mc               domain.MetricCheck
		subject          reading
		stable           *reading
		notCompared      string
		wantOK, wantInc  bool
		wantDetail       string
		wantValue, wantB *float64
	}{
		{name: "within bounds", mc: errorRate, subject: sample(0.01), wantOK: true,
			wantDetail: "error_rate = 0.01, at or below max 0.05", wantValue: ptrTo(0.01)},
		{name: "above max", mc: errorRate, subject: sample(0.2),
			wantDetail: "error_rate = 0.2, above max 0.05", wantValue: ptrTo(0.2)},
		{name: "no data fails by default", mc: errorRate, subject: noData,
			wantDetail: `no data: the query returned no series for the canary slot (no traffic yet, or no series match its labels): q{slot="canary"}`},
		{name: "no data is inconclusive under that policy", mc: inconclusive, subject: noData, wantInc: true,
			wantDetail: `no data: the query returned no series for the canary slot (no traffic yet, or no series match its labels): q{slot="canary"}`},
		{name: "NaN is no data", mc: inconclusive, subject: sample(math.NaN()), wantInc: true,
			wantDetail: `no data: the query returned NaN for the canary slot (typically 0/0: no requests in its window): q{slot="canary"}`},
		{name: "+Inf always fails", mc: inconclusive, subject: sample(math.Inf(1)),
			wantDetail: `the query returned +Inf for the canary slot (a division by zero?), which no bound can judge: q{slot="canary"}`},
		{name: "several series always fail", mc: inconclusive,
			subject:    reading{slot: "canary", answer: domain.QueryAnswer{Outcome: domain.QueryAmbiguous, Series: 5, Labels: []string{`{pod="a"}`, `{pod="b"}`, `{pod="c"}`}}},
			wantDetail: `the query returned 5 series for the canary slot, expected one: {pod="a"}, {pod="b"}, {pod="c"} and 2 more; aggregate them (sum, max, avg) or narrow its label matchers`},
		{name: "an unreachable server always fails", mc: inconclusive,
			subject:    reading{slot: "canary", answer: domain.QueryAnswer{Outcome: domain.QueryUnreachable, Detail: "http://prom:9090: connection refused"}},
			wantDetail: "Prometheus unreachable: http://prom:9090: connection refused"},
		{name: "a refused query always fails", mc: inconclusive,
			subject:    reading{slot: "canary", answer: domain.QueryAnswer{Outcome: domain.QueryRefused, Detail: "bad_data: parse error"}},
			wantDetail: "Prometheus refused the query: bad_data: parse error"},
		{name: "worse than stable, inside the absolute bound", mc: p99, subject: sample(0.15), stable: stableSample(0.1),
			wantDetail: "p99 = 0.15, at or below max 1; stable = 0.1: 50% higher (+0.05), more than the 10% margin",
			wantValue:  ptrTo(0.15), wantB: ptrTo(0.1)},
		{name: "as good as stable", mc: p99, subject: sample(0.1), stable: stableSample(0.1), wantOK: true,
			wantDetail: "p99 = 0.1, at or below max 1; stable = 0.1: equal, within the 10% margin",
			wantValue:  ptrTo(0.1), wantB: ptrTo(0.1)},
		{name: "stable without data follows the policy, naming stable", mc: p99, subject: sample(0.1),
			stable:     &reading{slot: "stable", query: `q{slot="stable"}`, answer: domain.QueryAnswer{Outcome: domain.QueryNoData}},
			wantDetail: `p99 = 0.1, at or below max 1; stable no data: the query returned no series for the stable slot (no traffic yet, or no series match its labels): q{slot="stable"}`,
			wantValue:  ptrTo(0.1)},
		{name: "nothing to compare with", mc: p99, subject: sample(0.1), notCompared: "not compared with stable: no release was live when the rollout started",
			wantOK: true, wantDetail: "p99 = 0.1, at or below max 1; not compared with stable: no release was live when the rollout started", wantValue: ptrTo(0.1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judgePromQL(tt.mc, tt.subject, tt.stable, tt.notCompared)
			if got.Name != tt.mc.Name || got.OK != tt.wantOK || got.Inconclusive != tt.wantInc || got.Detail != tt.wantDetail {
				t.Errorf("judgePromQL = {ok %v, inconclusive %v, %q}\n want {ok %v, inconclusive %v, %q}",
					got.OK, got.Inconclusive, got.Detail, tt.wantOK, tt.wantInc, tt.wantDetail)
			}
			if !sameValue(got.Value, tt.wantValue) || !sameValue(got.Baseline, tt.wantB) {
				t.Errorf("value %v, baseline %v; want %v, %v", deref(got.Value), deref(got.Baseline), deref(tt.wantValue), deref(tt.wantB))
			}
			if got.Inconclusive && got.InconclusiveLimit != 4 {
				t.Errorf("inconclusive limit = %d, want the check's 4", got.InconclusiveLimit)
			}
		})
	}
}

func sameValue(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// TestJudgeRound: a failed check decides a round; an inconclusive one
// leaves it inconclusive until the rounds in a row pass its limit.
func TestJudgeRound(t *testing.T) {
	pass := domain.CheckResult{Name: "health", OK: true}
	fail := domain.CheckResult{Name: "error_rate", Detail: "error_rate = 0.2, above max 0.05"}
	noData := domain.CheckResult{Name: "p99", Detail: "no data: …", Inconclusive: true, InconclusiveLimit: 2}
	tests := []struct {
		name        string
		results     []domain.CheckResult
		before      int
		want        roundVerdict
		wantDecided string
		wantDetail  string
	}{
		{"all pass", []domain.CheckResult{pass, pass}, 0, roundPassed, "", ""},
		{"a failure decides", []domain.CheckResult{noData, fail}, 0, roundFailed, "error_rate", "error_rate = 0.2, above max 0.05"},
		{"inconclusive", []domain.CheckResult{pass, noData}, 0, roundInconclusive, "p99", "no data: …"},
		{"up to the limit", []domain.CheckResult{pass, noData}, 1, roundInconclusive, "p99", "no data: …"},
		{"past the limit, failed", []domain.CheckResult{pass, noData}, 2, roundFailed, "p99",
			"inconclusive for 3 rounds in a row, more than its inconclusive_limit of 2, so this round counts as failed; no data: …"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := append([]domain.CheckResult(nil), tt.results...)
			verdict, decided := judgeRound(results, tt.before)
			if verdict != tt.want {
				t.Fatalf("verdict = %v, want %v", verdict, tt.want)
			}
			switch {
			case tt.wantDecided == "" && decided != nil:
				t.Errorf("decided by %q, want nothing", decided.Name)
			case tt.wantDecided != "" && (decided == nil || decided.Name != tt.wantDecided || decided.Detail != tt.wantDetail):
				t.Errorf("decided by %+v, want %s with %q", decided, tt.wantDecided, tt.wantDetail)
			}
			if verdict == roundFailed && decided != nil && decided.Inconclusive {
				t.Errorf("the failing result is still marked inconclusive")
			}
		})
	}
	if !strings.Contains(noData.Detail, "no data") || !noData.Inconclusive {
		t.Errorf("judgeRound changed the caller's results")
	}
}

// TestDescribeLastCheck_inconclusive: an interrupt during rounds without
// data does not call them failed.
func TestDescribeLastCheck_inconclusive(t *testing.T) {
	got := describeLastCheck(&domain.CheckResult{Name: "error_rate", Inconclusive: true, Detail: "no data: the query returned no series"})
	if want := `check "error_rate" was inconclusive: no data: the query returned no series`; got != want {
		t.Errorf("describeLastCheck = %q, want %q", got, want)
	}
}

// TestStablePlaceholders: the release a slot is compared with, or why
// there is none.
func TestStablePlaceholders(t *testing.T) {
	bake := domain.Step{Kind: domain.StepBake, Slot: domain.SlotCanary}
	verify := domain.Step{Kind: domain.StepVerify, Slot: domain.SlotGreen, CheckSet: domain.CheckSetPrePromotion}
	drain := domain.Step{Kind: domain.StepHook, Event: domain.EventBlueDrain, Slot: domain.SlotBlue, AfterCutover: true}
	tests := []struct {
		name, slot, previous string
		step                 domain.Step
		want                 domain.Placeholders
		wantWhy              string
	}{
		{"canary against stable", domain.SlotCanary, "api@1", bake, domain.Placeholders{Package: "api", Environment: "prod", Version: "1", Release: "api@1", Slot: domain.SlotStable}, ""},
		{"green against blue", domain.SlotGreen, "api@1", verify, domain.Placeholders{Package: "api", Environment: "prod", Version: "1", Release: "api@1", Slot: domain.SlotBlue}, ""},
		{"after the cutover blue has no traffic", domain.SlotGreen, "api@1", drain, domain.Placeholders{}, "not compared with stable: after the cutover blue takes no traffic"},
		{"nothing was live", domain.SlotCanary, "", bake, domain.Placeholders{}, "not compared with stable: no release was live when the rollout started"},
		{"stable has nothing beside it", domain.SlotStable, "api@1", bake, domain.Placeholders{}, "not compared with stable: the stable slot has no stable slot beside it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &Pass{d: &domain.Deployment{Package: "api", Environment: "prod",
				Rollout: &domain.Rollout{Release: "api@2", PreviousRelease: tt.previous, Steps: []domain.Step{tt.step}}}}
			got, why := rc.stablePlaceholders(tt.slot)
			if got != tt.want || why != tt.wantWhy {
				t.Errorf("stablePlaceholders(%s) = %+v, %q; want %+v, %q", tt.slot, got, why, tt.want, tt.wantWhy)
			}
		})
	}
}

// ptrTo points at a copy of v, for the optional bounds of a check.
func ptrTo(v float64) *float64 { return &v }
