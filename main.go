// Command terraform-provider-ocuroot serves the ocuroot Terraform provider.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/leasecli"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/provider"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/serve"
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
	opts, done, code := parseServeArgs(os.Args[1:], os.Stdout, os.Stderr)
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
		serve.WatchTermination(shutdown, log.New(os.Stderr, "", 0).Printf)
	}

	defer serve.StartProfiles()() // developer aid: OCUROOT_PROFILE_DIR
	serve.ApplyGCPolicy(os.Getenv)
	if !debug {
		serve.SilenceUnreadLogs() // a debugger's console shows every log line
	}
	factory := provider.NewWithOptions(provider.Options{Version: version, Shutdown: shutdown})
	server := provider.NewProtocolServer(factory()) // the framework's server, lean per request
	if err := tf6server.Serve(registryAddress, server, serveOpts...); err != nil {
		log.Fatalf("serving provider %s %s (commit %q): %s", registryAddress, version, commit, err)
	}
}

// usage is what -h prints: Terraform starts the binary without arguments,
// so a person who runs it by hand is looking for the operator commands.
const usage = `Usage:
  terraform-provider-ocuroot [-debug]
      Serve the provider. Terraform starts it; run it by hand only with
      -debug, to attach a debugger, then set TF_REATTACH_PROVIDERS as it
      prints.
  terraform-provider-ocuroot lease list [-store LOCATION]
      Show which run holds the lease of each deployment, and whether that
      run is gone.
  terraform-provider-ocuroot lease break -deployment PACKAGE/ENVIRONMENT -holder "HOLDER" [-store LOCATION]
      Free the lease of a run that died, without waiting for it to lapse.

Run the lease commands from the Terraform working directory with the
provider's store setting; "terraform-provider-ocuroot lease -h" explains them.
`

// serveOptions are the flags of the serving command.
type serveOptions struct {
	debug bool
}

// parseServeArgs reads the arguments of the serving command. done is true
// when the process should exit with code instead of serving: after -h (the
// usage on stdout, code 0) or a mistake (the usage on stderr, code 2).
func parseServeArgs(args []string, stdout, stderr io.Writer) (opts serveOptions, done bool, code int) {
	fs := flag.NewFlagSet("terraform-provider-ocuroot", flag.ContinueOnError)
	fs.BoolVar(&opts.debug, "debug", false, "run the provider with support for debuggers like delve")
	fs.SetOutput(io.Discard) // the usage above describes every flag
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return opts, true, 0
	case err != nil:
		fmt.Fprintf(stderr, "%s\n\n%s", err, usage)
		return opts, true, 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", fs.Arg(0), usage)
		return opts, true, 2
	}
	return opts, false, 0
}
