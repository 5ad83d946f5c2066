package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// tflogLogger carries the engine's progress lines to Terraform's log, so
// TF_LOG=INFO reads like a progress report of the rollout.
//
// The fields go into the message, in engine.ProgressFieldOrder and then
// alphabetically, instead of being passed as tflog fields: Terraform shows
// a provider's fields in no fixed order, because the plugin client decodes
// each JSON log line into a map and logs the pairs as the map yields them.
type tflogLogger struct{}

var _ domain.Logger = tflogLogger{}

func (tflogLogger) Info(ctx context.Context, msg string, fields map[string]any) {
	tflog.Info(ctx, renderLogLine(msg, fields))
}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, renderLogLine(msg, fields))
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ctx, renderLogLine(msg, fields))
}

// providerLog writes the provider's own progress lines the same way.
var providerLog = tflogLogger{}

// renderLogLine appends the fields to msg as key=value pairs in a fixed
// order: "ocuroot: check round: deployment=api/prod0 step=\"2/5 bake 5m\" ...".
func renderLogLine(msg string, fields map[string]any) string {
	if len(fields) == 0 {
		return msg
	}
	keys := make([]string, 0, len(fields))
	for key := range fields {
		keys = append(keys, key)
	}
	rank := func(key string) int {
		if i := slices.Index(domain.ProgressFieldOrder, key); i >= 0 {
			return i
		}
		return len(domain.ProgressFieldOrder)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString(":")
	for _, key := range keys {
		b.WriteString(" ")
		b.WriteString(key)
		b.WriteString("=")
		b.WriteString(logValue(fields[key]))
	}
	return b.String()
}

// logValue prints a field value as hclog would, quoting a string only when
// it is empty or holds a space, a quote or an equals sign.
func logValue(value any) string {
	var s string
	switch v := value.(type) {
	case time.Time:
		s = v.UTC().Format(time.RFC3339)
	case time.Duration:
		s = domain.FormatDuration(v)
	case fmt.Stringer:
		s = v.String()
	default:
		s = fmt.Sprint(v)
	}
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}
