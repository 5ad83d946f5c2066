package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewProtocolServer returns the factory of the protocol 6 server for p: the
// framework's server, with every RPC Terraform sends once per resource,
// data source or action given a context it lets go of when the RPC returns
// (requestContext says why). main serves it, and the acceptance tests use
// it, so they test what users run.
func NewProtocolServer(p provider.Provider) func() tfprotov6.ProviderServer {
	newFrameworkServer := providerserver.NewProtocol6(p)
	return func() tfprotov6.ProviderServer {
		server := newFrameworkServer()
		full, ok := server.(frameworkServer)
		if !ok {
			// A framework release without one of these services is served
			// as it is: everything works, only without the memory saving.
			return server
		}
		return contextReleasingServer{full}
	}
}

// frameworkServer is everything the framework's protocol 6 server serves.
// Embedding all of it keeps the services terraform-plugin-go discovers by
// type assertion (list resources, actions, state stores): they are not yet
// part of ProviderServer, so each is named here.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

// contextReleasingServer passes every RPC to the framework. The ones below,
// whose number grows with the configuration and whose work ends when they
// return, run on a released context. The others are once per run
// (schema, provider configuration, stop) or stream after they return
// (InvokeAction, ListResource, state bytes) and keep the request's context.
type contextReleasingServer struct {
	frameworkServer
}

func (s contextReleasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ValidateResourceConfig)
}

func (s contextReleasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.UpgradeResourceState)
}

func (s contextReleasingServer) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.UpgradeResourceIdentity)
}

func (s contextReleasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ReadResource)
}

func (s contextReleasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.PlanResourceChange)
}

func (s contextReleasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ApplyResourceChange)
}

func (s contextReleasingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ImportResourceState)
}

func (s contextReleasingServer) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.MoveResourceState)
}

func (s contextReleasingServer) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.GenerateResourceConfig)
}

func (s contextReleasingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ValidateDataResourceConfig)
}

func (s contextReleasingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ReadDataSource)
}

func (s contextReleasingServer) ValidateActionConfig(ctx context.Context, req *tfprotov6.ValidateActionConfigRequest) (*tfprotov6.ValidateActionConfigResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ValidateActionConfig)
}

func (s contextReleasingServer) PlanAction(ctx context.Context, req *tfprotov6.PlanActionRequest) (*tfprotov6.PlanActionResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.PlanAction)
}

func (s contextReleasingServer) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ValidateListResourceConfig)
}

func (s contextReleasingServer) ValidateEphemeralResourceConfig(ctx context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.ValidateEphemeralResourceConfig)
}

func (s contextReleasingServer) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.OpenEphemeralResource)
}

func (s contextReleasingServer) RenewEphemeralResource(ctx context.Context, req *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.RenewEphemeralResource)
}

func (s contextReleasingServer) CloseEphemeralResource(ctx context.Context, req *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.CloseEphemeralResource)
}

func (s contextReleasingServer) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return withReleasedContext(ctx, req, s.frameworkServer.CallFunction)
}
