// Package leasecli is the operator's view of deployment leases, run as
// "terraform-provider-ocuroot lease ...": list who holds which deployment,
// and break the lease of a holder that died, without waiting for it to
// lapse.
package leasecli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
	kvstore "github.com/ocuroot/terraform-provider-ocuroot/internal/engine/store"
)

// Exit codes of Main.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// openTimeout bounds the wait for a store another process has locked.
const openTimeout = 30 * time.Second

const usage = `Usage:
  terraform-provider-ocuroot lease list [-store LOCATION]
  terraform-provider-ocuroot lease break -deployment PACKAGE/ENVIRONMENT -holder "HOLDER" [-store LOCATION]

A lease lets one run at a time work on a deployment (a package in an
environment). The run holding it renews it every few seconds; the lease of a
run that was killed lapses within 20 seconds, and a run on the same machine
takes it over at once when the holder's process is gone.

list shows every deployment lease: its holder, the operation, since when it
is held, when it expires, and whether the holder looks dead. For a holder
that is gone it prints the break command to run.

break deletes one lease, and only if the named holder (exactly as list shows
it) still holds it; a lease renewed or taken by anyone else is left alone.
Break a lease only when its holder is dead: a live holder stops at its next
renewal, half way through its rollout.

The store is -store, else OCUROOT_STORE, else the embedded store under
TF_DATA_DIR (default .terraform): run this from the Terraform working
directory, with the same store setting as the provider.
`

// Main runs the lease command with the arguments after "lease" and returns
// the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return runList(args[1:], stdout, stderr)
	case "break":
		return runBreak(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "unknown lease command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("lease "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // parseFlags prints the usage where it belongs
	store := fs.String("store", "", "store location, as the provider's store argument (default: OCUROOT_STORE, else the embedded store)")
	return fs, store
}

// parseFlags parses a subcommand's flags. It returns false with the exit
// code when the command ends here: -h asked for the usage (on stdout, exit
// 0), or a flag was wrong (its error and the usage on stderr, exit 2).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (bool, int) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return false, exitOK
	case err != nil:
		fmt.Fprintf(stderr, "\n%s", usage)
		return false, exitUsage
	}
	return true, exitOK
}

func runList(args []string, stdout, stderr io.Writer) int {
	fs, storeFlag := newFlagSet("list", stderr)
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lease list takes no arguments, got %q\n\n%s", fs.Args(), usage)
		return exitUsage
	}
	return withEngine(*storeFlag, stderr, func(ctx context.Context, eng *engine.Engine, description string) error {
		leases, err := eng.ListLeases(ctx)
		if err != nil {
			return err
		}
		writeLeases(stdout, description, leases)
		return nil
	})
}

func runBreak(args []string, stdout, stderr io.Writer) int {
	fs, storeFlag := newFlagSet("break", stderr)
	deployment := fs.String("deployment", "", "deployment id, PACKAGE/ENVIRONMENT")
	holder := fs.String("holder", "", "the holder, exactly as lease list shows it")
	if ok, code := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *deployment == "" || *holder == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lease break needs -deployment and -holder (and nothing else)\n\n%s", usage)
		return exitUsage
	}
	return withEngine(*storeFlag, stderr, func(ctx context.Context, eng *engine.Engine, description string) error {
		if err := eng.BreakLease(ctx, *deployment, *holder); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Broke the lease of %s held by %s (%s). The next apply can take it.\n", *deployment, *holder, description)
		return nil
	})
}

// withEngine runs fn on an engine over the store the provider would use,
// and turns its error into the exit code.
func withEngine(location string, stderr io.Writer, fn func(context.Context, *engine.Engine, string) error) int {
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	eng, description, closeStore, err := openEngine(ctx, location)
	if err == nil {
		defer closeStore()
		err = fn(ctx, eng, description)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return exitError
	}
	return exitOK
}

// openEngine opens the store the provider would use and an engine on it.
// The embedded store must exist already: run from the wrong directory,
// opening it would create an empty one and report no leases.
func openEngine(ctx context.Context, location string) (*engine.Engine, string, func(), error) {
	if location == "" {
		location = os.Getenv("OCUROOT_STORE")
	}
	kv, description, err := kvstore.OpenKV(ctx, location, os.Getenv("TF_DATA_DIR"))
	if err != nil {
		return nil, "", nil, err
	}
	closeStore := func() { _ = kv.Close() }
	if bolt, ok := kv.(*kvstore.BoltKV); ok {
		if _, err := os.Stat(bolt.Path()); errors.Is(err, fs.ErrNotExist) {
			closeStore()
			return nil, "", nil, fmt.Errorf("no embedded store at %s: run this from the Terraform working directory, "+
				"with TF_DATA_DIR as Terraform has it, or pass -store", bolt.Path())
		}
	}
	return engine.New(engine.Options{Store: records.NewStore(kv)}), description, closeStore, nil
}
