package leasecli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/hookhttp"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// holdEnv, when set to a store path, turns the test binary into a run that
// takes the lease of api/prod in that store and hangs in its first hook
// call: a holder the test can then kill, as a crashed apply.
const holdEnv = "LEASECLI_TEST_HOLD_STORE"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		if err := holdLeaseUntilKilled(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// hangingHooks says it holds the lease (the engine calls hooks only under
// it) and never answers.
type hangingHooks struct{}

func (hangingHooks) Send(context.Context, domain.HookConfig, string, domain.Event) (domain.HookResult, error) {
	fmt.Println("holding")
	for {
		time.Sleep(time.Hour)
	}
}

func holdLeaseUntilKilled(path string) error {
	kv, err := kvstore.OpenBoltKV(path)
	if err != nil {
		return err
	}
	e := engine.New(engine.Options{Store: records.NewStore(kv), Hooks: hangingHooks{}, Checker: hookhttp.NewChecker()})
	ctx := context.Background()
	if _, err := e.PutEnvironment(ctx, domain.Environment{Name: "prod"}); err != nil {
		return err
	}
	rel := domain.Release{Package: "api", Version: "1", Phases: []domain.Phase{{Name: "production", Environments: []string{"prod"}}}}
	if _, err := e.RegisterRelease(ctx, rel); err != nil {
		return err
	}
	spec := domain.DeploymentSpec{Package: "api", Environment: "prod", Release: "api@1", Strategy: domain.StrategyDirect,
		Hook: &domain.HookConfig{URL: "http://hooks.test/ocuroot"}}
	_, err = e.Deploy(ctx, engine.DeployRequest{Spec: spec})
	return fmt.Errorf("the deployment returned instead of hanging: %v", err)
}

// startHolder runs a holder of api/prod's lease in the store at path and
// returns once it holds it.
func startHolder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("dead holders are detected on Unix only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "holding\n" {
		t.Fatalf("the holder did not take the lease: %q, %v", line, err)
	}
	return cmd
}

func holderOf(cmd *exec.Cmd) string {
	h := lease.CurrentHolder()
	h.PID = cmd.Process.Pid
	return h.String()
}

// run runs `lease args...` and fails the test unless it exits with
// wantCode: every run states the exit code it expects, so none goes
// unchecked.
func run(t *testing.T, wantCode int, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main(args, &out, &errOut); code != wantCode {
		t.Fatalf("lease %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

func mustContain(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, text)
		}
	}
}

// TestListAndBreakTheLeaseOfACrashedRun: a run holds a lease, then is
// killed. While it lives, list shows it held and break refuses; once it is
// dead, list says so and prints the break command; break refuses any other
// holder name, and with the listed one frees the deployment.
func TestListAndBreakTheLeaseOfACrashedRun(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store.db")
	holderCmd := startHolder(t, store)
	holder := holderOf(holderCmd)

	out, _ := run(t, 0, "list", "-store", store)
	mustContain(t, "list of a live holder", out, "DEPLOYMENT", "HOLDER", "OPERATION", "SINCE", "EXPIRES", "STATE",
		"api/prod", holder, "deploy api@1", "held")
	_, errOut := run(t, 1, "break", "-store", store, "-deployment", "api/prod", "-holder", holder)
	mustContain(t, "refusal", errOut, "lease break refused", "is still running on this machine")

	if err := holderCmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holderCmd.Wait()

	out, _ = run(t, 0, "list", "-store", store)
	want := fmt.Sprintf(`terraform-provider-ocuroot lease break -deployment api/prod -holder "%s"`, holder)
	mustContain(t, "list of a dead holder", out, "holder process gone (safe to break)", want)

	_, errOut = run(t, 1, "break", "-store", store, "-deployment", "api/prod", "-holder", "someone@else pid 1")
	mustContain(t, "refusal", errOut, `the lease of api/prod is held by "`+holder+`"`, `not by "someone@else pid 1"; nothing was changed`)

	out, _ = run(t, 0, "break", "-store", store, "-deployment", "api/prod", "-holder", holder)
	mustContain(t, "break output", out, "Broke the lease of api/prod held by "+holder, "embedded store "+store)

	out, _ = run(t, 0, "list", "-store", store)
	mustContain(t, "list after break", out, "No leases are held (embedded store "+store+")")
}

// TestListAndBreakTheLeaseOfAZombieRun: a killed run that its parent has
// not reaped yet is a zombie; it still has a pid but will never renew, so
// list offers the break and break frees the deployment, as for a reaped one.
func TestListAndBreakTheLeaseOfAZombieRun(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store.db")
	holderCmd := startHolder(t, store)
	holder := holderOf(holderCmd)
	if err := holderCmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	enginetest.AwaitZombie(t, holderCmd.Process.Pid)

	out, _ := run(t, 0, "list", "-store", store)
	mustContain(t, "list of a zombie holder", out, "holder process gone (safe to break)",
		fmt.Sprintf(`terraform-provider-ocuroot lease break -deployment api/prod -holder "%s"`, holder))

	out, _ = run(t, 0, "break", "-store", store, "-deployment", "api/prod", "-holder", holder)
	mustContain(t, "break output", out, "Broke the lease of api/prod held by "+holder)
}

// TestStoreFromEnvironment: without -store the command finds the store
// where the provider does: OCUROOT_STORE, else the embedded store under
// TF_DATA_DIR.
func TestStoreFromEnvironment(t *testing.T) {
	dataDir := t.TempDir()
	t.Setenv("OCUROOT_STORE", "")
	t.Setenv("TF_DATA_DIR", dataDir)
	_, errOut := run(t, 1, "list")
	embedded := filepath.Join(dataDir, "ocuroot", "store.db")
	mustContain(t, "list without a store", errOut, "no embedded store at "+embedded)
	startHolder(t, embedded)
	out, _ := run(t, 0, "list")
	mustContain(t, "list from TF_DATA_DIR", out, "embedded store "+embedded, "api/prod")

	elsewhere := filepath.Join(t.TempDir(), "named.db")
	t.Setenv("OCUROOT_STORE", elsewhere)
	startHolder(t, elsewhere)
	out, _ = run(t, 0, "list")
	mustContain(t, "list from OCUROOT_STORE", out, "embedded store "+elsewhere)
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"steal"},
		{"break", "-deployment", "api/prod"},
		{"break", "-holder", "x"},
		{"list", "extra"},
	} {
		_, errOut := run(t, 2, args...)
		mustContain(t, fmt.Sprintf("lease %q", args), errOut, "Usage:")
	}
	_, errOut := run(t, 2, "list", "-bogus")
	mustContain(t, "a wrong flag", errOut, "flag provided but not defined: -bogus", "Usage:")
}

// TestHelpExplainsListAndBreak: every way of asking for help prints, on
// stdout and with exit 0, what a lease is and what list and break do.
func TestHelpExplainsListAndBreak(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"list", "-h"}, {"break", "--help"}} {
		out, errOut := run(t, 0, args...)
		if errOut != "" {
			t.Errorf("lease %q: stderr %q", args, errOut)
		}
		mustContain(t, fmt.Sprintf("lease %q", args), out,
			"terraform-provider-ocuroot lease list [-store LOCATION]",
			`terraform-provider-ocuroot lease break -deployment PACKAGE/ENVIRONMENT -holder "HOLDER" [-store LOCATION]`,
			"lapses within 20 seconds",
			"list shows every deployment lease: its holder, the operation",
			"For a holder\nthat is gone it prints the break command to run.",
			"break deletes one lease, and only if the named holder",
			"Break a lease only when its holder is dead",
			"else OCUROOT_STORE, else the embedded store under\nTF_DATA_DIR")
	}
}
