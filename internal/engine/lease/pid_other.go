//go:build !unix

package lease

// processExists cannot tell on this platform without cgo or extra
// dependencies, so every process counts as alive and its lease lapses by
// its TTL instead.
func processExists(pid int) bool { return true }

// pidNamespace has no meaning outside Unix.
func pidNamespace() string { return "" }
