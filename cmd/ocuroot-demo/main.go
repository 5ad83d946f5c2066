// Command ocuroot-demo runs the quick start end to end, offline: it builds
// the provider, points terraform at it with dev_overrides (no registry is
// contacted), starts the bundled demo target on a free loopback port, and
// drives examples/quickstart through five acts with the real terraform,
// printing a status table after each and checking that the target's call
// log agrees with what terraform reported. It exits non-zero on any
// mismatch and removes everything it created.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

const demoSecret = "quickstart-demo-secret"

func main() {
	repo := flag.String("repo", ".", "repository root (where go.mod is)")
	keep := flag.Bool("keep", false, "keep the working directory for inspection")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *repo, *keep); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("\nAll five acts ran as expected.")
}

func run(ctx context.Context, repo string, keep bool) error {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "ocuroot-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("working directory kept at", work)
	} else {
		defer os.RemoveAll(work)
	}

	banner("Setup: build the provider and start the demo target")
	pluginDir := filepath.Join(work, "plugins")
	if err := runCmd(ctx, repo, nil, "go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-ocuroot"), "."); err != nil {
		return fmt.Errorf("building the provider: %w", err)
	}
	cliConfig := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(cliConfig, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/ocuroot/ocuroot" = %q
  }
  direct {}
}
`, pluginDir)), 0o600); err != nil {
		return err
	}
	target := demotarget.New(demotarget.Options{Secret: demoSecret})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := &http.Server{Handler: target.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go server.Serve(listener)
	defer func() {
		target.Close()
		_ = server.Close()
	}()
	targetURL := "http://" + listener.Addr().String()
	fmt.Println("demo target listening on", targetURL)

	dir := filepath.Join(work, "quickstart")
	if err := copyDir(filepath.Join(repo, "examples", "quickstart"), dir); err != nil {
		return err
	}
	tf := &terraform{ctx: ctx, dir: dir, env: []string{
		"TF_CLI_CONFIG_FILE=" + cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"OCUROOT_HOOK_SECRET=" + demoSecret, "TF_VAR_target_url=" + targetURL,
	}}
	s := &story{tf: tf, target: target, targetURL: targetURL}
	for _, act := range []func() error{s.act1, s.act2, s.act3, s.act4, s.act5} {
		if err := act(); err != nil {
			return err
		}
	}
	banner("Cleanup: terraform destroy")
	if _, err := tf.run("destroy", "-auto-approve", "-input=false", "-var", "api_version=2", "-var", "web_version=2", "-var", "promote_web_release=web@2"); err != nil {
		return err
	}
	if n := len(target.States()); n != 0 {
		return fmt.Errorf("after destroy the target still runs %d services", n)
	}
	fmt.Println("every deployment received its teardown event")
	return nil
}

func banner(title string) {
	fmt.Printf("\n%s\n%s\n", title, strings.Repeat("=", len(title)))
}

func runCmd(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func copyDir(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("reading %s: %w", from, err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// terraform runs the real terraform binary in the demo directory.
type terraform struct {
	ctx context.Context
	dir string
	env []string
}

// run executes terraform, echoing its output, and returns the output.
func (t *terraform) run(args ...string) (string, error) {
	fmt.Printf("\n$ terraform %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(t.ctx, "terraform", args...)
	cmd.Dir = t.dir
	cmd.Env = append(os.Environ(), t.env...)
	var out strings.Builder
	cmd.Stdout = &teeWriter{&out, os.Stdout}
	cmd.Stderr = &teeWriter{&out, os.Stderr}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), fmt.Errorf("terraform %s exited with %d", args[0], exit.ExitCode())
	}
	return out.String(), err
}

type teeWriter struct {
	buf *strings.Builder
	out *os.File
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.out.Write(p)
}
