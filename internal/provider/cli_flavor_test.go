package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// The tests that run a CLI run on Terraform and, in the third pass of
// `make test`, on OpenTofu (TF_ACC_TERRAFORM_PATH names a tofu binary).
// terraform-plugin-testing drives both through the same commands; what
// differs is the registry a source without a hostname resolves to, and the
// features OpenTofu lacks.

// testCLI describes the CLI in TF_ACC_TERRAFORM_PATH.
type testCLI struct {
	path     string
	version  *version.Version
	openTofu bool
}

// name is how skip messages and logs call the CLI.
func (c testCLI) name() string {
	if c.openTofu {
		return "OpenTofu " + c.version.String()
	}
	return "Terraform " + c.version.String()
}

// registryHost is the host a provider source without one resolves to:
// "ocuroot/ocuroot", or plain "ocuroot" (hashicorp/ocuroot), means
// registry.terraform.io to Terraform and registry.opentofu.org to OpenTofu.
func (c testCLI) registryHost() string {
	if c.openTofu {
		return "registry.opentofu.org"
	}
	return "registry.terraform.io"
}

var (
	testCLIOnce sync.Once
	testCLIInfo testCLI
	testCLIErr  error
)

// currentCLI reads, once for the package, which CLI and version
// TF_ACC_TERRAFORM_PATH names (after useLocalTerraform filled it in).
func currentCLI(t *testing.T) testCLI {
	t.Helper()
	useLocalTerraform(t)
	testCLIOnce.Do(func() {
		path := os.Getenv("TF_ACC_TERRAFORM_PATH")
		if path == "" {
			testCLIErr = fmt.Errorf("no terraform: set TF_ACC_TERRAFORM_PATH or put terraform on PATH")
			return
		}
		ignoreMissingCLIConfig()
		testCLIInfo, testCLIErr = describeCLI(path)
		if testCLIErr == nil && testCLIInfo.openTofu {
			serveUnderOpenTofuAddress()
		}
	})
	if testCLIErr != nil {
		t.Fatal(testCLIErr)
	}
	return testCLIInfo
}

// serveUnderOpenTofuAddress makes terraform-plugin-testing serve the
// provider under the address OpenTofu resolves the configurations' plain
// "ocuroot" to, registry.opentofu.org/hashicorp/ocuroot; it defaults to
// Terraform's registry.terraform.io. Values already set win. Every test
// reaches this through testAccFactories before its first step, and the
// sync.Once in currentCLI holds the others until it is done.
func serveUnderOpenTofuAddress() {
	for name, value := range map[string]string{
		"TF_ACC_PROVIDER_HOST":      "registry.opentofu.org",
		"TF_ACC_PROVIDER_NAMESPACE": "hashicorp",
	} {
		if os.Getenv(name) == "" {
			_ = os.Setenv(name, value)
		}
	}
}

// ignoreMissingCLIConfig points TF_CLI_CONFIG_FILE at the empty file when
// it names a file that does not exist: either CLI then reads no
// configuration, as before, but OpenTofu also prints a warning about it
// before the `version -json` output that terraform-plugin-testing parses.
func ignoreMissingCLIConfig() {
	name := os.Getenv("TF_CLI_CONFIG_FILE")
	if name == "" {
		return
	}
	if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
		_ = os.Setenv("TF_CLI_CONFIG_FILE", os.DevNull)
	}
}

// describeCLI runs `version -json`, which both CLIs answer with a
// terraform_version field, and `version`, whose first line names the
// product ("Terraform v1.15.9", "OpenTofu v1.12.6").
func describeCLI(path string) (testCLI, error) {
	out, err := exec.Command(path, "version", "-json").Output()
	if err != nil {
		return testCLI{}, fmt.Errorf("%s version -json: %v", path, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return testCLI{}, fmt.Errorf("reading %s version -json: %v\n%s", path, err, out)
	}
	parsed, err := version.NewVersion(v.Version)
	if err != nil {
		return testCLI{}, fmt.Errorf("%s reports version %q: %v", path, v.Version, err)
	}
	text, err := exec.Command(path, "version").Output()
	if err != nil {
		return testCLI{}, fmt.Errorf("%s version: %v", path, err)
	}
	return testCLI{path: path, version: parsed, openTofu: strings.HasPrefix(string(text), "OpenTofu ")}, nil
}

// skipBelow skips the test when the CLI is older than minimum, with
// tfversion.SkipBelow's message.
func skipBelow(t *testing.T, cli testCLI, minimum *version.Version) {
	t.Helper()
	var resp tfversion.CheckTerraformVersionResponse
	tfversion.SkipBelow(minimum).CheckTerraformVersion(context.Background(),
		tfversion.CheckTerraformVersionRequest{TerraformVersion: cli.version}, &resp)
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	if resp.Skip != "" {
		t.Skip(resp.Skip)
	}
}

// skipOnOpenTofu skips a test of a Terraform feature that OpenTofu does not
// have (feature says which), whatever its version number: OpenTofu's
// numbering does not follow Terraform's features.
func skipOnOpenTofu(t *testing.T, feature string) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		return // the acceptance test skips for its own reason
	}
	if cli := currentCLI(t); cli.openTofu {
		t.Skipf("%s has no %s: this test runs on Terraform only", cli.name(), feature)
	}
}
