package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// A store that fails one chosen operation, and what the fault tests look
// at in the store around it.

// errInjectedFault is what faultKV answers for the operation it fails.
var errInjectedFault = errors.New("injected fault: the store did not answer")

// kvOp is one store operation as faultKV saw it.
type kvOp struct {
	Method string // Get, Put, Delete, List, Scan, Apply
	Kind   string
	Key    string // the key; the prefix of a Scan; the first write's key of an Apply
}

func (o kvOp) String() string { return fmt.Sprintf("%s %s %q", o.Method, o.Kind, o.Key) }

// writes reports whether the operation changes the store.
func (o kvOp) writes() bool { return o.Method == "Put" || o.Method == "Delete" || o.Method == "Apply" }

// faultKV passes every operation to a KV and logs it. The operation that
// failWhen picks fails with errInjectedFault and changes nothing, as a
// store that did not answer.
type faultKV struct {
	kv records.KV

	mu  sync.Mutex
	ops []kvOp
	// failWhen is asked about every operation with its 1-based number;
	// nil fails nothing.
	failWhen func(op kvOp, n int) bool
	failed   []kvOp
}

func newFaultKV(kv records.KV) *faultKV { return &faultKV{kv: kv} }

// failNth makes the nth operation from now fail, and only that one.
func (f *faultKV) failNth(nth int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := len(f.ops)
	f.failWhen = func(_ kvOp, n int) bool { return n == base+nth }
}

// failMatching makes the nth operation from now that match() returns true
// for fail, and only that one.
func (f *faultKV) failMatching(nth int, match func(kvOp) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := 0
	f.failWhen = func(op kvOp, _ int) bool {
		if !match(op) {
			return false
		}
		seen++
		return seen == nth
	}
}

// heal stops failing operations.
func (f *faultKV) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWhen = nil
}

// opCount is the number of operations seen so far.
func (f *faultKV) opCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ops)
}

// opsSince returns the operations after the first from.
func (f *faultKV) opsSince(from int) []kvOp {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kvOp(nil), f.ops[from:]...)
}

// failedOps returns the operations that were made to fail.
func (f *faultKV) failedOps() []kvOp {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]kvOp(nil), f.failed...)
}

func (f *faultKV) fails(op kvOp) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, op)
	if f.failWhen == nil || !f.failWhen(op, len(f.ops)) {
		return false
	}
	f.failed = append(f.failed, op)
	return true
}

func (f *faultKV) Get(ctx context.Context, kind, key string) ([]byte, int64, error) {
	if f.fails(kvOp{"Get", kind, key}) {
		return nil, 0, errInjectedFault
	}
	return f.kv.Get(ctx, kind, key)
}

func (f *faultKV) Put(ctx context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	if f.fails(kvOp{"Put", kind, key}) {
		return 0, errInjectedFault
	}
	return f.kv.Put(ctx, kind, key, value, expect)
}

func (f *faultKV) Delete(ctx context.Context, kind, key string, expect int64) error {
	if f.fails(kvOp{"Delete", kind, key}) {
		return errInjectedFault
	}
	return f.kv.Delete(ctx, kind, key, expect)
}

func (f *faultKV) List(ctx context.Context, kind string) ([]records.KVEntry, error) {
	if f.fails(kvOp{"List", kind, ""}) {
		return nil, errInjectedFault
	}
	return f.kv.List(ctx, kind)
}

func (f *faultKV) Scan(ctx context.Context, kind, prefix string, limit int, reverse bool) ([]records.KVEntry, error) {
	if f.fails(kvOp{"Scan", kind, prefix}) {
		return nil, errInjectedFault
	}
	return f.kv.Scan(ctx, kind, prefix, limit, reverse)
}

func (f *faultKV) Apply(ctx context.Context, writes []records.KVWrite) ([]int64, error) {
	op := kvOp{Method: "Apply"}
	if len(writes) > 0 {
		op.Kind, op.Key = writes[0].Kind, writes[0].Key
	}
	if f.fails(op) {
		return nil, errInjectedFault
	}
	return f.kv.Apply(ctx, writes)
}

func (f *faultKV) Close() error { return f.kv.Close() }

// storeKinds are the kinds of record the engine keeps. A snapshot that
// missed one would let a stray write through unseen, so the fault tests
// fail when the store is asked about a kind not listed here.
var storeKinds = []string{"environment", "release", "deployment", "approval", "lease", "transition", "tombstone"}

// storeSnapshot is every record of a KV: kind → key → value and revision.
type storeSnapshot map[string]map[string]records.KVEntry

func snapshotStore(t *testing.T, kv records.KV) storeSnapshot {
	t.Helper()
	snap := storeSnapshot{}
	for _, kind := range storeKinds {
		entries, err := kv.List(context.Background(), kind)
		if err != nil {
			t.Fatalf("snapshot of %s records: %v", kind, err)
		}
		for _, e := range entries {
			if snap[kind] == nil {
				snap[kind] = map[string]records.KVEntry{}
			}
			snap[kind][e.Key] = e
		}
	}
	return snap
}

// restoreSnapshot returns a new memory KV holding the snapshot's records.
func restoreSnapshot(t *testing.T, snap storeSnapshot) *kvstore.MemoryKV {
	t.Helper()
	kv := kvstore.NewMemoryKV()
	fillStore(t, kv, snap)
	return kv
}

// diff describes how other differs from s, "" when they hold the same
// records with the same revisions.
func (s storeSnapshot) diff(other storeSnapshot) string {
	var out []string
	for _, kind := range storeKinds {
		for key, e := range s[kind] {
			o, ok := other[kind][key]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s %q removed", kind, key))
			case !reflect.DeepEqual(e, o):
				out = append(out, fmt.Sprintf("%s %q changed (revision %d -> %d)", kind, key, e.Revision, o.Revision))
			}
		}
		for key := range other[kind] {
			if _, ok := s[kind][key]; !ok {
				out = append(out, fmt.Sprintf("%s %q added", kind, key))
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// storeOutcome is what a run leaves in the store, without what differs
// between two runs that did the same (times, rollout ids, revisions, how
// many attempts the history records): which records exist and where each
// deployment stands.
func storeOutcome(t *testing.T, snap storeSnapshot) string {
	t.Helper()
	var out []string
	for _, kind := range []string{"environment", "release", "approval", "lease", "tombstone"} {
		for key := range snap[kind] {
			out = append(out, kind+" "+key)
		}
	}
	for key, e := range snap["deployment"] {
		var d domain.Deployment
		if err := d.UnmarshalJSON(e.Value); err != nil {
			t.Fatalf("deployment %q does not decode: %v", key, err)
		}
		rollout := "none"
		if r := d.Rollout; r != nil {
			rollout = fmt.Sprintf("%s %s", r.Release, r.State)
		}
		out = append(out, fmt.Sprintf("deployment %s: %s live=%s pending=%s traffic=%d rollout=%s",
			key, d.Status, d.LiveRelease, d.PendingRelease, d.TrafficPercent, rollout))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// consistencyProblems checks what must hold in the store after any failed
// write, since every write is one atomic KV operation that either happened
// or did not: each deployment record decodes, its history log holds
// exactly the entries 1..HistorySeq (the record and its new entries are
// saved together), and no lease is left behind unless the failed operation
// was that lease's release (it then lapses on its own).
func consistencyProblems(t *testing.T, kv records.KV, failed kvOp) []string {
	t.Helper()
	snap := snapshotStore(t, kv)
	var problems []string
	for key, e := range snap["deployment"] {
		var d domain.Deployment
		if err := d.UnmarshalJSON(e.Value); err != nil {
			problems = append(problems, fmt.Sprintf("deployment %q does not decode: %v", key, err))
			continue
		}
		var seqs []string
		for logKey := range snap["transition"] {
			if strings.HasPrefix(logKey, key+"/") {
				seqs = append(seqs, logKey)
			}
		}
		if int64(len(seqs)) != d.HistorySeq {
			problems = append(problems, fmt.Sprintf("deployment %q records history sequence %d but its log holds %d entries", key, d.HistorySeq, len(seqs)))
		}
		for _, logKey := range seqs {
			var seq int64
			if _, err := fmt.Sscanf(strings.TrimPrefix(logKey, key+"/"), "%d", &seq); err != nil || seq < 1 || seq > d.HistorySeq {
				problems = append(problems, fmt.Sprintf("history entry %q lies outside 1..%d", logKey, d.HistorySeq))
			}
		}
	}
	for key := range snap["lease"] {
		if failed.Method == "Delete" && failed.Kind == "lease" && failed.Key == key {
			continue
		}
		problems = append(problems, fmt.Sprintf("lease %q left behind", key))
	}
	return problems
}

// strandAtGate plays another run that rolled release out in api/prod0 and
// left it at its promotion gate, while Terraform state still says api@1.
func strandAtGate(t *testing.T, kv records.KV, targetURL, release string) {
	t.Helper()
	pd, err := newProviderData(context.Background(), Options{KV: kv, Clock: newTestClock()}, providerSettings{hookSecret: testHookSecret, credentialsKnown: true})
	if err != nil {
		t.Fatal(err)
	}
	spec := domain.DeploymentSpec{Package: "api", Environment: "prod0", Release: release, Strategy: domain.StrategyBlueGreen,
		BlueGreen: domain.BlueGreenSpec{ManualPromotion: true}, Hook: &domain.HookConfig{URL: targetURL + "/hooks"}}
	d, err := pd.engine.Deploy(context.Background(), engine.DeployRequest{Spec: spec})
	if err != nil || d.Status != domain.StatusAwaitingPromotion {
		t.Fatalf("stranding %s at its gate: %v (record %+v)", release, err, d)
	}
}

// emptyStore deletes every record.
func emptyStore(t *testing.T, kv records.KV) {
	t.Helper()
	for kind, byKey := range snapshotStore(t, kv) {
		for key := range byKey {
			if err := kv.Delete(context.Background(), kind, key, records.AnyRevision); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// fillStore puts the snapshot's records back.
func fillStore(t *testing.T, kv records.KV, snap storeSnapshot) {
	t.Helper()
	for kind, byKey := range snap {
		for key, e := range byKey {
			if _, err := kv.Put(context.Background(), kind, key, e.Value, records.AnyRevision); err != nil {
				t.Fatal(err)
			}
		}
	}
}
