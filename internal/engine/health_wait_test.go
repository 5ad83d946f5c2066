package engine_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/hookhttp"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// A rollout that ends while it waits for health says what the health
// check last answered, over real HTTP on a fake clock.

// deadlineContext is a context the test expires by hand: its error is
// context.DeadlineExceeded, as when the operation's timeout passes, at a
// moment the test picks rather than one raced on the wall clock.
type deadlineContext struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newDeadlineContext() *deadlineContext {
	return &deadlineContext{Context: context.Background(), done: make(chan struct{})}
}

func (c *deadlineContext) Done() <-chan struct{} { return c.done }

func (c *deadlineContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *deadlineContext) expire() { c.once.Do(func() { close(c.done) }) }

// endAtProbe ends the rollout's context as health probe n starts, so
// probe n-1 is the last one that answered whole.
type endAtProbe struct {
	domain.Checker
	n   int
	end func()

	mu     sync.Mutex
	probes int
}

func (c *endAtProbe) Health(ctx context.Context, hc domain.HealthCheck, vars domain.Placeholders) domain.CheckResult {
	c.mu.Lock()
	c.probes++
	n := c.probes
	c.mu.Unlock()
	if n == c.n {
		c.end()
	}
	return c.Checker.Health(ctx, hc, vars)
}

// deployWaitingForHealth makes a first (direct) deployment of api@1 whose
// health check is healthURL, through checker, and returns its error.
func deployWaitingForHealth(t *testing.T, ctx context.Context, checker domain.Checker, healthURL string) error {
	t.Helper()
	e := engine.New(engine.Options{
		Store: records.NewStore(store.NewMemoryKV()), Clock: enginetest.NewAutoClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
		Hooks: hookhttp.NewSender(nil), Checker: checker,
	})
	setup := context.Background()
	if _, err := e.PutEnvironment(setup, domain.Environment{Name: "prod"}); err != nil {
		t.Fatal(err)
	}
	rel := domain.Release{Package: "api", Version: "1", Phases: []domain.Phase{{Name: "production", Environments: []string{"prod"}}}}
	if _, err := e.RegisterRelease(setup, rel); err != nil {
		t.Fatal(err)
	}
	spec := domain.DeploymentSpec{Package: "api", Environment: "prod", Release: "api@1", Strategy: domain.StrategyDirect,
		HealthCheck: &domain.HealthCheck{URL: healthURL, Interval: 10 * time.Second}, ProgressDeadline: 10 * time.Minute}
	_, err := e.Deploy(ctx, engine.DeployRequest{Spec: spec})
	return err
}

// warmingUp answers every probe 503 "warming up".
func warmingUp(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("warming up\n"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// refusedURL is an address nothing listens on any more.
func refusedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/health"
	_ = l.Close()
	return url
}

func TestHealthWaitEndedNamesTheLastProbe(t *testing.T) {
	for _, tt := range []struct {
		name      string
		url       func(t *testing.T) string
		deadline  bool
		wantCheck string // what the last probe saw, after `check "health" failed: GET <url>: `
	}{
		{name: "timeout while unhealthy", url: func(t *testing.T) string { return warmingUp(t).URL + "/health" }, deadline: true,
			wantCheck: `status 503, expected 200; body: "warming up"`},
		{name: "interrupt while unhealthy", url: func(t *testing.T) string { return warmingUp(t).URL + "/health" },
			wantCheck: `status 503, expected 200; body: "warming up"`},
		{name: "timeout while unreachable", url: refusedURL, deadline: true,
			wantCheck: "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url(t)
			var ctx context.Context
			var end func()
			if tt.deadline {
				dc := newDeadlineContext()
				ctx, end = dc, dc.expire
			} else {
				ctx, end = context.WithCancel(context.Background())
			}
			defer end()
			err := deployWaitingForHealth(t, ctx, &endAtProbe{Checker: hookhttp.NewChecker(), n: 3, end: end}, url)
			var rerr *domain.RolloutError
			if !errors.As(err, &rerr) || !rerr.Interrupted || rerr.Timeout != tt.deadline {
				t.Fatalf("err = %v, want an interrupted rollout (timeout %v)", err, tt.deadline)
			}
			prefix := `check "health" failed: GET ` + url + ": "
			if !strings.HasPrefix(rerr.LastCheck, prefix) || !strings.Contains(rerr.LastCheck, tt.wantCheck) || strings.Contains(rerr.LastCheck, "cancelled") {
				t.Errorf("LastCheck = %q\nwant the probe before the end: %q … %q", rerr.LastCheck, prefix, tt.wantCheck)
			}
			if text := err.Error(); !strings.Contains(text, "; the last "+rerr.LastCheck+". ") {
				t.Errorf("message %q\ndoes not quote the last probe %q", text, rerr.LastCheck)
			}
		})
	}
}

// TestProgressDeadlineNamesTheLastProbe: the engine's own deadline on
// health quotes the last answer, body included.
func TestProgressDeadlineNamesTheLastProbe(t *testing.T) {
	url := warmingUp(t).URL + "/health"
	err := deployWaitingForHealth(t, context.Background(), hookhttp.NewChecker(), url)
	var rerr *domain.RolloutError
	if !errors.As(err, &rerr) || !rerr.Timeout || rerr.Interrupted {
		t.Fatalf("err = %v, want a progress deadline timeout", err)
	}
	if want := `(61 probes; last: GET ` + url + `: status 503, expected 200; body: "warming up")`; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q\nlacks %q", err, want)
	}
}
