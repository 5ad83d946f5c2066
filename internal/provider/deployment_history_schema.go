package provider

import (
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// One history entry is described once and rendered for both kinds of schema:
// the resource's last_transition and the data sources' history entries.
var transitionDescriptions = map[string]string{
	"time":    "When, RFC 3339.",
	"from":    "State before.",
	"to":      "State after.",
	"release": "Release concerned.",
	"reason":  "Why: what was done or decided.",
}

// transitionAttributes are the attributes of last_transition.
func transitionAttributes() map[string]rschema.Attribute {
	attrs := make(map[string]rschema.Attribute, len(transitionDescriptions))
	for name, description := range transitionDescriptions {
		attrs[name] = rschema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return attrs
}

// transitionDataAttributes are the attributes of one history entry in a
// data source.
func transitionDataAttributes() map[string]dschema.Attribute {
	attrs := make(map[string]dschema.Attribute, len(transitionDescriptions))
	for name, description := range transitionDescriptions {
		attrs[name] = dschema.StringAttribute{Computed: true, MarkdownDescription: description}
	}
	return attrs
}

// historyEntriesAttribute is a data source's list of history entries.
func historyEntriesAttribute(description string) dschema.ListNestedAttribute {
	return dschema.ListNestedAttribute{
		Computed:            true,
		MarkdownDescription: description,
		NestedObject:        dschema.NestedAttributeObject{Attributes: transitionDataAttributes()},
	}
}

// lastTransitionDataAttribute is the data source's last_transition.
func lastTransitionDataAttribute() dschema.SingleNestedAttribute {
	return dschema.SingleNestedAttribute{
		Computed: true,
		MarkdownDescription: "The newest transition: why the deployment is where it is. " +
			"Null when the store has no transition on record (a record restored from Terraform state).",
		Attributes: transitionDataAttributes(),
	}
}
