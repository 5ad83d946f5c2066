package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/lease"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

// holdLeaseAs writes a lease record as the process who would.
func holdLeaseAs(t *testing.T, kv records.KV, id string, who lease.Holder, operation string, acquired, expires time.Time) {
	t.Helper()
	rec := lease.Record{Holder: who.String(), Token: domain.RandomID(), Who: &who, Operation: operation,
		AcquiredAt: acquired, RenewedAt: acquired, ExpiresAt: expires}
	if _, err := records.PutJSON(context.Background(), kv, records.KindLease, id, rec, 0); err != nil {
		t.Fatal(err)
	}
}

// deadPID returns the pid of a process of ours that has exited and been
// reaped, so the kernel no longer knows it.
func deadPID(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("dead processes are detected on Unix only")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("running a short-lived process: %v", err)
	}
	return cmd.Process.Pid
}

// sameMachine is a holder on this machine with the given pid.
func sameMachine(pid int) lease.Holder {
	h := lease.CurrentHolder()
	h.User, h.PID = "carol", pid
	return h
}

// TestLeaseOfDeadProcessIsTakenAtOnce: a holder on this machine whose
// process is gone cannot renew; its lease is taken without waiting for the
// expiry, with a warning naming it.
func TestLeaseOfDeadProcessIsTakenAtOnce(t *testing.T) {
	h := newHarness(t)
	logger := &warnLogger{}
	e := h.engine(h.kv, Options{Logger: logger})
	dead := sameMachine(deadPID(t))
	holdLeaseAs(t, h.kv, testDepID, dead, "deploy api@9", testStart, testStart.Add(time.Hour))
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	if _, err := e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if !h.now().Before(testStart.Add(time.Hour)) {
		t.Errorf("the run went on at %s, after the dead holder's lease expired by itself", h.now())
	}
	if w := logger.text(); !strings.Contains(w, "taking over the lease of a holder whose process is gone") || !strings.Contains(w, dead.String()) {
		t.Errorf("warnings = %q", w)
	}
	assertEvents(t, h, "deploy 100 stable")
	assertLeaseFree(t, h.kv, testDepID)
}

// TestLeaseOfProcessOnAnotherMachineWaitsForExpiry: the same pid on another
// host says nothing about that process, so the lease runs out its TTL.
func TestLeaseOfProcessOnAnotherMachineWaitsForExpiry(t *testing.T) {
	h := newHarness(t)
	elsewhere := sameMachine(deadPID(t))
	elsewhere.Host = "another-" + elsewhere.Host
	expires := testStart.Add(15 * time.Second)
	holdLeaseAs(t, h.kv, testDepID, elsewhere, "deploy api@9", testStart, expires)
	spec := testSpec(domain.StrategyDirect)
	spec.Release = releaseID(1)
	if _, err := h.e.Deploy(context.Background(), DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if h.now().Before(expires) {
		t.Errorf("took the lease at %s, before it expired at %s", h.now(), expires)
	}
}

// infoLogger keeps the fields of every INFO line.
type infoLogger struct {
	mu    sync.Mutex
	lines []map[string]any
}

func (l *infoLogger) Info(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, map[string]any{"msg": msg, "fields": fields})
}
func (l *infoLogger) Debug(context.Context, string, map[string]any) {}
func (l *infoLogger) Warn(context.Context, string, map[string]any)  {}

// TestLeaseWaitLogsWhoItWaitsFor: polling every second for a lease held
// 12s more, the run says who holds it when it starts waiting and every 5s
// of engine time after, not at every poll.
func TestLeaseWaitLogsWhoItWaitsFor(t *testing.T) {
	h := newHarness(t)
	logger := &infoLogger{}
	e := h.engine(h.kv, Options{Logger: logger, PollInterval: time.Second})
	other := lease.Holder{User: "dave", Host: "ci-runner-9", PID: 31337}
	holdLeaseAs(t, h.kv, testDepID, other, "promote api@9", testStart.Add(-time.Minute), testStart.Add(12*time.Second))
	l, err := e.acquireLease(context.Background(), testDepID, "deploy api@1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	var waits []string
	for _, line := range logger.lines {
		if line["msg"] != "ocuroot: waiting for another run to finish with this deployment" {
			continue
		}
		f := line["fields"].(map[string]any)
		if f["holder"] != "dave@ci-runner-9 pid 31337" || f["operation"] != "promote api@9" ||
			!f["since"].(time.Time).Equal(testStart.Add(-time.Minute)) || !f["expires"].(time.Time).Equal(testStart.Add(12*time.Second)) {
			t.Errorf("wait line fields = %v", f)
		}
		waits = append(waits, f["waited"].(string))
	}
	if want := []string{"0s", "5s", "10s"}; !equalStrings(waits, want) {
		t.Errorf("logged after waiting %v, want %v", waits, want)
	}
}

func TestListLeases(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	dead := sameMachine(deadPID(t))
	holdLeaseAs(t, h.kv, "api/prod", dead, "deploy api@2", testStart.Add(-time.Minute), testStart.Add(time.Minute))
	live := lease.Holder{User: "erin", Host: "laptop", PID: 12, TerraformCloudRun: "run-abc"}
	holdLeaseAs(t, h.kv, "web/staging", live, "teardown", testStart.Add(-time.Hour), testStart.Add(-time.Minute))
	got, err := h.e.ListLeases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []lease.LeaseInfo{
		{Deployment: "api/prod", Holder: dead.String(), Operation: "deploy api@2", Since: testStart.Add(-time.Minute),
			RenewedAt: testStart.Add(-time.Minute), Expires: testStart.Add(time.Minute), HolderDead: true},
		{Deployment: "web/staging", Holder: "erin@laptop pid 12 (Terraform Cloud run run-abc)", Operation: "teardown",
			Since: testStart.Add(-time.Hour), RenewedAt: testStart.Add(-time.Hour), Expires: testStart.Add(-time.Minute), Expired: true},
	}
	if len(got) != len(want) {
		t.Fatalf("ListLeases = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lease %d = %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestBreakLease(t *testing.T) {
	h := newHarnessWith(t, enginetest.NewManualClock(testStart), Options{})
	ctx := context.Background()
	dead := sameMachine(deadPID(t))
	holdLeaseAs(t, h.kv, testDepID, dead, "deploy api@2", testStart, testStart.Add(time.Minute))

	err := h.e.BreakLease(ctx, testDepID, "mallory@elsewhere pid 1")
	if !errors.Is(err, lease.ErrLeaseBreakRefused) || !strings.Contains(err.Error(),
		`the lease of api/prod is held by "`+dead.String()+`" (deploy api@2 since 2025-03-01T12:00:00Z), not by "mallory@elsewhere pid 1"; nothing was changed`) {
		t.Fatalf("breaking another holder's lease: %v", err)
	}
	if err := h.e.BreakLease(ctx, testDepID, dead.String()); err != nil {
		t.Fatalf("breaking the dead holder's lease: %v", err)
	}
	assertLeaseFree(t, h.kv, testDepID)
	if err := h.e.BreakLease(ctx, testDepID, dead.String()); !errors.Is(err, lease.ErrLeaseBreakRefused) ||
		!strings.Contains(err.Error(), "deployment api/prod holds no lease; nothing to break") {
		t.Errorf("breaking a free lease: %v", err)
	}
}

// TestBreakLeaseRefusesALiveLocalHolder: the holder runs on this machine
// and its process exists, so it is alive; breaking it would interleave two
// rollouts.
func TestBreakLeaseRefusesALiveLocalHolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("live processes are detected on Unix only")
	}
	h := newHarness(t)
	parent := sameMachine(os.Getppid())
	holdLeaseAs(t, h.kv, testDepID, parent, "deploy api@2", testStart, testStart.Add(time.Minute))
	err := h.e.BreakLease(context.Background(), testDepID, parent.String())
	if !errors.Is(err, lease.ErrLeaseBreakRefused) || !strings.Contains(err.Error(), "is still running on this machine") {
		t.Fatalf("BreakLease = %v", err)
	}
	if _, _, err := h.kv.Get(context.Background(), records.KindLease, testDepID); err != nil {
		t.Errorf("the live holder's lease is gone: %v", err)
	}
}

// renewsBeforeDeleteKV renews the lease between BreakLease's read and its
// delete, as a live holder's heartbeat would.
type renewsBeforeDeleteKV struct {
	records.KV
	t *testing.T
}

func (k renewsBeforeDeleteKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	raw, rev, err := k.KV.Get(ctx, kind, key)
	if err != nil {
		k.t.Fatal(err)
	}
	if _, err := k.KV.Put(ctx, kind, key, raw, rev); err != nil {
		k.t.Fatal(err)
	}
	return k.KV.Delete(ctx, kind, key, expect)
}

func TestBreakLeaseRefusesALeaseRenewedMeanwhile(t *testing.T) {
	h := newHarness(t)
	racing := h.engine(renewsBeforeDeleteKV{KV: h.kv, t: t}, Options{})
	holder := lease.Holder{User: "frank", Host: "ci-runner-4", PID: 99}
	holdLeaseAs(t, h.kv, testDepID, holder, "deploy api@2", testStart, testStart.Add(time.Minute))
	err := racing.BreakLease(context.Background(), testDepID, holder.String())
	if !errors.Is(err, lease.ErrLeaseBreakRefused) || !strings.Contains(err.Error(), "changed while it was being broken") {
		t.Fatalf("BreakLease = %v", err)
	}
	if _, _, err := h.kv.Get(context.Background(), records.KindLease, testDepID); err != nil {
		t.Errorf("the renewed lease is gone: %v", err)
	}
}
