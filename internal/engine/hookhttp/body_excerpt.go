package hookhttp

import (
	"strings"
	"unicode"
)

// A failed check quotes the start of the answer's body: "warming up", a
// proxy's error page title, a JSON error. The excerpt is bounded and on one
// line so a diagnostic stays readable whatever the target sends.
const (
	// bodyExcerptLimit bounds the excerpt, in bytes, before the "…".
	bodyExcerptLimit = 200
	// bodyExcerptReadLimit bounds what is read to make it: more than the
	// excerpt, so white space collapsed away still leaves 200 bytes, and
	// a secret straddling the cut is redacted before it is cut.
	bodyExcerptReadLimit = 2048
)

// bodyExcerptSuffix is `; body: "…"` for a detail, or "" when the body
// holds nothing readable. The quotes only mark where the body starts and
// ends: quotes inside it are left as they are, since escaping would make a
// JSON error body hard to read.
func bodyExcerptSuffix(body []byte, redactor hookRedactor) string {
	excerpt := bodyExcerpt(body, redactor)
	if excerpt == "" {
		return ""
	}
	return `; body: "` + excerpt + `"`
}

// bodyExcerpt flattens body to one line (control characters and runs of
// white space become one space), removes configured header values and URL
// secrets, and cuts it at bodyExcerptLimit bytes on a character boundary.
func bodyExcerpt(body []byte, redactor hookRedactor) string {
	text := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body), ""))
	text = redactor.redact(strings.Join(strings.Fields(text), " "))
	return truncateText(text, bodyExcerptLimit)
}
