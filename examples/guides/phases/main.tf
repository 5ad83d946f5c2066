# A release flow of three phases (staging, production canary, the rest of
# production) with one ocuroot_deployment block per phase, each depending on
# the one before, so Terraform applies them in phase order.

terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

variable "api_version" {
  description = "Version of the api build to release."
  type        = string
  default     = "1.0.0"
}

variable "target_url" {
  description = "Base URL of the service that receives hooks and answers health checks."
  type        = string
  default     = "http://localhost:8080"
}

resource "ocuroot_environment" "all" {
  for_each = {
    "staging"   = { type = "staging" }
    "prod-eu-1" = { type = "prod", canary = "true" }
    "prod-eu-2" = { type = "prod" }
    "prod-us-1" = { type = "prod" }
  }
  name       = each.key
  attributes = each.value
}

# Which environments each phase deploys to, selected by attribute. Both the
# release and the deployments below read this map, so they cannot disagree.
locals {
  phase_environments = {
    staging     = [for e in ocuroot_environment.all : e.name if e.attributes.type == "staging"]
    prod_canary = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") == "true"]
    prod        = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") != "true"]
  }
}

resource "ocuroot_release" "api" {
  package = "api"
  version = var.api_version

  phase {
    name         = "staging"
    environments = local.phase_environments.staging
  }

  phase {
    name         = "prod_canary"
    environments = local.phase_environments.prod_canary
  }

  phase {
    name         = "prod"
    environments = local.phase_environments.prod
  }
}

resource "ocuroot_deployment" "staging" {
  for_each    = toset(local.phase_environments.staging)
  environment = each.key
  release     = ocuroot_release.api.id

  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url = "${var.target_url}/health/{package}/{environment}/{slot}/{version}"
  }
}

resource "ocuroot_deployment" "prod_canary" {
  for_each    = toset(local.phase_environments.prod_canary)
  environment = each.key
  release     = ocuroot_release.api.id
  strategy    = "canary"

  canary {
    step {
      weight = 10
      bake   = "10m"
    }
    step {
      weight = 50
      bake   = "10m"
    }
  }
  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url = "${var.target_url}/health/{package}/{environment}/{slot}/{version}"
  }

  timeouts {
    update = "40m"
  }

  depends_on = [ocuroot_deployment.staging]
}

resource "ocuroot_deployment" "prod" {
  for_each    = toset(local.phase_environments.prod)
  environment = each.key
  release     = ocuroot_release.api.id

  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url = "${var.target_url}/health/{package}/{environment}/{slot}/{version}"
  }

  depends_on = [ocuroot_deployment.prod_canary]
}

output "phase_order" {
  value = [for p in ocuroot_release.api.phase_order : "${p.index}. ${p.name}: ${join(", ", p.environments)}"]
}

output "graph" {
  value = ocuroot_release.api.graph
}
