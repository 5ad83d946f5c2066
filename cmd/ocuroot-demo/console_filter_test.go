package main

import (
	"strings"
	"testing"
)

// Terraform output as the demo sees it with -no-color (trimmed).
const plainApply = `
Warning: Provider development overrides are in effect

The following provider development overrides are set in the CLI
configuration:
 - ocuroot/ocuroot in /tmp/ocuroot-demo-1/plugins

The behavior may therefore not match any released version of the provider and
applying changes may cause the state to become incompatible with published
releases.
ocuroot_environment.all["prod0"]: Refreshing state... [id=prod0]
ocuroot_deployment.web: Refreshing state... [id=web/prod1]

Terraform used the selected providers to generate the following execution
plan. Resource actions are indicated with the following symbols:
  ~ update in-place

Terraform will perform the following actions:

  # ocuroot_deployment.web will be updated in-place
  ~ resource "ocuroot_deployment" "web" {
        id                = "web/prod1"
      ~ release           = "web@1" -> "web@2"
      ~ rollout_plan      = "deploy" -> "create green → await promotion → cutover to green"
    }

  # ocuroot_release.web must be replaced
-/+ resource "ocuroot_release" "web" {
      ~ id           = "web@1" -> (known after apply)
    }

Plan: 1 to add, 1 to change, 1 to destroy.

Changes to Outputs:
  ~ deployments     = {
      ~ "web/prod1"   = {
          ~ live_release    = "web@1" -> (known after apply)
        }
    }
ocuroot_deployment.web: Modifying... [id=web/prod1]
ocuroot_deployment.web: Modifications complete after 0s [id=web/prod1]

Warning: Deployment Awaiting Promotion

  with ocuroot_deployment.web,
  on main.tf line 154, in resource "ocuroot_deployment" "web":
 154: resource "ocuroot_deployment" "web" {

web@2 is ready in web/prod1 at 0% traffic and waits for a promotion.

Apply complete! Resources: 1 added, 1 changed, 1 destroyed.

Outputs:

api_graph = <<EOT
graph LR
EOT
`

func filtered(f *consoleFilter, output string) string {
	f.start()
	var shown []string
	for _, line := range strings.Split(strings.TrimPrefix(output, "\n"), "\n") {
		shown = append(shown, f.lines(line)...)
	}
	return strings.Join(shown, "\n")
}

func TestConsoleShowsTheStoryOfAnApply(t *testing.T) {
	var f consoleFilter
	want := `
Warning: Provider development overrides are in effect

The following provider development overrides are set in the CLI
configuration:
 - ocuroot/ocuroot in /tmp/ocuroot-demo-1/plugins

The behavior may therefore not match any released version of the provider and
applying changes may cause the state to become incompatible with published
releases.
  # ocuroot_deployment.web will be updated in-place
      ~ rollout_plan      = "deploy" -> "create green → await promotion → cutover to green"
Plan: 1 to add, 1 to change, 1 to destroy.
ocuroot_deployment.web: Modifying... [id=web/prod1]
ocuroot_deployment.web: Modifications complete after 0s [id=web/prod1]

Warning: Deployment Awaiting Promotion

  with ocuroot_deployment.web,
  on main.tf line 154, in resource "ocuroot_deployment" "web":
 154: resource "ocuroot_deployment" "web" {

web@2 is ready in web/prod1 at 0% traffic and waits for a promotion.


Apply complete! Resources: 1 added, 1 changed, 1 destroyed.`
	if got := filtered(&f, plainApply); got != want {
		t.Errorf("the first command shows\n%s\n\nwant\n%s", got, want)
	}
	second := filtered(&f, plainApply)
	if strings.Contains(second, "overrides") || strings.Contains(second, "ocuroot-demo-1/plugins") {
		t.Errorf("the overrides warning is shown again:\n%s", second)
	}
	if !strings.Contains(second, "\nWarning: Deployment Awaiting Promotion\n") {
		t.Errorf("the second command lost its own warning:\n%s", second)
	}
}

// The same with colors, as terraform writes to a terminal: diagnostics
// are boxed.
func TestConsoleFiltersColoredOutput(t *testing.T) {
	const (
		yellow = "\x1b[33m"
		red    = "\x1b[31m"
		reset  = "\x1b[0m"
		bold   = "\x1b[1m"
	)
	box := func(color, header string, body ...string) string {
		lines := []string{color + "╷" + reset + reset, color + "│" + reset + " " + reset + bold + color + header + reset}
		for _, b := range body {
			lines = append(lines, color+"│"+reset+" "+reset+b)
		}
		return strings.Join(append(lines, color+"╵"+reset+reset), "\n")
	}
	overrides := box(yellow, "Warning: "+reset+reset+bold+"Provider development overrides are in effect", "", "The following provider development overrides are set in the CLI", "releases.")
	failure := box(red, "Error: "+reset+reset+bold+"Deployment Rolled Back", "", "rollout of api@3 to api/prod0 failed at step 2/5 bake 2s")
	output := "\n" + overrides + "\n" +
		reset + bold + `ocuroot_release.api: Refreshing state... [id=api@2]` + reset + "\n" +
		`  ` + yellow + `~` + reset + reset + ` rollout_plan      = "a" -> "b"` + "\n" + // no deployment header before it
		reset + bold + `Plan:` + reset + ` 1 to add, 4 to change, 1 to destroy.` + "\n" +
		reset + bold + `ocuroot_deployment.api_canary["prod0"]: Modifying... [id=api/prod0]` + reset + "\n" +
		failure

	var f consoleFilter
	first := filtered(&f, output)
	want := overrides + "\n" +
		reset + bold + `Plan:` + reset + ` 1 to add, 4 to change, 1 to destroy.` + "\n" +
		reset + bold + `ocuroot_deployment.api_canary["prod0"]: Modifying... [id=api/prod0]` + reset + "\n" +
		failure
	if first != want {
		t.Errorf("the first command shows\n%q\n\nwant\n%q", first, want)
	}
	second := filtered(&f, output)
	if want := strings.TrimPrefix(want, overrides+"\n"); second != want {
		t.Errorf("the second command shows\n%q\n\nwant (no overrides warning)\n%q", second, want)
	}
	if got := stripANSI(failure); !strings.HasPrefix(got, "╷\n│ Error: Deployment Rolled Back\n") {
		t.Errorf("stripANSI left %q", got)
	}
}
