# Quick start: one API rolled through staging → prod canary → prod, and one
# web service released blue-green behind a manual promotion.
#
# The hook target and the health/metric URLs point at the bundled demo
# target (cmd/ocuroot-demo-target); `make demo` starts it and runs this
# configuration through five acts.

terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

variable "target_url" {
  description = "Base URL of the service that receives hooks and answers health checks."
  type        = string
  default     = "http://127.0.0.1:8080"
}

variable "api_version" {
  description = "Version of the api package to release."
  type        = string
  default     = "1"
}

variable "web_version" {
  description = "Version of the web package to release (blue-green)."
  type        = string
  default     = "1"
}

variable "promote_web_release" {
  description = "Set to the pending web release id (e.g. web@2) to cut over to it. Kept apart from web_version so a new release never promotes itself."
  type        = string
  default     = ""
}

# The embedded store lives under .terraform/; the hook secret comes from
# OCUROOT_HOOK_SECRET.
provider "ocuroot" {}

locals {
  environments = {
    staging = { type = "staging" }
    prod0   = { type = "prod", canary = "true" }
    prod1   = { type = "prod" }
    prod2   = { type = "prod" }
  }
  health_url = "${var.target_url}/health/{package}/{environment}/{slot}/{version}"
}

resource "ocuroot_environment" "all" {
  for_each   = local.environments
  name       = each.key
  attributes = each.value
}

# The flow is plain HCL: for expressions over environment attributes.
resource "ocuroot_release" "api" {
  package     = "api"
  version     = var.api_version
  description = "API build ${var.api_version}"

  phase {
    name         = "staging"
    environments = [for e in ocuroot_environment.all : e.name if e.attributes.type == "staging"]
  }
  phase {
    name         = "prod_canary"
    environments = [for e in ocuroot_environment.all : e.name if lookup(e.attributes, "canary", "false") == "true"]
  }
  phase {
    name         = "prod"
    environments = [for e in ocuroot_environment.all : e.name if e.attributes.type == "prod" && lookup(e.attributes, "canary", "false") != "true"]
  }
}

resource "ocuroot_deployment" "api_staging" {
  for_each    = toset(ocuroot_release.api.phase[0].environments)
  environment = each.key
  release     = ocuroot_release.api.id

  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url      = local.health_url
    interval = "500ms"
  }
}

resource "ocuroot_deployment" "api_canary" {
  for_each    = toset(ocuroot_release.api.phase[1].environments)
  environment = each.key
  release     = ocuroot_release.api.id
  strategy    = "canary"

  canary {
    check_interval    = "500ms"
    failure_threshold = 2
    step {
      weight = 10
      bake   = "2s"
    }
    step {
      weight = 50
      bake   = "2s"
    }
  }
  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url = local.health_url
  }
  check {
    name = "error_rate"
    url  = "${var.target_url}/metrics/{package}/{environment}/{slot}/{version}"
    path = "error_rate"
    max  = 0.05
  }

  depends_on = [ocuroot_deployment.api_staging]
}

resource "ocuroot_deployment" "api_prod" {
  for_each    = toset(ocuroot_release.api.phase[2].environments)
  environment = each.key
  release     = ocuroot_release.api.id

  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url      = local.health_url
    interval = "500ms"
  }

  depends_on = [ocuroot_deployment.api_canary]
}

resource "ocuroot_release" "web" {
  package = "web"
  version = var.web_version

  phase {
    name         = "prod"
    environments = [ocuroot_environment.all["prod1"].name]
  }
}

resource "ocuroot_deployment" "web" {
  environment = ocuroot_environment.all["prod1"].name
  release     = ocuroot_release.web.id
  strategy    = "blue_green"

  blue_green {
    manual_promotion = true
    scale_down_delay = "1s"
  }
  hook {
    url = "${var.target_url}/hooks"
  }
  health_check {
    url      = local.health_url
    interval = "500ms"
  }
}

# A promotion is its own resource: a reviewed apply that names exactly the
# release to cut over to.
resource "ocuroot_promotion" "web" {
  count      = var.promote_web_release == "" ? 0 : 1
  deployment = ocuroot_deployment.web.id
  release    = var.promote_web_release
  note       = "cutover approved in the quick start"
}

output "api_phase_order" {
  description = "The api release's phases in execution order (known at plan time)."
  value       = [for p in ocuroot_release.api.phase_order : "${p.index}. ${p.name}: ${join(", ", p.environments)}"]
}

output "api_graph" {
  description = "Mermaid picture of the api release flow."
  value       = ocuroot_release.api.graph
}

output "deployments" {
  description = "Status of every deployment."
  value = {
    for d in concat(values(ocuroot_deployment.api_staging), values(ocuroot_deployment.api_canary), values(ocuroot_deployment.api_prod), [ocuroot_deployment.web]) :
    d.id => {
      status          = d.status
      live_release    = d.live_release
      pending_release = d.pending_release
      traffic_percent = d.traffic_percent
    }
  }
}
