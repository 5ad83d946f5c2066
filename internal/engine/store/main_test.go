package store

import (
	"os"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/enginetest"
)

// TestMain stops the PostgreSQL server that enginetest.StartPostgres may
// have launched: one server serves the whole test binary. Run with
// boltSecondProcessEnv set, the binary is instead the second process of
// TestBoltKVLetsGoOfTheFileWhateverHappensToItBetweenOperations.
func TestMain(m *testing.M) {
	if path := os.Getenv(boltSecondProcessEnv); path != "" {
		os.Exit(runSecondProcess(path, os.Getenv(boltSecondProcessModeEnv)))
	}
	code := m.Run()
	enginetest.StopPostgres()
	os.Exit(code)
}
