package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
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
var adapterPackages = []string{enginePackage + "/hookhttp", enginePackage + "/promquery"}

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

// hookReceiverPackage is the public hook wire contract: the engine and its
// sender take the event and the signature from it, and receivers outside
// this module import it.
const hookReceiverPackage = "github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"

// TestHookReceiverNeedsOnlyTheStandardLibrary: a receiver that imports the
// hook contract must not pull in the engine, Terraform or any other module;
// and so the engine can import it without a cycle.
func TestHookReceiverNeedsOnlyTheStandardLibrary(t *testing.T) {
	deps := goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", hookReceiverPackage)
	if !slices.Equal(deps, []string{hookReceiverPackage}) {
		t.Errorf("%s depends on %v; it may use the standard library only", hookReceiverPackage, deps)
	}
}

// The engine's Event is the public one, not a copy that could drift: this
// only compiles while engine.Event is an alias of hookreceiver.Event.
var _ hookreceiver.Event = domain.Event{}

// terraformNamesAllowed are the string literals below internal/engine that
// may hold "ocuroot_" because it is not a Terraform resource type there:
// the PostgreSQL table, index and sequence of the store, and the schemas
// and database the PostgreSQL test harness creates. Each is removed from a
// literal of its file before the check, so Terraform advice added next to
// them is still caught.
var terraformNamesAllowed = map[string][]string{
	"store/postgres.go":      {"ocuroot_records", "ocuroot_revisions"},
	"enginetest/postgres.go": {"ocuroot_test"},
}

// TestEngineTextNamesNoTerraformResource: engine messages speak of
// releases, phases, environments and deployments; the provider adds the
// Terraform wording (internal/provider/engine_errors.go). A resource type
// such as ocuroot_promotion in an engine string literal means Terraform
// advice crept back below the provider.
func TestEngineTextNamesNoTerraformResource(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		allowed := terraformNamesAllowed[filepath.ToSlash(path)]
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("%s: unquoting %s: %v", fset.Position(lit.Pos()), lit.Value, err)
				return true
			}
			for _, name := range allowed {
				text = strings.ReplaceAll(text, name, "")
			}
			if strings.Contains(text, "ocuroot_") {
				t.Errorf("%s: string literal names a Terraform resource type: %s", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d engine source files; expected the engine and its sub-packages", checked)
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
