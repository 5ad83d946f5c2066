package main

import (
	"bytes"
	"strings"
	"testing"
)

func parse(args ...string) (opts serveOptions, done bool, code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	opts, done, code = parseServeArgs(args, &out, &errOut)
	return opts, done, code, out.String(), errOut.String()
}

// TestHelpListsTheSubcommands: -h prints, on stdout and with exit 0, the
// serving command with -debug and the two lease commands.
func TestHelpListsTheSubcommands(t *testing.T) {
	for _, flag := range []string{"-h", "-help", "--help"} {
		_, done, code, out, errOut := parse(flag)
		if !done || code != 0 || errOut != "" {
			t.Errorf("%s: done %v, exit %d, stderr %q", flag, done, code, errOut)
		}
		for _, want := range []string{
			"terraform-provider-ocuroot [-debug]",
			"Serve the provider. Terraform starts it; run it by hand only with\n      -debug, to attach a debugger",
			"terraform-provider-ocuroot lease list [-store LOCATION]",
			`terraform-provider-ocuroot lease break -deployment PACKAGE/ENVIRONMENT -holder "HOLDER" [-store LOCATION]`,
			"Free the lease of a run that died",
			`"terraform-provider-ocuroot lease -h" explains them`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the usage lacks %q:\n%s", flag, want, out)
			}
		}
	}
}

func TestServeArguments(t *testing.T) {
	if opts, done, _, _, _ := parse(); done || opts.debug {
		t.Errorf("no arguments (as Terraform starts it): done %v, debug %v; want to serve without debug", done, opts.debug)
	}
	if opts, done, _, _, _ := parse("-debug"); done || !opts.debug {
		t.Errorf("-debug: done %v, debug %v; want to serve with debug", done, opts.debug)
	}
	for args, want := range map[string]string{
		"-verbose": "flag provided but not defined: -verbose",
		"leases":   `unknown command "leases"`,
	} {
		_, done, code, out, errOut := parse(args)
		if !done || code != 2 || out != "" || !strings.HasPrefix(errOut, want+"\n\nUsage:\n") {
			t.Errorf("%s: done %v, exit %d, stdout %q, stderr %q; want exit 2 and %q, then the usage", args, done, code, out, errOut, want)
		}
	}
}
