package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
)

// Acceptance tests run the provider in-process against the terraform binary
// found on PATH: `TF_ACC=1 go test ./internal/provider/` is all they need.
// TF_ACC_TERRAFORM_PATH still wins when it is set.

var useLocalTerraformOnce sync.Once

// useLocalTerraform points terraform-plugin-testing at the terraform on
// PATH. Left to itself it would also fall back to downloading the latest
// release, and the tests must never touch the network.
func useLocalTerraform(t *testing.T) {
	t.Helper()
	useLocalTerraformOnce.Do(func() {
		if os.Getenv("CHECKPOINT_DISABLE") == "" {
			_ = os.Setenv("CHECKPOINT_DISABLE", "1")
		}
		if os.Getenv("TF_ACC_TERRAFORM_PATH") != "" {
			return
		}
		if found, err := exec.LookPath("terraform"); err == nil {
			_ = os.Setenv("TF_ACC_TERRAFORM_PATH", found)
		}
	})
}

// testAccFactories returns the provider factories of an acceptance test. The
// store is chosen by the configuration (see providerBlock); storePath is
// accepted so every test names the store it uses in one place.
func testAccFactories(t *testing.T, storePath string) map[string]func() (tfprotov6.ProviderServer, error) {
	t.Helper()
	useLocalTerraform(t)
	if storePath == "" {
		t.Fatal("testAccFactories: storePath must not be empty")
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"ocuroot": providerserver.NewProtocol6WithError(NewWithOptions(Options{Version: "test"})()),
	}
}

// newTestStorePath returns the path of an embedded store file private to t.
func newTestStorePath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "ocuroot.db")
}

// providerBlock configures the provider on the embedded store at storePath.
func providerBlock(storePath string) string {
	return fmt.Sprintf(`
provider "ocuroot" {
  store = "file://%s"
}
`, storePath)
}

// openTestEngine opens the embedded store file the provider uses, to look at
// or arrange records between steps. Close the returned KV when done.
func openTestEngine(t *testing.T, storePath string) (*engine.Engine, engine.KV) {
	t.Helper()
	kv, _, err := engine.OpenKV(context.Background(), "file://"+storePath, "")
	if err != nil {
		t.Fatalf("open store %s: %v", storePath, err)
	}
	eng := engine.New(engine.Options{Store: engine.NewStore(kv)})
	return eng, kv
}

// storeRelease reads a release directly from the embedded store.
func storeRelease(storePath, id string) (engine.Release, error) {
	kv, _, err := engine.OpenKV(context.Background(), "file://"+storePath, "")
	if err != nil {
		return engine.Release{}, err
	}
	defer kv.Close()
	return engine.NewStore(kv).GetRelease(context.Background(), id)
}

// storeEnvironment reads an environment directly from the embedded store.
func storeEnvironment(storePath, name string) (engine.Environment, error) {
	kv, _, err := engine.OpenKV(context.Background(), "file://"+storePath, "")
	if err != nil {
		return engine.Environment{}, err
	}
	defer kv.Close()
	return engine.NewStore(kv).GetEnvironment(context.Background(), name)
}
