package engine

import (
	"os"
	"testing"
)

// TestMain stops the PostgreSQL server that startPostgres may have launched:
// one server serves the whole test binary.
func TestMain(m *testing.M) {
	code := m.Run()
	stopTestPostgres()
	os.Exit(code)
}
