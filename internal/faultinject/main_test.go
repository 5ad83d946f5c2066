//go:build linux

package faultinject

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// providerAddress is what configurations and dev_overrides name.
const providerAddress = "registry.terraform.io/ocuroot/ocuroot"

// suite is what TestMain prepared once for every test.
var suite struct {
	// skip says why the tests cannot run; empty when they can.
	skip string
	// terraform is the terraform binary.
	terraform string
	// providerBinary is the provider built from this module.
	providerBinary string
	// cliConfig points terraform at providerBinary through dev_overrides.
	cliConfig string
}

// TestMain builds the provider once for the package. Without TF_ACC the
// tests skip: they start real processes and take minutes.
func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		suite.skip = "fault-injection tests run real terraform processes; set TF_ACC=1 to run them"
		return m.Run()
	}
	work, err := os.MkdirTemp("", "faultinject-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultinject:", err)
		return 1
	}
	defer os.RemoveAll(work)
	if err := prepareSuite(work); err != nil {
		fmt.Fprintln(os.Stderr, "faultinject:", err)
		return 1
	}
	return m.Run()
}

func prepareSuite(work string) error {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			return fmt.Errorf("no terraform: set TF_ACC_TERRAFORM_PATH or put terraform on PATH: %w", err)
		}
	}
	suite.terraform = tf

	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("finding the module root with go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	pluginDir := filepath.Join(work, "plugins")
	suite.providerBinary = filepath.Join(pluginDir, "terraform-provider-ocuroot")
	build := exec.Command("go", "build", "-o", suite.providerBinary, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the provider: %v\n%s", err, out)
	}

	// dev_overrides make terraform run the binary we built without a
	// registry or terraform init; direct {} is never reached offline.
	suite.cliConfig = filepath.Join(work, "terraformrc")
	config := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", providerAddress, pluginDir)
	return os.WriteFile(suite.cliConfig, []byte(config), 0o600)
}

// requireSuite skips a test when TestMain could not prepare the suite.
func requireSuite(t *testing.T) {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
}
