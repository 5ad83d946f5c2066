// A deployment's decision history is an append-only log beside its record:
// one KV record of kind "transition" per entry, keyed
// "<deployment id>/<sequence>" with the sequence zero-padded, so keys sort in
// time order and the newest entries are one short Scan away. The deployment
// record keeps only the newest entry (LastTransition) and the newest
// sequence (HistorySeq): reading or saving it costs the same after 5,000
// rollouts as after one.
//
// A new transition waits in the record's InlineHistory until the record is
// saved; the save writes it and the record in one atomic Apply guarded by
// the record's revision. So a transition is durable exactly when the change
// it explains is, and no crash can keep one without the other. Records
// written before the log existed carry their whole history inline: they
// read the same, and their first save moves it into the log.

package records

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// KindTransition holds the history logs of every deployment.
const KindTransition = "transition"

// historySeqDigits pads sequences so that byte order is numeric order.
const historySeqDigits = 12

// HistoryPrefix is the key prefix of a deployment's history log.
func HistoryPrefix(deploymentID string) string { return deploymentID + "/" }

// HistoryKey is the key of entry seq of a deployment's history log.
func HistoryKey(deploymentID string, seq int64) string {
	return fmt.Sprintf("%s%0*d", HistoryPrefix(deploymentID), historySeqDigits, seq)
}

// historySeq reads the sequence back from a key of the deployment's log.
func historySeq(deploymentID, key string) (int64, error) {
	seq, err := strconv.ParseInt(strings.TrimPrefix(key, HistoryPrefix(deploymentID)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("history entry %q of %s has no sequence number: %w", key, deploymentID, err)
	}
	return seq, nil
}

// saveDeployment writes d's new transitions to the log and d itself (when
// its revision is still expect) in one atomic batch. On success d's inline
// transitions are cleared and HistorySeq and the revision advance; on
// failure d is left as it was, so the save can be retried as a whole.
func (s *Store) saveDeployment(ctx context.Context, d *domain.Deployment, expect int64) (int64, error) {
	id := d.ID()
	seq := d.HistorySeq
	if seq == 0 && len(d.InlineHistory) > 0 {
		// The record has never appended to the log (it is new, restored or
		// from an earlier version), yet a log may be there: left by a
		// deleted record of the same deployment. Continue after it rather
		// than collide with it.
		newest, err := s.kv.Scan(ctx, KindTransition, HistoryPrefix(id), 1, true)
		if err != nil {
			return 0, fmt.Errorf("reading the history of %s: %w", id, err)
		}
		if len(newest) == 1 {
			if seq, err = historySeq(id, newest[0].Key); err != nil {
				return 0, err
			}
		}
	}
	writes := make([]KVWrite, 1, 1+len(d.InlineHistory))
	for _, t := range d.InlineHistory {
		raw, err := json.Marshal(t)
		if err != nil {
			return 0, fmt.Errorf("encoding a transition of %s: %w", id, err)
		}
		seq++
		// Expect 0: an entry is written once; a second writer with the same
		// sequence has already lost on the record's revision.
		writes = append(writes, KVWrite{Kind: KindTransition, Key: HistoryKey(id, seq), Value: raw, Expect: 0})
	}
	head := *d
	head.InlineHistory, head.HistorySeq = nil, seq
	raw, err := json.Marshal(&head)
	if err != nil {
		return 0, fmt.Errorf("encoding %s %q: %w", KindDeployment, id, err)
	}
	writes[0] = KVWrite{Kind: KindDeployment, Key: id, Value: raw, Expect: expect}
	revisions, err := s.kv.Apply(ctx, writes)
	if err != nil {
		return 0, err
	}
	d.InlineHistory, d.HistorySeq = nil, seq
	return revisions[0], nil
}

// HistoryOf returns the newest limit transitions of d (all of them for a
// limit of 0 or less), oldest first.
func (s *Store) HistoryOf(ctx context.Context, d *domain.Deployment, limit int) ([]domain.Transition, error) {
	inline := d.InlineHistory
	if limit > 0 && len(inline) >= limit {
		return append([]domain.Transition(nil), inline[len(inline)-limit:]...), nil
	}
	want := 0 // from the log; 0: all
	if limit > 0 {
		want = limit - len(inline)
	}
	logged, err := s.loggedHistory(ctx, d, want)
	if err != nil {
		return nil, err
	}
	return append(logged, inline...), nil
}

// loggedHistory reads the newest want entries (0: all) of d's log up to
// d.HistorySeq, oldest first. Entries a concurrent save appended after d was
// read are not part of d's history and are skipped.
func (s *Store) loggedHistory(ctx context.Context, d *domain.Deployment, want int) ([]domain.Transition, error) {
	if d.HistorySeq == 0 {
		return []domain.Transition{}, nil
	}
	id := d.ID()
	skipped := 0
	for {
		limit := 0
		if want > 0 {
			limit = want + skipped
		}
		entries, err := s.kv.Scan(ctx, KindTransition, HistoryPrefix(id), limit, true)
		if err != nil {
			return nil, fmt.Errorf("reading the history of %s: %w", id, err)
		}
		newest := make([]domain.Transition, 0, len(entries))
		newer := 0
		for _, entry := range entries {
			seq, err := historySeq(id, entry.Key)
			if err != nil {
				return nil, err
			}
			if seq > d.HistorySeq {
				newer++
				continue
			}
			var t domain.Transition
			if err := json.Unmarshal(entry.Value, &t); err != nil {
				return nil, fmt.Errorf("decoding history entry %q: %w", entry.Key, err)
			}
			newest = append(newest, t)
		}
		// Entries newer than d took places of the limit: read again with
		// room for them, unless the log has nothing more to give.
		if newer > skipped && limit > 0 && len(entries) == limit {
			skipped = newer
			continue
		}
		for i, j := 0, len(newest)-1; i < j; i, j = i+1, j-1 {
			newest[i], newest[j] = newest[j], newest[i]
		}
		return newest, nil
	}
}
