package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// headerRecordingChecker records the headers each check was run with.
type headerRecordingChecker struct {
	*fakeChecker
	mu   sync.Mutex
	seen []string // "health green Authorization=…", "metric warm green X-Api-Key=…"
}

func (c *headerRecordingChecker) Health(ctx context.Context, hc domain.HealthCheck, vars domain.Placeholders) domain.CheckResult {
	c.record(fmt.Sprintf("health %s %s", vars.Slot, formatHeaders(hc.Headers)))
	return c.fakeChecker.Health(ctx, hc, vars)
}

func (c *headerRecordingChecker) Metric(ctx context.Context, mc domain.MetricCheck, vars domain.Placeholders) domain.CheckResult {
	c.record(fmt.Sprintf("metric %s %s %s", mc.Name, vars.Slot, formatHeaders(mc.Headers)))
	return c.fakeChecker.Metric(ctx, mc, vars)
}

func (c *headerRecordingChecker) record(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, strings.TrimSpace(line))
}

func (c *headerRecordingChecker) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Compact(slices.Clone(c.seen))
}

func formatHeaders(h map[string]string) string {
	var parts []string
	for name, value := range h {
		parts = append(parts, name+"="+value)
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// blueGreenSpecWithCheckHeaders is a manual blue-green rollout whose health
// check and pre- and post-promotion checks each carry a credential header.
func blueGreenSpecWithCheckHeaders() domain.DeploymentSpec {
	spec := testSpec(domain.StrategyBlueGreen)
	spec.BlueGreen.ManualPromotion = true
	spec.HealthCheck.Headers = map[string]string{"Authorization": "Bearer health-token"}
	spec.BlueGreen.PrePromotionCheck = []domain.MetricCheck{{Name: "warm", URL: "http://metrics.test/{slot}", Path: "x",
		Headers: map[string]string{"X-Api-Key": "pre-key-123"}}}
	spec.BlueGreen.PostPromotionCheck = []domain.MetricCheck{{Name: "p99", URL: "http://metrics.test/{slot}", Path: "x",
		Headers: map[string]string{"X-Api-Key": "post-key-456"}}}
	return spec
}

// TestCheckHeadersNeverStored: the stored record of a rollout with check
// headers holds none of their values, and the caller's spec is unchanged.
func TestCheckHeadersNeverStored(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := blueGreenSpecWithCheckHeaders()
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	raw, _, err := h.kv.Get(context.Background(), records.KindDeployment, testDepID)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"health-token", "pre-key-123", "post-key-456"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the stored deployment record holds the header value %q:\n%s", secret, raw)
		}
	}
	if spec.BlueGreen.PrePromotionCheck[0].Headers["X-Api-Key"] != "pre-key-123" || spec.HealthCheck.Headers == nil {
		t.Error("storing the rollout stripped the headers from the caller's spec")
	}
}

// TestPromotionInAnotherProcessUsesRememberedCheckHeaders: a promotion run
// by a process that did not start the rollout reads the spec from the
// store, which has no headers; the headers remembered for the deployment
// (as the provider does from Terraform state) go with its checks.
func TestPromotionInAnotherProcessUsesRememberedCheckHeaders(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	spec := blueGreenSpecWithCheckHeaders()
	ctx := context.Background()
	first := &headerRecordingChecker{fakeChecker: newFakeChecker()}
	if _, err := h.engine(h.kv, Options{Checker: first}).Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if got, want := first.lines(), []string{"health green Authorization=Bearer health-token"}; !slices.Equal(got, want) {
		t.Errorf("checks before the gate:\n got  %q\n want %q", got, want)
	}

	second := &headerRecordingChecker{fakeChecker: newFakeChecker()}
	promoter := h.engine(h.kv, Options{Checker: second})
	promoter.RememberCheckHeaders(testDepID, spec)
	d, err := promoter.Promote(ctx, PromoteRequest{Deployment: testDepID, Release: "api@2", By: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, d, domain.StatusSucceeded, "api@2", "", 100)
	want := []string{"metric warm green X-Api-Key=pre-key-123", "metric p99 green X-Api-Key=post-key-456"}
	if got := second.lines(); !slices.Equal(got, want) {
		t.Errorf("checks run by the promoting process:\n got  %q\n want %q", got, want)
	}
}

// TestRememberCheckHeadersMatchesChecksByName: headers find their check by
// block and name, so a reordered or shortened list still gets the right
// ones, a check without headers of its own gets none, and another
// deployment that needs its own headers is refused rather than probed
// without them.
func TestRememberCheckHeadersMatchesChecksByName(t *testing.T) {
	e := New(Options{Store: records.NewStore(store.NewMemoryKV())})
	e.RememberCheckHeaders(testDepID, domain.DeploymentSpec{Checks: []domain.MetricCheck{
		{Name: "a", Headers: map[string]string{"K": "a-key"}},
		{Name: "b", Headers: map[string]string{"K": "b-key"}},
	}})
	stored := domain.DeploymentSpec{
		Checks:    []domain.MetricCheck{{Name: "b", OwnHeaders: []string{"K"}}, {Name: "c"}},
		BlueGreen: domain.BlueGreenSpec{PostPromotionCheck: []domain.MetricCheck{{Name: "a"}}},
	}
	bound, err := e.rollouts.BindCredentials(testDepID, stored, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := bound.MetricChecks("check", stored.Checks)
	post := bound.MetricChecks("blue_green post_promotion_check", stored.BlueGreen.PostPromotionCheck)
	if checks[0].Headers["K"] != "b-key" || checks[1].Headers != nil || post[0].Headers != nil {
		t.Errorf("headers = check b %v, check c %v, post-promotion a %v; want b-key on b only",
			checks[0].Headers, checks[1].Headers, post[0].Headers)
	}
	if stored.Checks[0].Headers != nil {
		t.Error("the stored spec was modified")
	}
	_, err = e.rollouts.BindCredentials("api/staging", stored, nil)
	var missing *domain.MissingCredentialError
	if !errors.As(err, &missing) || missing.Block != `check "b"` || !slices.Equal(missing.Own, []string{"K"}) {
		t.Errorf("another deployment's stored check b: err = %v; want a MissingCredentialError for check \"b\" naming header K", err)
	}
}
