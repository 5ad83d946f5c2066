package store

import (
	"os"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// TestMain stops the PostgreSQL server that enginetest.StartPostgres may
// have launched: one server serves the whole test binary.
func TestMain(m *testing.M) {
	code := m.Run()
	enginetest.StopPostgres()
	os.Exit(code)
}
