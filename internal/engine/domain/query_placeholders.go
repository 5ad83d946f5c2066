package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ExpandQueryPlaceholders substitutes {package}, {environment}, {version},
// {release} and {slot} in a PromQL query, each value escaped for where it
// stands:
//
//   - in a double- or single-quoted string, backslashes and the quote are
//     escaped, so `slot="{slot}"` can never be closed early by a value;
//   - in the string of a regular-expression matcher (=~ or !~), the value is
//     also quoted for the regular expression, so version 1.2 in
//     `version=~"{version}"` matches "1.2" and not "1x2";
//   - in a raw (backquoted) string, the value is put as it is: such a string
//     has no escapes, and names never hold a backquote;
//   - outside strings (a metric name such as {package}_requests_total), the
//     value is put as it is.
//
// Names are letters, digits, '_', '.' and '-' (and '@' in a release id), so
// the escaping matters mostly for regular expressions; it is there so that
// no value can change what a query means.
func ExpandQueryPlaceholders(query string, vars Placeholders) string {
	values := map[string]string{
		"{package}": vars.Package, "{environment}": vars.Environment, "{version}": vars.Version,
		"{release}": vars.Release, "{slot}": vars.Slot,
	}
	var out strings.Builder
	out.Grow(len(query) + 32)
	scan := queryScanner{query: query}
	for scan.pos < len(query) {
		if name, ok := scan.placeholderAt(); ok {
			out.WriteString(scan.escape(values[name]))
			scan.pos += len(name)
			continue
		}
		from := scan.pos
		scan.step()
		out.WriteString(query[from:scan.pos])
	}
	return out.String()
}

// queryScanner walks a PromQL query a byte at a time, knowing whether it is
// inside a string literal and, if so, which quote opened it and whether the
// string is the value of a regular-expression matcher.
type queryScanner struct {
	query string
	pos   int
	// quote is the byte that opened the current string, 0 outside strings.
	quote byte
	// regex is set inside the string of a =~ or !~ matcher.
	regex bool
}

// placeholderAt reports a known placeholder starting at the current
// position.
func (s *queryScanner) placeholderAt() (string, bool) {
	if s.query[s.pos] != '{' {
		return "", false
	}
	for _, name := range URLPlaceholders {
		if strings.HasPrefix(s.query[s.pos:], name) {
			return name, true
		}
	}
	return "", false
}

// step moves past the byte at the current position, entering or leaving
// strings; an escaped byte inside a quoted string is skipped with its
// backslash.
func (s *queryScanner) step() {
	c := s.query[s.pos]
	switch {
	case s.quote == 0 && (c == '"' || c == '\'' || c == '`'):
		s.quote, s.regex = c, s.afterRegexOperator()
	case s.quote == 0:
	case c == '\\' && s.quote != '`' && s.pos+1 < len(s.query):
		s.pos++ // the escaped byte is part of the string
	case c == s.quote:
		s.quote, s.regex = 0, false
	}
	s.pos++
}

// afterRegexOperator reports whether the string starting at the current
// position follows =~ or !~ (spaces allowed between them).
func (s *queryScanner) afterRegexOperator() bool {
	before := strings.TrimRight(s.query[:s.pos], " \t\r\n")
	return strings.HasSuffix(before, "=~") || strings.HasSuffix(before, "!~")
}

// escape renders value for the current position.
func (s *queryScanner) escape(value string) string {
	if s.quote == 0 || s.quote == '`' {
		return value
	}
	if s.regex {
		value = regexp.QuoteMeta(value)
	}
	value = strings.ReplaceAll(value, `\`, `\\`)
	return strings.ReplaceAll(value, string(s.quote), `\`+string(s.quote))
}

// placeholderInQuery finds anything shaped like a placeholder. PromQL uses
// braces for label matchers too, but a matcher always holds an operator
// (=, !=, =~, !~) or is empty, so "{word}" is a placeholder or a typo of
// one, never PromQL.
var placeholderInQuery = regexp.MustCompile(`\{[A-Za-z0-9_.-]+\}`)

// ValidateQueryPlaceholders refuses an unknown placeholder ({env} for
// {environment}) that would otherwise reach Prometheus as a syntax error.
// The error starts with "query" so callers can name the attribute first.
func ValidateQueryPlaceholders(query string) error {
	for _, found := range placeholderInQuery.FindAllString(query, -1) {
		if !slices.Contains(URLPlaceholders, found) {
			return fmt.Errorf("query contains the unknown placeholder %s: the allowed placeholders are %s", found, describePlaceholders())
		}
	}
	return nil
}
