//go:build linux

package faultinject

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// runLimit ends a terraform run that a broken provider would keep going
// forever; every scenario finishes far sooner.
const runLimit = 4 * time.Minute

// workspace is one terraform working directory with its own embedded store
// and its own recording target.
type workspace struct {
	t         *testing.T
	dir       string
	storePath string
	logPath   string
	target    *demotarget.Target
	targetURL string

	mu        sync.Mutex
	providers []process // every provider process seen, killed at cleanup
}

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	return newWorkspaceWithTarget(t, demotarget.Options{Secret: hookSecret})
}

// newWorkspaceWithTarget is newWorkspace with a target of its own options
// (the secret it verifies hooks with, headers it requires on probes).
func newWorkspaceWithTarget(t *testing.T, target demotarget.Options) *workspace {
	t.Helper()
	requireSuite(t)
	dir := t.TempDir()
	w := &workspace{
		t: t, dir: dir,
		storePath: filepath.Join(dir, "ocuroot.db"),
		logPath:   filepath.Join(dir, "terraform.log"),
		target:    demotarget.New(target),
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the target: %v", err)
	}
	server := &http.Server{Handler: w.target.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	w.targetURL = "http://" + listener.Addr().String()
	t.Cleanup(func() {
		w.killStrayProviders()
		w.target.Close()
		_ = server.Close()
	})
	return w
}

// configure writes the workspace's configuration: release "1" or "2".
func (w *workspace) configure(release string, steps ...step) {
	w.t.Helper()
	w.writeConfig(rolloutConfig(w.storePath, w.targetURL, release, steps...))
}

// writeConfig writes config as the workspace's main.tf.
func (w *workspace) writeConfig(config string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(config), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// tfRun is one terraform command running in its own process group, as CI
// runners and Terraform Cloud start it.
type tfRun struct {
	w       *workspace
	args    string
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}
	// exitedAt and exitCode are set when done is closed.
	exitedAt time.Time
	exitCode int
	out      lockedBuffer
}

// start runs terraform with args in the background.
func (w *workspace) start(args ...string) *tfRun {
	w.t.Helper()
	cmd := exec.Command(suite.terraform, args...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+suite.cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		// The provider's own warnings (signals, a vanished terraform) reach
		// this log through terraform's plugin logger.
		"TF_LOG=WARN",
		"TF_LOG_PATH="+w.logPath,
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	r := &tfRun{w: w, args: strings.Join(args, " "), cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &r.out, &r.out
	r.started = time.Now()
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("starting terraform %s: %v", r.args, err)
	}
	go r.reap()
	w.t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	})
	return r
}

func (r *tfRun) reap() {
	limit := time.AfterFunc(runLimit, func() { _ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL) })
	err := r.cmd.Wait()
	limit.Stop()
	r.exitedAt = time.Now()
	r.exitCode = 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.exitCode = exit.ExitCode()
	case err != nil:
		r.exitCode = -1
	}
	close(r.done)
}

// run runs terraform with args to the end.
func (w *workspace) run(args ...string) *tfRun {
	w.t.Helper()
	r := w.start(args...)
	r.wait(runLimit + 10*time.Second)
	return r
}

// apply runs terraform apply and fails the test unless it succeeds.
func (w *workspace) apply() *tfRun {
	w.t.Helper()
	r := w.run(applyArgs...)
	if r.exitCode != 0 {
		w.t.Fatalf("terraform apply exited %d:\n%s", r.exitCode, r.output())
	}
	return r
}

var applyArgs = []string{"apply", "-auto-approve", "-input=false", "-no-color"}

// plan runs terraform plan -detailed-exitcode (refreshing first): 0 means
// no changes, 2 changes, 1 an error.
func (w *workspace) plan() *tfRun {
	w.t.Helper()
	return w.run("plan", "-detailed-exitcode", "-input=false", "-no-color")
}

// wait returns once terraform has exited; the test fails if it runs on
// past bound.
func (r *tfRun) wait(bound time.Duration) {
	r.w.t.Helper()
	select {
	case <-r.done:
	case <-time.After(bound):
		r.w.t.Fatalf("terraform %s still runs %s after it started:\n%s", r.args, bound, r.output())
	}
}

// exited reports whether terraform has exited.
func (r *tfRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *tfRun) output() string { return r.out.String() }

// signalGroup signals terraform and the provider together, as `timeout`,
// CI cancellation and Terraform Cloud do.
func (r *tfRun) signalGroup(sig syscall.Signal) {
	r.w.t.Helper()
	if err := syscall.Kill(-r.cmd.Process.Pid, sig); err != nil {
		r.w.t.Fatalf("sending %s to terraform's process group: %v", sig, err)
	}
}

// killTerraform SIGKILLs terraform alone; its provider is left running.
func (r *tfRun) killTerraform() {
	r.w.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		r.w.t.Fatalf("killing terraform: %v", err)
	}
}

// provider finds the provider process terraform started: its child whose
// executable is the binary the suite built.
func (r *tfRun) provider() process {
	r.w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p, ok := childRunning(r.cmd.Process.Pid, suite.providerBinary); ok {
			r.w.mu.Lock()
			r.w.providers = append(r.w.providers, p)
			r.w.mu.Unlock()
			return p
		}
		if r.exited() || time.Now().After(deadline) {
			r.w.t.Fatalf("terraform %s runs no provider process:\n%s", r.args, r.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killStrayProviders ends provider processes a failed test left behind, so
// none outlives the test binary.
func (w *workspace) killStrayProviders() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.providers {
		if p.alive() {
			w.t.Logf("killing provider pid %d left running", p.pid)
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}

// terraformLog is what terraform logged at WARN and above, the provider's
// own warnings included.
func (w *workspace) terraformLog() string {
	raw, err := os.ReadFile(w.logPath)
	if err != nil {
		return fmt.Sprintf("(no terraform log: %v)", err)
	}
	return string(raw)
}

// lockedBuffer collects terraform's output from its copying goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
