package domain

import (
	"strconv"
	"time"
)

// Strategy names how a deployment moves from one release to the next.
type Strategy string

const (
	StrategyDirect    Strategy = "direct"
	StrategyCanary    Strategy = "canary"
	StrategyBlueGreen Strategy = "blue_green"
)

// Strategies lists the valid strategies, in documentation order.
var Strategies = []string{string(StrategyDirect), string(StrategyCanary), string(StrategyBlueGreen)}

// TimeoutAction says what happens when a rollout runs out of time.
type TimeoutAction string

const (
	// OnTimeoutRollback restores the stable release.
	OnTimeoutRollback TimeoutAction = "rollback"
	// OnTimeoutFail leaves traffic as it is and fails.
	OnTimeoutFail TimeoutAction = "fail"
)

// HookConfig says where lifecycle events are sent.
type HookConfig struct {
	URL     string            `json:"url"`
	Secret  string            `json:"-"` // never persisted, never logged
	Headers map[string]string `json:"headers,omitempty"`
	Timeout time.Duration     `json:"timeout"`
	Retry   RetryConfig       `json:"retry"`
	// Credential names the provider-level credential whose hook secret
	// signs the calls and whose headers go with them. The name is stored;
	// the values live in the provider configuration, which every run has.
	Credential string `json:"credential,omitempty"`
	// Own records, in a stored spec, that the deployment set a secret or
	// headers of its own; their values are never stored, so a later run
	// must get them from this process's memory or refuse to send.
	Own OwnCredentials `json:"own,omitempty"`
}

// OwnCredentials is what a stored spec keeps of a hook's or a check's own
// secret and headers: that they exist, never their values.
type OwnCredentials struct {
	Secret  bool     `json:"secret,omitempty"`
	Headers []string `json:"headers,omitempty"` // header names, sorted
}

// RetryConfig bounds the retries of one hook call.
type RetryConfig struct {
	Attempts int           `json:"attempts"`
	MinWait  time.Duration `json:"min_wait"`
	MaxWait  time.Duration `json:"max_wait"`
}

// DefaultRetry is used when the hook block sets no retry.
var DefaultRetry = RetryConfig{Attempts: 4, MinWait: 500 * time.Millisecond, MaxWait: 10 * time.Second}

// DefaultHookTimeout bounds a single hook request.
const DefaultHookTimeout = 10 * time.Second

// HealthCheck is an HTTP probe: healthy when the status code is expected.
// URL may contain the URLPlaceholders.
type HealthCheck struct {
	URL            string        `json:"url"`
	Interval       time.Duration `json:"interval"`
	Timeout        time.Duration `json:"timeout"`
	ExpectedStatus []int         `json:"expected_status,omitempty"`
	// Headers go with every probe (an authorization token, for instance):
	// never persisted, never logged; see RememberCheckHeaders.
	Headers map[string]string `json:"-"`
	// Credential and OwnHeaders: as HookConfig.Credential and Own.Headers.
	Credential string   `json:"credential,omitempty"`
	OwnHeaders []string `json:"own_headers,omitempty"`
}

// MetricCheck reads a number and requires it to lie within [Min, Max]
// (nil bound = open): either at Path (gjson syntax) in the JSON returned by
// URL, or as the one sample a PromQL Query returns (metric_query.go, which
// also holds the no-data policy and the comparison with the stable release).
type MetricCheck struct {
	Name string   `json:"name"`
	URL  string   `json:"url,omitempty"`
	Path string   `json:"path,omitempty"`
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
	PromQL
	// Headers go with every request, like HealthCheck.Headers.
	Headers map[string]string `json:"-"`
	// Credential and OwnHeaders: as HealthCheck's.
	Credential string   `json:"credential,omitempty"`
	OwnHeaders []string `json:"own_headers,omitempty"`
}

// CanaryStep is one traffic weight and how long to bake at it.
type CanaryStep struct {
	Weight int           `json:"weight"`
	Bake   time.Duration `json:"bake"`
}

// CanarySpec configures the canary strategy.
type CanarySpec struct {
	Steps            []CanaryStep  `json:"steps"`
	CheckInterval    time.Duration `json:"check_interval"`
	FailureThreshold int           `json:"failure_threshold"`
	ManualPromotion  bool          `json:"manual_promotion"`
}

// BlueGreenSpec configures the blue-green strategy.
type BlueGreenSpec struct {
	ManualPromotion    bool          `json:"manual_promotion"`
	PromotionDelay     time.Duration `json:"promotion_delay"`
	ScaleDownDelay     time.Duration `json:"scale_down_delay"`
	PrePromotionCheck  []MetricCheck `json:"pre_promotion_check,omitempty"`
	PostPromotionCheck []MetricCheck `json:"post_promotion_check,omitempty"`
	// CheckInterval and FailureThreshold pace the pre- and post-promotion
	// checks: up to FailureThreshold tries, CheckInterval apart. Zero falls
	// back to the canary settings' defaults.
	CheckInterval    time.Duration `json:"check_interval,omitempty"`
	FailureThreshold int           `json:"failure_threshold,omitempty"`
}

// DeploymentSpec is everything the configuration says about a deployment.
type DeploymentSpec struct {
	Package          string        `json:"package"`
	Environment      string        `json:"environment"`
	Release          string        `json:"release"`
	Strategy         Strategy      `json:"strategy"`
	Canary           CanarySpec    `json:"canary"`
	BlueGreen        BlueGreenSpec `json:"blue_green"`
	Hook             *HookConfig   `json:"hook,omitempty"`
	HealthCheck      *HealthCheck  `json:"health_check,omitempty"`
	Checks           []MetricCheck `json:"checks,omitempty"`
	ProgressDeadline time.Duration `json:"progress_deadline"`
	OnTimeout        TimeoutAction `json:"on_timeout"`
	// RollbackGrace bounds the rollback run on a detached context after the
	// caller's context was cancelled.
	RollbackGrace time.Duration `json:"rollback_grace"`
}

// Defaults used when the configuration leaves a value unset.
const (
	DefaultCheckInterval    = 10 * time.Second
	DefaultFailureThreshold = 3
	DefaultProgressDeadline = 10 * time.Minute
	DefaultRollbackGrace    = 30 * time.Second
	DefaultHealthTimeout    = 5 * time.Second
	// DefaultHealthyStatus is the status code a health check expects
	// when it lists none.
	DefaultHealthyStatus = 200
)

// WithDefaults fills unset values.
func (s DeploymentSpec) WithDefaults() DeploymentSpec {
	if s.Strategy == "" {
		s.Strategy = StrategyDirect
	}
	if s.OnTimeout == "" {
		s.OnTimeout = OnTimeoutRollback
	}
	if s.ProgressDeadline <= 0 {
		s.ProgressDeadline = DefaultProgressDeadline
	}
	if s.RollbackGrace <= 0 {
		s.RollbackGrace = DefaultRollbackGrace
	}
	if s.Canary.CheckInterval <= 0 {
		s.Canary.CheckInterval = DefaultCheckInterval
	}
	if s.Canary.FailureThreshold <= 0 {
		s.Canary.FailureThreshold = DefaultFailureThreshold
	}
	if s.BlueGreen.CheckInterval <= 0 {
		s.BlueGreen.CheckInterval = s.CheckInterval()
	}
	if s.BlueGreen.FailureThreshold <= 0 {
		s.BlueGreen.FailureThreshold = s.Canary.FailureThreshold
	}
	if s.HealthCheck != nil {
		hc := *s.HealthCheck
		if hc.Interval <= 0 {
			hc.Interval = s.Canary.CheckInterval
		}
		if hc.Timeout <= 0 {
			hc.Timeout = DefaultHealthTimeout
		}
		if len(hc.ExpectedStatus) == 0 {
			hc.ExpectedStatus = []int{DefaultHealthyStatus}
		}
		s.HealthCheck = &hc
	}
	if s.Hook != nil {
		h := *s.Hook
		if h.Timeout <= 0 {
			h.Timeout = DefaultHookTimeout
		}
		if h.Retry.Attempts <= 0 {
			h.Retry = DefaultRetry
		}
		s.Hook = &h
	}
	return s
}

// CheckInterval is how often checks run during a bake or a wait for health.
func (s DeploymentSpec) CheckInterval() time.Duration {
	if s.HealthCheck != nil && s.HealthCheck.Interval > 0 {
		return s.HealthCheck.Interval
	}
	return s.Canary.CheckInterval
}

// WithoutSecrets is the spec as it may be stored: no hook secret and no
// header values (they may carry tokens), but a note of which the
// deployment had, so that a later run without them refuses instead of
// signing with another secret or probing without the headers. A process
// that needs the values again gets them from RememberHook and
// RememberCheckHeaders; credentials named by reference come from the
// provider configuration.
func (s DeploymentSpec) WithoutSecrets() DeploymentSpec {
	if s.Hook != nil {
		h := *s.Hook
		if h.Secret != "" || len(h.Headers) > 0 {
			h.Own = OwnCredentials{Secret: h.Secret != "", Headers: headerNames(h.Headers)}
		}
		h.Secret, h.Headers = "", nil
		s.Hook = &h
	}
	if s.HealthCheck != nil && len(s.HealthCheck.Headers) > 0 {
		hc := *s.HealthCheck
		hc.OwnHeaders = headerNames(hc.Headers)
		s.HealthCheck = &hc
	}
	for _, list := range s.MetricCheckLists() {
		if len(*list.Checks) == 0 {
			continue
		}
		copied := make([]MetricCheck, len(*list.Checks))
		for i, mc := range *list.Checks {
			if len(mc.Headers) > 0 {
				mc.OwnHeaders = headerNames(mc.Headers)
			}
			copied[i] = mc
		}
		*list.Checks = copied
	}
	return s.withCheckHeaders(nil)
}

// metricCheckList is one list of metric checks and the block it comes from.
type metricCheckList struct {
	Block  string
	Checks *[]MetricCheck
}

// MetricCheckLists returns every list of metric checks in s, in schema
// order; writing through a list changes s.
func (s *DeploymentSpec) MetricCheckLists() []metricCheckList {
	return []metricCheckList{
		{"check", &s.Checks},
		{"blue_green pre_promotion_check", &s.BlueGreen.PrePromotionCheck},
		{"blue_green post_promotion_check", &s.BlueGreen.PostPromotionCheck},
	}
}

// HealthCheckHeadersKey keys the health check's headers in CheckHeaders.
const HealthCheckHeadersKey = "health_check"

// CheckHeaders collects the headers of every check that has some, keyed by
// where the check sits: "health_check", or the block and name of a metric
// check ("check \"error_rate\""). Names, not positions, so headers find
// their check again in a spec stored by another run.
func (s DeploymentSpec) CheckHeaders() map[string]map[string]string {
	out := map[string]map[string]string{}
	if s.HealthCheck != nil && len(s.HealthCheck.Headers) > 0 {
		out[HealthCheckHeadersKey] = s.HealthCheck.Headers
	}
	for _, list := range s.MetricCheckLists() {
		for _, mc := range *list.Checks {
			key := MetricCheckKey(list.Block, mc.Name)
			if _, taken := out[key]; !taken && len(mc.Headers) > 0 {
				out[key] = mc.Headers
			}
		}
	}
	return out
}

// withCheckHeaders returns the spec with each check's headers replaced by
// those in headers (nil clears them all). The check lists are copied, so the
// spec it was made from is left as it was.
func (s DeploymentSpec) withCheckHeaders(headers map[string]map[string]string) DeploymentSpec {
	if s.HealthCheck != nil {
		hc := *s.HealthCheck
		hc.Headers = headers[HealthCheckHeadersKey]
		s.HealthCheck = &hc
	}
	for _, list := range s.MetricCheckLists() {
		if *list.Checks == nil {
			continue
		}
		copied := make([]MetricCheck, len(*list.Checks))
		for i, mc := range *list.Checks {
			mc.Headers = headers[MetricCheckKey(list.Block, mc.Name)]
			copied[i] = mc
		}
		*list.Checks = copied
	}
	return s
}

// MetricCheckKey names a metric check by its block and name, the key of its
// headers in CheckHeaders.
func MetricCheckKey(block, name string) string {
	return block + " " + strconv.Quote(name)
}
