// Records restored from Terraform state, and tombstones of deleted ones.
//
// A fresh runner starts with an empty embedded store while Terraform state
// still knows every environment, release and deployment. Refresh must not
// plan to re-create them, yet a plan must never write to the store (it would
// resurrect what another workspace deleted from a shared store). So a
// refresh that finds no record, and no tombstone saying it was deleted,
// keeps the state's version here, beside the store: reads fall back to it,
// and the first write of an apply stores them all, skipping any that another
// run created or deleted meanwhile.
//
// Terraform plans and applies in two provider processes, so the restored
// records can be carried in a small file next to the embedded store file
// (never the store itself) from the plan's process to the apply's.

package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// kindTombstone marks an environment or release that Terraform deleted, so
// a refresh elsewhere reports it gone instead of restoring it.
const kindTombstone = "tombstone"

// Tombstone records the deletion of a record of another kind.
type Tombstone struct {
	Kind      string    `json:"kind"`
	Key       string    `json:"key"`
	DeletedAt time.Time `json:"deleted_at"`
}

func tombstoneKey(kind, key string) string { return kind + "/" + key }

// restoredRecords are the records restored from Terraform state and not yet
// written to the store.
type restoredRecords struct {
	mu   sync.Mutex
	path string // "" keeps them in memory only
	set  RestoredSet
	// stored maps a restored deployment that a write stored to the
	// revision it got, so an operation that read the restored copy before
	// can still save it (see SaveDeployment).
	stored map[string]int64
}

// RestoredSet is the records restored from Terraform state, by kind.
type RestoredSet struct {
	Environments map[string]domain.Environment `json:"environments,omitempty"`
	Releases     map[string]domain.Release     `json:"releases,omitempty"`
	Deployments  map[string]domain.Deployment  `json:"deployments,omitempty"`
}

func (s RestoredSet) empty() bool {
	return len(s.Environments) == 0 && len(s.Releases) == 0 && len(s.Deployments) == 0
}

// CarryRestoredIn makes records restored by this process survive until the
// next process that writes (Terraform's apply runs the provider anew after
// its plan): they are kept in the file at path, mode 0600, and records a
// previous process left there are loaded now.
func (s *Store) CarryRestoredIn(path string) error {
	r := s.restored
	r.mu.Lock()
	defer r.mu.Unlock()
	r.path = path
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading records restored from Terraform state (%s): %w", path, err)
	}
	var loaded RestoredSet
	if err := json.Unmarshal(raw, &loaded); err != nil {
		// The file only ever holds copies of what state knows; a damaged one
		// is dropped and the next refresh restores the records again.
		_ = os.Remove(path)
		return nil
	}
	mergeMaps(&r.set.Environments, loaded.Environments)
	mergeMaps(&r.set.Releases, loaded.Releases)
	mergeMaps(&r.set.Deployments, loaded.Deployments)
	return nil
}

func mergeMaps[T any](into *map[string]T, from map[string]T) {
	if len(from) == 0 {
		return
	}
	if *into == nil {
		*into = map[string]T{}
	}
	for k, v := range from {
		(*into)[k] = v
	}
}

// saveLocked writes the carried file; r.mu is held.
func (r *restoredRecords) saveLocked() error {
	if r.path == "" {
		return nil
	}
	if r.set.empty() {
		if err := os.Remove(r.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	raw, err := json.Marshal(r.set)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.path), filepath.Base(r.path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		return errors.Join(err, tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), r.path)
}

// Deleted reports whether a record of kind was deleted through Terraform
// (it has a tombstone).
func (s *Store) Deleted(ctx context.Context, kind, key string) (bool, error) {
	_, _, err := s.kv.Get(ctx, kindTombstone, tombstoneKey(kind, key))
	switch {
	case err == nil:
		return true, nil
	case IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("reading tombstone of %s %q: %w", kind, key, err)
}

func (s *Store) buryRecord(ctx context.Context, kind, key string, now time.Time) error {
	_, err := PutJSON(ctx, s.kv, kindTombstone, tombstoneKey(kind, key), Tombstone{Kind: kind, Key: key, DeletedAt: now}, AnyRevision)
	return err
}

// unburyRecord removes a tombstone when the record is created again. It
// reads first so that the common case (no tombstone) costs no write.
func (s *Store) unburyRecord(ctx context.Context, kind, key string) error {
	gone, err := s.Deleted(ctx, kind, key)
	if err != nil || !gone {
		return err
	}
	return s.kv.Delete(ctx, kindTombstone, tombstoneKey(kind, key), AnyRevision)
}

// RestoreOutcome is what a refresh learns about a record the store lacks.
type RestoreOutcome int

const (
	// Restored: kept from Terraform state until the next apply writes it.
	Restored RestoreOutcome = iota
	// DeletedElsewhere: Terraform deleted it (a tombstone says so); the
	// refresh reports it gone so the plan creates it again.
	DeletedElsewhere
)

// RestoreRecord keeps v, as Terraform state knows it, for a store that
// has no record kind/key, unless a tombstone says Terraform deleted it. It
// writes nothing to the store.
func RestoreRecord[T any](ctx context.Context, s *Store, kind, key string, v T, field func(*RestoredSet) *map[string]T) (RestoreOutcome, error) {
	gone, err := s.Deleted(ctx, kind, key)
	if err != nil {
		return Restored, err
	}
	if gone {
		return DeletedElsewhere, nil
	}
	r := s.restored
	r.mu.Lock()
	defer r.mu.Unlock()
	m := field(&r.set)
	if *m == nil {
		*m = map[string]T{}
	}
	(*m)[key] = v
	if err := r.saveLocked(); err != nil {
		return Restored, fmt.Errorf("keeping %s %q restored from Terraform state: %w", kind, key, err)
	}
	return Restored, nil
}

// RestoreDeployment keeps a deployment record rebuilt from Terraform state.
func (s *Store) RestoreDeployment(d *domain.Deployment) error {
	r := s.restored
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set.Deployments == nil {
		r.set.Deployments = map[string]domain.Deployment{}
	}
	copied := *d
	copied.Revision = 0
	r.set.Deployments[d.ID()] = copied
	if err := r.saveLocked(); err != nil {
		return fmt.Errorf("keeping deployment %s restored from Terraform state: %w", d.ID(), err)
	}
	return nil
}

func restoredEnvironment(s *Store, name string) (domain.Environment, bool) {
	s.restored.mu.Lock()
	defer s.restored.mu.Unlock()
	env, ok := s.restored.set.Environments[name]
	return env, ok
}

func restoredRelease(s *Store, id string) (domain.Release, bool) {
	s.restored.mu.Lock()
	defer s.restored.mu.Unlock()
	rel, ok := s.restored.set.Releases[id]
	return rel, ok
}

func restoredDeployment(s *Store, id string) (*domain.Deployment, bool) {
	s.restored.mu.Lock()
	defer s.restored.mu.Unlock()
	d, ok := s.restored.set.Deployments[id]
	if !ok {
		return nil, false
	}
	d.InlineHistory = append([]domain.Transition(nil), d.InlineHistory...)
	d.Restored = true
	return &d, true
}

// revisionOfStoredCopy returns the revision a restored deployment got when
// a write stored it, for a caller that read the restored copy before:
// the content is the same, so its save may go on from that revision.
func (s *Store) revisionOfStoredCopy(d *domain.Deployment) (int64, bool) {
	if !d.Restored || d.Revision != 0 {
		return 0, false
	}
	s.restored.mu.Lock()
	defer s.restored.mu.Unlock()
	rev, ok := s.restored.stored[d.ID()]
	return rev, ok
}

// restoredSnapshot copies the restored records of a kind. Lists take it
// before reading the KV, so a record stored in between is seen in one or
// the other, never in neither.
func restoredSnapshot[T any](s *Store, field func(RestoredSet) map[string]T) map[string]T {
	s.restored.mu.Lock()
	defer s.restored.mu.Unlock()
	src := field(s.restored.set)
	out := make(map[string]T, len(src))
	for k, v := range src {
		out[k] = v
	}
	return out
}

// withRestored adds the restored records of a kind that the listed ones
// lack, keeping the list sorted by key.
func withRestored[T any](listed []T, keyOf func(T) string, restored map[string]T) []T {
	if len(restored) == 0 {
		return listed
	}
	seen := make(map[string]bool, len(listed))
	for _, v := range listed {
		seen[keyOf(v)] = true
	}
	added := false
	for k, v := range restored {
		if !seen[k] {
			listed = append(listed, v)
			added = true
		}
	}
	if added {
		sort.SliceStable(listed, func(i, j int) bool { return keyOf(listed[i]) < keyOf(listed[j]) })
	}
	return listed
}

// storeRestored writes every restored record the store still lacks, before
// an apply's first write. Records another run created meanwhile win
// (conflicts are skipped), and records deleted meanwhile stay deleted.
// except names a deployment the caller is about to save itself.
func (s *Store) storeRestored(ctx context.Context, except string) error {
	r := s.restored
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set.empty() {
		return nil
	}
	var errs []error
	put := func(kind, key string, v any) {
		if gone, err := s.Deleted(ctx, kind, key); err != nil || gone {
			errs = append(errs, err)
			return
		}
		rev, err := PutJSON(ctx, s.kv, kind, key, v, 0)
		switch {
		case err == nil && kind == KindDeployment:
			if r.stored == nil {
				r.stored = map[string]int64{}
			}
			r.stored[key] = rev
		case err != nil && !errors.Is(err, ErrConflict):
			errs = append(errs, fmt.Errorf("storing %s %q restored from Terraform state: %w", kind, key, err))
		}
	}
	for name, env := range r.set.Environments {
		put(KindEnvironment, name, env)
	}
	for id, rel := range r.set.Releases {
		put(KindRelease, id, rel)
	}
	for id, d := range r.set.Deployments {
		if id != except {
			put(KindDeployment, id, d)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.set = RestoredSet{}
	return r.saveLocked()
}
