package store

import (
	"context"
	"sort"
	"strings"
	"sync"
)

// MemoryKV keeps records in process memory. It is used by unit tests and as
// the reference behaviour for the other KV implementations.
type MemoryKV struct {
	mu      sync.Mutex
	records map[string]map[string]KVEntry
	nextRev int64
}

// NewMemoryKV returns an empty in-memory store.
func NewMemoryKV() *MemoryKV {
	return &MemoryKV{records: map[string]map[string]KVEntry{}}
}

func (m *MemoryKV) Get(_ context.Context, kind, key string) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.records[kind][key]
	if !ok {
		return nil, 0, ErrNotFound
	}
	return append([]byte(nil), e.Value...), e.Revision, nil
}

func (m *MemoryKV) Put(_ context.Context, kind, key string, value []byte, expect int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	current := m.records[kind][key].Revision
	if expect != AnyRevision && expect != current {
		return 0, ErrConflict
	}
	if m.records[kind] == nil {
		m.records[kind] = map[string]KVEntry{}
	}
	m.nextRev++
	m.records[kind][key] = KVEntry{Key: key, Value: append([]byte(nil), value...), Revision: m.nextRev}
	return m.nextRev, nil
}

func (m *MemoryKV) Delete(_ context.Context, kind, key string, expect int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.records[kind][key]
	if !ok {
		return nil
	}
	if expect != AnyRevision && expect != e.Revision {
		return ErrConflict
	}
	delete(m.records[kind], key)
	return nil
}

func (m *MemoryKV) List(_ context.Context, kind string) ([]KVEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]KVEntry, 0, len(m.records[kind]))
	for _, e := range m.records[kind] {
		out = append(out, KVEntry{Key: e.Key, Value: append([]byte(nil), e.Value...), Revision: e.Revision})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *MemoryKV) Scan(_ context.Context, kind, prefix string, limit int, reverse bool) ([]KVEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0)
	for key := range m.records[kind] {
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	if reverse {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	out := []KVEntry{}
	for _, key := range keys {
		if scanFull(len(out), limit) {
			break
		}
		e := m.records[kind][key]
		out = append(out, KVEntry{Key: key, Value: append([]byte(nil), e.Value...), Revision: e.Revision})
	}
	return out, nil
}

func (m *MemoryKV) Apply(_ context.Context, writes []KVWrite) ([]int64, error) {
	if err := validateWrites(writes); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range writes {
		if w.Expect != AnyRevision && w.Expect != m.records[w.Kind][w.Key].Revision {
			return nil, ErrConflict
		}
	}
	revisions := make([]int64, len(writes))
	for i, w := range writes {
		if m.records[w.Kind] == nil {
			m.records[w.Kind] = map[string]KVEntry{}
		}
		m.nextRev++
		m.records[w.Kind][w.Key] = KVEntry{Key: w.Key, Value: append([]byte(nil), w.Value...), Revision: m.nextRev}
		revisions[i] = m.nextRev
	}
	return revisions, nil
}

func (m *MemoryKV) Close() error { return nil }
