terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

variable "api_version" {
  description = "Version proposed in the pull request."
  type        = string
  default     = "1.5.0"
}

# One map describes the environments: it declares them and, because its
# values are known at plan time, it also feeds the preview below.
locals {
  environments = {
    "staging"   = { type = "staging" }
    "prod-eu-1" = { type = "prod", canary = "true" }
    "prod-eu-2" = { type = "prod", canary = "false" }
  }
}

resource "ocuroot_environment" "all" {
  for_each   = local.environments
  name       = each.key
  attributes = each.value
}

# The preview registers nothing: a pull request's `terraform plan` shows the
# flow of the proposed release, checked with the same rules as ocuroot_release.
data "ocuroot_release_plan" "api" {
  package = "api"
  version = var.api_version

  phase {
    name         = "staging"
    environments = [for name, attrs in local.environments : name if attrs.type == "staging"]
  }

  phase {
    name         = "prod_canary"
    environments = [for name, attrs in local.environments : name if attrs.type == "prod" && lookup(attrs, "canary", "false") == "true"]
  }

  phase {
    name              = "prod"
    environments      = [for name, attrs in local.environments : name if attrs.type == "prod" && lookup(attrs, "canary", "false") != "true"]
    requires_approval = true
  }
}

output "phase_order" {
  value = [for p in data.ocuroot_release_plan.api.phase_order : "${p.index}. ${p.name}: ${join(", ", p.environments)}${p.requires_approval ? " (approval)" : ""}"]
}

# Mermaid text: paste it into any Mermaid renderer or a pull request comment.
output "graph" {
  value = data.ocuroot_release_plan.api.graph
}
