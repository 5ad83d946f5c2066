package provider

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

type requestKey struct{}

func TestRequestContextIsTheRequestUntilReleased(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	request, cancelRequest := context.WithDeadline(context.WithValue(context.Background(), requestKey{}, "req-1"), deadline)
	defer cancelRequest()

	scoped := newRequestContext(request)
	// The framework derives a cancelable context from what it is given.
	derived, cancelDerived := context.WithCancel(scoped)
	defer cancelDerived()

	if got := derived.Value(requestKey{}); got != "req-1" {
		t.Fatalf("value through the request context = %v, want req-1", got)
	}
	if got, ok := derived.Deadline(); !ok || !got.Equal(deadline) {
		t.Fatalf("deadline = %v %v, want %v", got, ok, deadline)
	}
	if derived.Err() != nil {
		t.Fatalf("derived context is done before the request is: %v", derived.Err())
	}

	// Terraform's Stop (or the end of the gRPC stream) cancels the request:
	// work running on the derived context must see it.
	cancelRequest()
	select {
	case <-derived.Done():
	case <-time.After(time.Minute):
		t.Fatal("canceling the request did not reach the context the framework derived")
	}
	if !errors.Is(derived.Err(), context.Canceled) {
		t.Fatalf("derived.Err() = %v, want context.Canceled", derived.Err())
	}
}

func TestRequestContextAfterReleaseIsEndedAndEmpty(t *testing.T) {
	request := context.WithValue(context.Background(), requestKey{}, "req-1")
	scoped := newRequestContext(request)
	scoped.release()

	if got := scoped.Value(requestKey{}); got != nil {
		t.Errorf("released context still answers request values: %v", got)
	}
	if !errors.Is(scoped.Err(), context.Canceled) {
		t.Errorf("released context Err() = %v, want context.Canceled", scoped.Err())
	}
	select {
	case <-scoped.Done():
	default:
		t.Error("released context is not done")
	}
}

// requestTracker hands out request contexts, each carrying a value whose
// collection it counts, to prove that nothing keeps a request alive.
type requestTracker struct {
	issued, collected atomic.Int64
}

// requestPayload is sized to get an allocation of its own: the runtime
// packs small pointer-free objects together, and AddCleanup may then never
// run for one of them.
type requestPayload struct{ _ [4096]byte }

func (tr *requestTracker) request() (context.Context, context.CancelFunc) {
	payload := &requestPayload{}
	runtime.AddCleanup(payload, func(*atomic.Int64) { tr.collected.Add(1) }, &tr.collected)
	tr.issued.Add(1)
	return context.WithCancel(context.WithValue(context.Background(), requestKey{}, payload))
}

// collectedAfterGC runs the garbage collector until every issued request is
// collected or the collector has had ample chances; it returns how many are.
func (tr *requestTracker) collectedAfterGC() int64 {
	for range 50 {
		runtime.GC()
		if tr.collected.Load() == tr.issued.Load() {
			break
		}
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	return tr.collected.Load()
}

func TestRequestContextReleaseLetsTheRequestBeCollected(t *testing.T) {
	var tracker requestTracker
	// What the framework does with every RPC's context: derive a
	// cancelable one and keep its cancel function until StopProvider.
	var kept []context.CancelFunc
	for range 20 {
		request, endStream := tracker.request()
		scoped := newRequestContext(request)
		_, cancel := context.WithCancel(scoped)
		kept = append(kept, cancel)
		endStream() // gRPC cancels the stream's context when the RPC ends
		scoped.release()
	}
	if got := tracker.collectedAfterGC(); got != tracker.issued.Load() {
		t.Fatalf("%d of %d released requests are still reachable from the kept cancel functions", tracker.issued.Load()-got, tracker.issued.Load())
	}
	runtime.KeepAlive(kept)
}

// The framework's server, as NewProtocolServer wraps it, keeps no request
// alive after its RPC returns; the bare framework server keeps every one.
// When the second half fails, a framework release has stopped keeping
// request contexts, and contextReleasingServer can go.
func TestProtocolServerKeepsNoRequestAfterItsRPC(t *testing.T) {
	const rpcs = 30
	call := func(server tfprotov6.ProviderServer, tracker *requestTracker) {
		for range rpcs {
			ctx, endStream := tracker.request()
			// An unknown type: the framework answers at once with an error
			// diagnostic, after it has registered the request's context.
			resp, err := server.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "ocuroot_no_such_type"})
			if err != nil || resp == nil || len(resp.Diagnostics) == 0 {
				t.Fatalf("ValidateResourceConfig of an unknown type = %v, %v; want an error diagnostic", resp, err)
			}
			endStream()
		}
	}

	server := NewProtocolServer(New("test")())()
	if _, ok := server.(contextReleasingServer); !ok {
		t.Fatalf("NewProtocolServer served %T, want contextReleasingServer", server)
	}
	if _, ok := server.(tfprotov6.ActionServer); !ok {
		t.Fatal("the wrapped server lost the framework's action service")
	}
	var wrapped requestTracker
	call(server, &wrapped)
	if got := wrapped.collectedAfterGC(); got != rpcs {
		t.Errorf("NewProtocolServer: %d of %d requests still reachable after their RPCs returned", rpcs-got, rpcs)
	}

	bare := server.(contextReleasingServer).frameworkServer
	var unwrapped requestTracker
	call(bare, &unwrapped)
	if got := unwrapped.collectedAfterGC(); got == rpcs {
		t.Errorf("the bare framework server no longer keeps request contexts (all %d collected): contextReleasingServer is no longer needed", rpcs)
	}
	runtime.KeepAlive(server)
	runtime.KeepAlive(bare)
}
