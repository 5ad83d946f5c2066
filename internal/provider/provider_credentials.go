package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// Named credentials live in the provider block because it is the one place
// Terraform evaluates in every plan, apply and action invocation and never
// writes to state: a promotion, an action or a resumed rollout in a later
// run has them exactly like the run that started the rollout. Resources
// refer to them by name; only the name is stored.

var pathCredentials = path.Root("credentials")

// credentialModel is one entry of the provider's credentials map.
type credentialModel struct {
	Headers    types.Map    `tfsdk:"headers"`
	HookSecret types.String `tfsdk:"hook_secret"`
}

func credentialsAttribute() schema.MapNestedAttribute {
	return schema.MapNestedAttribute{
		Optional:  true,
		Sensitive: true,
		MarkdownDescription: "Named credentials that hooks and checks refer to by name (`credential = \"metrics\"` in a `hook`, `health_check`, " +
			"`check` or pre/post-promotion check block). The provider block is evaluated in every plan, apply and action invocation and never written to state, " +
			"so every run that moves traffic or sends a hook (a promotion applied in a later run, the `ocuroot_promote` and `ocuroot_rollback` actions, " +
			"a rollout resumed after a crash, a fresh CI or Terraform Cloud runner) signs and probes exactly like the run that started the rollout. " +
			"Feed the values from sensitive or ephemeral variables. Keys are names of letters, digits, `_`, `.` and `-`.",
		Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(domain.NamePattern(), "must contain only letters, digits, '_', '.' and '-'"))},
		NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
			"headers": schema.MapAttribute{
				ElementType: types.StringType, Optional: true, Sensitive: true,
				MarkdownDescription: "HTTP headers sent with every probe or hook call that names this credential, for example " +
					"`{ Authorization = \"Bearer ${var.metrics_token}\" }`. A block's own `headers` are added to them and win on the same name. " + headerRules,
				Validators: []validator.Map{httpHeaders()},
			},
			"hook_secret": schema.StringAttribute{
				Optional: true, Sensitive: true,
				MarkdownDescription: "HMAC-SHA256 secret signing the calls of every `hook` that names this credential. " +
					"A hook's own `secret` or `secret_wo` wins over it; without either, the provider's `hook_secret` signs.",
			},
		}},
	}
}

// credentialsFrom reads the provider's credentials. known is false when a
// value is computed by a resource and only known at apply: plan-time checks
// of credential names are then skipped.
func credentialsFrom(ctx context.Context, v types.Map, diags *diag.Diagnostics) (creds map[string]domain.Credential, known bool) {
	if v.IsNull() {
		return nil, true
	}
	if v.IsUnknown() {
		return nil, false
	}
	var models map[string]credentialModel
	diags.Append(v.ElementsAs(ctx, &models, false)...)
	creds = map[string]domain.Credential{}
	known = true
	for name, m := range models {
		if m.Headers.IsUnknown() || m.HookSecret.IsUnknown() {
			known = false
			continue
		}
		if m.Headers.IsNull() && m.HookSecret.IsNull() {
			diags.AddAttributeError(pathCredentials.AtMapKey(name), "Empty Credential",
				fmt.Sprintf("Credential %q sets neither headers nor hook_secret, so naming it would send nothing. Set one of them, or remove the credential.", name))
			continue
		}
		creds[name] = domain.Credential{Headers: headerMap(ctx, m.Headers, diags), HookSecret: m.HookSecret.ValueString()}
	}
	return creds, known
}

// credentialUse is one block of a deployment that names a credential.
type credentialUse struct {
	path path.Path
	name string
}

// credentialUses lists the blocks of m that name a credential.
func (m *deploymentModel) credentialUses() []credentialUse {
	var uses []credentialUse
	named := func(v types.String) bool { return !v.IsNull() && !v.IsUnknown() && v.ValueString() != "" }
	if m.Hook != nil && named(m.Hook.Credential) {
		uses = append(uses, credentialUse{path.Root("hook").AtName("credential"), m.Hook.Credential.ValueString()})
	}
	if m.HealthCheck != nil && named(m.HealthCheck.Credential) {
		uses = append(uses, credentialUse{path.Root("health_check").AtName("credential"), m.HealthCheck.Credential.ValueString()})
	}
	for _, list := range m.metricCheckBlocks() {
		for i, c := range list.checks {
			if named(c.Credential) {
				uses = append(uses, credentialUse{list.path.AtListIndex(i).AtName("credential"), c.Credential.ValueString()})
			}
		}
	}
	return uses
}

// validateCredentialNames refuses at plan time a credential the provider
// block does not define: the apply would refuse it before sending anything,
// after other resources had moved.
func (pd *providerData) validateCredentialNames(m *deploymentModel, diags *diag.Diagnostics) {
	if pd == nil || !pd.credentialsKnown {
		return
	}
	for _, use := range m.credentialUses() {
		if _, ok := pd.credentials[use.name]; ok {
			continue
		}
		diags.AddAttributeError(use.path, "Unknown Credential",
			fmt.Sprintf("No credential %q is defined in the provider block (defined: %s). Add it to the provider configuration, for example:\n\n"+
				"provider \"ocuroot\" {\n  credentials = {\n    %s = { headers = { Authorization = \"Bearer ${var.token}\" } }\n  }\n}",
				use.name, definedCredentials(pd.credentials), use.name))
	}
}

func definedCredentials(creds map[string]domain.Credential) string {
	if len(creds) == 0 {
		return "none"
	}
	names := make([]string, 0, len(creds))
	for name := range creds {
		names = append(names, fmt.Sprintf("%q", name))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// ownCredentialPaths lists the attributes of m (the configuration, so
// write-only values are set) that hold credentials of the deployment's own:
// values only the run applying it has.
func (m *deploymentModel) ownCredentialPaths() []path.Path {
	set := func(v attr.Value) bool { return !v.IsNull() }
	var paths []path.Path
	if h := m.Hook; h != nil {
		for name, v := range map[string]attr.Value{"secret": h.Secret, "secret_wo": h.SecretWO, "headers": h.Headers, "headers_wo": h.HeadersWO} {
			if set(v) {
				paths = append(paths, path.Root("hook").AtName(name))
			}
		}
	}
	if hc := m.HealthCheck; hc != nil {
		for name, v := range map[string]attr.Value{"headers": hc.Headers, "headers_wo": hc.HeadersWO} {
			if set(v) {
				paths = append(paths, path.Root("health_check").AtName(name))
			}
		}
	}
	for _, list := range m.metricCheckBlocks() {
		for i, c := range list.checks {
			for name, v := range map[string]attr.Value{"headers": c.Headers, "headers_wo": c.HeadersWO} {
				if set(v) {
					paths = append(paths, list.path.AtListIndex(i).AtName(name))
				}
			}
		}
	}
	slices.SortFunc(paths, func(a, b path.Path) int { return strings.Compare(a.String(), b.String()) })
	return paths
}

// manualPromotion reports whether the configured strategy stops at a gate
// that a later run opens.
func (m *deploymentModel) manualPromotion() bool {
	switch m.Strategy.ValueString() {
	case string(domain.StrategyCanary):
		return m.Canary != nil && m.Canary.ManualPromotion.ValueBool()
	case string(domain.StrategyBlueGreen):
		return m.BlueGreen != nil && m.BlueGreen.ManualPromotion.ValueBool()
	}
	return false
}

// warnAboutOwnCredentialsAtGate warns at plan time when a rollout will stop
// at a promotion gate that a later run opens, while its hook or checks carry
// credentials only this run has: that promotion (or ocuroot_promote) would
// refuse to send or probe without them.
func warnAboutOwnCredentialsAtGate(ctx context.Context, config tfsdk.Config, plan *deploymentModel, diags *diag.Diagnostics) {
	if !plan.manualPromotion() {
		return
	}
	var configured deploymentModel
	if ds := config.Get(ctx, &configured); ds.HasError() {
		return // the configuration's own errors are reported by validation
	}
	for _, p := range configured.ownCredentialPaths() {
		diags.AddAttributeWarning(p, "Credential Not Available To A Later Run",
			"This rollout stops at a promotion gate, and the run that opens it (an ocuroot_promotion applied later, the ocuroot_promote action, "+
				"a resume after a crash) will not have this value: it is never stored in the engine, and a later run does not read it from the configuration or state. "+
				"That run will refuse to send the hook or probe rather than sign with another secret or probe without the headers. "+
				"Move the value to the provider block's credentials and name it here with credential = \"NAME\"; every run has the provider block.")
	}
}
