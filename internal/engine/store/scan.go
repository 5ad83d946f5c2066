// Helpers shared by the KV implementations: the key range a Scan prefix
// covers, how many results to keep, and what an Apply batch may contain.

package store

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// prefixEndBytes is the smallest key greater than every key that starts
// with prefix, in byte order; nil when there is none (an empty prefix, or
// one made only of 0xff bytes).
func prefixEndBytes(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// prefixEndText is prefixEndBytes for a database that stores keys as UTF-8
// text: the last character is replaced by the next one, so the bound is
// valid text and still sorts (in byte order, which is code point order in
// UTF-8) after every key with the prefix. ok is false when there is no
// such bound.
func prefixEndText(prefix string) (end string, ok bool) {
	for prefix != "" {
		last, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		next := last + 1
		if next >= 0xd800 && next <= 0xdfff {
			next = 0xe000 // surrogates are not characters
		}
		if last != utf8.RuneError && next <= utf8.MaxRune {
			return prefix + string(next), true
		}
	}
	return "", false
}

// scanFull reports whether count results reach limit; limit <= 0 means
// no limit.
func scanFull(count, limit int) bool { return limit > 0 && count >= limit }

// validateWrites rejects a batch that no store could apply as one: an empty
// kind or key, or a record written twice (its expected revision would be
// ambiguous).
func validateWrites(writes []KVWrite) error {
	seen := make(map[[2]string]bool, len(writes))
	for _, w := range writes {
		if w.Kind == "" || w.Key == "" {
			return errors.New("kind and key must not be empty")
		}
		id := [2]string{w.Kind, w.Key}
		if seen[id] {
			return fmt.Errorf("%s/%s is written twice in one batch", w.Kind, w.Key)
		}
		seen[id] = true
	}
	return nil
}
