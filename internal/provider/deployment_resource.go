package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// NewDeploymentResource is being written by the lead.
func NewDeploymentResource() resource.Resource { return nil }
