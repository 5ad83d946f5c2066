// Package engine is the release engine behind the ocuroot Terraform provider.
//
// It knows nothing of Terraform: environments, releases with ordered phases,
// deployments rolled out by a strategy (direct, canary, blue-green), hooks,
// checks, leases and the store all live here and can be driven and tested on
// their own. The store backends (store) and the HTTP hooks and checks
// (hookhttp) sit in sub-packages behind the KV, HookSender and Checker
// interfaces. The provider package maps Terraform CRUD onto this API.
//
// Data flows one way: a request from the provider becomes a rollout plan (a
// list of steps), the state machine walks the plan step by step, persisting
// the step index before each side effect is acknowledged, and the resulting
// deployment record is handed back to the provider.
package engine
