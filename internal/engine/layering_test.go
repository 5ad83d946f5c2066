package engine

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const enginePackage = "github.com/ocuroot/terraform-provider-ocuroot/internal/engine"

// TestEngineHasNoTerraformDependency keeps the layering honest: the engine
// and every package below it are the domain and its infrastructure, and
// must build and run without any Terraform package, so they can be driven
// and tested on their own.
func TestEngineHasNoTerraformDependency(t *testing.T) {
	for _, pkg := range enginePackages(t) {
		var offenders []string
		for _, dep := range goList(t, "-deps", pkg) {
			// Any HashiCorp Terraform module: the plugin SDKs, exec, json.
			if strings.HasPrefix(dep, "github.com/hashicorp/terraform") {
				offenders = append(offenders, dep)
			}
		}
		if len(offenders) > 0 {
			t.Errorf("%s depends on Terraform packages: %v", pkg, offenders)
		}
	}
}

// adapterPackages implement the domain's interfaces (HookSender, Checker)
// over HTTP: they import the domain for its types, and the domain reaches
// them only through those interfaces.
var adapterPackages = []string{enginePackage + "/hookhttp"}

// TestInfrastructureDoesNotImportTheDomain: the store backends are the
// infrastructure the domain depends on through the KV contract; importing
// the domain back would tangle the layers. Adapters may import the domain,
// and the test helpers in enginetest serve tests of the domain.
func TestInfrastructureDoesNotImportTheDomain(t *testing.T) {
	for _, pkg := range enginePackages(t) {
		if pkg == enginePackage || pkg == enginePackage+"/enginetest" || slices.Contains(adapterPackages, pkg) {
			continue
		}
		for _, dep := range goList(t, "-deps", pkg) {
			if dep == enginePackage {
				t.Errorf("%s imports the domain package %s", pkg, enginePackage)
			}
		}
	}
}

// TestDomainDoesNotImportAdapters: the engine builds with any HookSender
// and Checker; which ones run is decided by whoever builds the engine (the
// provider).
func TestDomainDoesNotImportAdapters(t *testing.T) {
	for _, dep := range goList(t, "-deps", enginePackage) {
		if slices.Contains(adapterPackages, dep) {
			t.Errorf("the domain package imports the adapter %s", dep)
		}
	}
}

// enginePackages lists the engine and every package below it.
func enginePackages(t *testing.T) []string {
	t.Helper()
	pkgs := goList(t, "./...")
	if len(pkgs) < 2 {
		t.Fatalf("go list ./... found %v; expected the engine and its sub-packages", pkgs)
	}
	return pkgs
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, out)
	}
	return strings.Fields(string(out))
}
