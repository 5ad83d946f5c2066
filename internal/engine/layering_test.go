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

// adapterPackages implement the model's interfaces (HookSender, Checker,
// Querier) over HTTP: they import the model for its types, and the layers
// reach them only through those interfaces.
var adapterPackages = []string{enginePackage + "/hookhttp", enginePackage + "/promquery"}

// engineLayers are the engine's layers, bottom to top. Each may import the
// layers below it and none above: the model knows nothing of storage, the
// typed store nothing of leases, gates or rollouts, and only the
// operations at the top (the engine package itself) put them together.
var engineLayers = []string{
	enginePackage + "/domain",  // ids, specs, records, events
	enginePackage + "/records", // the typed store of the records over a KV
	enginePackage + "/lease",   // one run at a time per deployment
	enginePackage + "/gate",    // phase gating of releases
	enginePackage + "/rollout", // the state machine and its strategies
	enginePackage,              // the operations Engine offers
}

// TestEngineLayersImportOnlyDownward enforces the order of engineLayers
// on the packages' direct imports.
func TestEngineLayersImportOnlyDownward(t *testing.T) {
	listed := enginePackages(t)
	for level, pkg := range engineLayers {
		if !slices.Contains(listed, pkg) {
			t.Fatalf("layer %s is not among the engine's packages %v", pkg, listed)
		}
		for _, dep := range goList(t, "-f", "{{join .Imports \" \"}}", pkg) {
			if at := slices.Index(engineLayers, dep); at >= level {
				t.Errorf("%s (layer %d) imports %s (layer %d): a layer may only import the layers below it", pkg, level, dep, at)
			}
		}
	}
}

// TestInfrastructureDoesNotImportTheLayers: the store backends are the
// infrastructure the layers depend on through the KV contract; importing
// a layer back would tangle them. Adapters may import the model, and the
// test helpers in enginetest serve tests of the engine.
func TestInfrastructureDoesNotImportTheLayers(t *testing.T) {
	for _, pkg := range enginePackages(t) {
		if slices.Contains(engineLayers, pkg) || pkg == enginePackage+"/enginetest" || slices.Contains(adapterPackages, pkg) {
			continue
		}
		for _, dep := range goList(t, "-deps", pkg) {
			if slices.Contains(engineLayers, dep) {
				t.Errorf("%s imports the engine layer %s", pkg, dep)
			}
		}
	}
}

// TestLayersDoNotImportAdapters: the engine builds with any HookSender,
// Checker and Querier; which ones run is decided by whoever builds the
// engine (the provider).
func TestLayersDoNotImportAdapters(t *testing.T) {
	for _, layer := range engineLayers {
		for _, dep := range goList(t, "-deps", layer) {
			if slices.Contains(adapterPackages, dep) {
				t.Errorf("the layer %s imports the adapter %s", layer, dep)
			}
		}
	}
}

// TestEngineRootStaysSmall: the root package holds the operations only;
// what they are built from lives in the layers below.
func TestEngineRootStaysSmall(t *testing.T) {
	files := goList(t, "-f", "{{join .GoFiles \" \"}}", enginePackage)
	if len(files) > 20 {
		t.Errorf("the engine package has %d non-test files, more than 20: %v; move what is not an operation into its layer", len(files), files)
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
