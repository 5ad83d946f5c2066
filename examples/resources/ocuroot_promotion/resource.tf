terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

provider "ocuroot" {}

variable "web_version" {
  description = "Version of the web build to deploy."
  type        = string
  default     = "2.0.0"
}

# Approvals and cutovers name the exact release they are for, in variables
# of their own: bumping web_version never approves or promotes the new
# release by itself. Set them in a reviewed run.
variable "approve_prod_release" {
  description = "Release id (web@VERSION) allowed into the prod phase. Empty: none."
  type        = string
  default     = ""
}

variable "promote_release" {
  description = "Release id (web@VERSION) to cut over to once it waits at awaiting_promotion. Empty: none."
  type        = string
  default     = ""
}

variable "target_url" {
  description = "Base URL of the service that receives hooks and answers health checks."
  type        = string
  default     = "http://localhost:8080"
}

resource "ocuroot_environment" "staging" {
  name       = "staging"
  attributes = { type = "staging" }
}

resource "ocuroot_environment" "prod" {
  name       = "prod"
  attributes = { type = "prod" }
}

resource "ocuroot_release" "web" {
  package = "web"
  version = var.web_version

  phase {
    name         = "staging"
    environments = [ocuroot_environment.staging.name]
  }

  phase {
    name              = "prod"
    environments      = [ocuroot_environment.prod.name]
    requires_approval = true
  }
}

# Phase approval: deployments of this release into the prod phase start
# only once it is recorded.
resource "ocuroot_promotion" "web_prod_approval" {
  count   = var.approve_prod_release == "" ? 0 : 1
  release = var.approve_prod_release
  phase   = "prod"
  note    = "CHG-1042: approved by the release manager"

  # The release is named by a variable, so order it explicitly: a release
  # must be registered before it can be approved.
  depends_on = [ocuroot_release.web]
}

resource "ocuroot_deployment" "web_staging" {
  environment = ocuroot_environment.staging.name
  release     = ocuroot_release.web.id

  hook {
    url = "${var.target_url}/hooks"
  }
}

# Blue-green with a manual cutover: an apply that changes the release ends
# at awaiting_promotion, green healthy and blue still serving.
resource "ocuroot_deployment" "web_prod" {
  environment = ocuroot_environment.prod.name
  release     = ocuroot_release.web.id
  strategy    = "blue_green"

  blue_green {
    manual_promotion = true
    scale_down_delay = "10m"
  }

  hook {
    url = "${var.target_url}/hooks"
  }

  health_check {
    url = "${var.target_url}/health/{package}/{environment}/{slot}/{version}"
  }

  depends_on = [ocuroot_deployment.web_staging, ocuroot_promotion.web_prod_approval]
}

# Cutover: waits until web_prod is awaiting promotion for this release,
# switches traffic to green, then drains blue after the scale-down delay.
resource "ocuroot_promotion" "web_prod_cutover" {
  count      = var.promote_release == "" ? 0 : 1
  deployment = ocuroot_deployment.web_prod.id
  release    = var.promote_release
  note       = "CHG-1043: cutover during the Tuesday window"

  timeouts {
    create = "30m"
  }
}
