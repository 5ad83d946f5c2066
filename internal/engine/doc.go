// Package engine is the release engine behind the ocuroot Terraform provider:
// the operations it offers (Deploy, Promote, Teardown, RollbackNow, Refresh,
// environments, releases, approvals, listing, history, leases), each built
// from the layers below it.
//
// It knows nothing of Terraform and can be driven and tested on its own. Its
// layers, bottom to top, each importing only those below it
// (layering_test.go):
//
//   - domain: the model (ids, specs, records, events) and the interfaces the
//     adapters implement;
//   - records: the typed store of the records over the KV contract;
//   - lease: one run at a time per deployment;
//   - gate: phase gating of releases;
//   - rollout: the state machine and its strategies;
//   - engine (this package): the operations.
//
// The store backends (store) and the HTTP and PromQL adapters (hookhttp,
// promquery) sit beside them, behind the KV, HookSender, Checker and Querier
// interfaces. The provider package maps Terraform CRUD onto this API.
//
// Data flows one way: a request from the provider is resolved once
// (domain.Resolve), becomes a rollout plan (a list of steps), the state
// machine walks the plan step by step, persisting the step index before each
// side effect is acknowledged, and the resulting deployment record is handed
// back to the provider.
package engine
