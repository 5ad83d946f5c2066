package hookhttp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// hookLogAdapter routes retryablehttp's log lines to the engine Logger.
// retryablehttp logs URLs and errors (which quote URLs); every value is
// passed through redact, and nothing that looks like a header is kept.
type hookLogAdapter struct {
	ctx    context.Context
	logger domain.Logger
	event  string
	redact func(string) string
}

var _ retryablehttp.LeveledLogger = hookLogAdapter{}

// Error maps to Warn: the engine Logger has no error level, and a failed
// attempt that will be retried is not yet an error.
func (a hookLogAdapter) Error(msg string, kv ...any) {
	a.logger.Warn(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) Warn(msg string, kv ...any) {
	a.logger.Warn(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) Info(msg string, kv ...any) {
	a.logger.Info(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) Debug(msg string, kv ...any) {
	a.logger.Debug(a.ctx, "hook: "+msg, a.fields(kv))
}

func (a hookLogAdapter) fields(kv []any) map[string]any {
	fields := map[string]any{"hook_event": a.event}
	for i := 0; i+1 < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		if strings.Contains(strings.ToLower(key), "header") {
			continue
		}
		switch value := kv[i+1].(type) {
		case int, int64, bool:
			fields[key] = value
		case time.Duration:
			fields[key] = value.String()
		default:
			fields[key] = a.redact(fmt.Sprint(value))
		}
	}
	return fields
}

// NopLogger discards log lines; a sender built without a logger uses it.
type nopLogger struct{}

var _ domain.Logger = nopLogger{}

func (nopLogger) Info(context.Context, string, map[string]any)  {}
func (nopLogger) Debug(context.Context, string, map[string]any) {}
func (nopLogger) Warn(context.Context, string, map[string]any)  {}
