package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineHasNoTerraformDependency keeps the layering honest: the engine
// is the domain and must build and run without any Terraform package, so
// it can be driven and tested on its own.
func TestEngineHasNoTerraformDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	var offenders []string
	for _, pkg := range strings.Fields(string(out)) {
		// Any HashiCorp Terraform module: the plugin SDKs, exec, json.
		if strings.HasPrefix(pkg, "github.com/hashicorp/terraform") {
			offenders = append(offenders, pkg)
		}
	}
	if len(offenders) > 0 {
		t.Fatalf("internal/engine depends on Terraform packages: %v", offenders)
	}
}
