package domain

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// NewRolloutID names one rollout "<release>-<n>-<6 hex>", e.g.
// "api@2-3-9f1c2a". n counts the deployment's rollouts, for people reading
// the history; the random part keeps ids unique where the counter is not:
// after the store was lost, or in another workspace's store. Every
// idempotency key embeds the id, so a receiver that deduplicates never
// drops a second rollout of the same release as a retry of the first. The
// id is persisted with the rollout, so a resumed run reuses it.
func NewRolloutID(release string, n int) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the process instead)
	return fmt.Sprintf("%s-%d-%s", release, n, hex.EncodeToString(b[:]))
}
