package provider

import "github.com/hashicorp/terraform-plugin-framework/resource"

// NewPromotionResource is being written by the lead.
func NewPromotionResource() resource.Resource { return nil }
