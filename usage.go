package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

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
