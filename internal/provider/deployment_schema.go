package provider

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// historyAttrTypes is the object type of one history entry, in the data
// sources' history and the resource's last_transition.
var historyAttrTypes = map[string]attr.Type{
	"time":    types.StringType,
	"from":    types.StringType,
	"to":      types.StringType,
	"release": types.StringType,
	"reason":  types.StringType,
}

// durationAttribute is an optional duration with its rule: the rule is
// checked at plan time and stated in the docs.
func durationAttribute(description, defaultValue string, rule durationRule) schema.StringAttribute {
	a := schema.StringAttribute{
		CustomType:          durationType{},
		Optional:            true,
		MarkdownDescription: description + " " + rule.describeRule(),
		Validators:          []validator.String{rule},
	}
	if defaultValue != "" {
		a.Computed = true
		a.Default = stringdefault.StaticString(defaultValue)
		a.MarkdownDescription += " Defaults to `" + defaultValue + "`."
	}
	return a
}

func metricCheckAttributes() map[string]schema.Attribute {
	attributes := map[string]schema.Attribute{
		"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the check, used in history and diagnostics."},
		"url": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "URL returning JSON, read with `path` (set both, or `query` instead). May contain `{package}`, `{environment}`, `{version}`, `{release}` and `{slot}` placeholders. " +
				urlRules,
			Validators: []validator.String{checkURLValidator()},
		},
		"path": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Where the number is in the JSON response of `url`, in [GJSON path syntax](https://github.com/tidwall/gjson/blob/master/SYNTAX.md): `error_rate`, `data.latency.p99`, `results.0.value`. " +
				"Numbers and numeric strings are accepted. Must not be empty.",
			Validators: []validator.String{nonEmptyCheckPath()},
		},
		"min": schema.Float64Attribute{Optional: true, MarkdownDescription: "Lowest acceptable value (inclusive). Unset: no lower bound. " +
			"At least one of `min`, `max` and `compare_to_stable` must be set, or the check could never fail."},
		"max":        schema.Float64Attribute{Optional: true, MarkdownDescription: "Highest acceptable value (inclusive), at least `min`. Unset: no upper bound."},
		"headers":    checkHeadersAttribute("request"),
		"headers_wo": checkHeadersWriteOnlyAttribute("request"),
		"credential": credentialAttribute("request", "its headers go with every request"),
	}
	maps.Copy(attributes, promQLCheckAttributes())
	return attributes
}

// urlRules is the part of every url description that states what the
// plan-time validator enforces.
const urlRules = "Must be an absolute `http` or `https` URL; credentials (`user:password@`) are refused, send them with `headers`. " +
	"Redirects are never followed: a `3xx` answer fails the check, so point the url at the final address."

// checkHeadersAttribute is the headers map of health_check and the metric
// check blocks; what names the request in the description ("probe").
func checkHeadersAttribute(what string) schema.MapAttribute {
	return schema.MapAttribute{
		ElementType: types.StringType, Optional: true, Sensitive: true,
		MarkdownDescription: "HTTP headers sent with every " + what + " of this block. " +
			"Sensitive: hidden in plan output and never written to the engine store or logs, but kept in Terraform state, " +
			"and only the run that applies this deployment has them: a promotion, an action or a resumed rollout in a later run refuses to " + what +
			" without them. For a token every run needs (a manual promotion, `ocuroot_promote`, a resume after a crash), prefer `credential`. " + headerRules,
		Validators: []validator.Map{httpHeaders(), mapvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("headers_wo"))},
	}
}

// checkHeadersWriteOnlyAttribute is the write-only form of headers.
func checkHeadersWriteOnlyAttribute(what string) schema.MapAttribute {
	return schema.MapAttribute{
		ElementType: types.StringType, Optional: true, Sensitive: true, WriteOnly: true,
		MarkdownDescription: "Write-only form of `headers` (Terraform 1.11+): never stored in plan or state. " +
			"Only the run that applies this deployment has them: a later run that must " + what + " (a promotion, an action, a resumed rollout) refuses, " +
			"so use it only for rollouts that finish in the apply that starts them, or use `credential`. " + headerRules,
		Validators: []validator.Map{httpHeaders()},
	}
}

// credentialAttribute names a credential of the provider block; use says
// what is done with it.
func credentialAttribute(what, use string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Name of a credential in the provider's `credentials`: " + use + ". " +
			"Only the name is stored; every run, including a promotion or an action in a later run, takes the values from its provider block, " +
			"so the " + what + " is authenticated the same way in every run. Must be defined in the provider block (checked at plan time).",
		Validators: []validator.String{stringvalidator.RegexMatches(domain.NamePattern(), "must contain only letters, digits, '_', '.' and '-'")},
	}
}

func deploymentSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
		// Version 1 moved history out of state (see deployment_upgrade.go).
		Version: 1,
		MarkdownDescription: "One package running in one environment. Its identity is `PACKAGE/ENVIRONMENT` and it outlives releases: " +
			"changing `release` is an in-place update carried out by the `strategy` (`direct`, `canary` or `blue_green`), and " +
			"`terraform apply` blocks until the rollout succeeds, stops at `awaiting_promotion`, or is rolled back. " +
			"A first deployment into an empty environment always goes directly. Destroying the resource sends a `teardown` event.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`PACKAGE/ENVIRONMENT`; also the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"environment": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the `ocuroot_environment` to deploy into. Changing it replaces the deployment.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.RegexMatches(domain.NamePattern(), "must contain only letters, digits, '_', '.' and '-'")},
			},
			"release": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Id (`PACKAGE@VERSION`) of the `ocuroot_release` to run. Changing it is an in-place update through the strategy; changing the package replaces the deployment.",
				Validators:          []validator.String{stringvalidator.RegexMatches(domain.ReleaseIDPattern(), "must have the form PACKAGE@VERSION")},
			},
			"package": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The package, taken from `release`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"strategy": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(string(domain.StrategyDirect)),
				MarkdownDescription: "How a new release replaces the live one: `direct` (default), `canary` (configure with `canary {}`) or `blue_green` (configure with `blue_green {}`).",
				Validators:          []validator.String{stringvalidator.OneOf(domain.Strategies...)},
			},
			"progress_deadline": durationAttribute("How long a rollout may wait for a slot to become healthy (after a deploy or a green creation) before it is considered stuck and `on_timeout` applies. Bakes and delays run their configured length; hook calls are bounded by the hook's own timeout and retries. "+
				"Bakes, delays and this deadline together must fit in the `timeouts` of the operation (checked at plan time).", domain.FormatDuration(domain.DefaultProgressDeadline), deadlineRule),
			"on_timeout": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(string(domain.OnTimeoutRollback)),
				MarkdownDescription: "What happens when the progress deadline or the Terraform timeout is exceeded, or the apply is interrupted: `rollback` (default) restores the previous release; `fail` leaves traffic as it is and the next apply continues from where it stopped.",
				Validators:          []validator.String{stringvalidator.OneOf(string(domain.OnTimeoutRollback), string(domain.OnTimeoutFail))},
			},
			"rollout_plan": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Known at plan time: the steps the next apply will take, e.g. `canary 10% bake 5m → canary 50% bake 5m → promote to 100% (bakes and delays: 10m0s)`. " +
					"A first deployment always goes directly: `deploy → wait until stable is healthy`, prefixed with `direct (first deployment: nothing to protect yet)` when another strategy is configured.",
			},
			"status": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`succeeded`, `in_progress`, `awaiting_promotion`, `rolled_back`, `failed` or `torn_down`.",
			},
			"live_release": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The release serving traffic.",
			},
			"pending_release": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "A canary or green release not yet promoted; null when none.",
			},
			"traffic_percent": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Share of traffic on the release being rolled out: the canary weight, 0 for a green slot before cutover, 100 once live, 0 after a rollback.",
			},
			"last_transition": schema.SingleNestedAttribute{
				Computed: true,
				MarkdownDescription: "The newest transition of the deployment's state machine, so a reviewer sees why the deployment is where it is. " +
					"It changes only when something happens (a rollout step, a promotion, a rollback). " +
					"The whole history is read with the `ocuroot_deployment_history` data source (or `history` of the `ocuroot_deployment` data source); " +
					"Terraform state keeps only this entry, so plans stay short however long the deployment has lived.",
				Attributes: transitionAttributes(),
			},
		},
		Blocks: map[string]schema.Block{
			"canary":       canaryBlock(),
			"blue_green":   blueGreenBlock(),
			"hook":         hookBlock(),
			"health_check": healthCheckBlock(),
			"check": schema.ListNestedBlock{
				MarkdownDescription: "Metric checks evaluated every check interval while baking: a number, read from a JSON response (`url` and `path`) or " +
					"returned by a PromQL `query` to Prometheus, must stay within `[min, max]` and, with `compare_to_stable`, be no worse than the stable release's.",
				NestedObject: schema.NestedBlockObject{Attributes: metricCheckAttributes()},
			},
			"timeouts": positiveTimeoutsBlock(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long a first deployment may take, phase gating and lease waits included, as a duration such as `45m`. Default `30m`. When it is exceeded the rollout stops and `on_timeout` applies. " +
					"Must be longer than the waits of the rollout it runs (checked at plan time).",
				UpdateDescription: "How long a rollout to a new release may take, phase gating, lease waits, bakes and delays included. Default `30m`. When it is exceeded the rollout stops and `on_timeout` applies. " +
					"Must be longer than the bakes, delays and progress deadline of the strategy together (checked at plan time).",
				DeleteDescription: "How long the teardown may take, lease wait included. Default `10m`.",
			}),
		},
	}
}

func canaryBlock() schema.SingleNestedBlock {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Settings of the `canary` strategy. The canary is moved through the `step`s in order, baking at each weight while the checks run, then promoted to 100%.",
		Attributes: map[string]schema.Attribute{
			"check_interval": durationAttribute("How often health and metric checks run while baking. A `health_check.interval`, when set, takes precedence.", domain.FormatDuration(domain.DefaultCheckInterval), intervalRule),
			"failure_threshold": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(domain.DefaultFailureThreshold),
				MarkdownDescription: fmt.Sprintf("Consecutive failed check rounds that roll the canary back. Defaults to `%d`.", domain.DefaultFailureThreshold),
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"manual_promotion": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Stop at `awaiting_promotion` after the last step instead of going to 100%; an `ocuroot_promotion` finishes the rollout.",
			},
		},
		Blocks: map[string]schema.Block{
			"step": schema.ListNestedBlock{
				MarkdownDescription: "One traffic weight and how long to bake at it. Weights must not decrease.",
				Validators:          []validator.List{listvalidator.SizeAtMost(20)},
				NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
					"weight": schema.Int64Attribute{
						Required: true, MarkdownDescription: "Percentage of traffic sent to the canary (1–100).",
						Validators: []validator.Int64{int64validator.Between(domain.MinCanaryWeight, domain.MaxCanaryWeight)},
					},
					"bake": schema.StringAttribute{
						CustomType: durationType{}, Required: true,
						MarkdownDescription: "How long to hold this weight while checks run, e.g. `5m`. " + bakeRule.describeRule(),
						Validators:          []validator.String{bakeRule},
					},
				}},
			},
		},
	}
}

func blueGreenBlock() schema.SingleNestedBlock {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Settings of the `blue_green` strategy: green is created without traffic, checked, optionally held for a manual promotion, then cut over atomically (green active before blue drains).",
		Attributes: map[string]schema.Attribute{
			"manual_promotion": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "End the apply successfully at `awaiting_promotion` with blue still live; an `ocuroot_promotion` performs the cutover.",
			},
			"promotion_delay":  durationAttribute("Wait this long after green is healthy (and promoted, if manual) before the cutover.", "0s", delayRule),
			"scale_down_delay": durationAttribute("Keep blue this long after the cutover before draining it.", "0s", delayRule),
			"check_interval":   durationAttribute("Time between tries of the pre- and post-promotion checks. Defaults to the health check's interval, else `"+domain.FormatDuration(domain.DefaultCheckInterval)+"`.", "", intervalRule),
			"failure_threshold": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("How many times a pre- or post-promotion check is tried before it fails the rollout. Defaults to `%d`.", domain.DefaultFailureThreshold),
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
		},
		Blocks: map[string]schema.Block{
			"pre_promotion_check": schema.ListNestedBlock{
				MarkdownDescription: "Metric checks on the green slot that must pass before the cutover.",
				NestedObject:        schema.NestedBlockObject{Attributes: metricCheckAttributes()},
			},
			"post_promotion_check": schema.ListNestedBlock{
				MarkdownDescription: "Metric checks after the cutover; a failure switches traffic back to blue.",
				NestedObject:        schema.NestedBlockObject{Attributes: metricCheckAttributes()},
			},
		},
	}
}

func hookBlock() schema.SingleNestedBlock {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Where the engine sends lifecycle events (`deploy`, `canary.weight`, `promote`, `rollback`, `green.create`, `cutover`, `blue.drain`, `teardown`) as signed JSON POSTs. See the hook contract guide.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "URL receiving the events, called as written (no placeholders: every event names its package, environment and release). " +
					"Must be set whenever the `hook` block is present, and be an absolute `http` or `https` URL without credentials " +
					"(`user:password@` is refused: send them with `headers`); both are checked at plan time. " +
					"Redirects are never followed: a `3xx` answer fails the step, so point the url at the final address.",
				Validators: []validator.String{hookURLValidator()},
			},
			"secret": schema.StringAttribute{
				Optional: true, Sensitive: true,
				MarkdownDescription: "HMAC-SHA256 secret signing each call (`X-Ocuroot-Signature`). Defaults to the named `credential`'s `hook_secret`, else the provider's `hook_secret`. " +
					"Stored in state (sensitive), never in the engine store: the run that applies this deployment and a destroy (which reads state) have it, " +
					"but a promotion or an action in a later run does not, and refuses to send rather than sign with another secret. Prefer `credential` with a `hook_secret` in the provider block.",
			},
			"secret_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				MarkdownDescription: "Write-only form of `secret` (Terraform 1.11+): never stored in state or plan. Bump `secret_wo_version` to roll it. " +
					"Only the run that applies this deployment has it: a promotion, an action or a destroy in a later run refuses to send. Prefer `credential`.",
				Validators: []validator.String{stringvalidator.ConflictsWith(pathHookSecret)},
			},
			"secret_wo_version": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Change this number to make Terraform send a new `secret_wo`.",
			},
			"headers": schema.MapAttribute{
				ElementType: types.StringType, Optional: true, Sensitive: true,
				MarkdownDescription: "Extra HTTP headers sent with every call (for example an authorization token). Sensitive; never persisted in the engine store, but kept in Terraform state, " +
					"so the run that applies this deployment and a destroy have them, but a promotion or an action in a later run does not, and refuses to send without them. Prefer `credential`. " + headerRules,
				Validators: []validator.Map{httpHeaders(), mapvalidator.ConflictsWith(path.MatchRelative().AtParent().AtName("headers_wo"))},
			},
			"headers_wo": checkHeadersWriteOnlyAttribute("call the hook"),
			"credential": credentialAttribute("hook", "its `hook_secret` signs every call (unless this block sets its own secret) and its headers go with every call"),
			"timeout":    durationAttribute("Per-request timeout of one call.", domain.FormatDuration(domain.DefaultHookTimeout), requestRule),
		},
		Blocks: map[string]schema.Block{
			"retry": schema.SingleNestedBlock{
				MarkdownDescription: "Retries with exponential backoff on connection errors, 429 (honouring `Retry-After`) and 5xx. Other 4xx fail at once.",
				Attributes: map[string]schema.Attribute{
					"attempts": schema.Int64Attribute{
						Optional: true, Computed: true, Default: int64default.StaticInt64(int64(domain.DefaultRetry.Attempts)),
						MarkdownDescription: fmt.Sprintf("Total attempts, including the first. Defaults to `%d`.", domain.DefaultRetry.Attempts),
						Validators:          []validator.Int64{int64validator.Between(1, 20)},
					},
					"min_wait": durationAttribute("Shortest wait between attempts.", domain.FormatDuration(domain.DefaultRetry.MinWait), retryWaitRule),
					"max_wait": durationAttribute("Longest wait between attempts; must be at least `min_wait`.", domain.FormatDuration(domain.DefaultRetry.MaxWait), retryWaitRule),
				},
			},
		},
	}
}

func healthCheckBlock() schema.SingleNestedBlock {
	return schema.SingleNestedBlock{
		MarkdownDescription: "An HTTP probe deciding whether a slot is healthy: waited for after a deploy and a green creation, and run every check interval while baking.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "URL to GET. May contain `{package}`, `{environment}`, `{version}`, `{release}` and `{slot}` (`blue`, `green`, `canary`, `stable`) placeholders, " +
					"so a green slot can be checked before it takes traffic. Must be set whenever the `health_check` block is present (checked at plan time). " + urlRules +
					" (A `3xx` listed in `expected_status` counts as healthy.)",
				Validators: []validator.String{checkURLValidator()},
			},
			"headers":    checkHeadersAttribute("probe"),
			"headers_wo": checkHeadersWriteOnlyAttribute("probe"),
			"credential": credentialAttribute("probe", "its headers go with every probe"),
			"interval":   durationAttribute("Time between probes while waiting for health. Defaults to the canary `check_interval`.", "", intervalRule),
			"timeout":    durationAttribute("Timeout of one probe.", domain.FormatDuration(domain.DefaultHealthTimeout), requestRule),
			"expected_status": schema.ListAttribute{
				ElementType: types.Int64Type, Optional: true, Computed: true,
				Default:             listdefault.StaticValue(types.ListValueMust(types.Int64Type, []attr.Value{types.Int64Value(domain.DefaultHealthyStatus)})),
				MarkdownDescription: "Status codes that mean healthy, each between 100 and 599; at least one. Defaults to `[" + strconv.Itoa(domain.DefaultHealthyStatus) + "]`.",
				Validators:          []validator.List{listvalidator.SizeAtLeast(1), listvalidator.ValueInt64sAre(statusCode())},
			},
		},
	}
}

var pathHookSecret = path.MatchRelative().AtParent().AtName("secret")
