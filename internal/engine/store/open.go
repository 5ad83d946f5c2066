package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultDataDir is where the embedded store lives when no data directory is
// given: Terraform's working directory, next to the providers and modules.
const DefaultDataDir = ".terraform"

// OpenKV opens the store a provider configuration names and returns it with a
// description that is safe to log (passwords are redacted). Locations:
//
//   - "" or "embedded": the embedded file DATADIR/ocuroot/store.db, where
//     dataDir defaults to DefaultDataDir;
//   - "file://PATH", or a plain path such as ./deploys.db or /var/lib/x.db:
//     the embedded store at that path;
//   - "postgres://..." or "postgresql://...": the shared PostgreSQL store;
//   - "memory": a store that forgets everything when the process exits.
func OpenKV(ctx context.Context, location string, dataDir string) (KV, string, error) {
	switch {
	case location == "" || location == "embedded":
		if dataDir == "" {
			dataDir = DefaultDataDir
		}
		return openEmbedded(filepath.Join(dataDir, "ocuroot", "store.db"))
	case location == "memory":
		return NewMemoryKV(), "in-memory store (records are lost when the provider exits)", nil
	case strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://"):
		kv, err := OpenPostgresKV(ctx, location)
		if err != nil {
			return nil, "", err
		}
		return kv, "PostgreSQL store " + RedactURL(location), nil
	case strings.HasPrefix(location, "file://"):
		path := strings.TrimPrefix(location, "file://")
		if path == "" {
			return nil, "", fmt.Errorf("store location %q has no path after file://", location)
		}
		return openEmbedded(path)
	case isPlainPath(location):
		path, err := expandHome(location)
		if err != nil {
			return nil, "", fmt.Errorf("store location %q: %w", location, err)
		}
		return openEmbedded(path)
	default:
		return nil, "", fmt.Errorf("store location %q is not recognised: use \"embedded\", \"memory\", "+
			"file://PATH, a path such as ./store.db, or a postgres:// URL", RedactURL(location))
	}
}

func openEmbedded(path string) (KV, string, error) {
	kv, err := OpenBoltKV(path)
	if err != nil {
		return nil, "", err
	}
	return kv, "embedded store " + path, nil
}

// isPlainPath reports whether a location reads as a file path rather than a
// misspelt keyword ("memroy") or a URL of a backend we do not support.
func isPlainPath(location string) bool {
	if strings.Contains(location, "://") {
		return false
	}
	return filepath.IsAbs(location) ||
		strings.ContainsRune(location, '/') ||
		strings.ContainsRune(location, filepath.Separator) ||
		strings.HasSuffix(location, ".db")
}

// expandHome replaces a leading "~/" with the user's home directory, as a
// shell would; Terraform passes the string through untouched.
func expandHome(path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "~/")
	if !ok {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand ~: %w", err)
	}
	return filepath.Join(home, rest), nil
}
