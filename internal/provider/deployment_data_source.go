package provider

import "github.com/hashicorp/terraform-plugin-framework/datasource"

// NewDeploymentDataSource is being written by the lead.
func NewDeploymentDataSource() datasource.DataSource { return nil }
