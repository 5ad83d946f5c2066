package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
)

// The plan-time half of a release, shared by ocuroot_release and the
// ocuroot_release_plan data source: read the phase blocks, check them with
// the engine, and render phase_order and graph.

// phaseBlockModel is one `phase` block.
type phaseBlockModel struct {
	Name             types.String `tfsdk:"name"`
	Environments     types.List   `tfsdk:"environments"`
	RequiresApproval types.Bool   `tfsdk:"requires_approval"`
}

var (
	phaseBlockAttrTypes = map[string]attr.Type{
		"name":              types.StringType,
		"environments":      types.ListType{ElemType: types.StringType},
		"requires_approval": types.BoolType,
	}
	phaseOrderAttrTypes = map[string]attr.Type{
		"index":             types.Int64Type,
		"name":              types.StringType,
		"environments":      types.ListType{ElemType: types.StringType},
		"requires_approval": types.BoolType,
	}
	phaseStatusAttrTypes = map[string]attr.Type{
		"name":   types.StringType,
		"status": types.StringType,
	}
)

// releaseFlow is a release's phases as the configuration or plan describes
// them, possibly with values not known yet.
type releaseFlow struct {
	draft domain.ReleaseDraft
	// phases is usable only when complete.
	phases []domain.Phase
	// complete: every phase name, environment list and approval flag is known.
	complete bool
	// releaseKnown: package and version are known, so the id and graph can be.
	releaseKnown bool
}

// readReleaseFlow turns the phase blocks into an engine draft. Unknown
// values are marked unknown for the engine, never guessed.
func readReleaseFlow(ctx context.Context, pkg, version types.String, phaseBlocks types.List) (releaseFlow, diag.Diagnostics) {
	var diags diag.Diagnostics
	flow := releaseFlow{
		draft:        domain.ReleaseDraft{Package: pkg.ValueString(), Version: version.ValueString()},
		complete:     !phaseBlocks.IsUnknown(),
		releaseKnown: !pkg.IsUnknown() && !version.IsUnknown(),
	}
	if phaseBlocks.IsUnknown() || phaseBlocks.IsNull() {
		if phaseBlocks.IsUnknown() {
			// A dynamic block over unknown values: the count of phases is
			// not known, so nothing can be checked yet.
			flow.draft.Phases = []domain.PhaseDraft{{NameUnknown: true, EnvironmentsUnknown: true}}
		}
		return flow, diags
	}
	for _, element := range phaseBlocks.Elements() {
		object, ok := element.(types.Object)
		if !ok || object.IsUnknown() || object.IsNull() {
			flow.draft.Phases = append(flow.draft.Phases, domain.PhaseDraft{NameUnknown: true, EnvironmentsUnknown: true})
			flow.complete = false
			continue
		}
		var block phaseBlockModel
		diags.Append(object.As(ctx, &block, basetypes.ObjectAsOptions{})...)
		if diags.HasError() {
			return flow, diags
		}
		draft := domain.PhaseDraft{
			Name:             block.Name.ValueString(),
			NameUnknown:      block.Name.IsUnknown(),
			RequiresApproval: block.RequiresApproval.ValueBool(),
		}
		envs, known := knownStrings(block.Environments)
		draft.Environments = envs
		draft.EnvironmentsUnknown = !known
		if draft.NameUnknown || draft.EnvironmentsUnknown || block.RequiresApproval.IsUnknown() {
			flow.complete = false
		}
		flow.draft.Phases = append(flow.draft.Phases, draft)
		flow.phases = append(flow.phases, domain.Phase{Name: draft.Name, Environments: envs, RequiresApproval: draft.RequiresApproval})
	}
	return flow, diags
}

// knownStrings returns a list's strings, and false when the list or any
// element is unknown (one unknown element hides the positions of the rest).
func knownStrings(list types.List) ([]string, bool) {
	if list.IsUnknown() {
		return nil, false
	}
	out := make([]string, 0, len(list.Elements()))
	for _, element := range list.Elements() {
		s, ok := element.(types.String)
		if !ok || s.IsUnknown() {
			return nil, false
		}
		out = append(out, s.ValueString())
	}
	return out, true
}

// environments lists every environment named by the flow's known phases.
func (f releaseFlow) environments() []string {
	var out []string
	for _, p := range f.draft.Phases {
		out = append(out, p.Environments...)
	}
	return out
}

// checkReleaseFlow reports the engine's findings as diagnostics at their
// attribute paths. The unknown-environment rule applies only when the store
// (or this plan) knows some environments: with none at all, the releases are
// being declared before any environment is, and nothing can be judged.
// alreadyAccepted are environments of the release's prior state: a fresh
// runner re-registers environments while it plans, so they may be missing
// from the store for a moment, and were accepted when first planned.
func checkReleaseFlow(ctx context.Context, pd *providerData, flow releaseFlow, alreadyAccepted []string) diag.Diagnostics {
	var diags diag.Diagnostics
	problems, err := releaseFlowProblems(ctx, pd, flow, alreadyAccepted)
	if err != nil {
		diags.AddError("Cannot List Environments",
			fmt.Sprintf("Listing environments to check the release's phases failed: %s.", pd.storeErrorText(err)))
		return diags
	}
	for _, problem := range problems {
		detail := problemDetail(problem)
		attributePath := problemPath(problem.Path)
		if len(problem.Path) > 0 {
			// Terraform highlights the whole expression of a for-generated
			// list; the path says which element is meant.
			detail += fmt.Sprintf("\n\nAttribute: %s", attributePath)
		}
		switch {
		case problem.Severity == domain.SeverityWarning && len(problem.Path) == 0:
			diags.AddWarning(problem.Summary, detail)
		case problem.Severity == domain.SeverityWarning:
			diags.AddAttributeWarning(attributePath, problem.Summary, detail)
		case len(problem.Path) == 0:
			diags.AddError(problem.Summary, detail)
		default:
			diags.AddAttributeError(attributePath, problem.Summary, detail)
		}
	}
	return diags
}

// defaultUnknownEnvironmentGrace is how long a release waits for
// environments it names that are neither stored nor planned yet. Terraform
// plans and applies resources that do not reference each other in
// parallel, in no set order: a release that names an environment literally
// may be planned (or, worse, re-planned during apply) a moment before the
// ocuroot_environment that declares it. A typo costs this long; a reference
// costs nothing. Options.UnknownEnvironmentGrace replaces it per provider.
const defaultUnknownEnvironmentGrace = 2 * time.Second

const unknownEnvironmentPoll = 50 * time.Millisecond

// releaseFlowProblems runs the engine's checks. When only the
// unknown-environment rule fails, it looks again until the grace runs out.
func releaseFlowProblems(ctx context.Context, pd *providerData, flow releaseFlow, alreadyAccepted []string) ([]domain.Problem, error) {
	if pd == nil {
		return domain.CheckReleaseFlow(flow.draft, nil), nil
	}
	deadline := time.Now().Add(pd.unknownEnvironmentGrace)
	for {
		knownEnvs, err := knownEnvironments(ctx, pd)
		if err != nil {
			return nil, err
		}
		if knownEnvs != nil {
			for _, env := range alreadyAccepted {
				knownEnvs[env] = true
			}
		}
		problems := domain.CheckReleaseFlow(flow.draft, knownEnvs)
		if !hasUnknownEnvironment(problems) || !time.Now().Before(deadline) {
			return problems, nil
		}
		timer := time.NewTimer(unknownEnvironmentPoll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return problems, nil
		case <-timer.C:
		}
	}
}

func hasUnknownEnvironment(problems []domain.Problem) bool {
	for _, p := range problems {
		if p.Code == domain.ProblemUnknownEnvironment {
			return true
		}
	}
	return false
}

// knownEnvironments is every environment in the store plus those planned
// in this run, or nil when there are none.
func knownEnvironments(ctx context.Context, pd *providerData) (map[string]bool, error) {
	stored, err := pd.engine.ListEnvironments(ctx, nil)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, env := range stored {
		known[env.Name] = true
	}
	pd.plannedMu.Lock()
	for name := range pd.plannedEnvironments {
		known[name] = true
	}
	pd.plannedMu.Unlock()
	if len(known) == 0 {
		return nil, nil
	}
	return known, nil
}

// problemPath converts an engine path such as phase[1].environments[0].
func problemPath(steps []domain.PathStep) path.Path {
	var p path.Path
	for i, step := range steps {
		if i == 0 {
			p = path.Root(step.Name)
		} else {
			p = p.AtName(step.Name)
		}
		if step.Index >= 0 {
			p = p.AtListIndex(step.Index)
		}
	}
	return p
}

// flowValues renders phase_order and graph; both are deterministic
// functions of the phases, so they are the same at plan time and after apply.
func flowValues(pkg, version string, phases []domain.Phase) (types.List, types.String, diag.Diagnostics) {
	var diags diag.Diagnostics
	entries := domain.PhaseOrder(phases)
	objects := make([]attr.Value, 0, len(entries))
	for _, entry := range entries {
		envs, d := types.ListValueFrom(context.Background(), types.StringType, entry.Environments)
		diags.Append(d...)
		object, d := types.ObjectValue(phaseOrderAttrTypes, map[string]attr.Value{
			"index":             types.Int64Value(int64(entry.Index)),
			"name":              types.StringValue(entry.Name),
			"environments":      envs,
			"requires_approval": types.BoolValue(entry.RequiresApproval),
		})
		diags.Append(d...)
		objects = append(objects, object)
	}
	order, d := types.ListValue(types.ObjectType{AttrTypes: phaseOrderAttrTypes}, objects)
	diags.Append(d...)
	return order, types.StringValue(domain.MermaidGraph(pkg, version, phases)), diags
}

// phaseBlocksValue converts stored phases back into `phase` blocks.
func phaseBlocksValue(phases []domain.Phase) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	objects := make([]attr.Value, 0, len(phases))
	for _, p := range phases {
		envs, d := types.ListValueFrom(context.Background(), types.StringType, append([]string{}, p.Environments...))
		diags.Append(d...)
		object, d := types.ObjectValue(phaseBlockAttrTypes, map[string]attr.Value{
			"name":              types.StringValue(p.Name),
			"environments":      envs,
			"requires_approval": types.BoolValue(p.RequiresApproval),
		})
		diags.Append(d...)
		objects = append(objects, object)
	}
	list, d := types.ListValue(types.ObjectType{AttrTypes: phaseBlockAttrTypes}, objects)
	diags.Append(d...)
	return list, diags
}
