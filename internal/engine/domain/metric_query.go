// PromQL checks: a metric check that asks the user's Prometheus instead of
// reading a JSON endpoint. This file holds what such a check is configured
// with and what the adapter that queries Prometheus answers; judging the
// answer is in rollout/analysis.go.

package domain

import (
	"context"
	"fmt"
	"time"
)

// PromQL is the part of a MetricCheck that makes it a PromQL check: Query
// is set, URL and Path are not.
type PromQL struct {
	// Query is an instant query that must return one sample. It may use the
	// placeholders of check URLs, escaped for where they stand (see
	// ExpandQueryPlaceholders).
	Query string `json:"query,omitempty"`
	// Prometheus overrides the address of the engine's Prometheus server
	// for this check. The engine's server (the provider block's) is used
	// when empty, and so is its credential when the check names none.
	Prometheus string `json:"prometheus,omitempty"`
	// NoData says what a round counts as when the query has nothing to
	// judge (no series, or NaN): NoDataFail (the default) or
	// NoDataInconclusive.
	NoData NoDataPolicy `json:"no_data,omitempty"`
	// InconclusiveLimit bounds how many rounds in a row may be inconclusive
	// under NoDataInconclusive; the round after them counts as failed.
	// Zero means DefaultInconclusiveLimit.
	InconclusiveLimit int `json:"inconclusive_limit,omitempty"`
	// CompareToStable, when set, also judges the canary (or green) value
	// against the stable (or blue) release's value of the same query.
	CompareToStable *StableComparison `json:"compare_to_stable,omitempty"`
}

// IsPromQL reports whether the check queries Prometheus.
func (mc MetricCheck) IsPromQL() bool { return mc.Query != "" }

// NoDataPolicy says what a check round without data counts as.
type NoDataPolicy string

const (
	// NoDataFail counts a round without data as failed: a canary that
	// serves nothing, or a query with a typo in a label, never passes.
	NoDataFail NoDataPolicy = "fail"
	// NoDataInconclusive counts it towards neither outcome, up to the
	// check's InconclusiveLimit rounds in a row: a canary's first seconds
	// often have no samples yet.
	NoDataInconclusive NoDataPolicy = "inconclusive"
)

// NoDataPolicies lists the policies, in documentation order.
var NoDataPolicies = []string{string(NoDataFail), string(NoDataInconclusive)}

// DefaultInconclusiveLimit is how many inconclusive rounds in a row a check
// with the inconclusive policy allows when it sets no limit.
const DefaultInconclusiveLimit = 3

// InconclusiveLimitOrDefault is the check's limit with its default applied.
func (q PromQL) InconclusiveLimitOrDefault() int {
	if q.InconclusiveLimit > 0 {
		return q.InconclusiveLimit
	}
	return DefaultInconclusiveLimit
}

// StableComparison judges the value of the slot under test against the
// stable release's value of the same query, evaluated with the stable
// slot's {slot}, {version} and {release}. The check fails when the value
// is worse than stable by more than the allowed margin: MarginPercent of
// the stable value, or Margin in the query's unit; with both set, the
// larger of the two is allowed (a stable error rate of 0 allows no
// relative increase at all, an absolute margin keeps the check usable).
type StableComparison struct {
	// WorseWhen is WorseWhenHigher (the default: error rates, latencies)
	// or WorseWhenLower (success rates, throughput).
	WorseWhen     WorseDirection `json:"worse_when,omitempty"`
	MarginPercent *float64       `json:"margin_percent,omitempty"`
	Margin        *float64       `json:"margin,omitempty"`
}

// WorseDirection says which way a value gets worse.
type WorseDirection string

const (
	WorseWhenHigher WorseDirection = "higher"
	WorseWhenLower  WorseDirection = "lower"
)

// WorseDirections lists the directions, in documentation order.
var WorseDirections = []string{string(WorseWhenHigher), string(WorseWhenLower)}

// PrometheusServer is the Prometheus the engine queries when a check names
// no address of its own: the provider block's.
type PrometheusServer struct {
	URL string
	// Credential names the credential whose headers go with queries to
	// this server, for checks that name no credential of their own.
	Credential string
	// Timeout bounds one query; zero means DefaultQueryTimeout.
	Timeout time.Duration
}

// DefaultQueryTimeout bounds one PromQL query when the server sets none.
const DefaultQueryTimeout = 10 * time.Second

// PromQuery is one instant query, complete: the address resolved, the
// placeholders expanded, the credential's headers bound.
type PromQuery struct {
	Server string
	Query  string
	// Headers go with the request (a bearer token): never logged, never in
	// an answer's text.
	Headers map[string]string
	Timeout time.Duration
}

// QueryOutcome classifies what Prometheus answered.
type QueryOutcome string

const (
	// QuerySample: exactly one sample; its value may still be NaN or ±Inf.
	QuerySample QueryOutcome = "sample"
	// QueryNoData: an empty vector.
	QueryNoData QueryOutcome = "no_data"
	// QueryAmbiguous: more than one series.
	QueryAmbiguous QueryOutcome = "ambiguous"
	// QueryUnreachable: no answer from the server (refused, timed out, not
	// Prometheus's API at that address).
	QueryUnreachable QueryOutcome = "unreachable"
	// QueryRefused: Prometheus answered with an error (a bad query, an
	// execution error) or with a result that is not one value (a range
	// vector, a string).
	QueryRefused QueryOutcome = "refused"
)

// QueryAnswer is what one query returned, classified by the adapter; the
// engine judges it.
type QueryAnswer struct {
	Outcome QueryOutcome
	// Value is the sample of QuerySample.
	Value float64
	// Series counts the series of QueryAmbiguous, and Labels shows the
	// first few of them ({slot="canary", version="2"}).
	Series int
	Labels []string
	// Detail says what went wrong for QueryUnreachable and QueryRefused,
	// in the server's words where it gave some; never a header value.
	Detail string
}

// Querier runs PromQL queries; internal/engine/promquery implements it
// with Prometheus's Go client.
type Querier interface {
	Query(ctx context.Context, q PromQuery) QueryAnswer
}

// MissingPrometheusError refuses a rollout whose PromQL check has no
// Prometheus to ask: it names no address and this run's configuration sets
// none. Like a missing credential it stops the run before anything is sent
// or moved, rather than rolling back on checks that could not run.
type MissingPrometheusError struct {
	Deployment string
	Block      string // `check "error_rate"`, with the block it sits in
}

func (m *MissingPrometheusError) Error() string {
	return fmt.Sprintf("%s of deployment %s is a PromQL check without a Prometheus address of its own, and this run's configuration names no Prometheus server; nothing was sent and no traffic moved",
		m.Block, m.Deployment)
}
