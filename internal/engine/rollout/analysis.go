package rollout

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// queryCheck runs one PromQL check on slot: the slot's value and, when the
// check compares with the stable release and the slot's answer can be
// judged, the stable release's value of the same query. mc carries the
// headers bound for this pass.
func (rc *Pass) queryCheck(ctx context.Context, mc domain.MetricCheck, slot string) domain.CheckResult {
	subject := rc.read(ctx, mc, rc.placeholders(slot))
	if _, nothingToCompare := unusable(mc, subject, ""); mc.CompareToStable == nil || nothingToCompare {
		return judgePromQL(mc, subject, nil, "")
	}
	stableVars, why := rc.stablePlaceholders(slot)
	if why != "" {
		return judgePromQL(mc, subject, nil, why)
	}
	stable := rc.read(ctx, mc, stableVars)
	return judgePromQL(mc, subject, &stable, "")
}

// reading is one query's answer, with what it asked about.
type reading struct {
	slot   string
	query  string // expanded, quoted when there was nothing to judge
	answer domain.QueryAnswer
}

// read asks Prometheus one query with vars expanded into it.
func (rc *Pass) read(ctx context.Context, mc domain.MetricCheck, vars domain.Placeholders) reading {
	q := rc.m.promQuery(mc, domain.ExpandQueryPlaceholders(mc.Query, vars))
	out := reading{slot: vars.Slot, query: q.Query}
	if rc.m.Querier == nil {
		// The provider always builds the engine with one; a caller that
		// did not gets a failed check, never a pass.
		out.answer = domain.QueryAnswer{Outcome: domain.QueryUnreachable, Detail: "internal error: the engine was built without a PromQL querier"}
		return out
	}
	out.answer = rc.m.Querier.Query(ctx, q)
	return out
}

// stableSlotOf is the slot holding the stable release while slot is under
// test: the stable slot beside a canary, blue beside green.
func stableSlotOf(slot string) string {
	switch slot {
	case domain.SlotCanary:
		return domain.SlotStable
	case domain.SlotGreen:
		return domain.SlotBlue
	}
	return ""
}

// stablePlaceholders are the placeholders of the stable release beside
// slot, or why there is nothing to compare with.
func (rc *Pass) stablePlaceholders(slot string) (domain.Placeholders, string) {
	stableSlot := stableSlotOf(slot)
	previous := rc.r().PreviousRelease
	step := rc.r().CurrentStep()
	switch {
	case stableSlot == "":
		return domain.Placeholders{}, fmt.Sprintf("not compared with stable: the %s slot has no stable slot beside it", slot)
	case step != nil && step.AfterCutover:
		// A check block re-checked before blue drains, after a resume:
		// blue takes no traffic any more, and no data from it would fail
		// a release that serves well.
		return domain.Placeholders{}, "not compared with stable: after the cutover blue takes no traffic"
	case previous == "":
		return domain.Placeholders{}, "not compared with stable: no release was live when the rollout started"
	}
	return domain.Placeholders{Package: rc.d.Package, Environment: rc.d.Environment, Version: domain.VersionOf(previous), Release: previous, Slot: stableSlot}, ""
}

// judgePromQL turns the answers of a PromQL check into its result: the
// value of the slot under test within [Min, Max] and, when stable is set,
// no worse than stable's by more than the allowed margin. notCompared says
// why a configured comparison was not made.
func judgePromQL(mc domain.MetricCheck, subject reading, stable *reading, notCompared string) domain.CheckResult {
	if failed, bad := unusable(mc, subject, ""); bad {
		return failed
	}
	value := subject.answer.Value
	result := domain.CheckResult{Name: mc.Name, OK: true, Value: &value}
	parts := []string{fmt.Sprintf("%s = %s", mc.Name, formatReading(value))}
	if mc.Min != nil || mc.Max != nil {
		ok, why := domain.EvaluateBounds(value, mc.Min, mc.Max)
		result.OK = ok
		parts[0] += ", " + why
	}
	switch {
	case notCompared != "":
		parts = append(parts, notCompared)
	case stable != nil:
		if failed, bad := unusable(mc, *stable, "stable "); bad {
			// What the slot under test showed stays in the detail.
			failed.Value = &value
			failed.Detail = parts[0] + "; " + failed.Detail
			return failed
		}
		baseline := stable.answer.Value
		result.Baseline = &baseline
		ok, why := CompareWithStable(value, baseline, *mc.CompareToStable)
		result.OK = result.OK && ok
		parts = append(parts, why)
	}
	result.Detail = strings.Join(parts, "; ")
	return result
}

// unusable reports an answer with no single finite value to judge, as the
// check's result. No data (no series, or NaN: 0/0 over a window without
// requests) follows the check's no-data policy; several series, ±Inf, an
// unreachable server and a refused query always fail. about prefixes the
// detail ("stable ") when the answer is the stable release's.
func unusable(mc domain.MetricCheck, r reading, about string) (domain.CheckResult, bool) {
	result := domain.CheckResult{Name: mc.Name}
	a := r.answer
	switch {
	case a.Outcome == domain.QueryNoData:
		result.Detail = fmt.Sprintf("%sno data: the query returned no series for the %s slot (no traffic yet, or no series match its labels): %s",
			about, r.slot, truncateQuery(r.query))
	case a.Outcome == domain.QuerySample && math.IsNaN(a.Value):
		result.Detail = fmt.Sprintf("%sno data: the query returned NaN for the %s slot (typically 0/0: no requests in its window): %s",
			about, r.slot, truncateQuery(r.query))
	case a.Outcome == domain.QuerySample && math.IsInf(a.Value, 0):
		result.Detail = fmt.Sprintf("%sthe query returned %s for the %s slot (a division by zero?), which no bound can judge: %s",
			about, formatReading(a.Value), r.slot, truncateQuery(r.query))
		return result, true
	case a.Outcome == domain.QuerySample:
		return domain.CheckResult{}, false
	case a.Outcome == domain.QueryAmbiguous:
		result.Detail = fmt.Sprintf("%sthe query returned %d series for the %s slot, expected one: %s; aggregate them (sum, max, avg) or narrow its label matchers",
			about, a.Series, r.slot, describeSeries(a))
		return result, true
	case a.Outcome == domain.QueryUnreachable:
		result.Detail = fmt.Sprintf("%sPrometheus unreachable: %s", about, a.Detail)
		return result, true
	default:
		result.Detail = fmt.Sprintf("%sPrometheus refused the query: %s", about, a.Detail)
		return result, true
	}
	if mc.NoData == domain.NoDataInconclusive {
		result.Inconclusive = true
		result.InconclusiveLimit = mc.InconclusiveLimitOrDefault()
	}
	return result, true
}

// describeSeries lists the label sets of an ambiguous answer.
func describeSeries(a domain.QueryAnswer) string {
	text := strings.Join(a.Labels, ", ")
	if more := a.Series - len(a.Labels); more > 0 {
		text += fmt.Sprintf(" and %d more", more)
	}
	return text
}

// queryQuoteLimit bounds how much of a query a detail quotes.
const queryQuoteLimit = 300

func truncateQuery(q string) string {
	if len(q) <= queryQuoteLimit {
		return q
	}
	return strings.ToValidUTF8(q[:queryQuoteLimit], "") + "…"
}

// CompareWithStable judges value (the slot under test) against stable and
// says why in words that follow "name = value; ": "stable = 0.1: 50%
// higher (+0.05), more than the 10% margin". Pure, so the rule is
// table-tested: the allowed margin is MarginPercent of |stable| or Margin,
// the larger when both are set; equal to the margin passes.
func CompareWithStable(value, stable float64, c domain.StableComparison) (ok bool, detail string) {
	worse := value - stable
	if c.WorseWhen == domain.WorseWhenLower {
		worse = stable - value
	}
	allowed := 0.0
	if c.MarginPercent != nil {
		allowed = math.Abs(stable) * *c.MarginPercent / 100
	}
	if c.Margin != nil {
		allowed = max(allowed, *c.Margin)
	}
	ok = worse <= allowed
	verdict := "within"
	if !ok {
		verdict = "more than"
	}
	return ok, fmt.Sprintf("stable = %s: %s, %s %s", formatReading(stable), describeChange(value, stable), verdict, describeMargin(c, allowed))
}

// describeChange says how value differs from stable: "50% higher (+0.05)",
// "0.05 higher than 0" when stable is zero, "equal".
func describeChange(value, stable float64) string {
	delta := value - stable
	direction := "higher"
	if delta < 0 {
		direction = "lower"
	}
	switch {
	case delta == 0:
		return "equal"
	case stable == 0:
		return fmt.Sprintf("%s %s", formatReading(math.Abs(delta)), direction)
	}
	percent := math.Abs(delta) / math.Abs(stable) * 100
	sign := "+"
	if delta < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s%% %s (%s%s)", domain.FormatMetric(math.Round(percent*10)/10), direction, sign, formatReading(math.Abs(delta)))
}

// formatReading prints a value read from Prometheus to six significant
// digits: 0.09975 rather than 0.09975000000000001, and a difference of
// 0.05 rather than 0.04999999999999999.
func formatReading(v float64) string {
	rounded, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	if err != nil {
		return domain.FormatMetric(v)
	}
	return domain.FormatMetric(rounded)
}

// describeMargin names the margin a comparison allowed.
func describeMargin(c domain.StableComparison, allowed float64) string {
	switch {
	case c.MarginPercent != nil && c.Margin != nil:
		return fmt.Sprintf("the larger of the %s%% and %s margins (%s)", domain.FormatMetric(*c.MarginPercent), domain.FormatMetric(*c.Margin), formatReading(allowed))
	case c.MarginPercent != nil:
		return fmt.Sprintf("the %s%% margin", domain.FormatMetric(*c.MarginPercent))
	case c.Margin != nil:
		return fmt.Sprintf("the margin of %s", domain.FormatMetric(*c.Margin))
	}
	return "no margin"
}

// roundVerdict is what one round of checks counts as.
type roundVerdict int

const (
	roundPassed roundVerdict = iota + 1
	roundFailed
	// roundInconclusive: no check failed, but one had no data under the
	// inconclusive policy; the round counts towards neither outcome.
	roundInconclusive
)

// judgeRound decides what a round counts as, given how many rounds in a row
// before it were inconclusive, and returns the result that decided it (nil
// when it passed). A round that would be inconclusive once more than a
// check's inconclusive_limit allows counts as failed, and that check's
// detail says so.
func judgeRound(results []domain.CheckResult, inconclusiveBefore int) (roundVerdict, *domain.CheckResult) {
	var inconclusive *domain.CheckResult
	for i := range results {
		switch res := &results[i]; {
		case res.OK:
		case !res.Inconclusive:
			return roundFailed, res
		case inconclusive == nil:
			inconclusive = res
		}
	}
	if inconclusive == nil {
		return roundPassed, nil
	}
	for i := range results {
		res := &results[i]
		if res.Inconclusive && inconclusiveBefore+1 > res.InconclusiveLimit {
			res.Inconclusive = false
			res.Detail = fmt.Sprintf("inconclusive for %d rounds in a row, more than its inconclusive_limit of %d, so this round counts as failed; %s",
				inconclusiveBefore+1, res.InconclusiveLimit, res.Detail)
			return roundFailed, res
		}
	}
	return roundInconclusive, inconclusive
}
