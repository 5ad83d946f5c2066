// Command terraform-provider-ocuroot serves the ocuroot Terraform provider.
package main

import (
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/leasecli"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/provider"
)

// Format the example configurations, then render docs/ from the provider
// schema, templates/ and examples/. Both use the terraform binary on PATH.
//go:generate terraform fmt -recursive ./examples/
//go:generate go tool tfplugindocs generate --provider-name ocuroot

// registryAddress is the provider's source address; Terraform configurations
// and dev_overrides refer to it.
const registryAddress = "registry.terraform.io/ocuroot/ocuroot"

var (
	// version is set at build time by goreleaser (-X main.version=...).
	version = "dev"

	// commit is the git commit the release was built from, set by goreleaser.
	commit = ""
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "lease" {
		os.Exit(leasecli.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	opts, done, code := parseServeArgs(os.Args[1:], os.Stdout, os.Stderr) // usage.go
	if done {
		os.Exit(code)
	}
	debug := opts.debug

	var serveOpts []tf6server.ServeOpt
	if debug {
		serveOpts = append(serveOpts, tf6server.WithManagedDebug())
	}

	// SIGTERM and SIGINT (CI cancellation, `timeout`, Terraform Cloud signal
	// the whole process group) and a vanished terraform cancel the rollouts
	// in flight as an interrupt would, instead of killing the process
	// mid-rollout. A debug server's lifetime belongs to the debugger.
	shutdown := provider.NewShutdown()
	if !debug {
		// No timestamp: terraform reads the [LEVEL] prefix at the start of a line.
		watchTermination(shutdown, log.New(os.Stderr, "", 0).Printf)
	}

	defer startProfiles()()  // developer aid: OCUROOT_PROFILE_DIR (profile.go)
	applyGCPolicy(os.Getenv) // gc_policy.go
	if !debug {
		silenceUnreadLogs() // a debugger's console shows every log line (unread_logs.go)
	}
	factory := provider.NewWithOptions(provider.Options{Version: version, Shutdown: shutdown})
	server := provider.NewProtocolServer(factory()) // the framework's server, lean per request
	if err := tf6server.Serve(registryAddress, server, serveOpts...); err != nil {
		log.Fatalf("serving provider %s %s (commit %q): %s", registryAddress, version, commit, err)
	}
}
