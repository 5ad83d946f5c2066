package hookreceiver_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// guideTemplate is the hook contract guide, whose Go receiver imports this
// package.
const guideTemplate = "../templates/guides/hook-contract.md.tmpl"

// TestGuideReceiverBuilds compiles the guide's Go receiver against this
// package, so the guide cannot fall behind the API. The receiver is built
// as a package of this module through an overlay: nothing is written into
// the source tree.
func TestGuideReceiverBuilds(t *testing.T) {
	code := guideGoReceiver(t)
	if !strings.Contains(code, `"github.com/ocuroot/terraform-provider-ocuroot/hookreceiver"`) {
		t.Fatalf("the guide's Go receiver does not import this package:\n%s", code)
	}
	source := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(source, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	packageDir, err := filepath.Abs("guide_receiver")
	if err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(packageDir, "main.go"): source}})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-overlay", overlayFile, "-o", filepath.Join(t.TempDir(), "receiver"), "./guide_receiver").CombinedOutput(); err != nil {
		t.Fatalf("the guide's Go receiver does not build: %v\n%s\n%s", err, out, code)
	}
}

// guideGoReceiver returns the Go program of the guide's "Verifying a call
// in Go" section.
func guideGoReceiver(t *testing.T) string {
	t.Helper()
	guide, err := os.ReadFile(guideTemplate)
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(guide), "\n## Verifying a call in Go\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, code, fenced := strings.Cut(section, "```go\n")
	code, _, closed := strings.Cut(code, "\n```")
	if !found || !fenced || !closed {
		t.Fatalf("%s has no Go program under \"## Verifying a call in Go\"", guideTemplate)
	}
	return code + "\n"
}
