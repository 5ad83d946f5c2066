package domain

import (
	"fmt"
	"math"
	"strconv"
)

// EvaluateBounds checks v against optional bounds (nil = open) and says why
// in words that follow "name = value, ".
func EvaluateBounds(v float64, min, max *float64) (ok bool, detail string) {
	switch {
	case math.IsNaN(v):
		return false, "not a number"
	case min != nil && v < *min:
		return false, "below min " + FormatMetric(*min)
	case max != nil && v > *max:
		return false, "above max " + FormatMetric(*max)
	case min != nil && max != nil:
		return true, fmt.Sprintf("within [%s, %s]", FormatMetric(*min), FormatMetric(*max))
	case min != nil:
		return true, "at or above min " + FormatMetric(*min)
	case max != nil:
		return true, "at or below max " + FormatMetric(*max)
	default:
		return true, "no bounds set"
	}
}

// FormatMetric prints 0.42 rather than 4.2e-01, falling back to exponent
// form only for values whose decimal form would be unreadable.
func FormatMetric(v float64) string {
	abs := math.Abs(v)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
