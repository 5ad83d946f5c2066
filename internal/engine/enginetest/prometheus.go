package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tests of PromQL checks run against a real Prometheus, like the store
// tests run against a real PostgreSQL: StartPrometheus starts one server
// per test from the prometheus binary on PATH (Debian: apt-get install
// prometheus), on a free loopback port, with a temporary configuration that
// scrapes the given targets every second and a temporary data directory.
// Without the binary the test skips, or fails when CI=true.

// PrometheusScrapeInterval is how often the test server scrapes its
// targets, and evaluates; a query sees a new sample about this often.
const PrometheusScrapeInterval = time.Second

// prometheusStartTimeout bounds the wait for a started server to be ready.
const prometheusStartTimeout = 60 * time.Second

// Prometheus is one running test server.
type Prometheus struct {
	// URL is the server's address, such as http://127.0.0.1:40123.
	URL string

	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
	stop    sync.Once
}

// StartPrometheus starts a server scraping targets (host:port, their
// /metrics) every PrometheusScrapeInterval, stopped when the test ends.
func StartPrometheus(t testing.TB, targets ...string) *Prometheus {
	t.Helper()
	binary, err := exec.LookPath("prometheus")
	switch {
	case err != nil && os.Getenv("CI") == "true":
		t.Fatalf("the prometheus binary is missing, and CI=true requires the Prometheus tests (Debian: apt-get install prometheus): %v", err)
	case err != nil:
		t.Skipf("skipping Prometheus test: no prometheus binary on PATH (Debian: apt-get install prometheus)")
	}
	dir, err := os.MkdirTemp("", "ocuroot-prometheus-")
	if err != nil {
		t.Fatalf("create a directory for Prometheus: %v", err)
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(prometheusConfig(targets)), 0o600); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("write the Prometheus configuration: %v", err)
	}
	// A free port may be taken between probing and binding: try a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freeLoopbackPort()
		if err != nil {
			lastErr = err
			break
		}
		p := &Prometheus{URL: fmt.Sprintf("http://127.0.0.1:%d", port), dir: dir, logPath: filepath.Join(dir, fmt.Sprintf("server-%d.log", attempt))}
		if lastErr = p.launch(binary, config, port); lastErr == nil {
			t.Cleanup(func() {
				p.Stop()
				os.RemoveAll(dir)
			})
			return p
		}
	}
	os.RemoveAll(dir)
	t.Fatalf("start Prometheus for the test: %v", lastErr)
	return nil
}

// prometheusConfig scrapes targets every PrometheusScrapeInterval.
func prometheusConfig(targets []string) string {
	quoted := make([]string, len(targets))
	for i, target := range targets {
		quoted[i] = fmt.Sprintf("%q", target)
	}
	interval := PrometheusScrapeInterval.String()
	return fmt.Sprintf(`global:
  scrape_interval: %s
  evaluation_interval: %s
scrape_configs:
  - job_name: demo
    scrape_interval: %s
    scrape_timeout: %s
    static_configs:
      - targets: [%s]
`, interval, interval, interval, interval, strings.Join(quoted, ", "))
}

// launch starts the server and waits until it is ready.
func (p *Prometheus) launch(binary, config string, port int) error {
	logFile, err := os.Create(p.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	p.cmd = exec.Command(binary,
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(p.dir, fmt.Sprintf("data-%d", port)),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--log.level=warn",
	)
	// Its output goes to a file, not a pipe, so that Wait never waits on
	// a reader; its own process group, so that an interrupt of the test
	// binary's group does not stop it before the test's cleanup does.
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.exited = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(prometheusStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("prometheus exited at start:\n%s", p.log())
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(p.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	p.Stop()
	return fmt.Errorf("prometheus was not ready after %s:\n%s", prometheusStartTimeout, p.log())
}

// Stop stops the server and waits for it to exit; later queries find
// nothing listening. Safe to call more than once, and from any goroutine.
func (p *Prometheus) Stop() {
	p.stop.Do(func() {
		if p.cmd == nil || p.cmd.Process == nil {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

func (p *Prometheus) log() string {
	out, _ := os.ReadFile(p.logPath)
	return string(out)
}

// WaitForValue polls query until it returns exactly one sample that is a
// number (not NaN), and returns it; the test fails after timeout. Tests
// call it before a rollout whose checks need data that takes a few scrapes
// to appear (a rate over a window needs two samples).
func (p *Prometheus) WaitForValue(t testing.TB, query string, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		value, why := p.instantValue(query)
		if why == "" {
			return value
		}
		last = why
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus query %s had no single value after %s: %s", query, timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// QueryCount is how many instant queries the server has answered, read from
// its own metrics: a test can act once a rollout's checks have run.
func (p *Prometheus) QueryCount() (int, error) {
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	// Summed over status codes: a refused query was answered too.
	total := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, `prometheus_http_requests_total{`) && strings.Contains(line, `handler="/api/v1/query"`) {
			count, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				return 0, fmt.Errorf("reading %q: %w", line, err)
			}
			total += count
		}
	}
	return int(total), nil
}

// instantValue asks query once; why says what was wrong, "" when value is
// the one sample.
func (p *Prometheus) instantValue(query string) (value float64, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return 0, err.Error()
	}
	switch {
	case answer.Status != "success":
		return 0, answer.Error
	case len(answer.Data.Result) != 1:
		return 0, fmt.Sprintf("%d series", len(answer.Data.Result))
	}
	text, _ := answer.Data.Result[0].Value[1].(string)
	value, err = strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(value) {
		return 0, fmt.Sprintf("value %q", text)
	}
	return value, ""
}
