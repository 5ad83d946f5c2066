package provider

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// Terraform's conversation with the provider, recorded once from a real
// terraform run and played back many times without terraform: a fault
// test can then fail the store at every one of its operations in turn and
// still drive the provider with exactly the requests terraform sends, in
// the order it sent them, for a few milliseconds a run.

// rpcCall is one request terraform sent, to the provider process server.
type rpcCall struct {
	server int // which provider process: terraform starts one per command
	method string
	req    any
}

func (c rpcCall) String() string {
	return fmt.Sprintf("process %d %s %s", c.server, c.method, rpcTypeName(c.req))
}

// rpcTypeName names the resource or data source a request is about.
func rpcTypeName(req any) string {
	switch r := req.(type) {
	case *tfprotov6.ReadResourceRequest:
		return r.TypeName
	case *tfprotov6.PlanResourceChangeRequest:
		return r.TypeName
	case *tfprotov6.ApplyResourceChangeRequest:
		return r.TypeName
	case *tfprotov6.ImportResourceStateRequest:
		return r.TypeName
	case *tfprotov6.ReadDataSourceRequest:
		return r.TypeName
	}
	return ""
}

// rpcRecorder keeps the requests that can reach the store, grouped by
// segment (a test step: mark starts the next one).
type rpcRecorder struct {
	mu       sync.Mutex
	servers  int
	segments map[string][]rpcCall
	current  string
}

func newRPCRecorder() *rpcRecorder { return &rpcRecorder{segments: map[string][]rpcCall{}} }

// mark starts a new segment: the requests from now on are recorded under name.
func (r *rpcRecorder) mark(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current = name
}

func (r *rpcRecorder) segment(name string) []rpcCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rpcCall(nil), r.segments[name]...)
}

func (r *rpcRecorder) record(server int, method string, req any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.segments[r.current] = append(r.segments[r.current], rpcCall{server: server, method: method, req: req})
}

// factory wraps a provider server factory so that every server it makes
// records its requests.
func (r *rpcRecorder) factory(newServer func() tfprotov6.ProviderServer) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		r.mu.Lock()
		r.servers++
		id := r.servers
		r.mu.Unlock()
		return observedServer{ProviderServer: newServer(), observe: func(method string, req any) func() {
			r.record(id, method, req)
			return func() {}
		}}, nil
	}
}

// observedServer tells observe about every request that can reach the
// store before answering it, and calls the function observe returns once
// it has answered.
type observedServer struct {
	tfprotov6.ProviderServer
	observe func(method string, req any) (answered func())
}

func (s observedServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	defer s.observe("ConfigureProvider", req)()
	return s.ProviderServer.ConfigureProvider(ctx, req)
}

func (s observedServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	defer s.observe("ReadResource", req)()
	return s.ProviderServer.ReadResource(ctx, req)
}

func (s observedServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	defer s.observe("PlanResourceChange", req)()
	return s.ProviderServer.PlanResourceChange(ctx, req)
}

func (s observedServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	defer s.observe("ApplyResourceChange", req)()
	return s.ProviderServer.ApplyResourceChange(ctx, req)
}

func (s observedServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	defer s.observe("ImportResourceState", req)()
	return s.ProviderServer.ImportResourceState(ctx, req)
}

func (s observedServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	defer s.observe("ReadDataSource", req)()
	return s.ProviderServer.ReadDataSource(ctx, req)
}

// replayOutcome is what a played-back conversation produced.
type replayOutcome struct {
	// diagnostics of every response, in order, each with the call it
	// answered.
	diagnostics []replayDiagnostic
	// stoppedAt is the index of the call whose response held an error
	// (terraform stops there); -1 when none did.
	stoppedAt int
	// panicked is what a call panicked with, with its stack; "" if none.
	panicked string
}

type replayDiagnostic struct {
	call rpcCall
	*tfprotov6.Diagnostic
}

// replay sends calls[from:] to fresh provider servers from newServer, one
// per recorded provider process, each configured with its process's
// ConfigureProvider request first. It stops at the first response that
// holds an error, as terraform does, and turns a panic into an outcome
// (terraform would report "Plugin did not respond"). onCall, when set, is
// told the index of each call before it is sent.
func replay(calls []rpcCall, from int, newServer func() tfprotov6.ProviderServer, onCall func(i int)) (out replayOutcome) {
	out.stoppedAt = -1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var server tfprotov6.ProviderServer
	serverID := 0
	i := from
	defer func() {
		if p := recover(); p != nil {
			out.panicked = fmt.Sprintf("%v at %s\n%s", p, calls[i], debug.Stack())
		}
	}()
	for ; i < len(calls); i++ {
		call := calls[i]
		if onCall != nil {
			onCall(i)
		}
		if server == nil || call.server != serverID {
			server, serverID = newServer(), call.server
			if call.method != "ConfigureProvider" {
				if configure, ok := configureCallOf(calls, call.server); ok {
					if _, err := server.ConfigureProvider(ctx, configure.req.(*tfprotov6.ConfigureProviderRequest)); err != nil {
						out.panicked = fmt.Sprintf("configure for %s: %v", call, err)
						return out
					}
				}
			}
		}
		diags, err := send(ctx, server, call)
		if err != nil {
			diags = append(diags, &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: "RPC error", Detail: err.Error()})
		}
		failed := false
		for _, d := range diags {
			out.diagnostics = append(out.diagnostics, replayDiagnostic{call: call, Diagnostic: d})
			failed = failed || d.Severity == tfprotov6.DiagnosticSeverityError
		}
		if failed {
			out.stoppedAt = i
			return out
		}
	}
	return out
}

// configureCallOf finds the ConfigureProvider request of a provider process.
func configureCallOf(calls []rpcCall, server int) (rpcCall, bool) {
	for _, c := range calls {
		if c.server == server && c.method == "ConfigureProvider" {
			return c, true
		}
	}
	return rpcCall{}, false
}

// send passes one recorded request to server and returns its diagnostics.
func send(ctx context.Context, server tfprotov6.ProviderServer, call rpcCall) ([]*tfprotov6.Diagnostic, error) {
	switch req := call.req.(type) {
	case *tfprotov6.ConfigureProviderRequest:
		resp, err := server.ConfigureProvider(ctx, req)
		return diagnosticsOf(resp, err, func() []*tfprotov6.Diagnostic { return resp.Diagnostics })
	case *tfprotov6.ReadResourceRequest:
		resp, err := server.ReadResource(ctx, req)
		return diagnosticsOf(resp, err, func() []*tfprotov6.Diagnostic { return resp.Diagnostics })
	case *tfprotov6.PlanResourceChangeRequest:
		resp, err := server.PlanResourceChange(ctx, req)
		return diagnosticsOf(resp, err, func() []*tfprotov6.Diagnostic { return resp.Diagnostics })
	case *tfprotov6.ApplyResourceChangeRequest:
		resp, err := server.ApplyResourceChange(ctx, req)
		return diagnosticsOf(resp, err, func() []*tfprotov6.Diagnostic { return resp.Diagnostics })
	case *tfprotov6.ImportResourceStateRequest:
		resp, err := server.ImportResourceState(ctx, req)
		return diagnosticsOf(resp, err, func() []*tfprotov6.Diagnostic { return resp.Diagnostics })
	case *tfprotov6.ReadDataSourceRequest:
		resp, err := server.ReadDataSource(ctx, req)
		return diagnosticsOf(resp, err, func() []*tfprotov6.Diagnostic { return resp.Diagnostics })
	}
	return nil, fmt.Errorf("replay: no way to send %T", call.req)
}

func diagnosticsOf[T any](resp *T, err error, diags func() []*tfprotov6.Diagnostic) ([]*tfprotov6.Diagnostic, error) {
	if err != nil || resp == nil {
		return nil, err
	}
	return diags(), nil
}
