// Package records is the typed store of the engine's records over the KV
// contract of the store backends: environments, releases, approvals,
// deployments with their history log, leases, and the records restored
// from Terraform state for a store that lost them. A backend failure comes
// back as a *StoreError naming the record and the store. It sits just above
// the model and knows nothing of leases, gates or rollouts.
package records
