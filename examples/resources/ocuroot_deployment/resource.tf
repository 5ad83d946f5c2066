terraform {
  required_providers {
    ocuroot = {
      source = "ocuroot/ocuroot"
    }
  }
}

# Hook calls are signed with the secret in OCUROOT_HOOK_SECRET, and the check
# below sends the token of the "metrics" credential. Both come from the
# provider block: never in state, and there in every run, including a
# promotion or an action in a later run.
provider "ocuroot" {
  credentials = {
    metrics = {
      headers = { Authorization = "Bearer ${var.metrics_token}" }
    }
  }
}

variable "api_version" {
  description = "Version of the api build to run. Changing it rolls the new release out as a canary."
  type        = string
  default     = "1.4.2"
}

variable "hook_url" {
  description = "Endpoint that receives the lifecycle events and moves traffic."
  type        = string
  default     = "http://localhost:8080/hooks"
}

variable "service_url" {
  description = "Base URL of the service's health and metrics endpoints."
  type        = string
  default     = "http://localhost:8080"
}

variable "metrics_token" {
  description = "Token the metrics endpoint requires. Sent in a header with every probe; never stored by the engine."
  type        = string
  sensitive   = true
  default     = "example-token"
}

resource "ocuroot_environment" "prod_eu_1" {
  name = "prod-eu-1"
  attributes = {
    type   = "prod"
    region = "eu"
  }
}

resource "ocuroot_release" "api" {
  package  = "api"
  version  = var.api_version
  artifact = "registry.example.com/api:${var.api_version}"

  phase {
    name         = "prod"
    environments = [ocuroot_environment.prod_eu_1.name]
  }
}

resource "ocuroot_deployment" "api_prod_eu_1" {
  environment = ocuroot_environment.prod_eu_1.name
  release     = ocuroot_release.api.id
  strategy    = "canary"

  # 10% for 5 minutes, then 50% for 10 minutes, then 100%. Checks run every
  # 30 seconds while baking; three failed rounds in a row roll back.
  canary {
    check_interval    = "30s"
    failure_threshold = 3

    step {
      weight = 10
      bake   = "5m"
    }
    step {
      weight = 50
      bake   = "10m"
    }
  }

  hook {
    url     = var.hook_url
    timeout = "15s"

    retry {
      attempts = 5
      min_wait = "1s"
      max_wait = "30s"
    }
  }

  # {slot} is "canary" while a canary bakes and "stable" otherwise, so the
  # probe reaches the instances that run the release being checked.
  health_check {
    url             = "${var.service_url}/health/{package}/{environment}/{slot}/{version}"
    timeout         = "5s"
    expected_status = [200, 204]
  }

  # Credentials go in headers, never in the url (user:password@ is refused):
  # here those of the provider's "metrics" credential.
  check {
    name       = "error_rate"
    url        = "${var.service_url}/metrics/{package}/{environment}/{slot}/{version}"
    path       = "error_rate"
    max        = 0.01
    credential = "metrics"
  }

  check {
    name = "p99_latency_ms"
    url  = "${var.service_url}/metrics/{package}/{environment}/{slot}/{version}"
    path = "latency_ms"
    max  = 400
  }

  # Waiting for a slot to become healthy may take at most 10 minutes; past
  # that, and on a Terraform timeout or Ctrl-C, the previous release is restored.
  progress_deadline = "10m"
  on_timeout        = "rollback"

  timeouts {
    create = "15m"
    update = "45m"
    delete = "10m"
  }
}

# Known at plan time: what the next apply will do.
output "rollout_plan" {
  value = ocuroot_deployment.api_prod_eu_1.rollout_plan
}

output "live_release" {
  value = ocuroot_deployment.api_prod_eu_1.live_release
}
