package provider

import (
	"context"
	"sync/atomic"
	"time"
)

// requestContext is the context the framework is given for one RPC. While
// the RPC runs it is the request's own context: same values (loggers,
// request id), same cancellation, same deadline. When the RPC returns,
// release cuts it loose from the request, so that anything that keeps a
// reference to it keeps only this small wrapper instead of the request's
// whole context chain.
//
// Why: terraform-plugin-framework's protocol server derives a cancelable
// context for every RPC and keeps its cancel function until StopProvider,
// which Terraform sends only when it interrupts a run. Each kept function
// holds that request's context, and through it the terraform-plugin-log
// loggers and the gRPC stream: about 25 KB per RPC, over 100 MB on a
// 1,000-deployment plan.
type requestContext struct {
	current atomic.Pointer[contextRef]
}

// contextRef boxes a context so it can be swapped atomically.
type contextRef struct{ context.Context }

// endedRequest stands in for a request's context after its RPC returned:
// canceled, as the request's own context is by then, and without values.
var endedRequest = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func newRequestContext(request context.Context) *requestContext {
	c := &requestContext{}
	c.current.Store(&contextRef{request})
	return c
}

// release lets go of the request's context. Call it once the RPC returned.
func (c *requestContext) release() { c.current.Store(&contextRef{endedRequest}) }

func (c *requestContext) Deadline() (time.Time, bool) { return c.current.Load().Deadline() }
func (c *requestContext) Done() <-chan struct{}       { return c.current.Load().Done() }
func (c *requestContext) Err() error                  { return c.current.Load().Err() }
func (c *requestContext) Value(key any) any           { return c.current.Load().Value(key) }

// withReleasedContext runs one RPC with a requestContext and releases it when
// the RPC returns. Only for RPCs whose work is over when they return: a
// streaming RPC keeps using its context after that.
func withReleasedContext[Req, Resp any](ctx context.Context, req Req, rpc func(context.Context, Req) (Resp, error)) (Resp, error) {
	scoped := newRequestContext(ctx)
	defer scoped.release()
	return rpc(scoped, req)
}
