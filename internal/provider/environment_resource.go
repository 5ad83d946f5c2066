package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/domain"
	"github.com/ocuroot/terraform-provider-ocuroot/internal/engine/records"
)

var (
	_ resource.ResourceWithConfigure   = (*environmentResource)(nil)
	_ resource.ResourceWithIdentity    = (*environmentResource)(nil)
	_ resource.ResourceWithImportState = (*environmentResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*environmentResource)(nil)
)

// NewEnvironmentResource is the factory for ocuroot_environment.
func NewEnvironmentResource() resource.Resource { return &environmentResource{} }

type environmentResource struct {
	pd *providerData
}

type environmentResourceModel struct {
	ID         types.String `tfsdk:"id"`
	Name       types.String `tfsdk:"name"`
	Attributes types.Map    `tfsdk:"attributes"`
}

func (r *environmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_environment"
}

func (r *environmentResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A named deployment target (`staging`, `prod-eu-1`, …) with free-form string attributes. " +
			"Releases select their environments with HCL `for` expressions over these attributes, for example " +
			"`[for e in ocuroot_environment.all : e.name if e.attributes.type == \"prod\"]`.\n\n" +
			"Destroying an environment that still has live deployments is refused: destroy those deployments first " +
			"(referencing the environment from each `ocuroot_deployment` makes Terraform do that in the same apply).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The environment name; also the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the environment: letters, digits, `_`, `.` and `-`. " +
					"Changing it replaces the environment.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{nameValidator("environment name")},
			},
			"attributes": schema.MapAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Free-form string attributes such as `{ type = \"prod\", canary = \"true\", region = \"eu\" }`. " +
					"They are sent to hooks with every event and are what releases select environments by.",
			},
		},
	}
}

// IdentitySchema names the resource for Terraform 1.12+ import blocks.
func (r *environmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchema(identityAttribute{"name", "The environment name, which is also its id."})
}

func (r *environmentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configuredProviderData(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan makes the id known at plan time and tells releases planned
// later in this run that the environment is about to exist.
func (r *environmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var name types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	if resp.Diagnostics.HasError() || name.IsUnknown() || name.IsNull() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), name)...)
	if r.pd != nil {
		r.pd.notePlannedEnvironment(name.ValueString())
	}
}

func (r *environmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "name")
	resp.Diagnostics.Append(r.save(ctx, req.Plan, &resp.State, "Create")...)
}

func (r *environmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// The identity never changes on refresh: take it from the prior state,
	// which is there even when the refresh removes the resource.
	defer syncIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, "name")
	var state environmentResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	env, err := r.pd.engine.GetEnvironment(ctx, state.Name.ValueString())
	switch {
	case records.IsNotFound(err):
		// A fresh runner starts with an empty embedded store: the state's
		// environment is kept until the apply writes it. One that Terraform
		// destroyed (possibly from another workspace) is gone instead.
		if r.restore(ctx, &state, resp) {
			return
		}
	case err != nil:
		resp.Diagnostics.AddError("Cannot Read Environment",
			fmt.Sprintf("Reading environment %q failed: %s.", state.Name.ValueString(), r.pd.storeErrorText(err)))
	default:
		state.ID = types.StringValue(env.Name)
		state.Attributes = stringMapValue(env.Attributes, state.Attributes)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// restore keeps the state's environment for a store that has no record of
// it, writing nothing; it reports true when the resource was removed
// because the environment was deleted through Terraform.
func (r *environmentResource) restore(ctx context.Context, state *environmentResourceModel, resp *resource.ReadResponse) bool {
	attrs, diags := stringMapFrom(ctx, state.Attributes)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return true
	}
	name := state.Name.ValueString()
	outcome, err := r.pd.engine.RestoreEnvironment(ctx, domain.Environment{Name: name, Attributes: attrs})
	if err != nil {
		resp.Diagnostics.AddError("Cannot Read Environment", fmt.Sprintf("Restoring environment %q from Terraform state failed: %s.", name, r.pd.storeErrorText(err)))
		return true
	}
	if outcome == records.DeletedElsewhere {
		providerLog.Info(ctx, "environment was deleted from the store; planning to create it again", map[string]any{"environment": name})
		resp.State.RemoveResource(ctx)
		return true
	}
	providerLog.Info(ctx, "environment missing from the store; keeping the Terraform state, the next apply stores it again", map[string]any{"environment": name})
	return false
}

func (r *environmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "name")
	resp.Diagnostics.Append(r.save(ctx, req.Plan, &resp.State, "Update")...)
}

func (r *environmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state environmentResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.Name.ValueString()
	if err := r.pd.engine.DeleteEnvironment(ctx, name); err != nil {
		summary := "Cannot Delete Environment"
		var inUse *domain.EnvironmentInUseError
		if errors.As(err, &inUse) {
			summary = "Environment Still Has Live Deployments"
		}
		resp.Diagnostics.AddError(summary, sentence(engineErrorText(err))+" The environment was kept.")
		return
	}
	providerLog.Info(ctx, "environment deleted", map[string]any{"environment": name})
}

func (r *environmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer syncIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, "name")
	id, diags := importIDFromIdentity(ctx, req.ID, req.Identity, "", "name")
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	req.ID = id
	if r.pd == nil {
		resp.Diagnostics.AddError("Provider Not Configured", "The ocuroot provider must be configured before importing an environment.")
		return
	}
	name := req.ID
	if err := domain.ValidateName("environment name", name); err != nil {
		resp.Diagnostics.AddError("Invalid Environment Import Id", fmt.Sprintf("The import id is the environment name: %s.", err))
		return
	}
	env, err := r.pd.engine.GetEnvironment(ctx, name)
	if err != nil {
		detail := fmt.Sprintf("Reading environment %q failed: %s.", name, r.pd.storeErrorText(err))
		if records.IsNotFound(err) {
			detail = fmt.Sprintf("Environment %q is not registered in the ocuroot store (%s). Check the name, or create it with this resource instead of importing it.", name, r.pd.storeDescription)
		}
		resp.Diagnostics.AddError("Cannot Import Environment", detail)
		return
	}
	state := importedEnvironment(env)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// importedEnvironment is a stored environment as an import or a listed
// result records it.
func importedEnvironment(env domain.Environment) environmentResourceModel {
	return environmentResourceModel{
		ID:         types.StringValue(env.Name),
		Name:       types.StringValue(env.Name),
		Attributes: stringMapValue(env.Attributes, types.MapNull(types.StringType)),
	}
}

// save registers the planned environment and records it in the state; it
// is all Create and Update do.
func (r *environmentResource) save(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, operation string) diag.Diagnostics {
	var m environmentResourceModel
	diags := plan.Get(ctx, &m)
	if diags.HasError() {
		return diags
	}
	diags.Append(r.put(ctx, &m, operation)...)
	if diags.HasError() {
		return diags
	}
	diags.Append(state.Set(ctx, &m)...)
	return diags
}

// put registers the environment described by m and completes m's computed
// values. operation names the CRUD step in the diagnostic.
func (r *environmentResource) put(ctx context.Context, m *environmentResourceModel, operation string) diag.Diagnostics {
	var diags diag.Diagnostics
	attrs, d := stringMapFrom(ctx, m.Attributes)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	env, err := r.pd.engine.PutEnvironment(ctx, domain.Environment{Name: m.Name.ValueString(), Attributes: attrs})
	if err != nil {
		diags.AddError(fmt.Sprintf("Cannot %s Environment", operation),
			fmt.Sprintf("Saving environment %q failed: %s.", m.Name.ValueString(), r.pd.storeErrorText(err)))
		return diags
	}
	m.ID = types.StringValue(env.Name)
	return diags
}

// nameValidator checks a name against the engine's name pattern at
// validation time, before anything is planned.
func nameValidator(kind string) validator.String {
	return stringvalidator.RegexMatches(domain.NamePattern(),
		fmt.Sprintf("must be a valid %s: only letters, digits, '_', '.' and '-' (%s)", kind, domain.NamePattern()))
}
