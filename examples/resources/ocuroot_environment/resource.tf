terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

# A single environment.
resource "ocuroot_environment" "staging" {
  name = "staging"
  attributes = {
    type = "staging"
  }
}

# Many environments from one map. Releases select them by attribute with
# for expressions, e.g. [for e in ocuroot_environment.prod : e.name if e.attributes.canary == "true"].
locals {
  prod_environments = {
    "prod-eu-1" = { type = "prod", region = "eu", canary = "true" }
    "prod-eu-2" = { type = "prod", region = "eu", canary = "false" }
    "prod-us-1" = { type = "prod", region = "us", canary = "false" }
  }
}

resource "ocuroot_environment" "prod" {
  for_each   = local.prod_environments
  name       = each.key
  attributes = each.value
}

output "prod_environment_names" {
  value = [for e in ocuroot_environment.prod : e.name]
}
