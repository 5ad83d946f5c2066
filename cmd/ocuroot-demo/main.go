// Command ocuroot-demo runs the quick start end to end, offline: it builds
// the provider, points terraform at it with dev_overrides (no registry is
// contacted), starts the bundled demo target on a free loopback port, and
// drives examples/quickstart through five acts with the real terraform,
// printing a status table after each and checking that the target's call
// log agrees with what terraform reported. It exits non-zero on any
// mismatch and removes everything it created.
//
// The console shows the story; the whole terraform output goes to a log
// file, and the provider's progress lines (TF_LOG_PROVIDER=INFO) to a
// second one, both named at the end.
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
	logPath := flag.String("log", "ocuroot-demo.log", "file for the whole terraform output, relative to -repo; the provider's log goes beside it, with -provider in its name")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	logs, err := openLogs(*repo, *logPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo failed: %v\n", err)
		os.Exit(1)
	}
	defer logs.transcriptFile.Close()
	out := &transcript{console: os.Stdout, log: logs.transcriptFile}
	s, err := run(ctx, out, *repo, *keep, logs.providerPath)
	if s != nil {
		s.printSummary()
	}
	out.say("\nThe whole terraform output: %s", logs.transcriptPath)
	out.say("The provider's progress report (TF_LOG_PROVIDER=INFO): %s", logs.providerPath)
	if err != nil {
		out.say("\ndemo failed: %v", err)
		os.Exit(1)
	}
	out.say("\nAll five acts ran as expected.")
}

// demoLogs are the demo's two log files, started afresh for each run.
type demoLogs struct {
	transcriptPath, providerPath string
	transcriptFile               *os.File
}

func openLogs(repo, logPath string) (demoLogs, error) {
	if !filepath.IsAbs(logPath) {
		logPath = filepath.Join(repo, logPath)
	}
	logPath, err := filepath.Abs(logPath)
	if err != nil {
		return demoLogs{}, err
	}
	ext := filepath.Ext(logPath)
	providerPath := strings.TrimSuffix(logPath, ext) + "-provider" + ext
	// terraform appends to TF_LOG_PATH: start it empty.
	if err := os.WriteFile(providerPath, nil, 0o644); err != nil {
		return demoLogs{}, err
	}
	f, err := os.Create(logPath)
	if err != nil {
		return demoLogs{}, err
	}
	return demoLogs{transcriptPath: logPath, providerPath: providerPath, transcriptFile: f}, nil
}

// run plays the acts and returns the story so far, for the summary, even
// when an act failed.
func run(ctx context.Context, out *transcript, repo string, keep bool, providerLog string) (*story, error) {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "ocuroot-demo-")
	if err != nil {
		return nil, err
	}
	if keep {
		out.say("working directory kept at %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	banner(out, "Setup: build the provider and start the demo target")
	pluginDir := filepath.Join(work, "plugins")
	if err := runCmd(ctx, repo, nil, "go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-ocuroot"), "."); err != nil {
		return nil, fmt.Errorf("building the provider: %w", err)
	}
	cliConfig := filepath.Join(work, "terraformrc")
	if err := os.WriteFile(cliConfig, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/ocuroot/ocuroot" = %q
  }
  direct {}
}
`, pluginDir)), 0o600); err != nil {
		return nil, err
	}
	target := demotarget.New(demotarget.Options{Secret: demoSecret})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	server := &http.Server{Handler: target.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go server.Serve(listener)
	defer func() {
		target.Close()
		_ = server.Close()
	}()
	targetURL := "http://" + listener.Addr().String()
	out.say("demo target listening on %s", targetURL)

	dir := filepath.Join(work, "quickstart")
	if err := copyDir(filepath.Join(repo, "examples", "quickstart"), dir); err != nil {
		return nil, err
	}
	tf := &terraform{ctx: ctx, dir: dir, out: out, color: isTerminal(os.Stdout), env: []string{
		"TF_CLI_CONFIG_FILE=" + cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"OCUROOT_HOOK_SECRET=" + demoSecret, "TF_VAR_target_url=" + targetURL,
		// The provider's progress report, one line per step and check round.
		"TF_LOG=", "TF_LOG_PROVIDER=INFO", "TF_LOG_PATH=" + providerLog,
	}}
	s := &story{tf: tf, out: out, target: target, targetURL: targetURL}
	for _, act := range []func() error{s.act1, s.act2, s.act3, s.act4, s.act5, s.cleanup} {
		if err := act(); err != nil {
			return s, err
		}
	}
	return s, nil
}

func banner(out *transcript, title string) {
	out.say("\n%s\n%s", title, strings.Repeat("=", len(title)))
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
	out *transcript
	// color: the console is a terminal; otherwise every command gets
	// -no-color.
	color bool
}

// run executes terraform, its output going through the transcript, and
// returns that output without color codes.
func (t *terraform) run(args ...string) (string, error) {
	if !t.color {
		args = append([]string{args[0], "-no-color"}, args[1:]...)
	}
	t.out.say("\n$ terraform %s", strings.Join(args, " "))
	cmd := exec.CommandContext(t.ctx, "terraform", args...)
	cmd.Dir = t.dir
	cmd.Env = append(os.Environ(), t.env...)
	output := t.out.terraformOutput()
	// One writer for both streams keeps their lines in order.
	cmd.Stdout, cmd.Stderr = output, output
	err := cmd.Run()
	output.flush()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return output.text.String(), fmt.Errorf("terraform %s exited with %d", args[0], exit.ExitCode())
	}
	return output.text.String(), err
}
