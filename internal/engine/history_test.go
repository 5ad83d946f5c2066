package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

func TestHistoryIsALogBesideTheRecord(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	d, err := h.e.Deploy(ctx, DeployRequest{Spec: canarySpec()})
	if err != nil {
		t.Fatal(err)
	}

	// The record holds the newest transition and the sequence, not the list.
	raw, _, err := h.kv.Get(ctx, records.KindDeployment, testDepID)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, inline := fields["history"]; inline {
		t.Errorf("the stored record still carries its history: %s", fields["history"])
	}
	entries := logEntries(t, h.kv, testDepID)
	stored := h.deployment(testDepID)
	if stored.HistorySeq != int64(len(entries)) || len(entries) < 10 {
		t.Fatalf("record says %d transitions, the log holds %d", stored.HistorySeq, len(entries))
	}
	for i, e := range entries {
		if want := fmt.Sprintf("api/prod/%012d", i+1); e.Key != want {
			t.Fatalf("log entry %d is %s, want %s", i, e.Key, want)
		}
	}
	newest := decodeTransition(t, entries[len(entries)-1].Value)
	if stored.LastTransition == nil || *stored.LastTransition != newest ||
		newest.Reason != "api@2 is live: completed all 5 steps in 1h0m0s" {
		t.Errorf("last transition = %+v, newest log entry = %+v", stored.LastTransition, newest)
	}

	// History returns the newest entries, oldest first.
	all, err := h.e.History(ctx, testDepID, 0)
	if err != nil || len(all) != len(entries) {
		t.Fatalf("History(all) = %d entries, %v; want %d", len(all), err, len(entries))
	}
	if all[0].Reason != "direct deployment: deploy → wait until stable is healthy" {
		t.Errorf("oldest transition = %q", all[0].Reason)
	}
	last3, err := h.e.History(ctx, testDepID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(last3) != 3 || last3[0] != all[len(all)-3] || last3[2] != all[len(all)-1] {
		t.Errorf("History(3) = %+v\nwant the last three of %+v", last3, all)
	}
	if got := h.historyReasons(d); strings.Join(got, "|") != strings.Join(reasonsOf(all), "|") {
		t.Errorf("HistoryOf the returned record = %q, want %q", got, reasonsOf(all))
	}
	if _, err := h.e.History(ctx, "api/nowhere", 5); !records.IsNotFound(err) {
		t.Errorf("History of an unknown deployment: err = %v, want not found", err)
	}
}

// Reading a deployment reads its record only; History reads the entries it
// returns and no others.
func TestHistoryReadsOnlyWhatItShows(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	for v := 2; v <= 4; v++ {
		spec := testSpec(domain.StrategyDirect)
		spec.Release = releaseID(v)
		if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
			t.Fatal(err)
		}
	}
	counting := &scanCountingKV{KV: h.kv}
	e := h.engine(counting, Options{})
	if _, err := e.GetDeployment(ctx, testDepID); err != nil {
		t.Fatal(err)
	}
	if counting.scans != 0 {
		t.Errorf("GetDeployment scanned the log %d time(s)", counting.scans)
	}
	got, err := e.History(ctx, testDepID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if counting.scans != 1 || counting.returned != 2 {
		t.Errorf("History(2) scanned %d time(s) and read %d entries, want 1 scan of 2", counting.scans, counting.returned)
	}
	if len(got) != 2 || got[1].Reason != "api@4 is live: completed all 2 steps in 0s" {
		t.Errorf("History(2) = %q", reasonsOf(got))
	}
}

// A record written before the log existed keeps its history inline. It
// reads the same, and its first save moves the history into the log.
func TestHistoryMigratesAnInlineHistory(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	legacy := `{"package":"api","environment":"prod","live_release":"api@1","traffic_percent":100,"status":"succeeded","rollout_count":1,
		"history":[
			{"time":"2025-02-01T10:00:00Z","from":"pending","to":"in_progress","release":"api@1","reason":"direct deployment: deploy → wait until stable is healthy"},
			{"time":"2025-02-01T10:00:01Z","from":"step 1/2 deploy","to":"step 2/2 wait until stable is healthy","release":"api@1","reason":"deploy: accepted"},
			{"time":"2025-02-01T10:00:02Z","from":"in_progress","to":"succeeded","release":"api@1","reason":"api@1 is live: completed all 2 steps in 2s"}],
		"created_at":"2025-02-01T10:00:00Z","updated_at":"2025-02-01T10:00:02Z"}`
	if _, err := h.kv.Put(ctx, records.KindDeployment, testDepID, []byte(legacy), 0); err != nil {
		t.Fatal(err)
	}

	d := h.deployment(testDepID)
	if d.LastTransition == nil || d.LastTransition.Reason != "api@1 is live: completed all 2 steps in 2s" {
		t.Errorf("last transition of the old record = %+v", d.LastTransition)
	}
	before, err := h.e.History(ctx, testDepID, 2)
	if err != nil || strings.Join(reasonsOf(before), "|") != "deploy: accepted|api@1 is live: completed all 2 steps in 2s" {
		t.Fatalf("History(2) of the old record = %q, %v", reasonsOf(before), err)
	}

	spec := testSpec(domain.StrategyDirect)
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	raw, _, err := h.kv.Get(ctx, records.KindDeployment, testDepID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"history":`) {
		t.Errorf("the saved record still carries its history: %s", raw)
	}
	entries := logEntries(t, h.kv, testDepID)
	all, err := h.e.History(ctx, testDepID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(all) || len(all) != 7 {
		t.Fatalf("log holds %d entries, History %d; want the 3 old and 4 new", len(entries), len(all))
	}
	wantStart := []string{"direct deployment: deploy → wait until stable is healthy", "deploy: accepted", "api@1 is live: completed all 2 steps in 2s", "direct deployment: deploy → wait until stable is healthy"}
	if got := reasonsOf(all[:4]); strings.Join(got, "|") != strings.Join(wantStart, "|") {
		t.Errorf("history after the migration starts %q, want %q", got, wantStart)
	}
	if all[0].Time != time.Date(2025, 2, 1, 10, 0, 0, 0, time.UTC) || all[6].Release != "api@2" {
		t.Errorf("first entry %+v, last entry %+v", all[0], all[6])
	}
}

// A save whose record changed meanwhile writes none of its transitions.
func TestHistoryConcurrentSaveLosesAsAWhole(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	first, second := h.deployment(testDepID), h.deployment(testDepID)
	seq := first.HistorySeq
	first.AddTransition(domain.Transition{Time: h.now(), Release: "api@1", Reason: "first writer"})
	second.AddTransition(domain.Transition{Time: h.now(), Release: "api@1", Reason: "second writer"})
	second.AddTransition(domain.Transition{Time: h.now(), Release: "api@1", Reason: "second writer again"})
	if err := h.e.store.SaveDeployment(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := h.e.store.SaveDeployment(ctx, second); !errors.Is(err, records.ErrConflict) {
		t.Fatalf("stale save: err = %v, want ErrConflict", err)
	}
	if len(second.InlineHistory) != 2 || second.HistorySeq != seq {
		t.Errorf("the losing record changed: %d inline, seq %d", len(second.InlineHistory), second.HistorySeq)
	}
	all := h.history(h.deployment(testDepID))
	if got := all[len(all)-1].Reason; got != "first writer" || int64(len(all)) != seq+1 {
		t.Errorf("history ends %q after %d entries, want first writer after %d", got, len(all), seq+1)
	}
	assertHistoryConsistent(t, h.kv)
}

// Whatever write a crash hits, the stored record and its log agree: every
// transition the record counts is in the log, and the log holds nothing
// the record does not count. A resumed rollout continues the same log.
func TestHistoryConsistentAfterACrashAtEveryWrite(t *testing.T) {
	for n := 0; ; n++ {
		h := newHarnessWith(t, enginetest.NewAutoClock(testStart), Options{})
		h.seedLive(1)
		ctx := context.Background()
		kv := &crashKV{KV: h.kv, limit: n}
		dying := h.engine(kv, Options{LeaseTTL: time.Minute, Holder: "dying"})
		_, err := dying.Deploy(ctx, DeployRequest{Spec: canarySpec()})
		if !kv.didCrash() {
			if err != nil {
				t.Fatalf("write %d: %v", n, err)
			}
			if n < 3 {
				t.Fatalf("the rollout finished after %d writes; the test crashed nothing", n)
			}
			t.Logf("crashed at each of %d writes", n)
			return
		}
		assertHistoryConsistent(t, h.kv)
		h.clock.(*enginetest.FakeClock).Increment(2 * time.Minute) // the dead holder's lease lapses
		d, err := h.e.Deploy(ctx, DeployRequest{Spec: canarySpec()})
		if err != nil || d.Status != domain.StatusSucceeded {
			t.Fatalf("write %d: resuming: %v", n, err)
		}
		assertHistoryConsistent(t, h.kv)
	}
}

// A record removed from the store leaves its log; the record created again
// continues the log rather than colliding with it.
func TestHistoryContinuesAfterTheRecordIsRecreated(t *testing.T) {
	h := newHarness(t)
	h.seedLive(1)
	ctx := context.Background()
	before := len(logEntries(t, h.kv, testDepID))
	if err := h.kv.Delete(ctx, records.KindDeployment, testDepID, records.AnyRevision); err != nil {
		t.Fatal(err)
	}
	h.seedLive(2)
	d := h.deployment(testDepID)
	if d.HistorySeq != int64(before+4) || len(logEntries(t, h.kv, testDepID)) != before+4 {
		t.Errorf("record counts %d transitions, log holds %d; want %d", d.HistorySeq, len(logEntries(t, h.kv, testDepID)), before+4)
	}
	assertHistoryConsistent(t, h.kv)
}

// A deployment restored from Terraform state has its history before any
// write, and keeps it once written.
func TestHistoryOfARestoredDeployment(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	spec := testSpec(domain.StrategyDirect)
	if _, err := h.e.SeedDeployment(ctx, SeedRequest{Spec: spec, LiveRelease: "api@1", Status: domain.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	restored, err := h.e.History(ctx, testDepID, 5)
	want := "restored from Terraform state: the store had no record of this deployment"
	if err != nil || len(restored) != 1 || restored[0].Reason != want {
		t.Fatalf("History of the restored record = %q, %v", reasonsOf(restored), err)
	}
	if _, err := h.e.Deploy(ctx, DeployRequest{Spec: spec}); err != nil {
		t.Fatal(err)
	}
	all, err := h.e.History(ctx, testDepID, 0)
	if err != nil || len(all) != 5 || all[0].Reason != want {
		t.Errorf("History after the first write = %q, %v", reasonsOf(all), err)
	}
	assertHistoryConsistent(t, h.kv)
}

// assertHistoryConsistent checks every stored deployment against its log:
// entries 1..HistorySeq, no gap, nothing beyond, the newest one the
// record's LastTransition.
func assertHistoryConsistent(t *testing.T, kv records.KV) {
	t.Helper()
	deploymentRecords, err := kv.List(context.Background(), records.KindDeployment)
	if err != nil {
		t.Fatal(err)
	}
	for _, record := range deploymentRecords {
		var d domain.Deployment
		if err := json.Unmarshal(record.Value, &d); err != nil {
			t.Fatal(err)
		}
		entries := logEntries(t, kv, record.Key)
		if int64(len(entries)) != d.HistorySeq || len(d.InlineHistory) != 0 {
			t.Fatalf("%s: the record counts %d transitions (%d inline), the log holds %d", record.Key, d.HistorySeq, len(d.InlineHistory), len(entries))
		}
		for i, e := range entries {
			if want := records.HistoryKey(record.Key, int64(i+1)); e.Key != want {
				t.Fatalf("%s: log entry %d is %s, want %s", record.Key, i, e.Key, want)
			}
		}
		if len(entries) > 0 {
			if newest := decodeTransition(t, entries[len(entries)-1].Value); d.LastTransition == nil || *d.LastTransition != newest {
				t.Fatalf("%s: last transition %+v, newest log entry %+v", record.Key, d.LastTransition, newest)
			}
		}
	}
}

func logEntries(t *testing.T, kv records.KV, deploymentID string) []records.KVEntry {
	t.Helper()
	entries, err := kv.Scan(context.Background(), records.KindTransition, records.HistoryPrefix(deploymentID), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func decodeTransition(t *testing.T, raw []byte) domain.Transition {
	t.Helper()
	var tr domain.Transition
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func reasonsOf(history []domain.Transition) []string {
	out := make([]string, len(history))
	for i, tr := range history {
		out[i] = tr.Reason
	}
	return out
}

// scanCountingKV counts Scans and the entries they return.
type scanCountingKV struct {
	records.KV
	mu              sync.Mutex
	scans, returned int
}

func (s *scanCountingKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]records.KVEntry, error) {
	entries, err := s.KV.Scan(ctx, kind, prefix, limit, reverse)
	s.mu.Lock()
	s.scans++
	s.returned += len(entries)
	s.mu.Unlock()
	return entries, err
}
