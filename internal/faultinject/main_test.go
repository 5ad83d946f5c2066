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

// providerAddress is what the configurations' source "ocuroot/ocuroot"
// resolves to, and so what dev_overrides must name: Terraform fills in
// registry.terraform.io, OpenTofu (the third pass of make test)
// registry.opentofu.org.
func providerAddress(openTofu bool) string {
	if openTofu {
		return "registry.opentofu.org/ocuroot/ocuroot"
	}
	return "registry.terraform.io/ocuroot/ocuroot"
}

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
	// `version` names the product on its first line: "Terraform v1.11.4",
	// "OpenTofu v1.12.6". No CLI configuration: OpenTofu would print a
	// warning first if TF_CLI_CONFIG_FILE named a missing file.
	version := exec.Command(tf, "version")
	version.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+os.DevNull)
	said, err := version.Output()
	if err != nil {
		return fmt.Errorf("%s version: %w", tf, err)
	}
	openTofu := strings.HasPrefix(string(said), "OpenTofu ")

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
	config := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", providerAddress(openTofu), pluginDir)
	return os.WriteFile(suite.cliConfig, []byte(config), 0o600)
}

// requireSuite skips a test when TestMain could not prepare the suite.
func requireSuite(t *testing.T) {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
}
