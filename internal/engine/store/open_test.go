package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

func TestOpenKVEmbeddedLocations(t *testing.T) {
	dir := t.TempDir()
	home, _ := os.UserHomeDir()
	tests := []struct {
		location, dataDir string
		wantPath          string
	}{
		{"", dir, filepath.Join(dir, "ocuroot", "store.db")},
		{"embedded", dir, filepath.Join(dir, "ocuroot", "store.db")},
		{"file://" + filepath.Join(dir, "a", "deploys.db"), "ignored", filepath.Join(dir, "a", "deploys.db")},
		{filepath.Join(dir, "b", "deploys.db"), "", filepath.Join(dir, "b", "deploys.db")},
		{"~/ocuroot-test-never-created/x.db", "", filepath.Join(home, "ocuroot-test-never-created", "x.db")},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			if strings.HasPrefix(tt.location, "~/") {
				t.Setenv("HOME", t.TempDir())
				home, _ := os.UserHomeDir()
				tt.wantPath = filepath.Join(home, "ocuroot-test-never-created", "x.db")
			}
			kv, desc, err := OpenKV(context.Background(), tt.location, tt.dataDir)
			if err != nil {
				t.Fatalf("OpenKV: %v", err)
			}
			defer kv.Close()
			bolt, ok := kv.(*BoltKV)
			if !ok || bolt.Path() != tt.wantPath {
				t.Fatalf("OpenKV(%q, %q) = %T at %v, want the embedded store at %s", tt.location, tt.dataDir, kv, kv, tt.wantPath)
			}
			if desc != "embedded store "+tt.wantPath {
				t.Errorf("description = %q", desc)
			}
		})
	}
}

func TestOpenKVDefaultDataDir(t *testing.T) {
	t.Chdir(t.TempDir())
	kv, desc, err := OpenKV(context.Background(), "", "")
	if err != nil {
		t.Fatalf("OpenKV: %v", err)
	}
	defer kv.Close()
	want := filepath.Join(".terraform", "ocuroot", "store.db")
	if kv.(*BoltKV).Path() != want || desc != "embedded store "+want {
		t.Fatalf("OpenKV default = %s (%q), want %s", kv.(*BoltKV).Path(), desc, want)
	}
	assertFileMode(t, filepath.Join(".terraform", "ocuroot"), os.ModeDir|0o700)
}

func TestOpenKVMemory(t *testing.T) {
	kv, desc, err := OpenKV(context.Background(), "memory", "")
	if err != nil {
		t.Fatalf("OpenKV: %v", err)
	}
	if _, ok := kv.(*MemoryKV); !ok || !strings.Contains(desc, "in-memory") {
		t.Fatalf("OpenKV(memory) = %T, %q", kv, desc)
	}
}

func TestOpenKVPostgres(t *testing.T) {
	url := enginetest.StartPostgres(t)
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		location := scheme + strings.TrimPrefix(url, "postgres://")
		kv, desc, err := OpenKV(context.Background(), location, "")
		if err != nil {
			t.Fatalf("OpenKV(%s): %v", scheme, err)
		}
		if _, ok := kv.(*PostgresKV); !ok || desc != "PostgreSQL store "+RedactURL(location) {
			t.Fatalf("OpenKV(%s) = %T, %q", scheme, kv, desc)
		}
		mustPut(t, kv, "env", "prod-"+strings.TrimSuffix(scheme, "://"), "v", 0)
		kv.Close()
	}
}

func TestOpenKVRejectsUnknownLocations(t *testing.T) {
	tests := []struct{ location, want string }{
		{"memroy", `store location "memroy" is not recognised`},
		{"mysql://root:hunter2@db/ocuroot", `store location "mysql://root:redacted@db/ocuroot" is not recognised`},
		{"s3://bucket/store.db", `store location "s3://bucket/store.db" is not recognised`},
		{"file://", `store location "file://" has no path after file://`},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			kv, _, err := OpenKV(context.Background(), tt.location, t.TempDir())
			if err == nil {
				kv.Close()
				t.Fatalf("OpenKV(%q) succeeded, want an error", tt.location)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("OpenKV(%q) error = %q, want it to contain %q", tt.location, err, tt.want)
			}
		})
	}
}
