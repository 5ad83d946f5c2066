package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Record kinds in the KV store.
const (
	KindEnvironment = "environment"
	KindRelease     = "release"
	KindDeployment  = "deployment"
	kindApproval    = "approval"
	KindLease       = "lease"
)

// Approval records that a phase of a release may open.
type Approval struct {
	Release    string    `json:"release"`
	Phase      string    `json:"phase"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by"`
	ApprovedAt time.Time `json:"approved_at"`
}

// ApprovalKey is RELEASE#PHASE ("api@2#prod"): where a phase approval is
// stored, and the id of the promotion that records it.
func ApprovalKey(release, phase string) string { return release + "#" + phase }

// Store is the typed view of a KV: JSON records for each kind.
type Store struct {
	// kv reports every failure of the backend as a StoreError.
	kv KV
	// backend is the KV as it was given.
	backend KV
	// restored holds records restored from Terraform state that the KV
	// lacks; reads fall back to them and the first write stores them.
	restored *restoredRecords
}

// NewStore wraps a KV.
func NewStore(kv KV) *Store { return NewDescribedStore(kv, "") }

// NewDescribedStore wraps a KV whose failures name the store as described
// (its location with any password redacted), so a user reading one knows
// which store could not be read.
func NewDescribedStore(kv KV, description string) *Store {
	return &Store{kv: describedKV{KV: kv, store: description}, backend: kv, restored: &restoredRecords{}}
}

// KV returns the backend.
func (s *Store) KV() KV { return s.backend }

// DescribedKV returns the backend as the typed store reads it: every
// failure a StoreError naming the record and the store. The lease layer
// keeps its records through it.
func (s *Store) DescribedKV() KV { return s.kv }

// GetJSON reads the record kind/key and decodes it, with its revision.
func GetJSON[T any](ctx context.Context, kv KV, kind, key string) (T, int64, error) {
	var out T
	raw, rev, err := kv.Get(ctx, kind, key)
	if err != nil {
		return out, 0, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, 0, fmt.Errorf("decoding %s %q: %w", kind, key, err)
	}
	return out, rev, nil
}

// PutJSON encodes v and writes it as kind/key if the record is still at
// revision expect, returning the new revision.
func PutJSON(ctx context.Context, kv KV, kind, key string, v any, expect int64) (int64, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encoding %s %q: %w", kind, key, err)
	}
	return kv.Put(ctx, kind, key, raw, expect)
}

func listJSON[T any](ctx context.Context, kv KV, kind string) ([]T, error) {
	entries, err := kv.List(ctx, kind)
	if err != nil {
		return nil, err
	}
	return decodeEntries[T](kind, entries)
}

// decodeEntries decodes the JSON records a List or Scan returned.
func decodeEntries[T any](kind string, entries []KVEntry) ([]T, error) {
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		var v T
		if err := json.Unmarshal(e.Value, &v); err != nil {
			return nil, fmt.Errorf("decoding %s %q: %w", kind, e.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Reads fall back to records restored from Terraform state; every write
// first stores those (see restore.go), so a plan, which only reads,
// never writes.

func (s *Store) GetEnvironment(ctx context.Context, name string) (domain.Environment, error) {
	restored, wasRestored := restoredEnvironment(s, name) // before the KV: see GetDeployment
	env, _, err := GetJSON[domain.Environment](ctx, s.kv, KindEnvironment, name)
	if IsNotFound(err) && wasRestored {
		return restored, nil
	}
	return env, err
}

func (s *Store) PutEnvironment(ctx context.Context, env domain.Environment) error {
	if err := s.storeRestored(ctx, ""); err != nil {
		return err
	}
	if err := s.unburyRecord(ctx, KindEnvironment, env.Name); err != nil {
		return err
	}
	_, err := PutJSON(ctx, s.kv, KindEnvironment, env.Name, env, AnyRevision)
	return err
}

// DeleteEnvironment removes the record and leaves a tombstone, so another
// workspace's refresh reports the environment gone rather than restoring it.
// The tombstone is written first: a store that fails in between leaves the
// record with its tombstone (reads still find the record, and the next
// delete finishes), never a record gone without one.
func (s *Store) DeleteEnvironment(ctx context.Context, name string, now time.Time) error {
	if err := s.storeRestored(ctx, ""); err != nil {
		return err
	}
	if err := s.buryRecord(ctx, KindEnvironment, name, now); err != nil {
		return err
	}
	return s.kv.Delete(ctx, KindEnvironment, name, AnyRevision)
}

func (s *Store) ListEnvironments(ctx context.Context) ([]domain.Environment, error) {
	restored := restoredSnapshot(s, func(set RestoredSet) map[string]domain.Environment { return set.Environments })
	listed, err := listJSON[domain.Environment](ctx, s.kv, KindEnvironment)
	if err != nil {
		return nil, err
	}
	return withRestored(listed, func(e domain.Environment) string { return e.Name }, restored), nil
}

func (s *Store) GetRelease(ctx context.Context, id string) (domain.Release, error) {
	restored, wasRestored := restoredRelease(s, id) // before the KV: see GetDeployment
	rel, _, err := GetJSON[domain.Release](ctx, s.kv, KindRelease, id)
	if IsNotFound(err) && wasRestored {
		return restored, nil
	}
	return rel, err
}

func (s *Store) PutRelease(ctx context.Context, rel domain.Release) error {
	if err := s.storeRestored(ctx, ""); err != nil {
		return err
	}
	if err := s.unburyRecord(ctx, KindRelease, rel.ID()); err != nil {
		return err
	}
	_, err := PutJSON(ctx, s.kv, KindRelease, rel.ID(), rel, AnyRevision)
	return err
}

// DeleteRelease removes the record and leaves a tombstone, written first
// (see DeleteEnvironment).
func (s *Store) DeleteRelease(ctx context.Context, id string, now time.Time) error {
	if err := s.storeRestored(ctx, ""); err != nil {
		return err
	}
	if err := s.buryRecord(ctx, KindRelease, id, now); err != nil {
		return err
	}
	return s.kv.Delete(ctx, KindRelease, id, AnyRevision)
}

// ListReleases returns the releases of pkg, or of every package when pkg
// is empty. Release ids (PACKAGE@VERSION) of one package share a prefix,
// so one package costs a prefix scan.
func (s *Store) ListReleases(ctx context.Context, pkg string) ([]domain.Release, error) {
	restored := restoredSnapshot(s, func(set RestoredSet) map[string]domain.Release { return set.Releases })
	if pkg == "" {
		listed, err := listJSON[domain.Release](ctx, s.kv, KindRelease)
		if err != nil {
			return nil, err
		}
		return withRestored(listed, func(r domain.Release) string { return r.ID() }, restored), nil
	}
	prefix := domain.ReleaseID(pkg, "")
	for id := range restored {
		if !strings.HasPrefix(id, prefix) {
			delete(restored, id)
		}
	}
	entries, err := s.kv.Scan(ctx, KindRelease, prefix, 0, false)
	if err != nil {
		return nil, err
	}
	listed, err := decodeEntries[domain.Release](KindRelease, entries)
	if err != nil {
		return nil, err
	}
	return withRestored(listed, func(r domain.Release) string { return r.ID() }, restored), nil
}

// GetDeployment returns the deployment with its revision remembered, so the
// next SaveDeployment detects a concurrent writer.
func (s *Store) GetDeployment(ctx context.Context, id string) (*domain.Deployment, error) {
	// The restored copy is taken before the KV is read: a concurrent write
	// that stores it in between is then found in the KV, never in neither.
	restored, wasRestored := restoredDeployment(s, id)
	d, rev, err := GetJSON[domain.Deployment](ctx, s.kv, KindDeployment, id)
	if IsNotFound(err) && wasRestored {
		return restored, nil
	}
	if err != nil {
		return nil, err
	}
	d.Revision = rev
	return &d, nil
}

// SaveDeployment writes d if nobody else changed it since it was read.
func (s *Store) SaveDeployment(ctx context.Context, d *domain.Deployment) error {
	if err := s.storeRestored(ctx, d.ID()); err != nil {
		return err
	}
	// Another operation's write may have stored the restored copy d was
	// read from; d then continues from that revision.
	if rev, ok := s.revisionOfStoredCopy(d); ok {
		d.Revision = rev
	}
	rev, err := s.saveDeployment(ctx, d, d.Revision)
	if err != nil {
		return err
	}
	d.Revision, d.Restored = rev, false
	return nil
}

func (s *Store) ListDeployments(ctx context.Context) ([]domain.Deployment, error) {
	restored := restoredSnapshot(s, func(set RestoredSet) map[string]domain.Deployment { return set.Deployments })
	listed, err := listJSON[domain.Deployment](ctx, s.kv, KindDeployment)
	if err != nil {
		return nil, err
	}
	return withRestored(listed, func(d domain.Deployment) string { return d.ID() }, restored), nil
}

// ListPackageDeployments returns the deployments of one package. Their ids
// (PACKAGE/ENVIRONMENT) share the prefix, so this reads only those records:
// gating a phase or deriving a release's status costs the same however many
// other packages the store holds.
func (s *Store) ListPackageDeployments(ctx context.Context, pkg string) ([]domain.Deployment, error) {
	prefix := domain.DeploymentID(pkg, "")
	restored := restoredSnapshot(s, func(set RestoredSet) map[string]domain.Deployment { return set.Deployments })
	for id := range restored {
		if !strings.HasPrefix(id, prefix) {
			delete(restored, id)
		}
	}
	entries, err := s.kv.Scan(ctx, KindDeployment, prefix, 0, false)
	if err != nil {
		return nil, err
	}
	listed, err := decodeEntries[domain.Deployment](KindDeployment, entries)
	if err != nil {
		return nil, err
	}
	return withRestored(listed, func(d domain.Deployment) string { return d.ID() }, restored), nil
}

func (s *Store) GetApproval(ctx context.Context, release, phase string) (Approval, error) {
	a, _, err := GetJSON[Approval](ctx, s.kv, kindApproval, ApprovalKey(release, phase))
	return a, err
}

func (s *Store) PutApproval(ctx context.Context, a Approval) error {
	if err := s.storeRestored(ctx, ""); err != nil {
		return err
	}
	_, err := PutJSON(ctx, s.kv, kindApproval, ApprovalKey(a.Release, a.Phase), a, AnyRevision)
	return err
}

// IsNotFound reports whether err means a missing record.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
