package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Acceptance tests run the provider in-process against the terraform binary
// found on PATH: `TF_ACC=1 go test ./internal/provider/` is all they need.
// TF_ACC_TERRAFORM_PATH still wins when it is set.
//
// Every test calls t.Parallel: each has its own store file (or PostgreSQL
// schema), recording target, clock and provider Options, and nothing a test
// tunes is process-global. Keep it so: a test that needs t.Setenv or a
// package variable cannot run in parallel.

var useLocalTerraformOnce sync.Once

// useLocalTerraform points terraform-plugin-testing at the terraform on
// PATH. Left to itself it would also fall back to downloading the latest
// release, and the tests must never touch the network.
func useLocalTerraform(t *testing.T) {
	t.Helper()
	useLocalTerraformOnce.Do(func() {
		if os.Getenv("CHECKPOINT_DISABLE") == "" {
			_ = os.Setenv("CHECKPOINT_DISABLE", "1")
		}
		if os.Getenv("TF_ACC_TERRAFORM_PATH") != "" {
			return
		}
		if found, err := exec.LookPath("terraform"); err == nil {
			_ = os.Setenv("TF_ACC_TERRAFORM_PATH", found)
		}
	})
}

// testAccFactories returns the provider factories of an acceptance test.
// Every provider Terraform starts in the test runs on one fake clock of the
// test's own that moves forward by itself on every engine wait, so bakes,
// delays, health and check intervals and progress deadlines cost no real
// time; hook calls, probes and Terraform's timeouts stay real. options
// adjust that (onRealClock) or tune rules for one test. The store is chosen
// by the configuration (see providerBlock); storePath is accepted so every
// test names the store it uses in one place.
func testAccFactories(t *testing.T, storePath string, options ...testOption) map[string]func() (tfprotov6.ProviderServer, error) {
	t.Helper()
	useLocalTerraform(t)
	if os.Getenv("TF_ACC") != "" {
		currentCLI(t) // on OpenTofu, sets the address the provider is served under
	}
	if storePath == "" {
		t.Fatal("testAccFactories: storePath must not be empty")
	}
	opts := Options{Version: "test", Clock: newTestClock()}
	for _, option := range options {
		option(&opts)
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"ocuroot": servedWithoutError(NewProtocolServer(NewWithOptions(opts)())),
	}
}

// servedWithoutError adapts a server factory to the form
// terraform-plugin-testing takes.
func servedWithoutError(factory func() tfprotov6.ProviderServer) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) { return factory(), nil }
}

// newTestClock returns a fake clock that advances by itself on every wait.
// It starts at the real time, so records the test writes through a
// real-clock engine (openProviderData) never lie in its future.
func newTestClock() domain.Clock {
	return enginetest.NewAutoClock(time.Now().UTC())
}

// testOption adjusts the provider Options of one acceptance test.
type testOption func(*Options)

// onRealClock runs the engine on the wall clock, for a test whose engine
// waits must take real time: a wait raced against a Terraform timeouts
// block (a real context deadline), or a deployment waiting at a phase gate
// for a resource applied later in the same run (the fake clock would use up
// the grace for that resource's plan at once). Say at the call site which.
func onRealClock(o *Options) { o.Clock = nil }

// rolloutsLongerThanTimeouts lets a test configure a rollout that outlasts
// its Terraform timeout, which plan refuses otherwise: tests of what the
// apply does when a timeout strikes mid-rollout need one (in real use slow
// hooks, lease waits or phase gating can use up a timeout).
func rolloutsLongerThanTimeouts(o *Options) { o.AllowRolloutsLongerThanTimeouts = true }

// shortUnknownEnvironmentGrace makes tests that expect an Unknown
// Environment error fail fast instead of waiting out the grace.
func shortUnknownEnvironmentGrace(o *Options) { o.UnknownEnvironmentGrace = 100 * time.Millisecond }

// newTestStorePath returns the path of an embedded store file private to t.
func newTestStorePath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "ocuroot.db")
}

// providerBlock configures the provider on the embedded store at storePath.
func providerBlock(storePath string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store = "file://%s"
}
`, storePath)
}

// openTestEngine opens the embedded store file the provider uses, to look at
// or arrange records between steps. Close the returned KV when done.
func openTestEngine(t *testing.T, storePath string) (*engine.Engine, records.KV) {
	t.Helper()
	kv, _, err := kvstore.OpenKV(context.Background(), "file://"+storePath, "")
	if err != nil {
		t.Fatalf("open store %s: %v", storePath, err)
	}
	eng := engine.New(engine.Options{Store: records.NewStore(kv)})
	return eng, kv
}

// storeRelease reads a release directly from the embedded store.
func storeRelease(storePath, id string) (domain.Release, error) {
	kv, _, err := kvstore.OpenKV(context.Background(), "file://"+storePath, "")
	if err != nil {
		return domain.Release{}, err
	}
	defer kv.Close()
	return records.NewStore(kv).GetRelease(context.Background(), id)
}

// storeEnvironment reads an environment directly from the embedded store.
func storeEnvironment(storePath, name string) (domain.Environment, error) {
	kv, _, err := kvstore.OpenKV(context.Background(), "file://"+storePath, "")
	if err != nil {
		return domain.Environment{}, err
	}
	defer kv.Close()
	return records.NewStore(kv).GetEnvironment(context.Background(), name)
}

// emptyPlanAfterApply states what every applying step expects: after the
// apply and a refresh, the plan is empty. (The framework checks this on its
// own too; the tests say it explicitly.)
var emptyPlanAfterApply = resource.ConfigPlanChecks{
	PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
}

// storeCheck runs checks against the store as a state check. Steps use
// state checks rather than the legacy Check functions because
// terraform-plugin-testing cannot shim the state of for_each resources into
// the legacy format (hashicorp/terraform-plugin-sdk#536).
func storeCheck(checks ...func() error) statecheck.StateCheck {
	return storeStateCheck(checks)
}

type storeStateCheck []func() error

func (s storeStateCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	var errs []error
	for _, check := range s {
		errs = append(errs, check())
	}
	resp.Error = errors.Join(errs...)
}

// destroyCheck runs store checks as a TestCase's CheckDestroy.
func destroyCheck(checks ...func() error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var errs []error
		for _, check := range checks {
			errs = append(errs, check())
		}
		return errors.Join(errs...)
	}
}

func releaseInStore(storePath, id string, check func(domain.Release) error) func() error {
	return func() error {
		rel, err := storeRelease(storePath, id)
		if err != nil {
			return fmt.Errorf("release %s: %w", id, err)
		}
		return check(rel)
	}
}

func releaseNotInStore(storePath, id string) func() error {
	return func() error {
		if _, err := storeRelease(storePath, id); !records.IsNotFound(err) {
			return fmt.Errorf("release %s: want it absent from the store, got err=%v", id, err)
		}
		return nil
	}
}

func environmentInStore(storePath, name string, attributes map[string]string) func() error {
	return func() error {
		env, err := storeEnvironment(storePath, name)
		if err != nil {
			return fmt.Errorf("environment %q: %w", name, err)
		}
		if fmt.Sprint(env.Attributes) != fmt.Sprint(attributes) {
			return fmt.Errorf("environment %q attributes = %v, want %v", name, env.Attributes, attributes)
		}
		return nil
	}
}

func environmentNotInStore(storePath, name string) func() error {
	return func() error {
		if _, err := storeEnvironment(storePath, name); !records.IsNotFound(err) {
			return fmt.Errorf("environment %q: want it absent from the store, got err=%v", name, err)
		}
		return nil
	}
}

func noEnvironmentsInStore(storePath string) func() error {
	return func() error {
		kv, _, err := kvstore.OpenKV(context.Background(), "file://"+storePath, "")
		if err != nil {
			return err
		}
		defer kv.Close()
		envs, err := records.NewStore(kv).ListEnvironments(context.Background())
		if err != nil {
			return err
		}
		if len(envs) != 0 {
			return fmt.Errorf("store still holds %d environment(s): %v", len(envs), envs)
		}
		return nil
	}
}

// diagPattern matches a diagnostic whose words Terraform may wrap across
// lines: every space in words may be any run of white space, and a "..."
// word skips anything.
func diagPattern(words string) *regexp.Regexp {
	var segments, segment []string
	for _, word := range append(strings.Fields(words), "...") {
		if word == "..." {
			segments = append(segments, wordsPattern(strings.Join(segment, " ")))
			segment = nil
			continue
		}
		segment = append(segment, word)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(segments, `.*`))
}

// diagnosticRegexp matches an error diagnostic by its summary and then, in
// order, fragments of its detail.
func diagnosticRegexp(summary string, fragments ...string) *regexp.Regexp {
	return diagPattern(strings.Join(append([]string{"Error: " + summary}, fragments...), " ... "))
}

// wordsPattern matches text Terraform may have wrapped (it wraps details
// at about 78 columns): every space may be any run of white space,
// including a line break.
func wordsPattern(text string) string {
	words := strings.Fields(text)
	for i, word := range words {
		words[i] = regexp.QuoteMeta(word)
	}
	return strings.Join(words, `\s+`)
}
