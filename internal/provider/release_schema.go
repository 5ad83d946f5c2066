package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Descriptions shared by the release resource and the release plan data
// source, so both document the same words.
const (
	descReleasePackage = "Name of the package (the build's component), for example `api`: letters, digits, `_`, `.` and `-`."
	descReleaseVersion = "Version of the build, for example `1.4.2` or a commit hash: letters, digits, `_`, `.` and `-`. " +
		"A new version is a new release."
	descReleaseID = "The release id, `PACKAGE@VERSION`, the form deployments, promotions and `terraform import` use. Known at plan time."
	descPhase     = "An ordered phase of the release: its environments are deployed in parallel, and phases run strictly in " +
		"declaration order. An environment belongs to at most one phase."
	descPhaseName         = "Name of the phase, unique within the release, for example `staging` or `prod_canary`."
	descPhaseEnvironments = "Names of the environments of this phase, usually selected with a `for` expression over " +
		"`ocuroot_environment` attributes, for example `[for e in ocuroot_environment.all : e.name if e.attributes.type == \"prod\"]`."
	descPhaseRequiresApproval = "When `true`, the phase opens only after an `ocuroot_promotion` of this release and phase " +
		"records an approval. Defaults to `false`."
	descPhaseOrder = "The phases in execution order, each with its environments. Computed at plan time from the configuration, " +
		"so a reviewer sees the order before anything moves."
	descPhaseOrderIndex = "1-based position of the phase in execution order."
	descGraph           = "The release flow as Mermaid `graph LR` text (release → phases → environments; an edge into a phase " +
		"that requires approval is labelled `approval`). Computed at plan time; paste it into any Mermaid renderer."
)

func (r *releaseResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A release: one build of a package and its flow, an ordered list of phases of environments. " +
			"`phase_order` and `graph` are computed at plan time, so `terraform plan` shows the flow before anything moves; " +
			"mistakes in the flow (an environment in two phases, duplicate phase names, no phase) are plan-time errors.\n\n" +
			"A new `version` replaces the release. Destroying a release never tears anything down: a release that a " +
			"deployment still runs is archived in the store, otherwise its record is deleted.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: descReleaseID,
			},
			"package": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: descReleasePackage + " Changing it replaces the release.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{nameValidator("package name")},
			},
			"version": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: descReleaseVersion + " Changing it replaces the release.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{nameValidator("version")},
			},
			"artifact": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Where the build lives, for example a container image reference. Sent to hooks with every event.",
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Free text describing the release, for example its changelog headline.",
			},
			"metadata": schema.MapAttribute{
				ElementType:         types.StringType,
				Optional:            true,
				MarkdownDescription: "Free-form string metadata about the build (commit, pipeline run, author).",
			},
			"phase_order": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: descPhaseOrder,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"index":             schema.Int64Attribute{Computed: true, MarkdownDescription: descPhaseOrderIndex},
						"name":              schema.StringAttribute{Computed: true, MarkdownDescription: descPhaseName},
						"environments":      schema.ListAttribute{ElementType: types.StringType, Computed: true, MarkdownDescription: "Environments of the phase, in declared order."},
						"requires_approval": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether the phase waits for an approval."},
					},
				},
			},
			"graph": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: descGraph,
			},
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Progress of the release derived from its deployments after apply and on refresh: " +
					"`pending`, `in_progress`, `succeeded` or `failed`.",
			},
			"phase_status": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Progress of each phase, in execution order, derived from the deployments of this release.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name":   schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the phase."},
						"status": schema.StringAttribute{Computed: true, MarkdownDescription: "`pending`, `in_progress`, `succeeded` or `failed`."},
					},
				},
			},
			"archived": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether the release is archived in the store: a configuration sharing the store destroyed it " +
					"while a deployment still ran it. Applying any change to this release registers it again.",
			},
		},
		Blocks: map[string]schema.Block{
			"phase": schema.ListNestedBlock{
				MarkdownDescription: descPhase,
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							Required:            true,
							MarkdownDescription: descPhaseName,
						},
						"environments": schema.ListAttribute{
							ElementType:         types.StringType,
							Required:            true,
							MarkdownDescription: descPhaseEnvironments,
						},
						"requires_approval": schema.BoolAttribute{
							Optional:            true,
							Computed:            true,
							Default:             booldefault.StaticBool(false),
							MarkdownDescription: descPhaseRequiresApproval,
						},
					},
				},
			},
		},
	}
}
