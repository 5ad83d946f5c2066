package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// terraform-plugin-testing (v1.16) cannot run `terraform apply -invoke`, so
// the action tests drive the real terraform themselves: each command gets
// this provider served in-process in debug mode, and terraform attaches to
// it through TF_REATTACH_PROVIDERS, as terraform-plugin-testing does for
// its own steps. No provider binary is built and nothing is downloaded.

// tfWorkspace is a terraform working directory of one test.
type tfWorkspace struct {
	t   *testing.T
	dir string
	cli testCLI
	// clock is the fake clock every provider served for this workspace runs
	// on (see testAccFactories).
	clock domain.Clock
}

// newTFWorkspace returns a workspace, or skips the test when TF_ACC is
// unset or the CLI in use is older than minimum. It runs on OpenTofu too
// (see cli_flavor_test.go).
func newTFWorkspace(t *testing.T, minimum *version.Version) *tfWorkspace {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run terraform")
	}
	cli := currentCLI(t)
	skipBelow(t, cli, minimum)
	return &tfWorkspace{t: t, dir: t.TempDir(), cli: cli, clock: newTestClock()}
}

// providerAddress is the address the configuration's "ocuroot/ocuroot"
// resolves to, which the CLI looks for in TF_REATTACH_PROVIDERS.
func (w *tfWorkspace) providerAddress() string {
	return w.cli.registryHost() + "/ocuroot/ocuroot"
}

// requiredProviders names the provider's address, which terraform looks
// for in TF_REATTACH_PROVIDERS.
const requiredProviders = `
terraform {
  required_providers {
    ocuroot = { source = "ocuroot/ocuroot" }
  }
}
`

// configure writes the workspace's main.tf, and an empty CLI configuration
// so that no user's dev_overrides or mirrors leak in.
func (w *tfWorkspace) configure(config string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(requiredProviders+config), 0o600); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.cliConfig(), nil, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *tfWorkspace) cliConfig() string { return filepath.Join(w.dir, "empty.tfrc") }

// run runs one terraform command against a provider served for it alone
// and returns its combined output and whether it succeeded.
func (w *tfWorkspace) run(args ...string) (string, bool) {
	w.t.Helper()
	reattach, stop := w.serveProvider()
	defer stop()
	cmd := exec.Command(w.cli.path, args...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(),
		"TF_REATTACH_PROVIDERS="+reattach,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"TF_CLI_CONFIG_FILE="+w.cliConfig(),
	)
	out, err := cmd.CombinedOutput()
	w.t.Logf("terraform %s:\n%s", strings.Join(args, " "), out)
	return string(out), err == nil
}

// must runs a command that has to succeed.
func (w *tfWorkspace) must(args ...string) string {
	w.t.Helper()
	out, ok := w.run(args...)
	if !ok {
		w.t.Fatalf("terraform %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// apply applies the configuration, or invokes an action with -invoke.
func (w *tfWorkspace) apply(extra ...string) (string, bool) {
	w.t.Helper()
	return w.run(append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, extra...)...)
}

// serveProvider starts the provider in debug mode and returns the value of
// TF_REATTACH_PROVIDERS that points terraform at it, and a stop function
// that returns once the server has shut down.
func (w *tfWorkspace) serveProvider() (string, func()) {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	configs := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	served := make(chan error, 1)
	factory := NewProtocolServer(NewWithOptions(Options{Version: "test", Clock: w.clock})())
	go func() {
		served <- tf6server.Serve(w.providerAddress(), factory,
			tf6server.WithDebug(ctx, configs, closed), tf6server.WithLoggingSink(w.t),
			// go-plugin's own chatter (addresses, the listener closing) is noise.
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-configs:
	case err := <-served:
		cancel()
		w.t.Fatalf("serving the provider: %v", err)
	case <-time.After(time.Minute):
		cancel()
		w.t.Fatal("the provider server did not start within a minute")
	}
	reattach, err := json.Marshal(map[string]any{w.providerAddress(): map[string]any{
		"Protocol": string(cfg.Protocol), "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": cfg.Test,
		"Addr": map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
	}})
	if err != nil {
		cancel()
		w.t.Fatal(err)
	}
	return string(reattach), func() {
		cancel()
		<-closed
	}
}

// actionBlock renders an action block with the given config body.
func actionBlock(kind, name, body string) string {
	return fmt.Sprintf(`
action %q %q {
  config {
%s
  }
}
`, kind, name, body)
}
