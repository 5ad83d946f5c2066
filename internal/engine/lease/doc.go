// Package lease keeps two runs from driving one deployment at once: a
// Keeper takes a deployment's lease (waiting while a live holder has it,
// taking over from an expired or dead one), a Held lease renews itself on a
// heartbeat until it is released, and operators list and break leases. It
// builds on the typed store (records) only.
package lease
