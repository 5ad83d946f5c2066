terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

variable "api_version" {
  description = "Version of the api build; a new version is a new release."
  type        = string
  default     = "1.4.2"
}

locals {
  environments = {
    "staging"   = { type = "staging" }
    "prod-eu-1" = { type = "prod", canary = "true" }
    "prod-eu-2" = { type = "prod", canary = "false" }
    "prod-us-1" = { type = "prod", canary = "false" }
  }
}

resource "ocuroot_environment" "all" {
  for_each   = local.environments
  name       = each.key
  attributes = each.value
}

# Three phases, run strictly in this order: staging, then the production
# canary environments, then the rest of production once someone approves.
resource "ocuroot_release" "api" {
  package     = "api"
  version     = var.api_version
  artifact    = "registry.example.com/api:${var.api_version}"
  description = "Faster checkout, fewer retries"
  metadata = {
    commit = "9f8c2d1"
  }

  phase {
    name         = "staging"
    environments = [for e in ocuroot_environment.all : e.name if e.attributes.type == "staging"]
  }

  phase {
    name         = "prod_canary"
    environments = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") == "true"]
  }

  phase {
    name              = "prod"
    environments      = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") != "true"]
    requires_approval = true
  }
}

# Known at plan time: reviewers see the flow before anything moves.
output "phase_order" {
  value = [for p in ocuroot_release.api.phase_order : "${p.index}. ${p.name}: ${join(", ", p.environments)}"]
}

output "graph" {
  value = ocuroot_release.api.graph
}
