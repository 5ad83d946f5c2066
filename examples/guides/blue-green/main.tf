# Blue-green with a manual cutover. The deployment follows var.web_version;
# the cutover names var.promote_release. Bumping the version therefore stops
# at awaiting_promotion, and traffic moves only in a later, reviewed apply
# that sets promote_release to exactly that release.

terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

# The cutover runs in a later apply than the one that creates green, so the
# checks' token and the hook secret come from the provider block, which every
# run evaluates, rather than from the deployment.
provider "ocuroot" {
  hook_secret = var.hook_secret

  credentials = {
    metrics = {
      headers = { Authorization = "Bearer ${var.metrics_token}" }
    }
  }
}

variable "hook_secret" {
  description = "Secret that signs the hook calls."
  type        = string
  sensitive   = true
}

variable "metrics_token" {
  description = "Bearer token of the health and metrics endpoints."
  type        = string
  sensitive   = true
}

variable "web_version" {
  description = "Version of web to deploy. A new version creates a green slot and waits for a promotion."
  type        = string
  default     = "1.0.0"
}

variable "promote_release" {
  description = "Release id (web@VERSION) to cut over to. Empty: no cutover in this apply."
  type        = string
  default     = ""
}

variable "target_url" {
  description = "Base URL of the service that receives hooks and answers health and metric checks."
  type        = string
  default     = "http://localhost:8080"
}

resource "ocuroot_environment" "prod" {
  name       = "prod"
  attributes = { type = "prod" }
}

resource "ocuroot_release" "web" {
  package  = "web"
  version  = var.web_version
  artifact = "registry.example.com/web:${var.web_version}"

  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod.name]
  }
}

resource "ocuroot_deployment" "web" {
  environment = ocuroot_environment.prod.name
  release     = ocuroot_release.web.id
  strategy    = "blue_green"

  blue_green {
    manual_promotion = true
    promotion_delay  = "30s"
    scale_down_delay = "15m"

    # Checked on the green slot after the promotion, before any traffic moves.
    pre_promotion_check {
      name       = "green_error_rate"
      url        = "${var.target_url}/metrics/{package}/{environment}/{slot}/{version}"
      path       = "error_rate"
      max        = 0.01
      credential = "metrics"
    }

    # Checked once green serves; a failure switches traffic back to blue.
    post_promotion_check {
      name       = "error_rate"
      url        = "${var.target_url}/metrics/{package}/{environment}/{slot}/{version}"
      path       = "error_rate"
      max        = 0.02
      credential = "metrics"
    }
  }

  hook {
    url = "${var.target_url}/hooks"

    retry {
      attempts = 5
      min_wait = "1s"
      max_wait = "20s"
    }
  }

  # {slot} is "green" for the new release, so green is probed before it
  # takes any traffic.
  health_check {
    url        = "${var.target_url}/health/{package}/{environment}/{slot}/{version}"
    interval   = "10s"
    credential = "metrics"
  }

  progress_deadline = "10m"

  timeouts {
    create = "15m"
    update = "20m"
  }
}

resource "ocuroot_promotion" "web" {
  count      = var.promote_release == "" ? 0 : 1
  deployment = ocuroot_deployment.web.id
  release    = var.promote_release
  note       = "cutover approved in the change review"

  # Covers the promotion delay, the checks, the cutover and the scale-down delay.
  timeouts {
    create = "30m"
  }
}

output "web" {
  value = {
    status          = ocuroot_deployment.web.status
    live_release    = ocuroot_deployment.web.live_release
    pending_release = ocuroot_deployment.web.pending_release
    traffic_percent = ocuroot_deployment.web.traffic_percent
  }
}
