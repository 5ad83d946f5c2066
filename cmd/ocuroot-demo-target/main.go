// Command ocuroot-demo-target serves the demo target service: the stand-in
// for the software the quick-start deploys. It receives the provider's hooks,
// answers health and metric checks, and exposes a control API for fault
// injection (see package internal/demotarget for the URL layout).
//
//	ocuroot-demo-target -listen 127.0.0.1:0 -addr-file /tmp/target.addr
//
// The hook secret comes from -secret or, better (it stays out of the process
// list), from OCUROOT_HOOK_SECRET.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/demotarget"
)

// shutdownGrace bounds how long in-flight requests may finish on exit.
const shutdownGrace = 5 * time.Second

func main() {
	logger := log.New(os.Stderr, "ocuroot-demo-target: ", log.LstdFlags)
	if err := run(os.Args[1:], logger); err != nil {
		logger.Print(err)
		os.Exit(1)
	}
}

func run(args []string, logger *log.Logger) error {
	flags := flag.NewFlagSet("ocuroot-demo-target", flag.ContinueOnError)
	listen := flags.String("listen", "127.0.0.1:0", "address to listen on; port 0 picks a free port")
	secret := flags.String("secret", "", "HMAC secret hooks must be signed with (default $OCUROOT_HOOK_SECRET; empty: no verification)")
	addrFile := flags.String("addr-file", "", "write the actual host:port here once listening")
	tolerance := flags.Duration("signature-tolerance", 5*time.Minute, "how far a hook's timestamp may be from now; 0 disables the check")
	strict := flags.Bool("strict", false, "refuse hooks that do not fit the service model (409), and probes of versions no slot runs (404)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		*secret = os.Getenv("OCUROOT_HOOK_SECRET")
	}

	target := demotarget.New(demotarget.Options{
		Secret:             *secret,
		SignatureTolerance: *tolerance,
		Strict:             *strict,
		OnCall:             func(c demotarget.Call) { logger.Print(describeCall(c)) },
	})

	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	addr := listener.Addr().String()
	if *addrFile != "" {
		if err := writeAddrFile(*addrFile, addr); err != nil {
			_ = listener.Close()
			return err
		}
	}
	logger.Printf("listening on http://%s (hooks: POST /hooks, signature verification %s)", addr, onOff(*secret != ""))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	server := &http.Server{Handler: target.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Print("shutting down")
	// Hung hook calls (an injected hang) would hold Shutdown until its deadline.
	target.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// writeAddrFile writes addr atomically, so a script polling for the file
// never reads half an address.
func writeAddrFile(path, addr string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".addr-*")
	if err != nil {
		return fmt.Errorf("writing -addr-file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(addr + "\n"); err != nil {
		return fmt.Errorf("writing -addr-file: %w", errors.Join(err, tmp.Close()))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing -addr-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing -addr-file: %w", err)
	}
	return nil
}

// describeCall renders a hook call on one line. It never includes the
// signature or any header value.
func describeCall(c demotarget.Call) string {
	ev := c.Event
	line := fmt.Sprintf("hook %-13s env=%s pkg=%s release=%s weight=%d slot=%s attempt=%d delivery=%d -> %s",
		orDash(ev.Type), orDash(ev.Environment), orDash(ev.Package), orDash(ev.Release),
		ev.Weight, orDash(ev.Slot), ev.Attempt, c.DeliveryAttempt, statusText(c.Status))
	switch {
	case c.Rejected:
		line += " REJECTED: " + c.RejectReason
	case c.Duplicate:
		line += " (duplicate, ignored)"
	case c.Injected:
		line += " (injected fault)"
	}
	if c.Anomaly != "" {
		line += " ANOMALY: " + c.Anomaly
	}
	return line
}

func statusText(status int) string {
	if status == 0 {
		return "held (injected hang)"
	}
	return fmt.Sprintf("%d", status)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
