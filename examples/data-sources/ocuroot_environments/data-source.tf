terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

# Environments are usually declared by a platform workspace; other
# workspaces sharing the store (for example through OCUROOT_STORE) list them.
provider "ocuroot" {}

# Every production environment in the EU.
data "ocuroot_environments" "prod_eu" {
  attributes = {
    type   = "prod"
    region = "eu"
  }
}

# Every registered environment.
data "ocuroot_environments" "all" {}

output "prod_eu_names" {
  value = data.ocuroot_environments.prod_eu.names
}

# Environments grouped by their region attribute ("none" when unset).
output "names_by_region" {
  value = {
    for e in data.ocuroot_environments.all.environments :
    lookup(e.attributes, "region", "none") => e.name...
  }
}
