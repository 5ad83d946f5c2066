package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine"
)

// tflogLogger carries the engine's progress lines to Terraform's log, so
// TF_LOG=INFO reads like a progress report of the rollout.
type tflogLogger struct{}

var _ engine.Logger = tflogLogger{}

func (tflogLogger) Info(ctx context.Context, msg string, fields map[string]any) {
	tflog.Info(ctx, msg, fields)
}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ctx, msg, fields)
}
